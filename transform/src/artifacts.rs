//! `target/manifest.json` and `target/run_results.json` with dbt's key names (`unique_id`,
//! `depends_on`, `compiled_code`, `status`, `timing`, `adapter_response`, `failures`, …) so tools
//! that read dbt artifacts can read ours. The manifest is written node by node, not built in memory.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value as Json};

use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::project::{Node, Resource, Source};
use crate::execute::runner::NodeResult;

const DBT_VERSION: &str = "1.11.0";

fn metadata(m: &Manifest, schema: &str) -> Json {
    json!({
        "dbt_schema_version": format!("https://schemas.getdbt.com/dbt/{schema}.json"),
        "dbt_version": DBT_VERSION,
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "invocation_id": m.engine.shared.invocation_id,
        "adapter_type": m.target.adapter_type,
        "project_name": m.project.cfg.name,
        "generator": format!("transform {}", env!("CARGO_PKG_VERSION")),
    })
}

#[derive(serde::Serialize)]
struct ColumnOut<'a> {
    name: &'a str,
    description: &'a str,
    data_type: &'a Option<String>,
    meta: Json,
    tags: [&'a str; 0],
}

#[derive(serde::Serialize)]
struct RefOut<'a> {
    name: Option<&'a String>,
    package: Option<&'a String>,
    version: Option<()>,
}

/// One manifest node, borrowed from the parsed node (no copies of raw code).
#[derive(serde::Serialize)]
struct NodeOut<'a> {
    unique_id: &'a str,
    resource_type: &'static str,
    name: &'a str,
    package_name: &'a str,
    path: &'a str,
    original_file_path: &'a str,
    patch_path: Option<String>,
    fqn: &'a [String],
    database: &'a str,
    schema: &'a str,
    alias: &'a str,
    relation_name: Option<String>,
    config: &'a crate::project::Config,
    tags: Vec<String>,
    meta: Json,
    description: &'a str,
    columns: indexmap_like::Columns<'a>,
    depends_on: DependsOn<'a>,
    refs: Vec<RefOut<'a>>,
    sources: &'a [(String, String)],
    raw_code: &'a str,
    language: &'static str,
    checksum: Json,
    #[serde(skip_serializing_if = "Option::is_none")]
    column_name: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attached_node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_metadata: Option<Json>,
}

#[derive(serde::Serialize)]
struct DependsOn<'a> {
    nodes: &'a [String],
    macros: &'a [String],
}

mod indexmap_like {
    use serde::ser::SerializeMap;

    /// Columns as a JSON object keyed by name, in declaration order.
    pub struct Columns<'a>(pub Vec<(&'a str, super::ColumnOut<'a>)>);

    impl serde::Serialize for Columns<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }
}

fn node_out<'a>(m: &'a Manifest, n: &'a Node) -> NodeOut<'a> {
    let columns = n
        .columns
        .iter()
        .map(|c| (c.name.as_str(), ColumnOut { name: &c.name, description: &c.description, data_type: &c.data_type, meta: json!({}), tags: [] }))
        .collect();
    let relation_name = match n.materialized() {
        "ephemeral" | "test" => None,
        _ => Some(m.dialect.render_relation(&n.relation)),
    };
    NodeOut {
        unique_id: &n.unique_id,
        resource_type: n.resource.as_str(),
        name: &n.name,
        package_name: &n.package_name,
        path: &n.path,
        original_file_path: m.project.in_package(&n.package_name, &n.original_file_path),
        patch_path: n.patch_path.as_ref().map(|p| format!("{}://{}", n.package_name, m.project.in_package(&n.package_name, p))),
        fqn: &n.fqn,
        database: &n.relation.database,
        schema: &n.relation.schema,
        alias: &n.relation.identifier,
        relation_name,
        config: &n.config,
        tags: n.config.tags(),
        meta: n.config.get("meta").cloned().unwrap_or(json!({})),
        description: &n.description,
        columns: indexmap_like::Columns(columns),
        depends_on: DependsOn { nodes: &n.depends_on, macros: &n.depends_on_macros },
        refs: n.refs.iter().map(|r| RefOut { name: r.last(), package: if r.len() > 1 { r.first() } else { None }, version: None }).collect(),
        sources: &n.sources,
        raw_code: &n.raw_code,
        language: "sql",
        checksum: json!({"name": "fnv1a", "checksum": crate::project::generic_tests::short_hash(&n.raw_code)}),
        column_name: n.generic.as_ref().map(|g| &g.column_name),
        attached_node: n.generic.as_ref().map(|g| g.attached_to.as_str()),
        test_metadata: n.generic.as_ref().map(|g| json!({"name": g.test_name, "kwargs": g.kwargs, "namespace": null})),
    }
}

fn source_json(m: &Manifest, s: &Source) -> Json {
    json!({
        "unique_id": s.unique_id, "resource_type": "source", "name": s.name, "source_name": s.source_name,
        "package_name": s.package_name, "original_file_path": m.project.in_package(&s.package_name, &s.original_file_path), "fqn": s.fqn,
        "database": s.relation.database, "schema": s.relation.schema, "identifier": s.relation.identifier,
        "relation_name": m.dialect.render_relation(&s.relation), "description": s.description,
        "loaded_at_field": s.loaded_at_field, "freshness": s.freshness, "tags": s.tags, "meta": s.meta,
        "columns": s.columns.iter().map(|c| (c.name.clone(), json!({"name": c.name, "description": c.description, "data_type": c.data_type}))).collect::<serde_json::Map<_, _>>(),
    })
}

/// A unit test as dbt's manifest has it (under `unit_tests`, not `nodes`).
fn unit_test_json(m: &Manifest, n: &Node) -> Json {
    let mut out = n.unit.as_ref().map(|u| u.manifest.clone()).unwrap_or_default();
    let model = n.unit.as_ref().and_then(|u| m.project.nodes.get(&u.model));
    let fields = json!({
        "model": model.map(|t| t.name.as_str()), "name": n.name, "resource_type": "unit_test",
        "package_name": m.project.cfg.name, "path": n.path, "original_file_path": n.original_file_path,
        "unique_id": n.unique_id, "fqn": n.fqn, "description": n.description,
        "depends_on": {"macros": n.depends_on_macros, "nodes": n.depends_on}, "config": n.config,
        "schema": n.relation.schema, "version": null,
    });
    if let Json::Object(f) = fields {
        out.extend(f);
    }
    Json::Object(out)
}

fn create(path: &Path) -> Result<BufWriter<std::fs::File>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    Ok(BufWriter::new(std::fs::File::create(path).map_err(|e| Error::io(path, e))?))
}

/// Writes `{"key": {id: value, ...}` entries one at a time.
fn write_map<'a, W: Write, V: serde::Serialize>(w: &mut W, key: &str, items: impl Iterator<Item = (&'a String, V)>) -> std::io::Result<()> {
    write!(w, ",\"{key}\":{{")?;
    for (i, (id, v)) in items.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, id)?;
        w.write_all(b":")?;
        serde_json::to_writer(&mut *w, &v)?;
    }
    w.write_all(b"}")
}

/// `"nodes": {...}`, serialized in parallel in bounded rounds (memory: a few chunks, not the map).
fn write_nodes<W: Write>(w: &mut W, m: &Manifest) -> std::io::Result<()> {
    const CHUNK: usize = 512;
    let nodes: Vec<&Node> = m.project.nodes.values().filter(|n| n.resource != Resource::UnitTest).collect();
    w.write_all(b",\"nodes\":{")?;
    for (round, group) in nodes.chunks(CHUNK * 4).enumerate() {
        let parts: Vec<&[&Node]> = group.chunks(CHUNK).collect();
        let buffers = crate::parallel::map(&parts, |part| {
            let mut buf = Vec::with_capacity(part.len() * 1024);
            for (i, n) in part.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, &n.unique_id)?;
                buf.push(b':');
                serde_json::to_writer(&mut buf, &node_out(m, n))?;
            }
            Ok::<_, serde_json::Error>(buf)
        });
        for (i, buf) in buffers.into_iter().enumerate() {
            if round > 0 || i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(&buf?)?;
        }
    }
    w.write_all(b"}")
}

pub fn write_manifest(m: &Manifest) -> Result<()> {
    let path = m.target_dir().join("manifest.json");
    let mut w = create(&path)?;
    let io = |e: std::io::Error| Error::io(&path, e);
    write!(w, "{{\"metadata\":{}", metadata(m, "manifest/v12")).map_err(io)?;
    write_nodes(&mut w, m).map_err(io)?;
    write_map(&mut w, "sources", m.project.sources.iter().map(|(k, s)| (k, source_json(m, s)))).map_err(io)?;
    let mut macros: Vec<(String, Json)> = vec![];
    for (package, table) in &m.engine.shared.macros.by_package {
        for (name, mc) in table {
            let file = m.project.in_package(package, &mc.file);
            let entry = json!({"name": name, "package_name": package, "original_file_path": file, "resource_type": "macro"});
            macros.push((format!("macro.{package}.{name}"), entry));
        }
    }
    macros.sort_by(|a, b| a.0.cmp(&b.0));
    write_map(&mut w, "macros", macros.iter().map(|(k, v)| (k, v.clone()))).map_err(io)?;
    let docs: Vec<(String, Json)> = m.project.docs.iter().map(|(k, v)| (format!("doc.{}.{k}", m.project.cfg.name), json!({"name": k, "block_contents": v}))).collect();
    write_map(&mut w, "docs", docs.iter().map(|(k, v)| (k, v.clone()))).map_err(io)?;
    let ids: Vec<&String> = m.project.nodes.keys().chain(m.project.sources.keys()).collect();
    write_map(&mut w, "parent_map", ids.iter().map(|id| (*id, json!(m.dag.parents(id))))).map_err(io)?;
    write_map(&mut w, "child_map", ids.iter().map(|id| (*id, json!(m.dag.children(id))))).map_err(io)?;
    let units = m.project.nodes.iter().filter(|(_, n)| n.unit.is_some()).map(|(k, n)| (k, unit_test_json(m, n)));
    write_map(&mut w, "unit_tests", units).map_err(io)?;
    write!(w, ",\"exposures\":{{}},\"metrics\":{{}},\"groups\":{{}},\"selectors\":{{}},\"disabled\":{{}},\"semantic_models\":{{}},\"saved_queries\":{{}}}}").map_err(io)?;
    w.flush().map_err(io)
}

pub fn write_run_results(m: &Manifest, results: &[NodeResult], elapsed: f64, args: Json) -> Result<()> {
    let path = m.target_dir().join("run_results.json");
    let mut w = create(&path)?;
    let doc = json!({
        "metadata": metadata(m, "run-results/v6"),
        "results": results,
        "elapsed_time": elapsed,
        "args": args,
    });
    let text = crate::output::redact(&doc.to_string());
    w.write_all(text.as_bytes()).and_then(|_| w.flush()).map_err(|e| Error::io(&path, e))
}
