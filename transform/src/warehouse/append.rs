//! Batch appends of typed rows (what `transform sync` writes into raw tables). `Cell` is the
//! warehouse-neutral value; the trait's default appends with multi-row `insert … values` and runs
//! the caller's follow-up statements (the state save) in the same transaction. DuckDB overrides it
//! with its Appender (`duckdb_append`), which is ~20× faster.

use duckdb::types::{TimeUnit, ToSql, ToSqlOutput, ValueRef};
use duckdb::Connection;

use crate::error::{Error, Result};
use crate::project::RelationName;

/// One value of a raw table row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// Microseconds since the epoch, UTC (written as a naive UTC TIMESTAMP).
    Timestamp(i64),
    /// A JSON document, serialized.
    Json(String),
}

/// Rows for one table; every row has one cell per entry of `columns`.
#[derive(Debug, Clone)]
pub struct RowBatch {
    pub rel: RelationName,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A standard SQL literal for `c`.
pub fn literal(c: &Cell) -> String {
    match c {
        Cell::Null => "null".into(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) if f.is_finite() => format!("{f:?}"),
        Cell::Float(_) => "null".into(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(s) => quote_str(s),
        Cell::Timestamp(us) => match chrono::DateTime::from_timestamp_micros(*us) {
            Some(t) => format!("cast({} as timestamp)", quote_str(&t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string())),
            None => "null".into(),
        },
        Cell::Json(s) => format!("cast({} as json)", quote_str(s)),
    }
}

/// `insert into rel (cols) values (…), (…)` statements of at most `chunk` rows each.
pub fn insert_statements(rel: &str, quoted_cols: &[String], rows: &[Vec<Cell>], chunk: usize) -> Vec<String> {
    rows.chunks(chunk.max(1))
        .map(|part| {
            let values: Vec<String> =
                part.iter().map(|r| format!("({})", r.iter().map(literal).collect::<Vec<_>>().join(", "))).collect();
            format!("insert into {rel} ({}) values\n{}", quoted_cols.join(", "), values.join(",\n"))
        })
        .collect()
}

/// A cell handed to the Appender without copying its text.
struct CellRef<'a>(&'a Cell);

impl ToSql for CellRef<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Cell::Null => ValueRef::Null,
            Cell::Int(i) => ValueRef::BigInt(*i),
            Cell::Float(f) => ValueRef::Double(*f),
            Cell::Bool(b) => ValueRef::Boolean(*b),
            Cell::Text(s) | Cell::Json(s) => ValueRef::Text(s.as_bytes()),
            Cell::Timestamp(us) => ValueRef::Timestamp(TimeUnit::Microsecond, *us),
        }))
    }
}

fn err(e: duckdb::Error) -> Error {
    Error::Warehouse(crate::output::redact(&e.to_string()))
}

fn append_all(conn: &Connection, batches: &[RowBatch]) -> Result<u64> {
    let mut n = 0u64;
    for b in batches.iter().filter(|b| !b.rows.is_empty()) {
        let cols: Vec<&str> = b.columns.iter().map(String::as_str).collect();
        let mut app = conn.appender_with_columns_to_db(&b.rel.identifier, &b.rel.schema, &cols).map_err(err)?;
        for row in &b.rows {
            app.append_row(duckdb::appender_params_from_iter(row.iter().map(CellRef))).map_err(err)?;
        }
        app.flush().map_err(err)?;
        n += b.rows.len() as u64;
    }
    Ok(n)
}

/// DuckDB: Appender per table, then `then_sql`, all in one transaction. The sync fault-injection
/// hook sits between the rows and the state save (see `fault`).
pub fn duckdb_append(conn: &Connection, batches: &[RowBatch], then_sql: &[String]) -> Result<u64> {
    conn.execute_batch("begin transaction").map_err(err)?;
    let out = append_all(conn, batches).and_then(|n| {
        crate::fault::point("before_state_save");
        for sql in then_sql {
            conn.execute_batch(sql).map_err(err)?;
        }
        conn.execute_batch("commit").map_err(err)?;
        Ok(n)
    });
    if out.is_err() {
        let _ = conn.execute_batch("rollback");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_typed_and_quoted() {
        assert_eq!(literal(&Cell::Text("it's".into())), "'it''s'");
        assert_eq!(literal(&Cell::Float(f64::NAN)), "null");
        assert_eq!(literal(&Cell::Timestamp(1_000_001)), "cast('1970-01-01 00:00:01.000001' as timestamp)");
        assert_eq!(literal(&Cell::Json("{\"a\":1}".into())), "cast('{\"a\":1}' as json)");
    }

    #[test]
    fn inserts_are_chunked() {
        let rows = vec![vec![Cell::Int(1)], vec![Cell::Int(2)], vec![Cell::Null]];
        let sql = insert_statements("t", &["\"c\"".into()], &rows, 2);
        assert_eq!(sql, vec!["insert into t (\"c\") values\n(1),\n(2)", "insert into t (\"c\") values\n(null)"]);
    }
}
