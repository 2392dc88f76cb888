//! The built-in data-health panel: for every source table of the project, its rows, the newest
//! `loaded_at_field` and its status against the source's `freshness:`; and the latest data-test
//! results from `target/run_results.json`, so a stale or failing input shows on the page.

use std::path::Path;

use serde_json::{json, Value as Json};

use super::columnar::Columnar;
use crate::compile::Manifest;
use crate::freshness;
use crate::warehouse::{Rows, Warehouse};

/// The streams table (columnar) and the test summary.
pub fn compute(m: &Manifest, wh: &dyn Warehouse) -> (Columnar, Json) {
    let mut sources: Vec<_> = m.project.sources.values().collect();
    sources.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    let mut rows = Rows { columns: ["stream", "rows", "last_loaded_at", "age_seconds", "status", "limits"].map(String::from).to_vec(), rows: vec![] };
    for s in sources {
        let rel = wh.render_relation(&s.relation);
        let count = wh.query(&format!("select count(*) from {rel}"), 1).ok().and_then(|r| r.rows.first().and_then(|r| r.first().cloned()));
        let (loaded, age, status) = match (&count, &s.loaded_at_field) {
            (None, _) => (Json::Null, Json::Null, "error".to_string()),
            (Some(_), Some(_)) => {
                let f = freshness::check(wh, s).unwrap_or_else(|e| json!({"status": "error", "error": e.to_string()}));
                let status = match (f["status"].as_str(), s.freshness.is_object()) {
                    (Some(st), true) => st.to_string(),
                    (Some("error"), false) if f["max_loaded_at"].is_null() => "error".into(),
                    _ => "none".into(),
                };
                (f["max_loaded_at"].clone(), f["max_loaded_at_time_ago_in_s"].clone(), status)
            }
            (Some(_), None) => (Json::Null, Json::Null, "none".to_string()),
        };
        let limits = freshness::describe(&s.freshness).unwrap_or_default();
        rows.rows.push(vec![json!(format!("{}.{}", s.source_name, s.name)), count.unwrap_or(Json::Null), loaded, age, json!(status), json!(limits)]);
    }
    (Columnar::from_rows(rows), tests(&m.target_dir().join("run_results.json"), m))
}

/// Counts per status of the data tests in the latest run results, and every test that did not pass.
fn tests(path: &Path, m: &Manifest) -> Json {
    let Some(doc) = std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str::<Json>(&t).ok()) else { return Json::Null };
    let mut summary = json!({"pass": 0, "warn": 0, "fail": 0, "error": 0, "skipped": 0});
    let mut failing = vec![];
    for r in doc["results"].as_array().into_iter().flatten() {
        let id = r["unique_id"].as_str().unwrap_or_default();
        if !id.starts_with("test.") {
            continue;
        }
        let status = r["status"].as_str().unwrap_or("error");
        let key = if status == "skipped" { "skipped" } else { status };
        if let Some(n) = summary.get(key).and_then(Json::as_u64) {
            summary[key] = json!(n + 1);
        }
        if status != "pass" {
            let name = m.project.nodes.get(id).map(|n| n.name.clone()).unwrap_or_else(|| id.to_string());
            failing.push(json!({"name": name, "status": status, "message": r["message"]}));
        }
    }
    let generated = doc["metadata"]["generated_at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis());
    json!({"command": doc["args"]["which"].as_str().unwrap_or("run"), "generated_at": generated, "summary": summary, "failing": failing})
}
