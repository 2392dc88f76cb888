//! `target/manifest.json` and `target/run_results.json` with dbt's key names (`unique_id`,
//! `depends_on`, `compiled_code`, `status`, `timing`, `adapter_response`, `failures`, …) so tools
//! that read dbt artifacts can read ours. The manifest is written node by node, not built in memory.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value as Json};

use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::jinja::relation::render_name;
use crate::project::{Node, Source};
use crate::runner::NodeResult;

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

fn node_json(m: &Manifest, n: &Node) -> Json {
    let adapter = &m.target.adapter_type;
    let columns: serde_json::Map<String, Json> = n
        .columns
        .iter()
        .map(|c| (c.name.clone(), json!({"name": c.name, "description": c.description, "data_type": c.data_type, "meta": {}, "tags": []})))
        .collect();
    let relation_name = match n.materialized() {
        "ephemeral" | "test" => Json::Null,
        _ => Json::from(render_name(adapter, &n.relation)),
    };
    let mut v = json!({
        "unique_id": n.unique_id,
        "resource_type": n.resource.as_str(),
        "name": n.name,
        "package_name": m.project.cfg.name,
        "path": n.path,
        "original_file_path": n.original_file_path,
        "patch_path": n.patch_path.as_ref().map(|p| format!("{}://{p}", m.project.cfg.name)),
        "fqn": n.fqn,
        "database": n.relation.database,
        "schema": n.relation.schema,
        "alias": n.relation.identifier,
        "relation_name": relation_name,
        "config": n.config,
        "tags": n.config.tags(),
        "meta": n.config.get("meta").cloned().unwrap_or(json!({})),
        "description": n.description,
        "columns": columns,
        "depends_on": {"nodes": n.depends_on, "macros": n.depends_on_macros},
        "refs": n.refs.iter().map(|r| json!({"name": r.last(), "package": if r.len() > 1 { Json::from(r[0].clone()) } else { Json::Null }, "version": null})).collect::<Vec<_>>(),
        "sources": n.sources.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
        "raw_code": n.raw_code,
        "language": "sql",
        "checksum": {"name": "fnv1a", "checksum": crate::data_tests::short_hash(&n.raw_code)},
    });
    if let (Some(g), Some(obj)) = (&n.generic, v.as_object_mut()) {
        obj.insert("column_name".into(), json!(g.column_name));
        obj.insert("attached_node".into(), json!(g.attached_to));
        obj.insert("test_metadata".into(), json!({"name": g.test_name, "kwargs": g.kwargs, "namespace": null}));
    }
    v
}

fn source_json(m: &Manifest, s: &Source) -> Json {
    json!({
        "unique_id": s.unique_id, "resource_type": "source", "name": s.name, "source_name": s.source_name,
        "package_name": m.project.cfg.name, "original_file_path": s.original_file_path, "fqn": s.fqn,
        "database": s.relation.database, "schema": s.relation.schema, "identifier": s.relation.identifier,
        "relation_name": render_name(&m.target.adapter_type, &s.relation), "description": s.description,
        "loaded_at_field": s.loaded_at_field, "freshness": s.freshness, "tags": s.tags, "meta": s.meta,
        "columns": s.columns.iter().map(|c| (c.name.clone(), json!({"name": c.name, "description": c.description, "data_type": c.data_type}))).collect::<serde_json::Map<_, _>>(),
    })
}

fn create(path: &Path) -> Result<BufWriter<std::fs::File>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    Ok(BufWriter::new(std::fs::File::create(path).map_err(|e| Error::io(path, e))?))
}

/// Writes `{"key": {id: value, ...}` entries one at a time.
fn write_map<'a, W: Write>(w: &mut W, key: &str, items: impl Iterator<Item = (&'a String, Json)>) -> std::io::Result<()> {
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

pub fn write_manifest(m: &Manifest) -> Result<()> {
    let path = m.target_dir().join("manifest.json");
    let mut w = create(&path)?;
    let io = |e: std::io::Error| Error::io(&path, e);
    write!(w, "{{\"metadata\":{}", metadata(m, "manifest/v12")).map_err(io)?;
    write_map(&mut w, "nodes", m.project.nodes.iter().map(|(k, n)| (k, node_json(m, n)))).map_err(io)?;
    write_map(&mut w, "sources", m.project.sources.iter().map(|(k, s)| (k, source_json(m, s)))).map_err(io)?;
    let macros: Vec<(String, Json)> = m
        .engine
        .shared
        .macros
        .iter()
        .map(|(name, mc)| (format!("macro.{}.{name}", m.project.cfg.name), json!({"name": name, "original_file_path": mc.file, "resource_type": "macro"})))
        .collect();
    write_map(&mut w, "macros", macros.iter().map(|(k, v)| (k, v.clone()))).map_err(io)?;
    let docs: Vec<(String, Json)> = m.project.docs.iter().map(|(k, v)| (format!("doc.{}.{k}", m.project.cfg.name), json!({"name": k, "block_contents": v}))).collect();
    write_map(&mut w, "docs", docs.iter().map(|(k, v)| (k, v.clone()))).map_err(io)?;
    let ids: Vec<&String> = m.project.nodes.keys().chain(m.project.sources.keys()).collect();
    write_map(&mut w, "parent_map", ids.iter().map(|id| (*id, json!(m.dag.parents(id))))).map_err(io)?;
    write_map(&mut w, "child_map", ids.iter().map(|id| (*id, json!(m.dag.children(id))))).map_err(io)?;
    write!(w, ",\"exposures\":{{}},\"metrics\":{{}},\"groups\":{{}},\"selectors\":{{}},\"disabled\":{{}},\"semantic_models\":{{}},\"saved_queries\":{{}},\"unit_tests\":{{}}}}").map_err(io)?;
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
