// The lineage graph of the docs site (window.TDocs.lineage): the selected node with its parents to the
// left and children to the right, `hops` steps each way (one by default). Only that neighbourhood is laid
// out and drawn (plain SVG), so a project of thousands of nodes draws as fast as a small one.
(function (T) {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 190, H = 26, GAP_X = 70, GAP_Y = 10, MAX_PER_LAYER = 40;

  /** Node id → signed distance from `id` (parents negative, children positive), breadth first. */
  function neighbourhood(id, hops, parents, children, keep) {
    const layer = new Map([[id, 0]]);
    const walk = (edges, sign) => {
      let frontier = [id];
      for (let d = 1; d <= hops && frontier.length; d++) {
        const next = [];
        for (const n of frontier) {
          for (const m of edges(n)) {
            if (!layer.has(m) && keep(m)) {
              layer.set(m, sign * d);
              next.push(m);
            }
          }
        }
        frontier = next;
      }
    };
    walk(parents, -1);
    walk(children, 1);
    return layer;
  }

  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Draws into `box`; `graph` = {parents(id), children(id), label(id), kind(id), keep(id)}; `go(id)` on click. */
  function draw(box, id, hops, graph, go) {
    const layer = neighbourhood(id, hops, graph.parents, graph.children, graph.keep);
    const columns = new Map();
    for (const [n, d] of layer) {
      if (!columns.has(d)) columns.set(d, []);
      columns.get(d).push(n);
    }
    const order = [...columns.keys()].sort((a, b) => a - b);
    const pos = new Map();
    let height = 0;
    const hidden = new Map();
    order.forEach((d, ci) => {
      const ids = columns.get(d).sort((a, b) => graph.label(a).localeCompare(graph.label(b)));
      if (ids.length > MAX_PER_LAYER) hidden.set(d, ids.splice(MAX_PER_LAYER).length);
      ids.forEach((n, ri) => pos.set(n, { x: ci * (W + GAP_X) + 10, y: ri * (H + GAP_Y) + 10, d }));
      height = Math.max(height, (ids.length + (hidden.has(d) ? 1 : 0)) * (H + GAP_Y) + 10);
    });
    const width = order.length * (W + GAP_X) - GAP_X + 20;
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "lineage", role: "img" });
    svg.setAttribute("aria-label", `lineage of ${graph.label(id)}`);
    const edges = el("g", { class: "edges" });
    svg.append(edges);
    for (const [n, p] of pos) {
      for (const parent of graph.parents(n)) {
        const q = pos.get(parent);
        if (!q) continue;
        const x1 = q.x + W, y1 = q.y + H / 2, x2 = p.x, y2 = p.y + H / 2, mx = (x1 + x2) / 2;
        edges.append(el("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: "edge" }));
      }
    }
    for (const [n, p] of pos) {
      const role = p.d === 0 ? "self" : p.d < 0 ? "parent" : "child";
      const g = el("g", { class: `node ${graph.kind(n)} ${role}`, transform: `translate(${p.x},${p.y})`, tabindex: "0" });
      g.dataset.id = n;
      g.dataset.role = role;
      g.dataset.distance = String(Math.abs(p.d));
      g.append(el("rect", { width: W, height: H, rx: 5 }), el("text", { x: 10, y: 17 }, graph.label(n)));
      g.append(el("title", {}, n));
      if (p.d !== 0) {
        g.addEventListener("click", () => go(n));
        g.addEventListener("keydown", (e) => e.key === "Enter" && go(n));
      }
      svg.append(g);
    }
    for (const [d, more] of hidden) {
      const ci = order.indexOf(d);
      svg.append(el("text", { x: ci * (W + GAP_X) + 14, y: MAX_PER_LAYER * (H + GAP_Y) + 26, class: "more" }, `… ${more} more`));
    }
    box.replaceChildren(svg);
    box.dataset.nodes = String(pos.size);
    return layer;
  }

  T.lineage = { draw, neighbourhood };
})(window.TDocs = window.TDocs || {});
