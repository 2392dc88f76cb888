//! `target/manifest.json` (and, as dbt does, `semantic_manifest.json` beside it: `semantic_manifest`),
//! `target/run_results.json` and `target/sources.json` in dbt's schemas
//! (manifest v12, run-results v6, sources v3) so tools that read dbt artifacts can read ours; `nodes`
//! has the JSON of one resource. The manifest is written node by node, not built in memory. Nothing is
//! written with `--no-write-json`.

pub mod hooks;
pub mod nodes;
pub mod semantic;
pub mod semantic_manifest;

use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value as Json};

use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::events::DBT_VERSION;
use crate::execute::runner::NodeResult;
use crate::project::{Node, Resource};

fn metadata(m: &Manifest, schema: &str) -> Json {
    json!({
        "dbt_schema_version": format!("https://schemas.getdbt.com/dbt/{schema}.json"),
        "dbt_version": DBT_VERSION,
        "generated_at": crate::events::timestamp(),
        "invocation_id": m.engine.shared.invocation_id,
        "env": {},
        "project_name": m.project.cfg.name,
        "adapter_type": m.target.adapter_type,
        "generator": format!("transform {}", env!("CARGO_PKG_VERSION")),
    })
}

/// catalog.json's `metadata`, with dbt's keys exactly.
pub fn catalog_metadata(m: &Manifest) -> Json {
    json!({
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
        "dbt_version": DBT_VERSION,
        "generated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "invocation_id": m.engine.shared.invocation_id,
        "invocation_started_at": m.engine.shared.run_started_at,
        "env": {},
    })
}

/// Writes target/catalog.json; returns its path.
pub fn write_catalog(m: &Manifest, catalog: &Json) -> Result<std::path::PathBuf> {
    let path = m.target_dir().join("catalog.json");
    let mut w = create(&path)?;
    serde_json::to_writer(&mut w, catalog).map_err(|e| Error::io(&path, e.into()))?;
    w.flush().map_err(|e| Error::io(&path, e))?;
    Ok(path)
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

/// `"nodes": {...}`, serialized in parallel in bounded rounds (memory: a few chunks, not the map);
/// the project hooks' `operation` nodes last.
fn write_nodes<W: Write>(w: &mut W, m: &Manifest, hooks: &[(String, Json)]) -> std::io::Result<()> {
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
                serde_json::to_writer(&mut buf, &nodes::NodeJson { m, n })?;
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
    for (i, (id, hook)) in hooks.iter().enumerate() {
        if i > 0 || !nodes.is_empty() {
            w.write_all(b",")?;
        }
        write!(w, "{}:{hook}", Json::from(id.as_str()))?;
    }
    w.write_all(b"}")
}

pub fn write_manifest(m: &Manifest) -> Result<()> {
    if !crate::flags::get().write_json {
        return Ok(());
    }
    let path = m.target_dir().join("manifest.json");
    let mut w = create(&path)?;
    let io = |e: std::io::Error| Error::io(&path, e);
    let project = &m.project.cfg.name;
    write!(w, "{{\"metadata\":{}", metadata(m, "manifest/v12")).map_err(io)?;
    let hooks = hooks::hook_nodes(m);
    write_nodes(&mut w, m, &hooks).map_err(io)?;
    write_map(&mut w, "sources", m.project.sources.iter().map(|(k, s)| (k, nodes::source_json(m, s)))).map_err(io)?;
    let mut macros: Vec<(String, Json)> = m.project.macro_files.iter().flat_map(|f| nodes::macros_json(m, f)).collect();
    macros.sort_by(|a, b| a.0.cmp(&b.0));
    write_map(&mut w, "macros", macros.iter().map(|(k, v)| (k, v))).map_err(io)?;
    let docs: Vec<(String, Json)> = m.project.docs.iter().map(|(k, v)| (format!("doc.{project}.{k}"), json!({"name": k, "block_contents": v}))).collect();
    write_map(&mut w, "docs", docs.iter().map(|(k, v)| (k, v))).map_err(io)?;
    let ids: Vec<&String> =
        m.project.nodes.keys().chain(m.project.sources.keys()).chain(m.project.semantic.keys()).chain(hooks.iter().map(|(id, _)| id)).collect();
    write_map(&mut w, "parent_map", ids.iter().map(|id| (*id, m.dag.parents(id)))).map_err(io)?;
    write_map(&mut w, "child_map", ids.iter().map(|id| (*id, m.dag.children(id)))).map_err(io)?;
    write!(w, ",\"selectors\":{}", m.project.selectors_json()).map_err(io)?;
    let units = m.project.nodes.iter().filter(|(_, n)| n.unit.is_some()).map(|(k, n)| (k, nodes::unit_test_json(m, n)));
    write_map(&mut w, "unit_tests", units).map_err(io)?;
    for (key, resource) in [("exposures", Resource::Exposure), ("metrics", Resource::Metric)] {
        let entries = semantic::map_json(m, resource);
        write_map(&mut w, key, entries.iter().map(|(k, v)| (k, v))).map_err(io)?;
    }
    let groups = semantic::groups_json(m);
    write_map(&mut w, "groups", groups.iter().map(|(k, v)| (k, v))).map_err(io)?;
    write!(w, ",\"disabled\":{{}},\"group_map\":{}", semantic::group_map(m)).map_err(io)?;
    for (key, resource) in [("semantic_models", Resource::SemanticModel), ("saved_queries", Resource::SavedQuery)] {
        let entries = semantic::map_json(m, resource);
        write_map(&mut w, key, entries.iter().map(|(k, v)| (k, v))).map_err(io)?;
    }
    w.write_all(b"}").map_err(io)?;
    w.flush().map_err(io)?;
    crate::output::printer().emit(crate::events::artifact_written("WritableManifest", &path.display().to_string()));
    semantic_manifest::write(m)
}

/// One entry of run_results.json: dbt's keys, `adapter_response` without null values.
fn result_json(r: &NodeResult) -> Json {
    let adapter_response: serde_json::Map<String, Json> = match &r.adapter_response {
        Json::Object(o) => o.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Default::default(),
    };
    json!({
        "status": r.status, "timing": r.timing, "thread_id": r.thread_id, "execution_time": r.execution_time,
        "adapter_response": adapter_response, "message": r.message, "failures": r.failures, "unique_id": r.unique_id,
        "compiled": r.compiled_code.is_some(), "compiled_code": r.compiled_code, "relation_name": r.relation_name,
        "batch_results": null,
    })
}

pub fn write_run_results(m: &Manifest, results: &[NodeResult], elapsed: f64, args: Json) -> Result<()> {
    if !crate::flags::get().write_json {
        return Ok(());
    }
    let path = m.target_dir().join("run_results.json");
    let mut w = create(&path)?;
    let doc = json!({
        "metadata": metadata(m, "run-results/v6"),
        "results": results.iter().map(result_json).collect::<Vec<_>>(),
        "elapsed_time": elapsed,
        "args": args,
    });
    let text = crate::output::redact(&doc.to_string());
    w.write_all(text.as_bytes()).and_then(|_| w.flush()).map_err(|e| Error::io(&path, e))?;
    crate::output::printer().emit(crate::events::artifact_written("RunExecutionResult", &path.display().to_string()));
    Ok(())
}

/// `target/sources.json` of `source freshness` (dbt's sources v3).
pub fn write_sources(m: &Manifest, results: &[Json], elapsed: f64) -> Result<()> {
    if !crate::flags::get().write_json {
        return Ok(());
    }
    let path = m.target_dir().join("sources.json");
    let doc = json!({"metadata": metadata(m, "sources/v3"), "results": results, "elapsed_time": elapsed});
    let mut w = create(&path)?;
    let text = crate::output::redact(&doc.to_string());
    w.write_all(text.as_bytes()).and_then(|_| w.flush()).map_err(|e| Error::io(&path, e))
}

/// The `args` block of run_results.json: what this invocation was asked (dbt's keys; `transform
/// retry` reads `which`, `select`, `exclude`, `full_refresh`, `vars`, `target` back).
pub fn run_args(m: &Manifest, which: &str, extra: Json) -> Json {
    let f = crate::flags::get();
    let mut args = json!({
        "which": which, "invocation_command": std::env::args().collect::<Vec<_>>().join(" "),
        "project_dir": m.project.root.display().to_string(), "profiles_dir": m.profiles_dir.display().to_string(),
        "target": m.target.name, "profile": m.profile_name, "threads": m.target.threads,
        "vars": m.cli_vars, "log_format": if f.log_format == crate::output::LogFormat::Json { "json" } else { "default" },
        "quiet": f.quiet, "write_json": f.write_json, "warn_error": f.warn_error, "printer_width": f.printer_width,
        "partial_parse": true, "static_parser": true, "version_check": true, "send_anonymous_usage_stats": false,
    });
    if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    args
}
