//! dbt's end-of-run summary: `Finished running …`, each failure and warning with its message, failing
//! rows and where the compiled SQL is, then `Done. PASS=… WARN=… ERROR=… SKIP=… TOTAL=…` — as text
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

/// Prints the summary; returns the exit code: 1 when a node errored or a test failed (with
/// `--warn-error`, also when one warned).
pub fn print_summary(m: &Manifest, results: &[NodeResult], elapsed: f64, command: &str) -> i32 {
    let p = printer();
    let count = |s: &[Status]| results.iter().filter(|r| s.contains(&r.status)).count();
    let finished = events::finished_running(&format!("{} nodes", results.len()), elapsed);
    p.emit(finished.with_text(format!("Finished running {} nodes in {elapsed:.2}s.", results.len())));
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
    let (warn, error, skip) = (count(&[Status::Warn]), count(&[Status::Error, Status::Fail]), count(&[Status::Skipped]));
    p.emit(events::end_of_run_summary(error, warn));
    let tone = if error > 0 { Tone::Bad } else if warn > 0 { Tone::Warn } else { Tone::Good };
    let line = format!("Done. PASS={pass} WARN={warn} ERROR={error} SKIP={skip} TOTAL={}", results.len());
    p.emit(events::stats_line(line.clone(), pass, warn, error, skip, results.len()).with_text(p.paint(&line, tone)));
    let failed = error > 0 || (warn > 0 && crate::flags::get().warn_error);
    p.emit(events::command_completed(command, !failed, &events::timestamp(), elapsed));
    i32::from(failed)
}
