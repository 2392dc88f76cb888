// The panels that are not time series (window.TD.panels): the KPI strip, category bars, tables and the
// data-health panel. Each `create(el, panel)` returns `{update(data)}` and records the number of points
// it drew in `el.dataset.points`.
(function (TD) {
  "use strict";
  const fmt = (v, spec) => TD.format.value(v, spec.format, spec);
  const h = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  function kpi(el, p) {
    const strip = el.querySelector(".body");
    strip.classList.add("kpi-strip");
    return {
      update(data) {
        const cols = TD.source.columns(data);
        const at = (c) => (cols.rows ? cols.col(c)[0] : null);
        strip.replaceChildren(...p.items.map((it) => {
          const v = at(it.column);
          const card = h("div", "kpi");
          card.dataset.column = it.column;
          card.dataset.value = v === null ? "" : String(v);
          card.append(h("span", "label", it.label || it.column), h("span", "value", fmt(v, it)));
          if (it.change) {
            const c = at(it.change.column);
            const sub = h("span", "sub " + (c > 0 ? "up" : c < 0 ? "down" : ""), fmt(c, { format: "pct", signed: true, ...it.change }));
            card.append(sub);
          }
          if (it.spread) {
            const s = at(it.spread.column);
            if (s !== null) card.append(h("span", "sub spread", (it.spread.label || "spread") + " " + fmt(s, { format: "pct", decimals: 3, signed: true })));
          }
          return card;
        }));
        el.dataset.points = String(cols.rows);
      },
    };
  }

  function bar(el, p) {
    const box = el.querySelector(".chart");
    box.style.height = (p.height || 320) + "px";
    const chart = echarts.init(box, null, { renderer: "canvas" });
    let renders = 0;
    chart.on("finished", () => (el.dataset.renders = String(++renders)));
    new ResizeObserver(() => chart.resize()).observe(box);
    return {
      update(data) {
        const cols = TD.source.columns(data);
        const cat = { type: "category", data: cols.col(p.x), inverse: !!p.horizontal, axisLabel: { interval: 0, fontSize: 10 } };
        const val = { type: p.scale === "log" ? "log" : "value", axisLabel: { formatter: (v) => TD.format.compact(v, 1) } };
        chart.setOption({
          animation: false,
          grid: { left: p.horizontal ? 120 : 56, right: 24, top: 28, bottom: 28 },
          legend: { top: 0, textStyle: { fontSize: 11 } },
          tooltip: { trigger: "axis", renderMode: "richText", confine: true },
          xAxis: p.horizontal ? val : cat,
          yAxis: p.horizontal ? cat : val,
          series: p.series.map((s) => ({ type: "bar", name: s.label || s.column, data: cols.col(s.column), stack: s.stack, large: true })),
        }, { notMerge: true });
        el.dataset.points = String(cols.rows);
      },
    };
  }

  function table(el, p) {
    const body = el.querySelector(".body");
    return {
      update(data) {
        const cols = TD.source.columns(data);
        const specs = p.columns || data.columns.map((c) => ({ column: c.name }));
        const t = h("table", "grid");
        const head = t.createTHead().insertRow();
        for (const s of specs) head.append(h("th", null, s.label || s.column));
        const tb = t.createTBody();
        const arrays = specs.map((s) => cols.col(s.column));
        for (let r = 0; r < cols.rows; r++) {
          const tr = tb.insertRow();
          specs.forEach((s, i) => tr.append(h("td", typeof arrays[i][r] === "number" ? "num" : null, fmt(arrays[i][r], s))));
        }
        body.replaceChildren(t);
        el.dataset.points = String(cols.rows);
      },
    };
  }

  /** Streams with rows, last load and freshness status; then the latest data-test results. */
  function health(el) {
    const body = el.querySelector(".body");
    return {
      update(data) {
        const cols = TD.source.columns(data);
        const t = h("table", "grid");
        const head = t.createTHead().insertRow();
        for (const c of ["stream", "rows", "last loaded", "age", "freshness"]) head.append(h("th", null, c));
        const tb = t.createTBody();
        const [stream, rows, loaded, status, limits] = ["stream", "rows", "last_loaded_at", "status", "limits"].map((c) => cols.col(c));
        for (let r = 0; r < cols.rows; r++) {
          const tr = tb.insertRow();
          tr.dataset.status = status[r];
          tr.append(h("td", null, stream[r]), h("td", "num", TD.format.value(rows[r], "int")),
            h("td", null, loaded[r] === null ? "never" : TD.format.time(loaded[r])),
            h("td", null, loaded[r] === null ? "–" : TD.format.age(loaded[r])));
          const pill = h("span", "pill " + status[r], status[r]);
          if (limits[r]) pill.title = limits[r];
          tr.insertCell().append(pill);
        }
        body.replaceChildren(t, tests(data.tests));
        el.dataset.points = String(cols.rows);
        el.dataset.failing = String((data.tests && data.tests.failing.length) || 0);
      },
    };
  }

  function tests(t) {
    const box = h("div", "tests");
    if (!t) {
      box.append(h("p", "muted", "No run_results.json yet: run `transform build` or `transform test`."));
      return box;
    }
    const s = t.summary;
    box.append(h("p", null, `Data tests (${t.command}, ${TD.format.time(t.generated_at)}): ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped`));
    if (t.failing.length) {
      const ul = h("ul", "failing");
      for (const f of t.failing) {
        const li = h("li", "pill-line");
        li.append(h("span", "pill " + f.status, f.status), h("code", null, f.name), h("span", "muted", f.message || ""));
        ul.append(li);
      }
      box.append(ul);
    }
    return box;
  }

  TD.panels = { kpi, bar, table, health };
})(window.TD = window.TD || {});
