//! Batch appends of typed rows (what `transform sync` writes into raw tables). A `RowBatch` holds
//! one table's rows as Arrow columns (Int64, Float64, Boolean, Utf8, Timestamp(µs)); the trait's
//! default appends them with multi-row `insert … values` in the warehouse's dialect and runs the
//! caller's follow-up statements (the state save) in the same transaction. DuckDB overrides it with
//! its Appender fed whole Arrow batches (`duckdb_append`).

use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampMicrosecondType};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::dialect::Dialect;
use crate::error::{Error, Result};
use crate::project::RelationName;

/// Rows for one table: `columns` names the columns of `data`, in order. A column whose field
/// metadata has `json = true` holds JSON documents (text) for a JSON column.
#[derive(Debug, Clone)]
pub struct RowBatch {
    pub rel: RelationName,
    pub columns: Vec<String>,
    pub data: RecordBatch,
}

/// Marks an Arrow field as holding JSON documents (the column's SQL literal is a JSON value).
pub const JSON_FIELD: &str = "transform.json";

/// The SQL literal of row `row` of `col`, in `dialect`.
fn literal(dialect: &dyn Dialect, col: &dyn Array, json: bool, row: usize) -> String {
    if col.is_null(row) {
        return "null".into();
    }
    match col.data_type() {
        DataType::Int64 => col.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float64 => match col.as_primitive::<Float64Type>().value(row) {
            f if f.is_finite() => format!("{f:?}"),
            _ => "null".into(),
        },
        DataType::Boolean => col.as_boolean().value(row).to_string(),
        DataType::Utf8 if json => dialect.json_literal(col.as_string::<i32>().value(row)),
        DataType::Utf8 => dialect.string_literal(col.as_string::<i32>().value(row)),
        DataType::Timestamp(_, _) => match chrono::DateTime::from_timestamp_micros(col.as_primitive::<TimestampMicrosecondType>().value(row)) {
            Some(t) => format!("cast({} as timestamp)", dialect.string_literal(&t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string())),
            None => "null".into(),
        },
        _ => "null".into(),
    }
}

/// `insert into rel (cols) values (…), (…)` statements of at most `chunk` rows each.
pub fn insert_statements(dialect: &dyn Dialect, rel: &str, quoted_cols: &[String], data: &RecordBatch, chunk: usize) -> Vec<String> {
    let schema = data.schema();
    let json: Vec<bool> = schema.fields().iter().map(|f| f.metadata().contains_key(JSON_FIELD)).collect();
    let row_sql = |r: usize| {
        let cells: Vec<String> = data.columns().iter().zip(&json).map(|(c, j)| literal(dialect, c.as_ref(), *j, r)).collect();
        format!("({})", cells.join(", "))
    };
    (0..data.num_rows())
        .collect::<Vec<_>>()
        .chunks(chunk.max(1))
        .map(|rows| {
            let values: Vec<String> = rows.iter().map(|r| row_sql(*r)).collect();
            format!("insert into {rel} ({}) values\n{}", quoted_cols.join(", "), values.join(",\n"))
        })
        .collect()
}

fn err(e: duckdb::Error) -> Error {
    Error::Warehouse(crate::output::redact(&e.to_string()))
}

fn append_all(conn: &Connection, batches: &[RowBatch]) -> Result<u64> {
    let mut n = 0u64;
    for b in batches.iter().filter(|b| b.data.num_rows() > 0) {
        let cols: Vec<&str> = b.columns.iter().map(String::as_str).collect();
        let mut app = conn.appender_with_columns_to_db(&b.rel.identifier, &b.rel.schema, &cols).map_err(err)?;
        app.append_record_batch(b.data.clone()).map_err(err)?;
        app.flush().map_err(err)?;
        n += b.data.num_rows() as u64;
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
    use std::sync::Arc;

    use duckdb::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use duckdb::arrow::datatypes::{Field, Schema, TimeUnit};

    use super::*;
    use crate::warehouse::dialect::Standard;

    fn batch() -> RecordBatch {
        let json = Field::new("j", DataType::Utf8, true).with_metadata([(JSON_FIELD.to_string(), "true".to_string())].into());
        let schema = Schema::new(vec![
            Field::new("i", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            json,
        ]);
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(1), None])),
            Arc::new(Float64Array::from(vec![Some(f64::NAN), Some(0.5)])),
            Arc::new(BooleanArray::from(vec![Some(true), None])),
            Arc::new(StringArray::from(vec![Some("it's"), None])),
            Arc::new(TimestampMicrosecondArray::from(vec![Some(1_000_001), None])),
            Arc::new(StringArray::from(vec![Some("{\"a\":1}"), None])),
        ];
        RecordBatch::try_new(Arc::new(schema), cols).expect("batch")
    }

    #[test]
    fn inserts_are_typed_quoted_and_chunked() {
        let cols: Vec<String> = ["i", "f", "b", "s", "t", "j"].iter().map(|c| format!("\"{c}\"")).collect();
        let sql = insert_statements(&Standard, "t", &cols, &batch(), 1);
        assert_eq!(sql.len(), 2);
        assert!(sql[0].ends_with("(1, null, true, 'it''s', cast('1970-01-01 00:00:01.000001' as timestamp), cast('{\"a\":1}' as json))"), "{}", sql[0]);
        assert!(sql[1].ends_with("(null, 0.5, null, null, null, null)"), "{}", sql[1]);
    }
}
