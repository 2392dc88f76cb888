//! Running a compiled data test with dbt's semantics: `fail_calc`, `warn_if`/`error_if`,
//! `severity`, `limit`, `store_failures`/`store_failures_as` (into the audit schema), and a sample of
//! failing rows.
//! Building test nodes from YAML is `project::generic_tests`.

use serde_json::Value as Json;

use crate::error::Result;
use crate::project::{Config, Node, RelationName};
use crate::warehouse::{Rows, Warehouse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    Pass,
    Warn,
    Fail,
}

pub struct TestOutcome {
    pub status: TestStatus,
    pub failures: i64,
    pub sample: Rows,
    pub message: String,
}

/// Runs a compiled test query the way dbt does and classifies the result.
pub fn run_test(wh: &dyn Warehouse, node: &Node, sql: &str, audit: Option<&RelationName>) -> Result<TestOutcome> {
    let cfg: &Config = &node.config;
    let fail_calc = cfg.str("fail_calc").unwrap_or("count(*)");
    let warn_if = cfg.str("warn_if").unwrap_or("!= 0");
    let error_if = cfg.str("error_if").unwrap_or("!= 0");
    let limit = cfg.get("limit").and_then(Json::as_i64).map(|l| format!("\nlimit {l}")).unwrap_or_default();
    let wrapped = format!(
        "select {fail_calc} as failures, ({fail_calc}) {warn_if} as should_warn, ({fail_calc}) {error_if} as should_error\nfrom (\n{sql}{limit}\n) dbt_internal_test"
    );
    let rows = wh.query(&wrapped, 1)?;
    let row = rows.rows.first().cloned().unwrap_or_default();
    let failures = row.first().and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))).unwrap_or(0);
    let should_warn = row.get(1).and_then(Json::as_bool).unwrap_or(false);
    let should_error = row.get(2).and_then(Json::as_bool).unwrap_or(false);
    let severity = cfg.str("severity").unwrap_or("error").to_ascii_lowercase();
    let status = if severity != "warn" && should_error {
        TestStatus::Fail
    } else if should_warn {
        TestStatus::Warn
    } else {
        TestStatus::Pass
    };
    if let (Some(rel), Some(kind)) = (audit, store_failures_as(cfg)) {
        wh.create_schema(&rel.database, &rel.schema)?;
        match kind {
            "view" => {
                let name = wh.render_relation(rel);
                if wh.relation_kind(rel)? == Some(crate::warehouse::RelationKind::Table) {
                    wh.execute(&wh.drop_sql(&name, crate::warehouse::RelationKind::Table))?;
                }
                wh.execute(&wh.create_view_sql(&name, sql, &Config::default()))?;
            }
            _ => {
                wh.build_table(rel, sql, &Config::default())?;
            }
        }
    }
    let sample = if failures > 0 { wh.query(&format!("select * from (\n{sql}\n) dbt_failures"), 5)? } else { Rows::default() };
    let message = match status {
        TestStatus::Pass => String::new(),
        TestStatus::Warn => format!("Got {failures} result(s), configured to warn if {warn_if}"),
        TestStatus::Fail => format!("Got {failures} result(s), configured to fail if {error_if}"),
    };
    Ok(TestOutcome { status, failures, sample, message })
}

/// How a test's failing rows are stored: dbt's `store_failures_as` (`table`, `view`, `ephemeral` =
/// not stored) wins over `store_failures` (true = `table`).
pub fn store_failures_as(cfg: &Config) -> Option<&str> {
    cfg.store_failures_as().filter(|kind| *kind != "ephemeral")
}

/// Failing rows as a small aligned text table for the terminal.
pub fn format_sample(rows: &Rows) -> String {
    if rows.columns.is_empty() {
        return String::new();
    }
    let cell = |v: &Json| match v {
        Json::String(s) => s.clone(),
        Json::Null => "null".into(),
        other => other.to_string(),
    };
    let cells: Vec<Vec<String>> = rows.rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let widths: Vec<usize> = rows
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r.get(i).map_or(0, String::len)).max().unwrap_or(0).max(c.len()))
        .collect();
    let line = |vals: Vec<&str>| {
        vals.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect::<Vec<_>>().join(" | ")
    };
    let mut out = vec![line(rows.columns.iter().map(String::as_str).collect())];
    out.push(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
    for r in &cells {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}
