//! The fast path for the commonest line of a sync, a RECORD message written `type` first and
//! `stream` before `data` (as sources do): read in one pass, its `data` straight into its stream's
//! row (`rows::TableRows::read`), instead of skipping over `data` once and reading it again. Any
//! other line, or one this path cannot read, goes to the parser's general path, which says why.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};

use super::airbyte::Kind;
use super::raw_tables::RawTable;
use super::rows::{Key, TableRows};

/// A RECORD line read: its stream, and its rows' count when the stream is in the catalog (the
/// row appended), `None` when it is not.
pub struct Read<'a> {
    pub stream: Cow<'a, str>,
    pub rows: Option<usize>,
}

/// The stream's table and rows, when it is in the catalog.
type Target<'t> = Option<(&'t RawTable, &'t mut TableRows)>;

/// Reads `line` if it is a RECORD message this path reads, appending its row; `None` otherwise
/// (nothing appended: the general path reads the line).
pub fn read<'a>(line: &'a str, tables: &HashMap<String, RawTable>, rows: &mut HashMap<String, TableRows>, sync_id: i64, clean_meta: &str) -> Option<Read<'a>> {
    let mut de = serde_json::Deserializer::from_str(line);
    let (stream, emitted_at, target) = de.deserialize_map(Message { tables, rows }).ok()?;
    de.end().ok()?;
    // The row was read into the stream's scratch; the whole line is valid, so it is appended now.
    let rows = target.map(|(t, r)| {
        r.append(t, emitted_at as i64, sync_id, clean_meta);
        r.len()
    });
    Some(Read { stream, rows })
}

/// The message object: `type` first and `RECORD`, then its `record`; other members ignored.
struct Message<'t> {
    tables: &'t HashMap<String, RawTable>,
    rows: &'t mut HashMap<String, TableRows>,
}

impl<'de, 't> Visitor<'de> for Message<'t> {
    type Value = (Cow<'de, str>, f64, Target<'t>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a RECORD message")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let not_fast = || A::Error::custom("not a RECORD line for the fast path");
        if map.next_key_seed(Key)?.as_deref() != Some("type") || map.next_value::<Kind>()? != Kind::Record {
            return Err(not_fast());
        }
        let (mut maps, mut record) = (Some((self.tables, self.rows)), None);
        while let Some(key) = map.next_key_seed(Key)? {
            match (key.as_ref(), maps.take()) {
                ("record", Some((tables, rows))) => record = Some(map.next_value_seed(Record { tables, rows })?),
                ("record" | "type", _) => return Err(not_fast()),
                (_, m) => {
                    maps = m;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        record.ok_or_else(not_fast)
    }
}

/// The `record` object: `stream` (before `data`), `data` into the stream's row, `emitted_at`.
struct Record<'t> {
    tables: &'t HashMap<String, RawTable>,
    rows: &'t mut HashMap<String, TableRows>,
}

impl<'de, 't> DeserializeSeed<'de> for Record<'t> {
    type Value = (Cow<'de, str>, f64, Target<'t>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 't> Visitor<'de> for Record<'t> {
    type Value = (Cow<'de, str>, f64, Target<'t>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let not_fast = || A::Error::custom("not a record for the fast path");
        let (mut stream, mut emitted_at): (Option<Cow<'de, str>>, Option<f64>) = (None, None);
        let (mut maps, mut target): (_, Option<Target<'t>>) = (Some((self.tables, self.rows)), None);
        while let Some(key) = map.next_key_seed(Key)? {
            match (key.as_ref(), &stream) {
                ("stream", None) => stream = Some(map.next_value_seed(Key)?),
                ("data", Some(s)) if target.is_none() => {
                    let (tables, rows) = maps.take().ok_or_else(not_fast)?;
                    match (tables.get(s.as_ref()), rows.get_mut(s.as_ref())) {
                        (Some(table), Some(rows)) => {
                            map.next_value_seed(Data { table, rows: &mut *rows })?;
                            target = Some(Some((table, rows)));
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            target = Some(None);
                        }
                    }
                }
                ("emitted_at", _) if emitted_at.is_none() => emitted_at = Some(map.next_value()?),
                ("stream" | "data" | "emitted_at", _) => return Err(not_fast()),
                _ => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        match (stream, target) {
            (Some(s), Some(target)) => Ok((s, emitted_at.unwrap_or(0.0), target)),
            _ => Err(not_fast()),
        }
    }
}

/// A record's `data`, read into its stream's row.
struct Data<'t> {
    table: &'t RawTable,
    rows: &'t mut TableRows,
}

impl<'de> DeserializeSeed<'de> for Data<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.rows.read(self.table, d)
    }
}

#[cfg(test)]
mod tests {
    use duckdb::arrow::array::AsArray;
    use serde_json::json;

    use super::*;
    use crate::project::RelationName;

    fn setup() -> (HashMap<String, RawTable>, HashMap<String, TableRows>) {
        let rel = RelationName { database: "d".into(), schema: "raw".into(), identifier: "s".into() };
        let t = RawTable::new(rel, &json!({"properties": {"n": {"type": "integer"}, "x": {"type": "string"}}}));
        let rows = TableRows::new(&t);
        (HashMap::from([("s".to_string(), t)]), HashMap::from([("s".to_string(), rows)]))
    }

    /// The `n` and `x` cells of the rows built so far (and the builders emptied).
    fn cells(tables: &HashMap<String, RawTable>, rows: &mut HashMap<String, TableRows>) -> Vec<String> {
        let b = rows.get_mut("s").expect("rows").finish(&tables["s"]);
        let (n, x) = (b.column(4).as_primitive::<duckdb::arrow::datatypes::Int64Type>(), b.column(5).as_string::<i32>());
        (0..b.num_rows()).map(|i| format!("{} {}", n.value(i), x.value(i))).collect()
    }

    #[test]
    fn records_are_read_in_one_pass_and_other_lines_are_left_to_the_general_path() {
        let (tables, mut rows) = setup();
        let line = r#"{"type":"RECORD","record":{"stream":"s","data":{"n":1,"x":"a\"b","zz":[1]},"emitted_at":5.0},"extra":{}}"#;
        let got = read(line, &tables, &mut rows, 1, "{}").expect("the fast path reads it");
        assert!(got.rows == Some(1) && got.stream == "s");
        assert!(read(r#"{"type":"RECORD","record":{"stream":"other","data":{"n":1}}}"#, &tables, &mut rows, 1, "{}").is_some_and(|r| r.rows.is_none()));
        for other in [
            r#"{"record":{"stream":"s","data":{"n":2}},"type":"RECORD"}"#, // type after record
            r#"{"type":"RECORD","record":{"data":{"n":2},"stream":"s"}}"#, // data before stream
            r#"{"type":"STATE","state":{}}"#,
            r#"{"type":"RECORD","record":{"stream":"s","data":[1]}}"#,
        ] {
            assert!(read(other, &tables, &mut rows, 1, "{}").is_none(), "{other}");
        }
        assert_eq!(cells(&tables, &mut rows), vec!["1 a\"b"]);
    }

    #[test]
    fn a_line_unreadable_after_its_data_appends_nothing() {
        let (tables, mut rows) = setup();
        for bad in [
            r#"{"type":"RECORD","record":{"stream":"s","data":{"n":3,"x":"y"},"emitted_at":"soon"}}"#,
            r#"{"type":"RECORD","record":{"stream":"s","data":{"n":3,"x":"y"}}} trailing"#,
            r#"{"type":"RECORD","record":{"stream":"s","data":{"n":3,"x":"y"},"data":{}}}"#,
        ] {
            assert!(read(bad, &tables, &mut rows, 1, "{}").is_none(), "{bad}");
        }
        read(r#"{"type":"RECORD","record":{"stream":"s","data":{"x":"z"}}}"#, &tables, &mut rows, 1, "{}").expect("read");
        assert_eq!(rows["s"].len(), 1);
        let b = rows.get_mut("s").expect("rows").finish(&tables["s"]);
        assert!(duckdb::arrow::array::Array::is_null(b.column(4), 0), "no cell of a failed line is left in the next row");
    }
}
