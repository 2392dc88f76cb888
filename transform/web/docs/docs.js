// The docs site (`transform docs serve`): reads manifest.json and catalog.json, lists every model, seed,
// snapshot and source in a searchable sidebar, and shows one node per page (dbt docs' `#!/model/<id>`
// links): description, columns with their warehouse types and tests, the node's tests, its SQL (raw and
// compiled), its parents and children, and the lineage graph around it.
(function (T) {
  "use strict";
  const $ = (s, r) => (r || document).querySelector(s);
  const LIST_LIMIT = 300;
  const BADGE = { model: "M", seed: "Se", source: "So", snapshot: "Sn", analysis: "A", operation: "O" };
  const h = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };

  async function load() {
    const inline = document.getElementById("docs-data");
    if (inline) return JSON.parse(inline.textContent);
    const get = async (f) => {
      const r = await fetch(f, { cache: "no-store" });
      if (!r.ok) throw new Error(`${f}: HTTP ${r.status}${r.status === 404 ? " — run `transform docs generate` first" : ""}`);
      return r.json();
    };
    const [manifest, catalog] = await Promise.all([get("manifest.json"), get("catalog.json").catch(() => null)]);
    return { manifest, catalog };
  }

  /** Everything a page needs, indexed once: nodes and sources by id, tests by the node they test. */
  function index(manifest, catalog) {
    const all = new Map();
    for (const [id, n] of Object.entries(manifest.nodes || {})) all.set(id, n);
    for (const [id, s] of Object.entries(manifest.sources || {})) all.set(id, s);
    const tests = new Map();
    for (const n of all.values()) {
      if (n.resource_type !== "test") continue;
      // A generic test belongs to the node it is attached to; a singular test to every node it reads.
      const owners = n.attached_node ? [n.attached_node] : (n.depends_on && n.depends_on.nodes) || [];
      for (const owner of owners) {
        if (!tests.has(owner)) tests.set(owner, []);
        tests.get(owner).push(n);
      }
    }
    const cat = (id) => (catalog && (catalog.nodes[id] || catalog.sources[id])) || null;
    const parents = (id) => manifest.parent_map[id] || [];
    const children = (id) => manifest.child_map[id] || [];
    const listed = [...all.values()].filter((n) => n.resource_type !== "test").sort((a, b) => a.name.localeCompare(b.name));
    return { manifest, all, tests, cat, parents, children, listed };
  }

  function label(n) {
    return n.resource_type === "source" ? `${n.source_name}.${n.name}` : n.name;
  }

  function sidebar(ix) {
    const list = $("#nodes");
    const render = () => {
      const q = $("#search").value.trim().toLowerCase();
      const hits = ix.listed.filter((n) => !q || label(n).toLowerCase().includes(q) || (n.description || "").toLowerCase().includes(q)
        || Object.keys(n.columns || {}).some((c) => c.toLowerCase().includes(q)));
      list.replaceChildren(...hits.slice(0, LIST_LIMIT).map((n) => {
        const li = h("li", n.resource_type);
        const a = h("a", null, label(n));
        a.href = `#!/${n.resource_type}/${n.unique_id}`;
        li.append(h("span", "badge", BADGE[n.resource_type] || "?"), a);
        return li;
      }));
      $("#count").textContent = hits.length > LIST_LIMIT ? `${LIST_LIMIT} of ${hits.length}: refine the search` : `${hits.length} resources`;
    };
    $("#search").addEventListener("input", render);
    render();
  }

  function columnsTable(ix, n) {
    const c = ix.cat(n.unique_id);
    const declared = n.columns || {};
    const fromCat = (c && c.columns) || {};
    const names = [...new Set([...Object.values(fromCat).sort((a, b) => a.index - b.index).map((x) => x.name), ...Object.keys(declared)])];
    const testsOf = (col) => (ix.tests.get(n.unique_id) || []).filter((t) => t.column_name && t.column_name.toLowerCase() === col.toLowerCase());
    const t = h("table", "grid columns");
    const head = t.createTHead().insertRow();
    for (const x of ["column", "type", "description", "tests"]) head.append(h("th", null, x));
    const body = t.createTBody();
    for (const name of names) {
      const decl = declared[name] || Object.values(declared).find((d) => d.name.toLowerCase() === name.toLowerCase()) || {};
      const wh = fromCat[name] || Object.values(fromCat).find((d) => d.name.toLowerCase() === name.toLowerCase()) || {};
      const tr = body.insertRow();
      tr.dataset.column = name;
      tr.append(h("td", "name", name), h("td", "type", wh.type || decl.data_type || ""), h("td", null, decl.description || wh.comment || ""));
      const td = tr.insertCell();
      for (const test of testsOf(name)) td.append(h("span", "test-badge", (test.test_metadata && test.test_metadata.name) || test.name));
    }
    return names.length ? t : h("p", "muted", "No columns known: declare them in YAML or run `transform docs generate` after a build.");
  }

  function testsList(ix, n) {
    const ts = ix.tests.get(n.unique_id) || [];
    if (!ts.length) return h("p", "muted", "No data tests.");
    const ul = h("ul", "tests");
    for (const t of ts.sort((a, b) => a.name.localeCompare(b.name))) {
      const li = h("li");
      li.dataset.test = t.unique_id;
      li.append(h("code", null, t.name), h("span", "muted", t.column_name ? ` on ${t.column_name}` : " (model)"));
      ul.append(li);
    }
    return ul;
  }

  function links(ix, ids, cls) {
    const ul = h("ul", "links " + cls);
    for (const id of ids) {
      const n = ix.all.get(id);
      if (!n || n.resource_type === "test") continue;
      const li = h("li");
      const a = h("a", null, label(n));
      a.href = `#!/${n.resource_type}/${id}`;
      li.append(a);
      ul.append(li);
    }
    return ul.children.length ? ul : h("p", "muted", "none");
  }

  /** Raw and compiled SQL; without `compiled_code` in the manifest, target/compiled/ is read on opening. */
  function code(n) {
    const box = h("div", "code");
    const show = (title, text, load) => {
      const d = h("details");
      const pre = h("pre", null, text || "");
      d.append(h("summary", null, title), pre);
      if (load) {
        d.addEventListener("toggle", () => {
          if (!d.open || pre.textContent) return;
          fetch(load, { cache: "no-store" }).then((r) => (r.ok ? r.text() : `not compiled yet: run \`transform docs generate\``))
            .then((t) => (pre.textContent = t), () => (pre.textContent = "not available"));
        });
      }
      box.append(d);
    };
    if (n.raw_code) show("SQL", n.raw_code);
    if (n.resource_type === "model" || n.resource_type === "snapshot") {
      show("compiled SQL", n.compiled_code, n.compiled_code ? null : `compiled/${n.package_name}/${n.original_file_path}`);
    }
    return box;
  }

  function section(title, ...content) {
    const s = h("section");
    s.append(h("h2", null, title), ...content);
    return s;
  }

  function lineageSection(ix, n, hops) {
    const box = h("div", "lineage-box");
    const bar = h("div", "hops");
    const s = section("Lineage", bar, box);
    const graph = {
      parents: ix.parents, children: ix.children,
      label: (id) => (ix.all.get(id) ? label(ix.all.get(id)) : id),
      kind: (id) => (ix.all.get(id) || {}).resource_type || "other",
      keep: (id) => (ix.all.get(id) || {}).resource_type !== "test",
    };
    const redraw = () => {
      T.lineage.draw(box, n.unique_id, hops, graph, (id) => (location.hash = `#!/${ix.all.get(id).resource_type}/${id}`));
      bar.replaceChildren(h("span", "muted", `${hops} hop${hops > 1 ? "s" : ""} each way · `));
      for (const [t, d] of [["−", -1], ["+", 1]]) {
        const b = h("button", null, t);
        b.type = "button";
        b.dataset.hops = String(d);
        b.disabled = hops + d < 1;
        b.addEventListener("click", () => { hops += d; redraw(); });
        bar.append(b);
      }
    };
    redraw();
    return s;
  }

  function nodePage(ix, id) {
    const n = ix.all.get(id);
    const page = $("#page");
    if (!n) {
      page.replaceChildren(h("p", "error", `No node ${id} in manifest.json.`));
      return;
    }
    const c = ix.cat(id);
    const rel = n.relation_name || [n.database, n.schema, n.alias || n.identifier].filter(Boolean).join(".");
    const head = h("header");
    head.append(h("span", "badge big", n.resource_type), h("h1", null, label(n)), h("p", "muted", `${n.original_file_path || ""} · ${rel}${c ? " · " + c.metadata.type : ""}`));
    page.replaceChildren(
      head,
      h("p", "description", n.description || "No description."),
      lineageSection(ix, n, 1),
      section("Columns", columnsTable(ix, n)),
      section("Data tests", testsList(ix, n)),
      section("Depends on", links(ix, ix.parents(id), "parents")),
      section("Referenced by", links(ix, ix.children(id), "children")),
      section("Code", code(n)),
    );
    page.dataset.node = id;
    document.title = `${label(n)} · docs`;
  }

  function overview(ix) {
    const m = ix.manifest;
    const count = (t) => ix.listed.filter((n) => n.resource_type === t).length;
    const page = $("#page");
    page.dataset.node = "";
    page.replaceChildren(
      h("h1", null, (m.metadata && m.metadata.project_name) || "Project"),
      h("p", null, `${count("model")} models, ${count("seed")} seeds, ${count("snapshot")} snapshots, ${count("source")} sources, ${[...ix.tests.values()].reduce((a, t) => a + t.length, 0)} data tests.`),
      h("p", "muted", "Pick a resource on the left. The lineage graph opens one hop around it; + widens it."),
    );
  }

  function route(ix) {
    const m = location.hash.match(/^#!\/[a-z_]+\/(.+)$/);
    if (m) nodePage(ix, decodeURIComponent(m[1]));
    else overview(ix);
  }

  load().then(({ manifest, catalog }) => {
    const ix = index(manifest, catalog);
    $("#project").textContent = (manifest.metadata && manifest.metadata.project_name) || "docs";
    sidebar(ix);
    window.addEventListener("hashchange", () => route(ix));
    route(ix);
    document.body.dataset.ready = "1";
  }).catch((e) => {
    $("#page").replaceChildren(h("p", "error", String(e.message || e)));
    document.body.dataset.error = String(e.message || e);
  });
})(window.TDocs = window.TDocs || {});
