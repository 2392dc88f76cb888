// The dashboard page: reads the panel list, lays out one card per panel, draws each with its renderer,
// keeps per-panel view state in the URL, shows each panel's freshness, its CSV and its SQL and models,
// and redraws everything when the server says its data changed.
(function (TD) {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);

  /** View state in the query string, one `panel.key=value` per setting (shareable links). */
  const url = {
    params: new URLSearchParams(location.search),
    scope(panel) {
      return {
        get: (k) => url.params.get(`${panel}.${k}`),
        set(k, v) {
          if (v === null || v === undefined || v === "") url.params.delete(`${panel}.${k}`);
          else url.params.set(`${panel}.${k}`, v);
          const q = url.params.toString();
          if (location.protocol !== "file:") history.replaceState(null, "", q ? `?${q}` : location.pathname);
        },
      };
    },
  };

  function card(p, source) {
    const tpl = $("#panel-template").content.firstElementChild.cloneNode(true);
    tpl.id = `panel-${p.name}`;
    tpl.dataset.panel = p.name;
    tpl.dataset.kind = p.kind;
    tpl.classList.add(p.width === "half" ? "half" : "full");
    $("h2", tpl).textContent = p.title || p.name;
    if (p.description) $(".description", tpl).textContent = p.description;
    const csv = $("a.csv", tpl);
    if (p.kind === "kpi" || p.kind === "health") csv.remove();
    else {
      csv.href = source.csvUrl(p.name);
      csv.setAttribute("download", `${p.name}.csv`);
    }
    $("button.sql", tpl).addEventListener("click", () => showSql(p));
    const chartKinds = ["timeseries", "bar"];
    (chartKinds.includes(p.kind) ? $(".body", tpl) : $(".chart", tpl)).remove();
    if (p.kind !== "timeseries") $(".toolbar", tpl).remove();
    return tpl;
  }

  function showSql(p) {
    const d = $("#sql-dialog");
    $(".title", d).textContent = p.title || p.name;
    const list = $(".models", d);
    list.replaceChildren(...(p.models || []).map((m) => {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = m.name;
      li.append(code, ` — ${m.path || m.unique_id}${m.description ? ": " + m.description : ""}`);
      return li;
    }));
    $(".sql", d).textContent = p.sql || "(built in: computed by the server from the sources' freshness and run_results.json)";
    d.showModal();
  }

  function renderer(el, p) {
    if (p.kind === "timeseries") return TD.timeseries.create(el, p, url.scope(p.name));
    const make = TD.panels[p.kind];
    if (!make) throw new Error(`panel ${p.name}: unknown kind ${p.kind}`);
    return make(el, p);
  }

  function freshness(el, p, data) {
    const f = $(".fresh", el);
    const parts = [];
    if (data.as_of !== null && data.as_of !== undefined) parts.push(`data through ${TD.format.value(data.as_of, data.as_of_type === "date" ? "date" : "time")}`);
    parts.push(`queried ${TD.format.age(Date.parse(data.refreshed_at))}`);
    f.textContent = parts.join(" · ");
    const limit = p.stale_after_hours;
    const stale = limit && data.as_of !== null && Date.now() - data.as_of > limit * 3600000;
    el.classList.toggle("stale", !!stale);
    el.dataset.asOf = data.as_of ?? "";
  }

  async function load(entry, source) {
    const { el, p, draw } = entry;
    try {
      const data = await source.panel(p.name);
      entry.data = data;
      const err = $("p.error", el);
      const empty = !data.error && data.rows === 0;
      err.hidden = !data.error && !empty;
      err.classList.toggle("empty", empty);
      err.textContent = data.error || (empty ? "No rows: the panel's query returns nothing yet." : "");
      if (!data.error) draw.update(data);
      freshness(el, p, data);
      el.dataset.version = String(data.version);
      el.dataset.rows = String(data.rows);
    } catch (e) {
      const err = $("p.error", el);
      err.hidden = false;
      err.textContent = String(e.message || e);
      el.dataset.error = "1";
    }
  }

  async function main() {
    const source = TD.source.pick();
    const meta = await source.meta();
    document.title = meta.title || "Dashboard";
    $("#title").textContent = meta.title || "Dashboard";
    $("#subtitle").textContent = meta.description || "";
    const grid = $("#panels");
    const entries = meta.panels.map((p) => {
      const el = card(p, source);
      grid.appendChild(el);
      return { el, p, draw: renderer(el, p), data: null };
    });
    const refreshAll = async (version) => {
      await Promise.all(entries.map((e) => load(e, source)));
      document.body.dataset.version = String(version);
      $("#status").textContent = source.mode === "static" ? `exported ${meta.generated_at}` : `updated ${new Date().toLocaleTimeString()}`;
    };
    await refreshAll(meta.version);
    document.body.dataset.ready = "1";
    source.onRefresh((v) => refreshAll(v), meta.poll_seconds);
    setInterval(() => entries.forEach((e) => e.data && freshness(e.el, e.p, e.data)), 30000);
  }

  main().catch((e) => {
    $("#status").textContent = `error: ${e.message || e}`;
    document.body.dataset.error = String(e.message || e);
  });
})(window.TD = window.TD || {});
