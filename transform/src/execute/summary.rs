//! dbt's end-of-run summary: each failure and warning with its message, failing rows and where the
//! compiled SQL is, then `Done. PASS=… WARN=… ERROR=… SKIP=… TOTAL=…`.

use serde_json::json;

use super::runner::{NodeResult, Status};
use crate::compile::Manifest;
use crate::output::{printer, Tone};
use crate::project::Resource;

/// Prints failures and warnings with their details, then `Done. PASS=… WARN=… ERROR=… SKIP=…`.
/// Returns the exit code: 1 when a node errored or a test failed.
pub fn print_summary(m: &Manifest, results: &[NodeResult], elapsed: f64) -> i32 {
    let p = printer();
    let count = |s: &[Status]| results.iter().filter(|r| s.contains(&r.status)).count();
    p.info(&format!("Finished running {} nodes in {elapsed:.2}s.", results.len()));
    for r in results.iter().filter(|r| matches!(r.status, Status::Error | Status::Fail | Status::Warn)) {
        let Ok(node) = m.node(&r.unique_id) else { continue };
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
        p.event(if r.status == Status::Warn { "warn" } else { "error" }, &text, json!({"unique_id": r.unique_id}));
    }
    let pass = count(&[Status::Success, Status::Pass]);
    let (warn, error, skip) = (count(&[Status::Warn]), count(&[Status::Error, Status::Fail]), count(&[Status::Skipped]));
    let tone = if error > 0 { Tone::Bad } else if warn > 0 { Tone::Warn } else { Tone::Good };
    let line = format!("Done. PASS={pass} WARN={warn} ERROR={error} SKIP={skip} TOTAL={}", results.len());
    p.event("info", &p.paint_summary(&line, tone), json!({"pass": pass, "warn": warn, "error": error, "skip": skip}));
    i32::from(error > 0)
}
