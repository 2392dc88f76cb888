// Time-series panels (window.TD.timeseries): one ECharts chart per panel with a main pane (candles or a
// line, overlays, markers such as halvings, linear or log scale) and optional panes below it (volume, RSI
// with bands, MACD), linked zoom, range buttons. What is drawn is mirrored in data-* attributes of the
// panel element (points, visible points, scale, renders) so tests and people can check it.
(function (TD) {
  "use strict";
  const DAY = 86400000;
  const RANGES = { "1W": 7, "1M": 30, "3M": 91, "6M": 182, "1Y": 365, "2Y": 730, "5Y": 1826, "10Y": 3652 };
  const PALETTE = ["#f7931a", "#4e79a7", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"];

  function rangeStart(range, first, last) {
    if (range === "ALL") return first;
    if (range === "YTD") return Date.UTC(new Date(last).getUTCFullYear(), 0, 1);
    return last - (RANGES[range] ?? 365) * DAY;
  }

  /** Pixel layout: the main pane, then each extra pane, then the zoom slider. */
  function layout(p) {
    const grids = [{ top: 28, height: p.height || 300 }];
    let top = 28 + grids[0].height + 26;
    for (const pane of p.panes) {
      grids.push({ top, height: pane.height || 90 });
      top += (pane.height || 90) + 22;
    }
    return { grids, total: top + 40 };
  }

  function paneIndex(p, name) {
    if (!name || name === "main") return 0;
    const i = p.panes.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`panel ${p.name}: series pane \`${name}\` is not in panes`);
    return i + 1;
  }

  function lineSeries(p, s, color, state) {
    const grid = paneIndex(p, s.pane);
    const bar = s.type === "bar";
    return {
      type: bar ? "bar" : "line",
      name: s.label || s.column,
      xAxisIndex: grid,
      yAxisIndex: grid === 0 && s.axis === "right" ? p.panes.length + 1 : grid,
      encode: { x: p.x, y: s.column },
      showSymbol: false,
      sampling: bar ? undefined : "lttb",
      large: bar,
      lineStyle: bar ? undefined : { width: s.width || 1.4 },
      areaStyle: s.type === "area" ? { opacity: 0.15 } : undefined,
      itemStyle: { color: s.color || color },
      emphasis: { disabled: true },
      markLine: bandLines(p.panes[grid - 1]),
      animation: false,
      z: state && s.overlay ? 3 : 2,
    };
  }

  function bandLines(pane) {
    if (!pane || !pane.bands || !pane.bands.length) return undefined;
    return {
      silent: true, symbol: "none", animation: false,
      lineStyle: { color: "#999", type: "dashed", width: 1 },
      label: { position: "insideEndTop", color: "#888", fontSize: 10 },
      data: pane.bands.map((y) => ({ yAxis: y })),
    };
  }

  function markerLines(p, first, last) {
    const data = (p.markers || [])
      .map((m) => ({ xAxis: Date.parse(m.at), name: m.label }))
      .filter((m) => m.xAxis >= first && m.xAxis <= last);
    if (!data.length) return undefined;
    return {
      silent: true, symbol: "none", animation: false,
      lineStyle: { color: "#8a63d2", type: "dotted", width: 1.5 },
      label: { formatter: "{b}", position: "insideEndTop", color: "#8a63d2", fontSize: 10 },
      data,
    };
  }

  function mainSeries(p, state) {
    const c = p.candles;
    if (c && state.chart === "candles") {
      return {
        type: "candlestick", name: c.label || "Price", xAxisIndex: 0, yAxisIndex: 0,
        encode: { x: p.x, y: [c.open, c.close, c.low, c.high] },
        large: true, largeThreshold: 2000, animation: false,
        itemStyle: { color: "#26a269", color0: "#e01b24", borderColor: "#26a269", borderColor0: "#e01b24" },
      };
    }
    if (c) return lineSeries(p, { column: c.close, label: c.label || "Price", width: 1.6 }, PALETTE[0]);
    return lineSeries(p, { width: 1.6, ...p.series[0] }, PALETTE[0]);
  }

  function buildOption(p, state, first, last) {
    const { grids } = layout(p);
    const n = grids.length;
    const main = mainSeries(p, state);
    main.markLine = markerLines(p, first, last);
    const rest = (p.candles ? p.series : p.series.slice(1)).map((s, i) => lineSeries(p, s, PALETTE[(i + 1) % 8]));
    const overlays = p.overlays
      .filter((o) => state.overlays.has(o.column))
      .map((o) => lineSeries(p, { ...o, overlay: true }, PALETTE[(p.overlays.indexOf(o) + 3) % 8], state));
    const xAxes = grids.map((_, i) => ({
      type: "time", gridIndex: i, min: "dataMin", max: "dataMax",
      axisLabel: { show: i === n - 1, hideOverlap: true }, axisTick: { show: i === n - 1 },
      axisPointer: { label: { show: i === n - 1 } },
    }));
    const yAxes = grids.map((_, i) => {
      const pane = p.panes[i - 1] || {};
      return {
        type: i === 0 && state.log ? "log" : "value", gridIndex: i, scale: true, min: pane.min, max: pane.max,
        splitNumber: i === 0 ? 5 : 2, name: i === 0 ? p.unit : pane.title, nameTextStyle: { align: "left", color: "#888" },
        axisLabel: { formatter: (v) => TD.format.compact(v, 1) },
      };
    });
    if (p.series.some((s) => s.axis === "right")) yAxes.push({ type: "value", gridIndex: 0, position: "right", scale: true, splitLine: { show: false } });
    const all = grids.map((_, i) => i);
    return {
      animation: false,
      color: PALETTE,
      dataset: { source: state.source, dimensions: state.dimensions },
      grid: grids.map((g) => ({ left: 64, right: 56, top: g.top, height: g.height })),
      xAxis: xAxes,
      yAxis: yAxes,
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      tooltip: { trigger: "axis", renderMode: "richText", confine: true, axisPointer: { type: "cross" } },
      legend: { top: 0, type: "scroll", textStyle: { fontSize: 11 } },
      dataZoom: [
        { type: "inside", xAxisIndex: all, filterMode: "filter" },
        { type: "slider", xAxisIndex: all, bottom: 6, height: 22, filterMode: "filter" },
      ],
      series: [main, ...rest, ...overlays],
    };
  }

  /** Rows whose x lies in the zoom window: what the main pane shows. */
  function visibleCount(xs, from, to) {
    let n = 0;
    for (const x of xs) if (x >= from && x <= to) n++;
    return n;
  }

  function create(el, p, url) {
    const state = {
      chart: url.get("chart") || p.chart || (p.candles ? "candles" : "line"),
      log: url.get("log") ? url.get("log") === "1" : p.scale === "log",
      range: url.get("range") || (url.get("zoom") ? null : p.default_range || "ALL"),
      zoom: url.get("zoom") ? url.get("zoom").split("..").map(Date.parse) : null,
      overlays: new Set(url.get("ov") !== null ? url.get("ov").split(",").filter(Boolean)
        : p.overlays.filter((o) => o.visible !== false).map((o) => o.column)),
      source: null, dimensions: null, xs: [],
    };
    const canvas = el.querySelector(".chart");
    canvas.style.height = layout(p).total + "px";
    const chart = echarts.init(canvas, null, { renderer: "canvas" });
    let renders = 0;
    let zooming = false;
    chart.on("finished", () => {
      el.dataset.renders = String(++renders);
    });
    chart.on("datazoom", () => {
      const [from, to] = zoomWindow();
      el.dataset.visible = String(visibleCount(state.xs, from, to));
      if (!zooming) {
        state.range = null;
        state.zoom = [from, to];
        sync();
      }
    });
    new ResizeObserver(() => chart.resize()).observe(canvas);

    function zoomWindow() {
      const dz = chart.getOption().dataZoom[0];
      return [dz.startValue, dz.endValue];
    }

    function applyZoom() {
      const xs = state.xs;
      if (!xs.length) return;
      const first = xs[0], last = xs[xs.length - 1];
      const [from, to] = state.zoom || [rangeStart(state.range || "ALL", first, last), last];
      zooming = true;
      chart.dispatchAction({ type: "dataZoom", startValue: Math.max(from, first), endValue: Math.min(to, last) });
      zooming = false;
      el.dataset.visible = String(visibleCount(xs, Math.max(from, first), Math.min(to, last)));
    }

    function sync() {
      url.set("chart", p.candles ? state.chart : null);
      url.set("log", state.log ? "1" : p.scale === "log" ? "0" : null);
      url.set("range", state.range);
      url.set("zoom", state.zoom && !state.range ? state.zoom.map(TD.format.day).join("..") : null);
      url.set("ov", [...state.overlays].join(","));
      el.dataset.yScale = state.log ? "log" : "linear";
      el.dataset.chart = state.chart;
      el.dataset.range = state.range || "";
      for (const b of el.querySelectorAll("[data-range-button]")) b.setAttribute("aria-pressed", String(b.dataset.rangeButton === state.range));
      for (const b of el.querySelectorAll("[data-toggle]")) b.setAttribute("aria-pressed", String(toggleOn(b.dataset.toggle)));
    }

    function toggleOn(what) {
      if (what === "log") return state.log;
      if (what === "candles") return state.chart === "candles";
      return state.overlays.has(what);
    }

    function draw() {
      if (!state.source) return;
      const xs = state.xs;
      chart.setOption(buildOption(p, state, xs[0], xs[xs.length - 1]), { notMerge: true });
      el.dataset.points = String(xs.length);
      applyZoom();
      sync();
    }

    controls(el, p, {
      range(r) { state.range = r; state.zoom = null; applyZoom(); sync(); },
      toggle(what) {
        if (what === "log") state.log = !state.log;
        else if (what === "candles") state.chart = state.chart === "candles" ? "line" : "candles";
        else if (state.overlays.has(what)) state.overlays.delete(what);
        else state.overlays.add(what);
        const keep = state.range ? null : zoomWindow();
        draw();
        if (keep) { state.zoom = keep; applyZoom(); }
      },
    });

    return {
      update(data) {
        const cols = TD.source.columns(data);
        state.dimensions = data.columns.map((c) => c.name);
        state.source = Object.fromEntries(state.dimensions.map((d) => [d, cols.col(d)]));
        state.xs = cols.col(p.x);
        draw();
      },
    };
  }

  /** Range buttons, the log / candles switches and one switch per overlay, in the panel's toolbar. */
  function controls(el, p, on) {
    const bar = el.querySelector(".toolbar");
    const button = (text, attrs, onclick) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
      b.addEventListener("click", onclick);
      bar.appendChild(b);
      return b;
    };
    for (const r of p.ranges || []) button(r, { "data-range-button": r, class: "range" }, () => on.range(r));
    if (p.candles) button("Candles", { "data-toggle": "candles" }, () => on.toggle("candles"));
    if (p.log_toggle !== false) button("Log", { "data-toggle": "log" }, () => on.toggle("log"));
    for (const o of p.overlays) button(o.label || o.column, { "data-toggle": o.column, class: "overlay" }, () => on.toggle(o.column));
  }

  TD.timeseries = { create, rangeStart };
})(window.TD = window.TD || {});
