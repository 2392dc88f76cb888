//! The per-stream cursor state, and which records of a page it admits (`input.rs` reads the `--state` file).
//!
//! A stream's state is an object: partition name → cursor. Single-partition streams use their cursor field
//! as the partition (`{"timestamp": "2024-04-01T00:00:00Z"}`); `blockchain_charts` uses the chart name and
//! `coingecko_market_chart` the granularity. Time cursors are RFC 3339 strings, height cursors integers.
//! `open_period` keeps, per partition, a fingerprint of the record at the cursor: that period may still be
//! open (today's partial point), so a later read emits it again when, and only when, its content changed.
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::record::{parse_date, rfc3339, Field, Record};

mod input;

pub use input::{parse_input, InputState};

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

    /// Reads a cursor from a record's field (a time field as it is, unparsed).
    pub fn from_field(field: &Field) -> Option<Cursor> {
        match field {
            Field::Time(t) => Some(Cursor::Time(*t)),
            Field::Text(s) => parse_date(s).map(Cursor::Time),
            Field::Json(v) => Cursor::from_value(v),
            Field::Null => None,
            // A JSON float is not a height either (`Number::as_i64` is `None` for it).
            Field::Float(_) => None,
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

/// One stream's cursors (partition → cursor, only ever moving forward), the fingerprints of the records at
/// those cursors, and the page being admitted.
#[derive(Debug, Clone, Default)]
pub struct StreamState {
    cursors: Map<String, Value>,
    open: Map<String, Value>,
    /// `start_date`: no record with an older time cursor is admitted.
    start: Option<DateTime<Utc>>,
    pass: Option<Pass>,
}

/// One page's pass over a partition: the cursor the next record must beat, whether a record went out yet,
/// and the last one that did (it becomes the partition's cursor when the page ends).
#[derive(Debug, Clone)]
struct Pass {
    partition: String,
    current: Option<Cursor>,
    admitted: bool,
    last: Option<(Cursor, Record)>,
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
            let problem = match Cursor::from_value(value) {
                None => "is neither an RFC 3339 time nor an integer",
                // A block height: a negative one would page up from the chain's start, request by request.
                Some(Cursor::Height(h)) if h < 0 => "is not a block height (heights start at 0)",
                Some(_) => continue,
            };
            return Err(Error::Catalog {
                stream: stream.to_string(),
                message: format!("state cursor {partition:?} = {value} {problem}"),
            });
        }
        Ok(StreamState {
            cursors,
            open,
            ..StreamState::default()
        })
    }

    /// The same state, admitting no record whose time cursor is older than `start` (`start_date`).
    pub fn since(self, start: DateTime<Utc>) -> StreamState {
        StreamState {
            start: Some(start),
            ..self
        }
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

    /// The reader's one question per record of a page (records in cursor order): does it go out? Not when
    /// its time is before `start_date`, nor when it is not newer than the partition's cursor, except the
    /// page's first record at the cursor itself when its content changed since (its period was still open).
    /// An admitted record is the one the next is judged against; it is handed back to be written, and it
    /// becomes the partition's cursor (with its fingerprint) when the page ends.
    pub fn admit(&mut self, partition: &str, cursor: Cursor, record: Record) -> Option<&Record> {
        if let (Cursor::Time(t), Some(start)) = (cursor, self.start) {
            if t < start {
                return None;
            }
        }
        if self.pass.as_ref().is_none_or(|p| p.partition != partition) {
            self.end_page();
            self.pass = Some(Pass {
                partition: partition.to_string(),
                current: self.cursor(partition),
                admitted: false,
                last: None,
            });
        }
        let pass = self.pass.as_mut()?;
        let newer = pass.current.is_none_or(|c| cursor.is_after(c));
        let reopened = !newer
            && !pass.admitted
            && pass.current.is_some_and(|c| !c.is_after(cursor))
            && self.open.get(partition).and_then(Value::as_str)
                != Some(fingerprint(&record).as_str());
        if !(newer || reopened) {
            return None;
        }
        pass.current = Some(cursor);
        pass.admitted = true;
        let (_, kept) = pass.last.insert((cursor, record));
        Some(kept)
    }

    /// Ends a page: its last admitted record becomes the partition's cursor.
    pub fn end_page(&mut self) {
        if let Some(Pass {
            partition,
            last: Some((cursor, record)),
            ..
        }) = self.pass.take()
        {
            self.advance(&partition, cursor, fingerprint(&record));
        }
    }

    /// Records that `cursor` (with content `fingerprint`) was emitted: moves the partition's cursor
    /// forward, or at an equal cursor updates the fingerprint. An older cursor changes nothing.
    pub fn advance(&mut self, partition: &str, cursor: Cursor, fingerprint: String) {
        advance(
            &mut self.cursors,
            &mut self.open,
            partition,
            cursor,
            fingerprint,
        );
    }

    /// The state as a checkpoint says it, the page's last admitted record included.
    pub fn to_value(&self) -> Value {
        let (mut cursors, mut open) = (self.cursors.clone(), self.open.clone());
        if let Some(Pass {
            partition,
            last: Some((cursor, record)),
            ..
        }) = &self.pass
        {
            advance(
                &mut cursors,
                &mut open,
                partition,
                *cursor,
                fingerprint(record),
            );
        }
        if !open.is_empty() {
            cursors.insert(OPEN_PERIOD.to_string(), Value::Object(open));
        }
        Value::Object(cursors)
    }
}

fn advance(
    cursors: &mut Map<String, Value>,
    open: &mut Map<String, Value>,
    partition: &str,
    cursor: Cursor,
    fingerprint: String,
) {
    if let Some(old) = cursors.get(partition).and_then(Cursor::from_value) {
        // Both are "after" each other only when their kinds differ: then the new cursor replaces the old.
        if old.is_after(cursor) && !cursor.is_after(old) {
            return;
        }
    }
    cursors.insert(partition.to_string(), cursor.to_value());
    open.insert(partition.to_string(), Value::String(fingerprint));
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(st.to_value()["open_period"]["p"], "c");
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
        let negative = serde_json::json!({"height": -5});
        let err = StreamState::from_input("mempool_blocks", negative.as_object())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mempool_blocks") && err.contains("\"height\" = -5"),
            "{err}"
        );
        let foreign = serde_json::json!({"p": "2024-01-01", "__ab_full_refresh_sync_complete": true, "states": [], "x": null});
        let st = StreamState::from_input("s", foreign.as_object()).unwrap();
        assert_eq!(st.to_value(), serde_json::json!({"p": "2024-01-01"}));
    }

    #[test]
    fn admit_answers_once_per_record() {
        let t = |s: &str| Cursor::Time(parse_date(s).unwrap());
        let rec = |v: i64| {
            let mut r = Record::new();
            r.insert("v", Value::from(v));
            r
        };
        let input = serde_json::json!({"p": "2024-01-02T00:00:00Z", "open_period": {"p": fingerprint(&rec(1))}});
        let mut st = StreamState::from_input("s", input.as_object())
            .unwrap()
            .since(parse_date("2024-01-01").unwrap());
        assert!(
            st.admit("p", t("2023-12-31"), rec(0)).is_none(),
            "before start_date"
        );
        assert!(
            st.admit("p", t("2024-01-02"), rec(1)).is_none(),
            "at the cursor, unchanged"
        );
        assert!(st.admit("p", t("2024-01-03"), rec(3)).is_some(), "newer");
        assert!(
            st.admit("p", t("2024-01-03"), rec(4)).is_none(),
            "a second record at the same cursor"
        );
        assert_eq!(
            st.to_value()["p"],
            "2024-01-03T00:00:00Z",
            "a checkpoint includes the page so far"
        );
        assert_eq!(
            st.time("p"),
            parse_date("2024-01-02"),
            "the state moves when the page ends"
        );
        st.end_page();
        assert_eq!(st.time("p"), parse_date("2024-01-03"));
        assert!(
            st.admit("p", t("2024-01-03"), rec(5)).is_some(),
            "reopened: its content changed"
        );
        assert!(st.admit("p", t("2024-01-04"), rec(6)).is_some());
        st.end_page();
        assert_eq!(st.to_value()["open_period"]["p"], fingerprint(&rec(6)));
    }
}
