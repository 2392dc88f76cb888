//! dbt's end-of-run summary: `Finished running …`, each failure and warning with its message, failing
//! rows and where the compiled SQL is, then `Done. PASS=… WARN=… ERROR=… SKIP=… NO-OP=… TOTAL=…` — as text
//! lines, or as dbt's FinishedRunningStats, RunResultError/Failure/Warning, EndOfRunSummary, StatsLine.

use super::node_events::node_info;
use super::runner::{NodeResult, Status};
use crate::compile::Manifest;
use crate::events;
use crate::output::{printer, Tone};
use crate::project::Resource;

fn problem_text(m: &Manifest, r: &NodeResult) -> Option<String> {
    let node = m.node(&r.unique_id).ok()?;
    let kind = match (r.status, node.resource) {
        (Status::Warn, _) => "Warning in",
        (Status::Fail, Resource::Test | Resource::UnitTest) | (Status::Error, Resource::UnitTest) => "Failure in",
        _ => "Error in",
    };
    let mut text = format!("{kind} {} {} ({})", node.resource.as_str(), node.name, node.original_file_path);
    if let Some(msg) = &r.message {
        text.push_str(&format!("\n  {}", msg.replace('\n', "\n  ")));
    }
    if let Some(d) = &r.detail {
        text.push_str(&format!("\n  first failing rows:\n    {}", d.replace('\n', "\n    ")));
    }
    if matches!(node.resource, Resource::Test | Resource::UnitTest) {
        let compiled = m.target_dir().join("compiled").join(&m.project.cfg.name);
        text.push_str(&format!("\n  compiled SQL under {}", compiled.display()));
    }
    Some(text)
}

/// dbt's `get_counts`: "1 seed, 2 data tests, 3 view models" — counts per resource type (models per
/// materialization), sorted by that key, pluralised as dbt's NodeType does.
pub fn stat_line(m: &Manifest, results: &[NodeResult]) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for r in results {
        let key = match (m.node(&r.unique_id), m.project.semantic.get(&r.unique_id)) {
            (Ok(n), _) if n.resource == Resource::Model => format!("{} model", n.materialized()),
            (Ok(n), _) => n.resource.as_str().to_string(),
            (_, Some(s)) => s.resource.as_str().to_string(),
            _ => "project hook".to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    let plural = |k: &str| match k {
        "test" => "data_tests".to_string(),
        "analysis" => "analyses".to_string(),
        "saved_query" => "saved_queries".to_string(),
        other => format!("{other}s"),
    };
    let parts: Vec<String> =
        counts.iter().map(|(k, n)| format!("{n} {}", if *n == 1 { k.clone() } else { plural(k) }).replace('_', " ")).collect();
    parts.join(", ")
}

/// Prints the summary; returns the exit code: 1 when a node errored or a test failed (with
/// `--warn-error`, also when one warned).
pub fn print_summary(m: &Manifest, results: &[NodeResult], elapsed: f64, command: &str) -> i32 {
    let p = printer();
    let count = |s: &[Status]| results.iter().filter(|r| s.contains(&r.status)).count();
    p.emit(events::finished_running(&stat_line(m, results), elapsed));
    for r in results.iter().filter(|r| matches!(r.status, Status::Error | Status::Fail | Status::Warn)) {
        if let Some((info, text)) = &r.problem {
            p.emit(events::run_result_problem(info, "error", text.clone()));
        }
        let (Some(text), Ok(node)) = (problem_text(m, r), m.node(&r.unique_id)) else { continue };
        let status = match r.status {
            Status::Warn => "warn",
            Status::Fail => "fail",
            _ => "error",
        };
        p.emit(events::run_result_problem(&node_info(m, node), status, text));
    }
    let pass = count(&[Status::Success, Status::Pass]);
    let (warn, error, skip, noop) =
        (count(&[Status::Warn]), count(&[Status::Error, Status::Fail]), count(&[Status::Skipped]), count(&[Status::NoOp]));
    p.emit(events::end_of_run_summary(error, warn));
    let tone = if error > 0 { Tone::Bad } else if warn > 0 { Tone::Warn } else { Tone::Good };
    let line = format!("Done. PASS={pass} WARN={warn} ERROR={error} SKIP={skip} NO-OP={noop} TOTAL={}", results.len());
    p.emit(events::stats_line(line.clone(), [pass, warn, error, skip, noop], results.len()).with_text(p.paint(&line, tone)));
    let failed = error > 0 || (warn > 0 && crate::flags::get().warn_error);
    p.emit(events::command_completed(command, !failed, &events::timestamp(), elapsed));
    i32::from(failed)
}
