//! One refresh of every panel: its query run once on a read-only connection, the result turned into
//! the compact columnar JSON document (plus a gzip copy and the CSV) that every page request is then
//! served from, untouched, until the next refresh. A panel whose query fails carries the error.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value as Json;

use super::columnar::{ColType, Column, Columnar};
use super::queries::PanelQuery;
use crate::compile::Manifest;
use crate::warehouse::Warehouse;

/// A panel reads at most this many rows: a larger result is an error asking for a window or a limit.
pub const MAX_ROWS: usize = 200_000;

pub struct PanelData {
    pub json: Bytes,
    pub json_gz: Bytes,
    pub csv: Bytes,
    pub rows: usize,
    pub error: Option<String>,
    /// The SQL that ran (shown on the page).
    pub sql: Option<String>,
}

pub struct Snapshot {
    pub version: u64,
    pub refreshed_at: chrono::DateTime<chrono::Utc>,
    pub panels: HashMap<String, Arc<PanelData>>,
}

#[derive(Serialize)]
struct Doc<'a> {
    panel: &'a str,
    version: u64,
    refreshed_at: String,
    as_of: Json,
    as_of_type: Option<ColType>,
    rows: usize,
    columns: &'a [Column],
    data: &'a [Vec<Json>],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tests: Option<&'a Json>,
}

/// Runs the panels in `only` (all when None) and keeps the other panels of `previous`.
pub fn take(m: &Manifest, wh: &dyn Warehouse, panels: &[PanelQuery], version: u64, previous: Option<&Snapshot>, only: Option<&[String]>) -> Snapshot {
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let chosen: Vec<&PanelQuery> = panels.iter().filter(|p| only.is_none_or(|o| o.contains(&p.panel.name))).collect();
    let computed = crate::parallel::map(&chosen, |p| (p.panel.name.clone(), Arc::new(run(m, wh, p, version, now, today))));
    let mut out: HashMap<String, Arc<PanelData>> = previous.map(|s| s.panels.clone()).unwrap_or_default();
    out.extend(computed);
    Snapshot { version, refreshed_at: now, panels: out }
}

fn run(m: &Manifest, wh: &dyn Warehouse, p: &PanelQuery, version: u64, now: chrono::DateTime<chrono::Utc>, today: chrono::NaiveDate) -> PanelData {
    let sql = p.sql(today);
    let (table, tests, error) = match &sql {
        None => {
            let (t, tests) = super::health::compute(m, wh);
            (t, Some(tests), None)
        }
        Some(sql) => match wh.query(sql, MAX_ROWS + 1) {
            Ok(rows) if rows.rows.len() > MAX_ROWS => (Columnar::default(), None, Some(format!("more than {MAX_ROWS} rows: add a `window:` or a limit"))),
            Ok(rows) => {
                let t = Columnar::from_rows(rows);
                let missing = missing_columns(p, &t);
                (t, None, missing)
            }
            Err(e) => (Columnar::default(), None, Some(crate::output::redact(&e.to_string()))),
        },
    };
    let (as_of, as_of_type) = match p.panel.freshness_column().and_then(|c| table.max_of(c)) {
        Some((v, t)) => (v, Some(t)),
        None => (Json::Null, None),
    };
    let doc = Doc {
        panel: &p.panel.name,
        version,
        refreshed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        as_of,
        as_of_type,
        rows: table.rows,
        columns: &table.columns,
        data: &table.data,
        error: error.as_deref(),
        tests: tests.as_ref(),
    };
    let json = serde_json::to_vec(&doc).unwrap_or_default();
    PanelData { json_gz: crate::web::gzip(&json).into(), csv: table.to_csv().into(), json: json.into(), rows: table.rows, error, sql }
}

/// Columns the panel's drawing names that its result lacks.
fn missing_columns(p: &PanelQuery, t: &Columnar) -> Option<String> {
    let missing: Vec<&str> = p.panel.named_columns().into_iter().filter(|c| t.index(c).is_none()).collect();
    if missing.is_empty() {
        return None;
    }
    let have: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    Some(format!("column `{}` is not in the panel's query result (columns: {})", missing.join("`, `"), have.join(", ")))
}
