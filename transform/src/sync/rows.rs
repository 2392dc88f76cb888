//! One raw table's rows while they are parsed: Arrow column builders filled straight from a record's
//! JSON text (each value read as a borrowed raw slice, converted to its column's type; no JSON tree,
//! no allocation per field), plus the `_airbyte_*` columns. A value that does not fit its column is
//! nulled and noted in `_airbyte_meta`, as Airbyte's destinations do; fields outside the schema are
//! dropped; of a key given twice the first value counts.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::record_batch::RecordBatch;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::json;

use super::raw_tables::{parse_timestamp, uuid_v4, RawTable};
use crate::warehouse::dialect::ColumnType;

enum Column {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Text(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Json(StringBuilder),
}

/// One parsed value of the row being read, before it is appended (so a line that turns out
/// unreadable half-way appends nothing). Text is a range of the row's text buffer.
#[derive(Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(i64),
    Text(Range<usize>),
}

impl Column {
    fn new(kind: ColumnType) -> Column {
        match kind {
            ColumnType::Int => Column::Int(Int64Builder::new()),
            ColumnType::Float => Column::Float(Float64Builder::new()),
            ColumnType::Bool => Column::Bool(BooleanBuilder::new()),
            ColumnType::Text => Column::Text(StringBuilder::new()),
            ColumnType::Timestamp => Column::Timestamp(TimestampMicrosecondBuilder::new()),
            ColumnType::Json => Column::Json(StringBuilder::new()),
        }
    }

    /// The cell of the JSON value `raw` in this column; `None` when it does not fit. Text goes to `text`.
    fn cell(&self, raw: &str, text: &mut String) -> Option<Cell> {
        let mut keep = |s: &str| {
            let at = text.len();
            text.push_str(s);
            Cell::Text(at..text.len())
        };
        let value = Value::of(raw);
        match (self, &value) {
            (_, Value::Null) => Some(Cell::Null),
            (Column::Int(_), Value::Number(n)) => int(n).map(Cell::Int),
            (Column::Int(_), Value::Str(s)) => s.trim().parse().ok().map(Cell::Int),
            (Column::Float(_), Value::Number(n)) => n.parse::<f64>().ok().filter(|f| f.is_finite()).map(Cell::Float),
            (Column::Float(_), Value::Str(s)) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Cell::Float),
            (Column::Bool(_), Value::Bool(v)) => Some(Cell::Bool(*v)),
            (Column::Text(_), Value::Str(s)) => Some(keep(s)),
            (Column::Text(_), Value::Number(t)) => Some(keep(t)),
            (Column::Text(_), Value::Bool(v)) => Some(keep(if *v { "true" } else { "false" })),
            (Column::Timestamp(_), Value::Str(s)) => parse_timestamp(s).map(Cell::Time),
            (Column::Json(_), _) => Some(keep(raw)),
            _ => None,
        }
    }

    /// Appends `cell` (made by `cell` for this column; text from `text`).
    fn append(&mut self, cell: &Cell, text: &str) {
        match (self, cell) {
            (Column::Int(b), Cell::Int(i)) => b.append_value(*i),
            (Column::Float(b), Cell::Float(f)) => b.append_value(*f),
            (Column::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Column::Timestamp(b), Cell::Time(t)) => b.append_value(*t),
            (Column::Text(b) | Column::Json(b), Cell::Text(r)) => b.append_value(&text[r.clone()]),
            (column, _) => column.null(),
        }
    }

    fn null(&mut self) {
        match self {
            Column::Int(b) => b.append_null(),
            Column::Float(b) => b.append_null(),
            Column::Bool(b) => b.append_null(),
            Column::Text(b) | Column::Json(b) => b.append_null(),
            Column::Timestamp(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Int(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Text(b) | Column::Json(b) => Arc::new(b.finish()),
            Column::Timestamp(b) => Arc::new(b.finish()),
        }
    }
}

/// An integer from a JSON number's text: exact, or a float with no fraction within i64's range.
fn int(text: &str) -> Option<i64> {
    text.parse().ok().or_else(|| text.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18).map(|f| f as i64))
}

/// One JSON value, read from its text without building a tree.
enum Value<'a> {
    Null,
    Bool(bool),
    /// The number's text as written.
    Number(&'a str),
    Str(Cow<'a, str>),
    /// An object or array.
    Nested,
}

impl<'a> Value<'a> {
    fn of(raw: &'a str) -> Value<'a> {
        match raw.as_bytes().first() {
            Some(b'n') => Value::Null,
            Some(b't') => Value::Bool(true),
            Some(b'f') => Value::Bool(false),
            Some(b'"') => match raw.get(1..raw.len() - 1) {
                Some(inner) if !inner.contains('\\') => Value::Str(Cow::Borrowed(inner)),
                _ => serde_json::from_str::<String>(raw).map_or(Value::Nested, |s| Value::Str(Cow::Owned(s))),
            },
            Some(b'{' | b'[') => Value::Nested,
            _ => Value::Number(raw),
        }
    }
}

/// The row being read: a cell per column (`None`: the field was absent), the text the cells
/// point into, and the fields that did not fit. Reused for every row.
#[derive(Default)]
struct Scratch {
    cells: Vec<Option<Cell>>,
    text: String,
    changes: Vec<String>,
}

/// A raw table's rows being built; `finish` hands them over as one Arrow batch.
pub struct TableRows {
    raw_id: StringBuilder,
    extracted_at: TimestampMicrosecondBuilder,
    meta: StringBuilder,
    generation: Int64Builder,
    columns: Vec<Column>,
    row: Scratch,
    len: usize,
}

impl TableRows {
    pub fn new(t: &RawTable) -> TableRows {
        TableRows {
            raw_id: StringBuilder::new(),
            extracted_at: TimestampMicrosecondBuilder::new(),
            meta: StringBuilder::new(),
            generation: Int64Builder::new(),
            columns: t.properties.iter().map(|(_, k)| Column::new(*k)).collect(),
            row: Scratch { cells: vec![None; t.properties.len()], ..Scratch::default() },
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends one record: `data` is its `data` member (raw JSON, already known to be valid JSON),
    /// `emitted_at_ms` its `emitted_at`. An error (data is not an object) appends nothing.
    pub fn push(&mut self, t: &RawTable, data: &RawValue, emitted_at_ms: i64, sync_id: i64, clean_meta: &str) -> Result<(), String> {
        if !data.get().starts_with('{') {
            return Err("the record's `data` is not a JSON object".into());
        }
        if let Err(e) = self.read(t, &mut serde_json::Deserializer::from_str(data.get())) {
            // Cannot happen for valid JSON; keep the row aligned all the same.
            self.row.changes.push(format!("(record data: {e})"));
        }
        self.append(t, emitted_at_ms, sync_id, clean_meta);
        Ok(())
    }

    /// Reads a record's `data` object from `de` into the row being built (nothing is appended
    /// until `append`: a line that fails later leaves no row behind).
    pub fn read<'de, D: Deserializer<'de>>(&mut self, t: &RawTable, de: D) -> Result<(), D::Error> {
        self.row.cells.iter_mut().for_each(|c| *c = None);
        self.row.text.clear();
        self.row.changes.clear();
        de.deserialize_map(&mut Fields { rows: self, table: t })
    }

    /// Appends the row `read` built, with its `_airbyte_*` columns.
    pub fn append(&mut self, t: &RawTable, emitted_at_ms: i64, sync_id: i64, clean_meta: &str) {
        let row = &self.row;
        for (col, cell) in self.columns.iter_mut().zip(&row.cells) {
            col.append(cell.as_ref().unwrap_or(&Cell::Null), &row.text);
        }
        let mut id = [0u8; 36];
        self.raw_id.append_value(uuid_v4(&mut id));
        self.extracted_at.append_value(emitted_at_ms.saturating_mul(1000));
        self.generation.append_value(t.generation);
        if row.changes.is_empty() {
            self.meta.append_value(clean_meta);
        } else {
            let changes: Vec<_> = row.changes.iter().map(|f| json!({"field": f, "change": "NULLED", "reason": "DESTINATION_SERIALIZATION_ERROR"})).collect();
            self.meta.append_value(json!({"sync_id": sync_id, "changes": changes}).to_string());
        }
        self.len += 1;
    }

    /// The rows so far as one batch (in `RawTable::column_names` order); the builders start empty.
    pub fn finish(&mut self, t: &RawTable) -> RecordBatch {
        let mut arrays: Vec<ArrayRef> =
            vec![Arc::new(self.raw_id.finish()), Arc::new(self.extracted_at.finish()), Arc::new(self.meta.finish()), Arc::new(self.generation.finish())];
        arrays.extend(self.columns.iter_mut().map(Column::finish));
        self.len = 0;
        // Every builder got one value per row and the types follow the schema: this cannot fail.
        RecordBatch::try_new(t.arrow_schema(), arrays).expect("row builders match the table's Arrow schema")
    }
}

/// An object key (or any string), borrowed from the line unless it has escapes.
pub(super) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Visits a record's `data` object, one key and raw value at a time, into the row's cells.
struct Fields<'r> {
    rows: &'r mut TableRows,
    table: &'r RawTable,
}

impl<'de> Visitor<'de> for &mut Fields<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object (the record's data)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let props = &self.table.properties;
        let (columns, row) = (&self.rows.columns, &mut self.rows.row);
        let mut next = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            let raw: &'de RawValue = map.next_value()?;
            // Sources usually emit fields in schema order: try the next column before searching.
            let idx = match props.get(next) {
                Some((n, _)) if *n == key => next,
                _ => match props.iter().position(|(n, _)| *n == key) {
                    Some(i) => i,
                    None => continue,
                },
            };
            next = idx + 1;
            if row.cells[idx].is_some() {
                continue;
            }
            let cell = columns[idx].cell(raw.get(), &mut row.text);
            if cell.is_none() {
                row.changes.push(key.into_owned());
            }
            row.cells[idx] = Some(cell.unwrap_or(Cell::Null));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use duckdb::arrow::array::{Array, AsArray};
    use duckdb::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
    use serde_json::json;

    use super::*;
    use crate::project::RelationName;

    fn table() -> RawTable {
        let rel = RelationName { database: "d".into(), schema: "raw".into(), identifier: "s".into() };
        RawTable::new(rel, &json!({"properties": {
            "n": {"type": "integer"}, "t": {"type": "string", "format": "date-time"}, "s": {"type": "string"},
            "j": {"type": ["null", "object"]}, "f": {"type": "number"}, "b": {"type": "boolean"}}}))
    }

    fn raw(v: serde_json::Value) -> Box<RawValue> {
        RawValue::from_string(v.to_string()).expect("raw")
    }

    #[test]
    fn values_become_typed_cells_and_misfits_are_nulled_and_noted() {
        let t = table();
        let mut rows = TableRows::new(&t);
        let record = json!({"t": "2026-01-02T03:04:05+01:00", "n": "x", "zz": 1, "s": 12.5, "j": {"a": [1]}, "f": "2.5", "b": true});
        rows.push(&t, &raw(record), 1_000, 7, &RawTable::clean_meta(7)).expect("push");
        rows.push(&t, &raw(json!({"n": 3.0, "n2": 1, "s": "a\"b", "j": null, "n_": 0})), 2_000, 7, "{}").expect("push");
        assert!(rows.push(&t, &raw(json!([1, 2])), 3_000, 7, "{}").is_err(), "data must be an object");
        let b = rows.finish(&t);
        assert_eq!(b.num_rows(), 2);
        let col = |name: &str| b.column(b.schema().index_of(name).expect("column")).clone();
        assert!(col("n").is_null(0));
        assert_eq!(col("n").as_primitive::<Int64Type>().value(1), 3);
        assert_eq!(col("t").as_primitive::<TimestampMicrosecondType>().value(0), parse_timestamp("2026-01-02T02:04:05Z").expect("ts"));
        assert_eq!(col("s").as_string::<i32>().value(0), "12.5");
        assert_eq!(col("s").as_string::<i32>().value(1), "a\"b");
        assert_eq!(col("j").as_string::<i32>().value(0), r#"{"a":[1]}"#);
        assert!(col("j").is_null(1), "JSON null is SQL NULL");
        assert_eq!(col("_airbyte_extracted_at").as_primitive::<TimestampMicrosecondType>().value(1), 2_000_000);
        let meta = col("_airbyte_meta");
        let meta = meta.as_string::<i32>();
        assert!(meta.value(0).contains(r#""field":"n""#) && !meta.value(0).contains(r#""field":"s""#), "{}", meta.value(0));
        assert_eq!(meta.value(1), "{}");
    }

    #[test]
    fn the_first_of_a_repeated_key_counts() {
        let t = table();
        let mut rows = TableRows::new(&t);
        let data = RawValue::from_string(r#"{"n": 1, "n": 2}"#.to_string()).expect("raw");
        rows.push(&t, &data, 0, 1, "{}").expect("push");
        let b = rows.finish(&t);
        assert_eq!(b.column(4).as_primitive::<Int64Type>().value(0), 1);
    }
}
