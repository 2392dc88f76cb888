//! dbt's project hooks: `on-run-start` before the selected nodes and `on-run-end` after them (run,
//! test, seed, snapshot, build). Packages' hooks run first (by package name), the root project's last,
//! each rendered in its own project's context — `on-run-end` with `results`, `schemas` and
//! `database_schemas` — and each is an `operation.<project>.<project>-on-run-start-<i>` result.
//! A failing hook is an error result (exit 1); the run goes on, as in dbt.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::runner::{NodeResult, Status, Timing};
use crate::compile::Manifest;
use crate::events::{self, NodeInfo};
use crate::output::{printer, Tone};
use crate::project::{Config, Node, RelationName, Resource};
use crate::warehouse::Warehouse;

/// (project, index, SQL template) of every `which` hook, in dbt's order.
fn hooks(m: &Manifest, which: &str) -> Vec<(String, usize, String)> {
    let root = &m.project.cfg.name;
    let mut out: Vec<(String, usize, String)> = m
        .project
        .projects()
        .into_iter()
        .flat_map(|(cfg, _)| {
            let list = if which == "on-run-start" { &cfg.on_run_start } else { &cfg.on_run_end };
            list.iter().enumerate().map(|(i, sql)| (cfg.name.clone(), i, sql.clone())).collect::<Vec<_>>()
        })
        .collect();
    out.sort_by_key(|(p, i, _)| (p == root, p.clone(), *i));
    out
}

fn hook_node(m: &Manifest, project: &str, name: &str, sql: &str) -> Node {
    let path = format!("hooks/{name}.sql");
    let fqn = vec![project.to_string(), "hooks".into(), name.to_string()];
    let mut node = m.project.new_node(project, Resource::Model, name, "./dbt_project.yml", path, fqn, sql.to_string(), Config::default());
    node.unique_id = format!("operation.{project}.{name}");
    node.relation = RelationName { database: m.engine.shared.target_database.clone(), schema: m.engine.shared.target_schema.clone(), identifier: name.into() };
    node
}

fn info(node: &Node) -> NodeInfo {
    NodeInfo {
        unique_id: node.unique_id.clone(),
        node_name: node.name.clone(),
        node_path: node.path.clone(),
        resource_type: "operation".into(),
        materialized: "view".into(),
        meta: json!({}),
        checksum: node.checksum.1.clone(),
        database: node.relation.database.clone(),
        schema: node.relation.schema.clone(),
        alias: node.name.clone(),
        relation_name: String::new(),
        started_at: String::new(),
        finished_at: String::new(),
    }
}

/// What `on-run-end` sees of the run: `results` (status, message, node…), `schemas`, `database_schemas`.
fn end_context(m: &Manifest, done: &[NodeResult]) -> serde_json::Value {
    let mut schemas: Vec<(String, String)> = vec![];
    let results: Vec<serde_json::Value> = done
        .iter()
        .map(|r| {
            let node = m.node(&r.unique_id).ok();
            // dbt's `database_schemas`: where relational nodes were built (not errored, failed or skipped).
            let built = !matches!(r.status, Status::Error | Status::Fail | Status::Skipped);
            if let Some(n) = node.filter(|n| built && n.resource.is_relation() && n.materialized() != "ephemeral") {
                let pair = (n.relation.database.clone(), n.relation.schema.clone());
                if !schemas.contains(&pair) {
                    schemas.push(pair);
                }
            }
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let (Some(o), Some(n)) = (v.as_object_mut(), node) {
                o.insert("node".into(), json!({"unique_id": n.unique_id, "name": n.name, "resource_type": n.resource.as_str(),
                    "package_name": n.package_name, "database": n.relation.database, "schema": n.relation.schema,
                    "alias": n.relation.identifier, "config": n.config.0, "original_file_path": n.original_file_path}));
            }
            v
        })
        .collect();
    let names: Vec<&String> = schemas.iter().map(|(_, s)| s).collect();
    json!({"results": results, "schemas": names, "database_schemas": schemas})
}

/// Runs the `which` hooks; `done` are the node results so far (for `on-run-end`).
pub fn run(m: &Manifest, wh: &Arc<dyn Warehouse>, which: &str, done: &[NodeResult]) -> Vec<NodeResult> {
    let list = hooks(m, which);
    let extra = if which == "on-run-end" { end_context(m, done) } else { json!({}) };
    let p = printer();
    let total = list.len();
    let mut out = vec![];
    for (i, (project, index, sql)) in list.into_iter().enumerate() {
        let name = format!("{project}-{which}-{index}");
        let statement = format!("{project}.{which}.{index}");
        let node = hook_node(m, &project, &name, &sql);
        let mut info = info(&node);
        let started = Instant::now();
        let start_ts = events::timestamp();
        info.started_at = super::node_events::node_time(&chrono::Utc::now());
        p.emit(events::hook_start(&info, &statement, i + 1, total, p.width()));
        let mut r = NodeResult::new(&node.unique_id, Status::Success);
        let outcome = m.engine.render_project_hook(&node, &sql, wh, &extra).and_then(|compiled| {
            r.compiled_code = Some(compiled.clone());
            m.mark_compiled(&node.unique_id);
            m.write_compiled(&node, &compiled)?;
            if compiled.trim().is_empty() { Ok(()) } else { wh.execute(&compiled).map(|_| ()) }
        });
        r.message = Some(match &outcome {
            Ok(()) => format!("{statement} passed"),
            Err(e) => {
                r.status = Status::Error;
                format!("{statement} failed, error:\n {}", crate::output::redact(&e.to_string()))
            }
        });
        r.failures = Some(0);
        r.thread_id = "main".into();
        r.execution_time = started.elapsed().as_secs_f64();
        r.timing = vec![Timing { name: "execute".into(), started_at: start_ts, completed_at: events::timestamp() }];
        info.finished_at = super::node_events::node_time(&chrono::Utc::now());
        let (tag, tone, status) = if outcome.is_ok() { ("OK", Tone::Good, "success") } else { ("ERROR", Tone::Bad, "error") };
        let text = p.result_line(i + 1, total, &format!("{tag} hook: {statement}"), tag, tone, Some(r.execution_time));
        p.emit(events::hook_end(&info, &statement, status, i + 1, total, r.execution_time, text));
        if r.status == Status::Error {
            let text = format!("Failure in operation {name} (./dbt_project.yml)\n  {}", r.message.as_deref().unwrap_or_default());
            r.problem = Some((info.clone(), text));
        }
        out.push(r);
    }
    out
}
