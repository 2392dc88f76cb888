// Where the page's data comes from (window.TD.source): the server's JSON API with server-sent refresh
// events (polling when the event stream is down), or the data inlined by `transform dashboard export`.
// The browser only names panels: no SQL ever leaves it.
(function (TD) {
  "use strict";

  /** Columnar panel data → accessors by column name. */
  function columns(data) {
    const index = new Map(data.columns.map((c, i) => [c.name, i]));
    return {
      rows: data.rows,
      has: (name) => index.has(name),
      col(name) {
        const i = index.get(name);
        if (i === undefined) throw new Error(`panel ${data.panel}: no column \`${name}\` in its query result`);
        return data.data[i];
      },
    };
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  function live() {
    let version = 0;
    return {
      mode: "live",
      async meta() {
        const m = await getJson("api/dashboard");
        version = m.version;
        return m;
      },
      panel: (name) => getJson(`api/panels/${encodeURIComponent(name)}?v=${version}`),
      csvUrl: (name) => `api/panels/${encodeURIComponent(name)}.csv`,
      /** Calls `cb(version)` whenever the server has refreshed its data. */
      onRefresh(cb, pollSeconds) {
        const seen = (v) => {
          if (v > version) {
            version = v;
            cb(v);
          }
        };
        let es = null;
        if (window.EventSource) {
          es = new EventSource("api/events");
          es.addEventListener("refresh", (e) => seen(JSON.parse(e.data).version));
        }
        // Fallback: poll while the event stream is not open (no EventSource, a proxy that buffers, a restart).
        setInterval(() => {
          if (es && es.readyState === 1) return;
          getJson("api/version").then((v) => seen(v.version), () => {});
        }, (pollSeconds || 10) * 1000);
        return () => es && es.close();
      },
    };
  }

  function inline(node) {
    const bundle = JSON.parse(node.textContent);
    return {
      mode: "static",
      meta: async () => bundle.dashboard,
      panel: async (name) => bundle.panels[name],
      csvUrl: (name) => `data/${encodeURIComponent(name)}.csv`,
      onRefresh: () => () => {},
    };
  }

  function pick() {
    const node = document.getElementById("dashboard-data");
    return node ? inline(node) : live();
  }

  TD.source = { pick, columns };
})(window.TD = window.TD || {});
