//! The bottom layer of every stream: [`Record`], one record's `data`, and the helpers that turn the providers'
//! loosely typed JSON into typed values (numbers from strings, epoch times, RFC 3339 text). Imports only
//! `rfc3339.rs` of the crate, so the protocol writer, the state and every provider can use it.
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::rfc3339;

/// One record's `data`: named fields in a fixed order. A plain vector rather than a map, because records
/// are built and serialized a million times per backfill and their keys are always static names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(&'static str, Field)>,
}

/// One field's value: any JSON value, or — on the hot paths, without an allocation per record — null, a
/// text shared by the records of a page, a float, or a time (written as RFC 3339 text, read back as a
/// cursor unparsed). Each writes exactly the JSON a `Value` of the same content would. A `Value` is boxed
/// (it is 72 bytes, the rest at most 16), so a field is 24 bytes and a record's fields one small block.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Json(Box<Value>),
    Null,
    /// Text that needs no JSON escaping (made by [`Field::text`], which checks).
    Text(Arc<str>),
    Time(DateTime<Utc>),
    /// A float, written as serde_json writes an `f64` (`null` when not finite, like `Number::from_f64`).
    Float(f64),
}

impl Field {
    /// A text shared by many records: `Text` when it needs no escaping, else a JSON string.
    pub fn text(s: &Arc<str>) -> Field {
        if needs_escape(s) {
            Field::from(Value::String(s.to_string()))
        } else {
            Field::Text(Arc::clone(s))
        }
    }
}

impl From<Value> for Field {
    fn from(value: Value) -> Field {
        match value {
            Value::Null => Field::Null,
            other => Field::Json(Box::new(other)),
        }
    }
}

impl Record {
    pub fn new() -> Record {
        Record {
            fields: Vec::with_capacity(16),
        }
    }

    /// A record with room for `n` fields.
    pub fn with_capacity(n: usize) -> Record {
        Record {
            fields: Vec::with_capacity(n),
        }
    }

    /// Appends a field. Each name is set once per record (checked in debug builds): no lookup on the hot path.
    pub fn insert(&mut self, key: &'static str, value: impl Into<Field>) {
        debug_assert!(self.field(key).is_none(), "field {key} set twice");
        self.fields.push((key, value.into()));
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A field set as a JSON value (`None` also for a `Text` or `Time` field: read those with [`field`]).
    ///
    /// [`field`]: Record::field
    pub fn get(&self, key: &str) -> Option<&Value> {
        static NULL: Value = Value::Null;
        match self.field(key) {
            Some(Field::Json(v)) => Some(v),
            Some(Field::Null) => Some(&NULL),
            _ => None,
        }
    }

    /// Appends the record's JSON object to `out`: the bytes `serde_json` writes for it, written directly
    /// (keys are plain static names; texts are copied unless they need escaping).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (key, field)) in self.fields.iter().enumerate() {
            // Keys are the connector's own identifiers: plain text.
            debug_assert!(!needs_escape(key), "key {key:?}");
            out.extend_from_slice(if i > 0 { b",\"" } else { b"\"" });
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            match field {
                Field::Null => out.extend_from_slice(b"null"),
                Field::Json(v) => match &**v {
                    Value::String(s) => json_str(out, s),
                    Value::Null => out.extend_from_slice(b"null"),
                    Value::Number(n) => json_number(out, n),
                    v => json_value(out, v),
                },
                Field::Text(s) => {
                    debug_assert!(!needs_escape(s), "text {s:?}");
                    out.push(b'"');
                    out.extend_from_slice(s.as_bytes());
                    out.push(b'"');
                }
                Field::Float(f) => json_float(out, *f),
                Field::Time(t) => {
                    let mut buf = [0u8; rfc3339::LONGEST];
                    match rfc3339::write(*t, &mut buf) {
                        Some(n) => {
                            out.push(b'"');
                            out.extend_from_slice(&buf[..n]);
                            out.push(b'"');
                        }
                        None => json_str(out, &rfc3339::format(*t)),
                    }
                }
            }
        }
        out.push(b'}');
    }
}

/// True when serde_json would escape something in `s` (a quote, a backslash, a control character).
fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\')
}

/// A JSON string: copied between quotes when nothing in it needs escaping, else escaped by serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s) {
        json_value(out, &s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// A JSON number as serde_json writes it: integers with `itoa`, floats with `zmij` (never NaN or infinite
/// in a `Number`).
fn json_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    } else if let Some(i) = n.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    } else if let Some(f) = n.as_f64() {
        json_float(out, f);
    }
}

/// A float as serde_json writes an `f64`: shortest round-trip digits by `zmij`, `null` when not finite.
fn json_float(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(f).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

fn json_value(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    // Writing to a Vec cannot fail, and every value here is serializable (JSON values, text).
    let _ = serde_json::to_writer(out, v);
}

impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(v) => v.serialize(serializer),
            Field::Null => serializer.serialize_unit(),
            Field::Text(s) => serializer.serialize_str(s),
            Field::Time(t) => serializer.serialize_str(&rfc3339::format(*t)),
            Field::Float(f) => serializer.serialize_f64(*f),
        }
    }
}

impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The Bitcoin genesis block's day, 2009-01-03 (midnight UTC): no provider has older data.
pub const GENESIS: DateTime<Utc> = day(2009, 1, 3);

/// Midnight UTC of a day known to exist (a constant).
pub const fn day(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
        None => DateTime::<Utc>::MIN_UTC,
    }
}

/// Accepts `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Some(ts) = rfc3339::parse(text) {
        return Some(ts);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
}

/// UTC RFC 3339 with only as many sub-second digits as needed: `2024-04-07T15:24:51.021Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    rfc3339::format(t)
}

pub fn from_unix_seconds(v: &Value) -> Option<DateTime<Utc>> {
    let secs = number(v)?;
    Utc.timestamp_millis_opt((secs * 1000.0).round() as i64)
        .single()
}

pub fn from_unix_millis(v: &Value) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(number(v)?.round() as i64).single()
}

/// A number from a JSON number or a numeric string (`"1.46277E7"`); `None` for null, "" and garbage.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A JSON number value, or null.
pub fn num(v: Option<&Value>) -> Value {
    v.and_then(number)
        .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        .unwrap_or(Value::Null)
}

/// A JSON integer value (accepting `5.0` and `"5"`), or null.
pub fn int(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        Some(other) => number(other)
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| Value::from(f as i64))
            .unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// A non-empty string value, or null.
pub fn text(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    }
}

pub fn boolean(v: Option<&Value>) -> Value {
    v.and_then(Value::as_bool)
        .map(Value::Bool)
        .unwrap_or(Value::Null)
}

/// An ISO/RFC 3339 timestamp string normalised to UTC `Z`, or null.
pub fn timestamp(v: Option<&Value>) -> Value {
    v.and_then(Value::as_str)
        .and_then(parse_date)
        .map(|t| Value::String(rfc3339(t)))
        .unwrap_or(Value::Null)
}

pub fn time_value(t: DateTime<Utc>) -> Value {
    Value::String(rfc3339(t))
}

/// What a JSON value is, for messages that must not echo it (it may be a key).
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_parsed_defensively() {
        assert_eq!(num(Some(&json!("1.46277E7"))), json!(14627700.0));
        assert_eq!(num(Some(&json!(""))), Value::Null);
        assert_eq!(num(None), Value::Null);
        assert_eq!(int(Some(&json!(233805.0))), json!(233805));
        assert_eq!(int(Some(&json!(1.5))), Value::Null);
        assert_eq!(
            timestamp(Some(&json!("2024-04-07T15:23:02+00:00"))),
            json!("2024-04-07T15:23:02Z")
        );
    }

    #[test]
    fn written_json_is_what_serde_json_writes() {
        let t = parse_date("2024-04-07T15:24:51.021Z").unwrap();
        let mut r = Record::with_capacity(8);
        r.insert("text", Value::String("a \"quoted\"\n\\ é".into()));
        r.insert("shared", Field::text(&Arc::from("bitcoin")));
        r.insert("escaped", Field::text(&Arc::from("a\"b")));
        r.insert("time", Field::Time(t));
        r.insert(
            "far",
            Field::Time(parse_date("+10000-01-01T00:00:00Z").unwrap_or(t)),
        );
        for (i, n) in [
            json!(1.5e300),
            json!(-3),
            json!(u64::MAX),
            json!(0.1),
            json!(50000.0),
            json!(-0.0),
            json!(1e-7),
            json!(123456789012345680.0),
        ]
        .into_iter()
        .enumerate()
        {
            r.insert(["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"][i], n);
        }
        for (key, f) in [
            ("f0", 0.1),
            ("f1", 50000.0),
            ("f2", -1e-7),
            ("f3", f64::NAN),
        ] {
            r.insert(key, Field::Float(f));
        }
        r.insert("null", Value::Null);
        r.insert("nested", json!({"a": [1, "x"]}));
        let mut out = Vec::new();
        r.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&r).unwrap()
        );
        assert_eq!(r.get("time"), None);
        assert_eq!(r.get("null"), Some(&Value::Null));
        assert_eq!(std::mem::size_of::<Field>(), 24);
        assert_eq!(r.field("time"), Some(&Field::Time(t)));
    }

    #[test]
    fn dates_accept_day_and_timestamp() {
        assert_eq!(
            parse_date("2024-01-02").unwrap().to_rfc3339(),
            "2024-01-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2024-01-02T03:04:05+01:00")
                .unwrap()
                .to_rfc3339(),
            "2024-01-02T02:04:05+00:00"
        );
        assert!(parse_date("02/01/2024").is_none());
    }
}
