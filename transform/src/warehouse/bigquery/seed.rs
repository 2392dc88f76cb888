//! Seeds on BigQuery: the CSV is read by an in-memory DuckDB into the types dbt-bigquery infers
//! (`seed_types`; `column_types` / `delimiter` as on DuckDB), the table is created with the mapped BigQuery types,
//! and rows go in as `INSERT` jobs of bounded size, streamed batch by batch (no streaming-buffer delay).

use std::path::Path;

use duckdb::types::Value as DValue;
use serde_json::Value as Json;

use super::ddl::{lit, quote};
use super::values::{bigquery_type, duckdb_type};
use crate::warehouse::seed_types;
use crate::error::{Error, Result};
use crate::project::Config;
use crate::warehouse::Warehouse;

/// Statement text per INSERT job: far below BigQuery's 1 MB query limit.
const BATCH_CHARS: usize = 256 * 1024;

fn err(e: duckdb::Error) -> Error {
    Error::Warehouse(format!("reading the seed CSV: {e}"))
}

/// Loads `csv` into `rel` (already rendered), replacing it; returns the rows loaded.
pub fn load(wh: &dyn Warehouse, rel: &str, csv: &Path, config: &Config) -> Result<i64> {
    let con = duckdb::Connection::open_in_memory().map_err(err)?;
    let declared = config.get("column_types").and_then(Json::as_object).cloned().unwrap_or_default();
    let text: Vec<String> = declared.keys().cloned().collect();
    let delimiter = config.str("delimiter");
    let inferred = seed_types::infer_csv(&con, csv, delimiter, &text).map_err(err)?;
    // Read with the DuckDB twin of each type; create the table with dbt-bigquery's names.
    let (mut read_types, mut schema) = (Vec::new(), Vec::new());
    for (name, t) in &inferred {
        let (duck, bq) = match declared.get(name).and_then(Json::as_str) {
            Some(d) => (duckdb_type(d), bigquery_type(&duckdb_type(d)).to_string()),
            None => (t.duckdb().to_string(), t.bigquery().to_string()),
        };
        read_types.push(format!("{}: {}", duck_lit(name), duck_lit(&duck)));
        schema.push((name.clone(), bq));
    }
    let delim = delimiter.map(|d| format!(", delim = {}", duck_lit(d))).unwrap_or_default();
    let read = format!(
        "create table seed as select * from read_csv({}, header = true{delim}, columns = {{{}}})",
        duck_lit(&csv.to_string_lossy()),
        read_types.join(", ")
    );
    con.execute_batch(&read).map_err(err)?;
    let cols = schema.iter().map(|(n, t)| format!("{} {t}", quote(n))).collect::<Vec<_>>().join(", ");
    wh.execute(&format!("create or replace table {rel} ({cols})"))?;
    insert_rows(wh, rel, &con, &schema)
}

fn duck_lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Each value as text (timestamps in RFC 3339), cast to its BigQuery type in the INSERT.
fn insert_rows(wh: &dyn Warehouse, rel: &str, con: &duckdb::Connection, schema: &[(String, String)]) -> Result<i64> {
    let select = schema
        .iter()
        .map(|(n, t)| match t.as_str() {
            "TIMESTAMP" => format!("strftime({}, '%Y-%m-%dT%H:%M:%S.%fZ')", duck_quote(n)),
            _ => format!("cast({} as varchar)", duck_quote(n)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = con.prepare(&format!("select {select} from seed")).map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let head = format!("insert into {rel} ({}) values\n", schema.iter().map(|(n, _)| quote(n)).collect::<Vec<_>>().join(", "));
    let (mut batch, mut total) = (String::new(), 0i64);
    while let Some(row) = rows.next().map_err(err)? {
        let mut values = Vec::with_capacity(schema.len());
        for (i, (_, ty)) in schema.iter().enumerate() {
            values.push(match row.get::<_, DValue>(i).map_err(err)? {
                DValue::Text(s) if ty == "STRING" => lit(&s),
                DValue::Text(s) => format!("cast({} as {ty})", lit(&s)),
                _ => "null".to_string(),
            });
        }
        if !batch.is_empty() {
            batch.push_str(",\n");
        }
        batch.push_str(&format!("({})", values.join(", ")));
        total += 1;
        if batch.len() > BATCH_CHARS {
            wh.execute(&format!("{head}{batch}"))?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        wh.execute(&format!("{head}{batch}"))?;
    }
    Ok(total)
}

fn duck_quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}
