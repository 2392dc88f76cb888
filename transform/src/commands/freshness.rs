//! `transform source freshness`: for each selected source table with a `loaded_at_field` and a
//! `freshness:` block, how old its newest row is, judged against `warn_after`/`error_after`
//! (`{count, period: minute|hour|day}`); results in `target/sources.json` (dbt's keys).

use std::time::Instant;

use serde_json::json;

use crate::cli::SelectCommand;
use crate::compile;
use crate::error::{Error, Result};
use crate::output::{printer, Tone};
use crate::project::Source;

pub fn run(a: SelectCommand) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(&a.common.options("source freshness", false), true)?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let items = crate::select::items(&m.project);
    let chosen = crate::select::select(&items, &m.dag, &a.selection.select, &a.selection.exclude)?;
    let sources: Vec<&Source> = m
        .project
        .sources
        .values()
        .filter(|s| chosen.contains(&s.unique_id) && s.loaded_at_field.is_some() && s.freshness.is_object())
        .collect();
    let (mut results, mut failed) = (vec![], false);
    for (i, s) in sources.iter().enumerate() {
        let t0 = Instant::now();
        let r = crate::freshness::check(wh.as_ref(), s).unwrap_or_else(|e| {
            json!({"unique_id": s.unique_id, "status": "runtime error", "error": crate::output::redact(&e.to_string())})
        });
        let status = r["status"].as_str().unwrap_or("error").to_string();
        failed |= status != "pass" && status != "warn";
        let tone = match status.as_str() {
            "pass" => Tone::Good,
            "warn" => Tone::Warn,
            _ => Tone::Bad,
        };
        let what = format!("{} freshness of {}.{}", status.to_uppercase(), s.source_name, s.name);
        printer().node_line(i + 1, sources.len(), &what, &status.to_uppercase(), tone, t0.elapsed().as_secs_f64(), r.clone());
        results.push(r);
    }
    let doc = json!({
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json", "generated_at": chrono::Utc::now().to_rfc3339()},
        "results": results, "elapsed_time": start.elapsed().as_secs_f64(),
    });
    let path = m.target_dir().join("sources.json");
    std::fs::create_dir_all(m.target_dir()).map_err(|e| Error::io(m.target_dir(), e))?;
    std::fs::write(&path, doc.to_string()).map_err(|e| Error::io(&path, e))?;
    printer().info(&format!("Checked {} sources in {:.2}s", sources.len(), start.elapsed().as_secs_f64()));
    Ok(i32::from(failed))
}
