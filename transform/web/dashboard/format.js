// Number, date and age formatting shared by every panel (window.TD.format). Classic script, no imports,
// so the exported page also works from file://.
(function (TD) {
  "use strict";
  const nf = (min, max) => new Intl.NumberFormat("en-US", { minimumFractionDigits: min, maximumFractionDigits: max });
  const fixed = [0, 1, 2, 3, 4].map((d) => nf(d, d));
  const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];

  function compact(v, decimals) {
    const a = Math.abs(v);
    for (const [size, suffix] of units) {
      if (a >= size) return fixed[decimals ?? 2].format(v / size) + " " + suffix;
    }
    return fixed[decimals ?? 0].format(v);
  }

  function day(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function time(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  /** `kind` is a panel file's `format:` (usd, usd_compact, pct, number, compact, int, date, time, text). */
  function value(v, kind, opts) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "–";
    const o = opts || {};
    const d = o.decimals;
    const sign = o.signed && typeof v === "number" && v > 0 ? "+" : "";
    const unit = o.unit ? " " + o.unit : "";
    switch (kind) {
      case "usd": return sign + "$" + fixed[d ?? 2].format(v);
      case "usd_compact": return sign + "$" + compact(v, d);
      case "pct": return sign + fixed[d ?? 2].format(v) + " %";
      case "int": return sign + fixed[0].format(v) + unit;
      case "compact": return sign + compact(v, d) + unit;
      case "date": return typeof v === "number" ? day(v) : String(v);
      case "time": return typeof v === "number" ? time(v) : String(v);
      case "number": return sign + (d === undefined ? nf(0, 4) : fixed[d]).format(v) + unit;
      default: return typeof v === "number" ? sign + nf(0, 4).format(v) + unit : String(v) + unit;
    }
  }

  /** "3 h ago" style age of an epoch-ms instant relative to now. */
  function age(ms, now) {
    const s = Math.max(0, Math.round(((now ?? Date.now()) - ms) / 1000));
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    if (s < 172800) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  TD.format = { value, compact, day, time, age };
})(window.TD = window.TD || {});
