//! Source freshness, shared by `transform source freshness` and the dashboard's data-health panel:
//! how old a source table's newest `loaded_at_field` is, judged against its `freshness:` block
//! (`warn_after` / `error_after` as `{count, period: minute|hour|day}`).

use serde_json::{json, Value as Json};

use crate::error::Result;
use crate::project::Source;
use crate::warehouse::Warehouse;

/// Seconds in a `{count, period}` threshold, if the block is complete.
pub fn threshold(v: &Json) -> Option<f64> {
    let count = v.get("count")?.as_f64()?;
    let unit = match v.get("period")?.as_str()? {
        "minute" => 60.0,
        "hour" => 3600.0,
        "day" => 86400.0,
        _ => return None,
    };
    Some(count * unit)
}

/// "warn after 1 day, error after 2 day" for a freshness block (None without thresholds).
pub fn describe(freshness: &Json) -> Option<String> {
    let part = |key: &str, word: &str| {
        let v = freshness.get(key)?;
        Some(format!("{word} after {} {}", v.get("count")?, v.get("period")?.as_str()?))
    };
    let parts: Vec<String> = [part("warn_after", "warn"), part("error_after", "error")].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One source's result, in `target/sources.json`'s shape (`status`, `max_loaded_at`, age, criteria).
pub fn check(wh: &dyn Warehouse, s: &Source) -> Result<Json> {
    let field = s.loaded_at_field.as_deref().unwrap_or_default();
    let filter = s.freshness.get("filter").and_then(Json::as_str);
    let sql = wh.freshness_sql(&wh.render_relation(&s.relation), field, filter);
    let rows = wh.query(&sql, 1)?;
    let row = rows.rows.first().cloned().unwrap_or_default();
    let age = row.get(2).and_then(Json::as_f64);
    let (warn, error) = (s.freshness.get("warn_after").and_then(threshold), s.freshness.get("error_after").and_then(threshold));
    let status = match age {
        None => "error",
        Some(a) if error.is_some_and(|e| a > e) => "error",
        Some(a) if warn.is_some_and(|w| a > w) => "warn",
        Some(_) => "pass",
    };
    Ok(json!({
        "unique_id": s.unique_id, "status": status, "max_loaded_at": row.first(), "snapshotted_at": row.get(1),
        "max_loaded_at_time_ago_in_s": age, "criteria": s.freshness,
    }))
}
