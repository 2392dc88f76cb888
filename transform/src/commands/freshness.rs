//! `transform source freshness`: for each selected source table with a `loaded_at_field` and a
//! `freshness:` block, how old its newest row is, judged against `warn_after`/`error_after`
//! (`{count, period: minute|hour|day}`); results in `target/sources.json` (dbt's keys).

use std::time::Instant;

use serde_json::json;

use crate::cli::SelectCommand;
use crate::compile;
use crate::error::{Error, Result};
use crate::execute::node_events;
use crate::output::printer;
use crate::project::Source;

pub fn run(a: SelectCommand) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(&a.common.options("source freshness", false), true)?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let state = crate::select::load_state(&a.selection)?;
    let items = crate::select::items_with_state(&m.project, state.as_ref())?;
    let chosen = crate::select::choose(&items, &m.dag, &crate::select::Request::new(&a.selection, &m.project)?)?;
    let sources: Vec<&Source> = m
        .project
        .sources
        .values()
        .filter(|s| chosen.contains(&s.unique_id) && s.loaded_at_field.is_some() && s.freshness.is_object())
        .collect();
    let (mut results, mut failed) = (vec![], false);
    for (i, s) in sources.iter().enumerate() {
        let (t0, started_at) = (Instant::now(), crate::events::timestamp());
        let mut info = node_events::source_info(&m, s);
        info.started_at = node_events::node_time(&chrono::Utc::now());
        let mut r = crate::freshness::check(wh.as_ref(), s).unwrap_or_else(|e| {
            json!({"unique_id": s.unique_id, "status": "runtime error", "error": crate::output::redact(&e.to_string())})
        });
        // --warn-error: a source past warn_after fails as one past error_after does.
        if r["status"] == "warn" && crate::flags::get().warn_error {
            r["status"] = json!("error");
        }
        let status = r["status"].as_str().unwrap_or("error").to_string();
        failed |= status != "pass" && status != "warn";
        let seconds = t0.elapsed().as_secs_f64();
        if let Some(o) = r.as_object_mut() {
            o.insert("adapter_response".into(), json!({}));
            o.insert("timing".into(), json!([{"name": "execute", "started_at": started_at, "completed_at": crate::events::timestamp()}]));
            o.insert("thread_id".into(), json!("Thread-1 (worker)"));
            o.insert("execution_time".into(), json!(seconds));
        }
        info.finished_at = node_events::node_time(&chrono::Utc::now());
        node_events::freshness(&info, s, &status, i + 1, sources.len(), seconds);
        results.push(r);
    }
    crate::artifacts::write_sources(&m, &results, start.elapsed().as_secs_f64())?;
    printer().info(&format!("Checked {} sources in {:.2}s", sources.len(), start.elapsed().as_secs_f64()));
    Ok(i32::from(failed))
}
