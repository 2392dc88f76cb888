//! Input state (every shape the platform sends) and the per-stream cursor state the streams keep.
//!
//! Accepted `--state` shapes: a list of STREAM messages, a list of GLOBAL/LEGACY messages, a bare LEGACY object
//! (`{"stream_name": {...}}`), `[]`, `null` and an empty file. Unknown keys are ignored. Anything else is
//! rejected with an error naming the file and the element at fault.
//!
//! A stream's state is an object: partition name → cursor. Single-partition streams use their cursor field
//! as the partition (`{"timestamp": "2024-04-01T00:00:00Z"}`); `blockchain_charts` uses the chart name and
//! `coingecko_market_chart` the granularity. Time cursors are RFC 3339 strings, height cursors integers.
//! `open_period` keeps, per partition, a fingerprint of the record at the cursor: that period may still be
//! open (today's partial point), so a later read emits it again when, and only when, its content changed.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::record::{parse_date, rfc3339};
use crate::error::{Error, Result};

/// Stream name → that stream's state object, as found in the input.
pub type InputState = HashMap<String, Map<String, Value>>;

/// Parses the text of a `--state` file.
pub fn parse_input(path: &str, text: &str) -> Result<InputState> {
    let bad = |message: String| Error::Input {
        what: "state",
        path: path.to_string(),
        message,
    };
    if text.trim().is_empty() {
        return Ok(InputState::new());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let mut out = InputState::new();
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                add_message(&mut out, item).map_err(|m| bad(format!("element {i}: {m}")))?;
            }
        }
        Value::Object(obj) if obj.contains_key("type") => {
            add_message(&mut out, Value::Object(obj)).map_err(bad)?
        }
        Value::Object(obj) => add_legacy(&mut out, obj),
        other => {
            return Err(bad(format!(
                "expected a list of state messages or an object, got {}",
                kind(&other)
            )))
        }
    }
    Ok(out)
}

fn add_message(out: &mut InputState, item: Value) -> Result<(), String> {
    let Value::Object(mut msg) = item else {
        return if item.is_null() {
            Ok(())
        } else {
            Err(format!("expected an object, got {}", kind(&item)))
        };
    };
    let kind_name = msg.get("type").and_then(Value::as_str).map(str::to_string);
    match kind_name.as_deref() {
        Some("STREAM") | None if msg.contains_key("stream") => {
            add_stream(out, msg.remove("stream"))
        }
        Some("GLOBAL") => {
            let global = msg.remove("global").unwrap_or(Value::Null);
            let states = global
                .get("stream_states")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            states
                .into_iter()
                .try_for_each(|s| add_stream(out, Some(s)))
        }
        Some("LEGACY") | None if msg.contains_key("data") => {
            match msg.remove("data") {
                Some(Value::Object(data)) => add_legacy(out, data),
                Some(Value::Null) | None => {}
                Some(other) => {
                    return Err(format!(
                        "LEGACY data must be an object, got {}",
                        kind(&other)
                    ))
                }
            }
            Ok(())
        }
        Some("STREAM") => Ok(()),
        Some(other) => Err(format!(
            "unknown state type {other:?} (expected STREAM, GLOBAL or LEGACY)"
        )),
        None => Err("a state message needs a `type`".to_string()),
    }
}

fn add_stream(out: &mut InputState, stream: Option<Value>) -> Result<(), String> {
    let Some(stream) = stream.filter(|s| !s.is_null()) else {
        return Ok(());
    };
    let name = stream
        .pointer("/stream_descriptor/name")
        .and_then(Value::as_str)
        .ok_or("a STREAM state needs stream.stream_descriptor.name")?;
    match stream.get("stream_state") {
        Some(Value::Object(state)) => {
            out.insert(name.to_string(), state.clone());
            Ok(())
        }
        None | Some(Value::Null) => Ok(()),
        Some(other) => Err(format!(
            "stream_state of {name:?} must be an object, got {}",
            kind(other)
        )),
    }
}

/// A legacy blob: keys are stream names, values their state objects; other values are ignored.
fn add_legacy(out: &mut InputState, data: Map<String, Value>) {
    for (name, value) in data {
        if let Value::Object(state) = value {
            out.insert(name, state);
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A cursor value: a point in time or a block height.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum Cursor {
    Time(DateTime<Utc>),
    Height(i64),
}

impl Cursor {
    pub fn to_value(self) -> Value {
        match self {
            Cursor::Time(t) => Value::String(rfc3339(t)),
            Cursor::Height(h) => Value::from(h),
        }
    }

    /// True when `self` comes after `other`. A cursor of the other kind (a height where a time is kept)
    /// is not comparable, so it counts as absent: the stream reads from `start_date` and replaces it.
    pub fn is_after(self, other: Cursor) -> bool {
        match (self, other) {
            (Cursor::Time(a), Cursor::Time(b)) => a > b,
            (Cursor::Height(a), Cursor::Height(b)) => a > b,
            _ => true,
        }
    }

    /// Reads a cursor from a record field or a state value.
    pub fn from_value(v: &Value) -> Option<Cursor> {
        match v {
            Value::String(s) => parse_date(s).map(Cursor::Time),
            Value::Number(n) => n.as_i64().map(Cursor::Height),
            _ => None,
        }
    }
}

/// The state key holding the fingerprints of the records at the cursors.
const OPEN_PERIOD: &str = "open_period";

/// A stable fingerprint (64-bit FNV-1a, hex) of a record's JSON: equal content, equal fingerprint, in every
/// run and every build (unlike std's randomly seeded hashers).
pub fn fingerprint(record: &impl serde::Serialize) -> String {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// One stream's cursors (partition → cursor, only ever moving forward) and the fingerprints of the
/// records at those cursors.
#[derive(Debug, Clone, Default)]
pub struct StreamState {
    cursors: Map<String, Value>,
    open: Map<String, Value>,
}

impl StreamState {
    /// Takes the input state of one stream. Keys holding objects, lists, booleans or null are not cursors
    /// (other tools' bookkeeping) and are ignored; a string or number that is not a time or a height is an error.
    pub fn from_input(stream: &str, input: Option<&Map<String, Value>>) -> Result<StreamState> {
        let mut cursors = input.cloned().unwrap_or_default();
        let mut open = match cursors.remove(OPEN_PERIOD) {
            Some(Value::Object(open)) => open,
            _ => Map::new(),
        };
        open.retain(|_, v| v.is_string());
        cursors.retain(|_, v| v.is_string() || v.is_number());
        for (partition, value) in &cursors {
            if Cursor::from_value(value).is_none() {
                return Err(Error::Catalog { stream: stream.to_string(),
                    message: format!("state cursor {partition:?} = {value} is neither an RFC 3339 time nor an integer") });
            }
        }
        Ok(StreamState { cursors, open })
    }

    pub fn cursor(&self, partition: &str) -> Option<Cursor> {
        self.cursors.get(partition).and_then(Cursor::from_value)
    }

    pub fn time(&self, partition: &str) -> Option<DateTime<Utc>> {
        match self.cursor(partition) {
            Some(Cursor::Time(t)) => Some(t),
            _ => None,
        }
    }

    /// The fingerprint of the record at a partition's cursor, if known.
    pub fn open_fingerprint(&self, partition: &str) -> Option<&str> {
        self.open.get(partition).and_then(Value::as_str)
    }

    /// Records that `cursor` (with content `fingerprint`) was emitted: moves the partition's cursor
    /// forward, or at an equal cursor updates the fingerprint. An older cursor changes nothing.
    pub fn advance(&mut self, partition: &str, cursor: Cursor, fingerprint: String) {
        if let Some(old) = self.cursor(partition) {
            // Both are "after" each other only when their kinds differ: then the new cursor replaces the old.
            if old.is_after(cursor) && !cursor.is_after(old) {
                return;
            }
        }
        self.cursors
            .insert(partition.to_string(), cursor.to_value());
        self.open
            .insert(partition.to_string(), Value::String(fingerprint));
    }

    pub fn to_value(&self) -> Value {
        let mut value = self.cursors.clone();
        if !self.open.is_empty() {
            value.insert(OPEN_PERIOD.to_string(), Value::Object(self.open.clone()));
        }
        Value::Object(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<InputState> {
        parse_input("state.json", text)
    }

    #[test]
    fn stream_list_is_used() {
        let s = parse(r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a","namespace":null},
            "stream_state":{"timestamp":"2024-01-01T00:00:00Z"}},"sourceStats":{"recordCount":1.0},"extra":1}]"#).unwrap();
        assert_eq!(s["a"]["timestamp"], "2024-01-01T00:00:00Z");
    }

    #[test]
    fn legacy_shapes_are_used() {
        let s = parse(r#"{"a": {"timestamp": "2024-01-01"}, "junk": 3}"#).unwrap();
        assert!(s.contains_key("a") && !s.contains_key("junk"));
        let s = parse(r#"[{"type":"LEGACY","data":{"b":{"height":5}}}]"#).unwrap();
        assert_eq!(s["b"]["height"], 5);
        let s = parse(r#"{"type":"GLOBAL","global":{"stream_states":[{"stream_descriptor":{"name":"c"},"stream_state":{}}]}}"#).unwrap();
        assert!(s.contains_key("c"));
    }

    #[test]
    fn empty_shapes_are_empty() {
        for text in [
            "",
            "  ",
            "null",
            "[]",
            "[null]",
            "{}",
            r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":null}}]"#,
        ] {
            assert!(parse(text).unwrap().is_empty(), "{text}");
        }
    }

    #[test]
    fn garbage_is_rejected_with_the_culprit() {
        let err = parse("[{\"type\":\"STREAM\"").unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains("not JSON"),
            "{err}"
        );
        let err = parse(r#"[1]"#).unwrap_err().to_string();
        assert!(err.contains("element 0"), "{err}");
        let err = parse(r#"[{"type":"WHAT"}]"#).unwrap_err().to_string();
        assert!(err.contains("WHAT"), "{err}");
        assert!(parse("\"text\"").is_err());
    }

    #[test]
    fn cursors_only_move_forward() {
        let mut st = StreamState::default();
        let t = |s: &str| Cursor::Time(parse_date(s).unwrap());
        st.advance("p", t("2024-01-02"), "a".into());
        st.advance("p", t("2024-01-01"), "b".into());
        assert_eq!(
            st.to_value(),
            serde_json::json!({"p": "2024-01-02T00:00:00Z", "open_period": {"p": "a"}})
        );
        st.advance("p", t("2024-01-02"), "c".into());
        assert_eq!(st.open_fingerprint("p"), Some("c"));
        let again = StreamState::from_input("s", st.to_value().as_object()).unwrap();
        assert_eq!(again.to_value(), st.to_value());
        assert_eq!(
            fingerprint(&serde_json::json!({"a": 1})),
            fingerprint(&serde_json::json!({"a": 1}))
        );
        assert_ne!(
            fingerprint(&serde_json::json!({"a": 1})),
            fingerprint(&serde_json::json!({"a": 2}))
        );
        let bad = serde_json::json!({"p": "not a time"});
        assert!(StreamState::from_input("s", bad.as_object()).is_err());
        let foreign = serde_json::json!({"p": "2024-01-01", "__ab_full_refresh_sync_complete": true, "states": [], "x": null});
        let st = StreamState::from_input("s", foreign.as_object()).unwrap();
        assert_eq!(st.to_value(), serde_json::json!({"p": "2024-01-01"}));
    }
}
