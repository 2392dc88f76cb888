//! dbt's node events for one node or source and its result: `node_info` (name, path, relation, status,
//! start and finish times), the START line, NodeStart/NodeFinished, the result line (LogModelResult,
//! LogTestResult, LogSeedResult, LogFreshnessResult) and SkippingDetails — with the text lines unchanged.

use serde_json::json;

use super::runner::{NodeResult, Status};
use crate::compile::Manifest;
use crate::events::{self, Level, NodeInfo};
use crate::output::{printer, Tone};
use crate::project::SemanticNode;
use crate::project::{Node, Resource, Source};

/// dbt's timestamps in node_info: naive UTC with microseconds.
pub fn node_time(ts: &chrono::DateTime<chrono::Utc>) -> String {
    ts.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

pub fn node_info(m: &Manifest, n: &Node) -> NodeInfo {
    let relation_name = match n.materialized() {
        "ephemeral" | "test" => String::new(),
        _ => m.dialect.render_relation(&n.relation),
    };
    // dbt's node_path: the path under the resource folder (models/, seeds/), or the test's compiled file.
    NodeInfo {
        unique_id: n.unique_id.clone(),
        node_name: n.name.clone(),
        node_path: n.path.clone(),
        resource_type: n.resource.as_str().into(),
        materialized: n.materialized().into(),
        meta: n.config.get("meta").cloned().unwrap_or(json!({})),
        checksum: n.checksum.1.clone(),
        database: n.relation.database.clone(),
        schema: n.relation.schema.clone(),
        alias: n.relation.identifier.clone(),
        relation_name,
        started_at: String::new(),
        finished_at: String::new(),
    }
}

pub fn source_info(m: &Manifest, s: &Source) -> NodeInfo {
    NodeInfo {
        unique_id: s.unique_id.clone(),
        node_name: s.name.clone(),
        node_path: s.original_file_path.clone(),
        resource_type: "source".into(),
        materialized: String::new(),
        meta: s.meta.clone(),
        checksum: String::new(),
        database: s.relation.database.clone(),
        schema: s.relation.schema.clone(),
        alias: s.relation.identifier.clone(),
        relation_name: m.dialect.render_relation(&s.relation),
        started_at: String::new(),
        finished_at: String::new(),
    }
}

fn kind(n: &Node) -> String {
    match n.resource {
        Resource::Seed => "seed file".to_string(),
        Resource::Test => "test".to_string(),
        Resource::UnitTest => "unit_test".to_string(),
        Resource::Snapshot => "snapshot".to_string(),
        _ => format!("sql {} model", n.materialized()),
    }
}

/// `schema.alias` (tests: their name; unit tests: `model::name`), as dbt names nodes in its lines.
pub fn display_name(m: &Manifest, n: &Node) -> String {
    match n.resource {
        Resource::Test => n.name.clone(),
        Resource::UnitTest => {
            let model = n.unit.as_ref().and_then(|u| m.project.nodes.get(&u.model)).map_or("", |t| t.name.as_str());
            format!("{model}::{}", n.name)
        }
        _ => format!("{}.{}", n.relation.schema, n.relation.identifier),
    }
    .replace(&format!("{}.", m.engine.shared.target_database), "")
}

/// LogStartLine and NodeStart, before a node runs.
pub fn started(m: &Manifest, n: &Node, info: &NodeInfo, idx: usize, total: usize) {
    let p = printer();
    let description = format!("{} {}", kind(n), display_name(m, n));
    p.emit(events::start_line(info, &description, idx, total, p.width()));
    p.emit(events::node_start(info));
}

fn dbt_status(s: Status) -> &'static str {
    match s {
        Status::Success => "success",
        Status::Error => "error",
        Status::Skipped => "skipped",
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Warn => "warn",
        Status::NoOp => "no-op",
    }
}

/// NodeFinished, then the node's result line.
pub fn finished(m: &Manifest, n: &Node, info: &NodeInfo, r: &NodeResult, idx: usize, total: usize) {
    let p = printer();
    let status = dbt_status(r.status);
    let result = serde_json::to_value(r).unwrap_or_default();
    p.emit(events::node_finished(info, status, &result));
    let name = display_name(m, n);
    let failures = r.failures.unwrap_or(0);
    let (tag, tone, what) = match r.status {
        Status::Success if n.resource == Resource::Snapshot => ("OK".to_string(), Tone::Good, format!("OK snapshotted {name}")),
        Status::Success => (r.status_tag.clone().unwrap_or_else(|| "OK".into()), Tone::Good, format!("OK created {} {name}", kind(n))),
        Status::Pass => ("PASS".into(), Tone::Good, format!("PASS {name}")),
        Status::Warn => (format!("WARN {failures}"), Tone::Warn, format!("WARN {failures} {name}")),
        Status::Fail => (format!("FAIL {failures}"), Tone::Bad, format!("FAIL {failures} {name}")),
        Status::Error if matches!(n.resource, Resource::Test | Resource::UnitTest) => ("ERROR".into(), Tone::Bad, format!("ERROR {name}")),
        Status::Error => ("ERROR".into(), Tone::Bad, format!("ERROR creating {} {name}", kind(n))),
        Status::Skipped => ("SKIP".into(), Tone::Warn, format!("SKIP {} {name}", kind(n))),
        Status::NoOp => ("NO-OP".into(), Tone::Warn, format!("NO-OP {} {name}", kind(n))),
    };
    let level = match tone {
        Tone::Bad => Level::Error,
        Tone::Warn => Level::Warn,
        _ => Level::Info,
    };
    let text = p.result_line(idx, total, &what, &tag, tone, Some(r.execution_time));
    let extra = match n.resource {
        Resource::Test => json!({"name": n.name, "status": status, "num_failures": failures,
                                 "attached_node": n.generic.as_ref().map(|g| g.attached_to.clone()).unwrap_or_default()}),
        Resource::Seed => json!({"status": status, "result_message": r.message.clone().unwrap_or_default(),
                                 "schema": n.relation.schema, "relation": n.relation.identifier}),
        _ => json!({"status": if r.status == Status::Success { "OK" } else { status }, "description": format!("{} {name}", kind(n))}),
    };
    let msg = strip_colors(&text);
    p.emit(events::node_result(info, status, level, msg, idx, total, r.execution_time, extra).with_text(text));
}

/// An exposure or saved query in `build`: dbt's LogNodeNoOpResult line, and its result.
pub fn no_op(s: &SemanticNode, idx: usize, total: usize) -> NodeResult {
    let p = printer();
    let now = node_time(&chrono::Utc::now());
    let info = NodeInfo {
        unique_id: s.unique_id.clone(),
        node_name: s.name.clone(),
        node_path: s.original_file_path.split_once('/').map_or(s.original_file_path.as_str(), |(_, rest)| rest).to_string(),
        resource_type: s.resource.as_str().into(),
        materialized: String::new(),
        meta: json!({}),
        checksum: String::new(),
        database: String::new(),
        schema: String::new(),
        alias: String::new(),
        relation_name: String::new(),
        started_at: now.clone(),
        finished_at: now,
    };
    let description = format!("{} {}", s.resource.as_str().replace('_', " "), s.name);
    let text = p.result_line(idx, total, &format!("NO-OP {description}"), "NO-OP", Tone::Warn, Some(0.0));
    p.emit(events::node_no_op(&info, &description, strip_colors(&text), idx, total).with_text(text));
    let mut r = NodeResult::new(&s.unique_id, Status::NoOp);
    r.message = Some("NO-OP".into());
    r
}

/// SkippingDetails for a node that never ran (JSON and dbt.log only: the text output lists no skips).
pub fn skipped(m: &Manifest, n: &Node, idx: usize, total: usize) {
    let p = printer();
    let mut info = node_info(m, n);
    info.started_at = node_time(&chrono::Utc::now());
    let text = p.result_line(idx, total, &format!("SKIP {} {}", kind(n), display_name(m, n)), "SKIP", Tone::Warn, None);
    let mut e = events::skipping(&info, strip_colors(&text), idx, total);
    e.text = None;
    p.emit(e);
}

/// The result of one source's freshness check (LogFreshnessResult).
pub fn freshness(info: &NodeInfo, s: &Source, status: &str, idx: usize, total: usize, seconds: f64) {
    let p = printer();
    let tone = match status {
        "pass" => Tone::Good,
        "warn" => Tone::Warn,
        _ => Tone::Bad,
    };
    let tag = status.to_uppercase();
    let text = p.result_line(idx, total, &format!("{tag} freshness of {}.{}", s.source_name, s.name), &tag, tone, Some(seconds));
    let level = match tone {
        Tone::Bad => Level::Error,
        Tone::Warn => Level::Warn,
        _ => Level::Info,
    };
    let extra = json!({"status": status, "source_name": s.source_name, "table_name": s.name});
    p.emit(events::node_result(info, status, level, strip_colors(&text), idx, total, seconds, extra).with_text(text));
}

fn strip_colors(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
