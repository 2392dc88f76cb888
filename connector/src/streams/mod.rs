//! The stream trait and the registry of every stream. A stream is plain data plumbing: it plans its slices
//! from the config and its state, and turns one response body into records (plus the next page's request).
//! HTTP, filtering by cursor, state and checkpoints are the reader's job (`read.rs`), so a new provider is one
//! more file here plus one line in [`all`].
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use crate::config::Config;
pub use crate::http::Page;
use crate::http::{Provider, Request};
use crate::state::StreamState;

pub mod blockchain_com;
pub mod coingecko;
pub mod coingecko_coins;
pub mod coinmarketcap;
pub mod coinmarketcap_history;
pub mod github;
pub mod mempool_space;
pub mod reddit;

/// One record's `data`: named fields in a fixed order. A plain vector rather than a map, because records
/// are built and serialized a million times per backfill and their keys are always static names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(&'static str, Value)>,
}

impl Record {
    pub fn new() -> Record {
        Record {
            fields: Vec::with_capacity(16),
        }
    }

    /// Appends a field. Each name is set once per record (checked in debug builds): no lookup on the hot path.
    pub fn insert(&mut self, key: &'static str, value: Value) {
        debug_assert!(self.get(key).is_none(), "field {key} set twice");
        self.fields.push((key, value));
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
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

/// What `discover` says about a stream, and how the reader treats it.
pub struct StreamSpec {
    pub name: &'static str,
    pub provider: Provider,
    /// The draft-07 JSON Schema, embedded from `schemas/<name>.json`.
    pub schema: &'static str,
    /// `None` for full-refresh-only streams.
    pub cursor_field: Option<&'static str>,
    pub primary_key: &'static [&'static str],
}

/// A unit of work whose completion is checkpointed: the first request of a window (or of a chart, a coin…).
#[derive(Debug, Clone)]
pub struct Slice {
    /// The state key this slice advances (see `state.rs`).
    pub partition: String,
    pub request: Request,
}

impl Slice {
    /// The plan of a stream that reads one request (and maybe its next pages): a single slice.
    pub fn single(partition: &str, request: Request) -> Vec<Slice> {
        vec![Slice {
            partition: partition.to_string(),
            request,
        }]
    }
}

/// What a stream sees while planning and parsing.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub now: DateTime<Utc>,
}

pub trait Stream: Send + Sync {
    fn spec(&self) -> &StreamSpec;

    /// The slices to read, oldest first, given the state at the start of the read.
    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice>;

    /// Turns one response into records; returns the request of the next page of this slice, if any.
    /// `state` is the stream's state as of now (cursors advance as records are emitted).
    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String>;
}

/// Every stream of this connector, in catalog order.
pub fn all() -> Vec<Box<dyn Stream>> {
    let mut streams = coingecko::streams();
    streams.extend(blockchain_com::streams());
    streams.extend(mempool_space::streams());
    streams.extend(coinmarketcap::streams());
    streams.extend(github::streams());
    streams.extend(reddit::streams());
    streams
}

/// The streams `discover` offers for this config: CoinMarketCap's only with a key.
pub fn available(config: &Config) -> Vec<Box<dyn Stream>> {
    all()
        .into_iter()
        .filter(|s| {
            s.spec().provider != Provider::CoinMarketCap || config.coinmarketcap_api_key.is_some()
        })
        .collect()
}

/// UTC RFC 3339 with only as many sub-second digits as needed: `2024-04-07T15:24:51.021Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
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
        .and_then(crate::config::parse_date)
        .map(|t| Value::String(rfc3339(t)))
        .unwrap_or(Value::Null)
}

pub fn time_value(t: DateTime<Utc>) -> Value {
    Value::String(rfc3339(t))
}

/// Splits `[from, to)` into consecutive windows no longer than `max` (at least one window).
pub fn windows(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let max = chrono::Duration::from_std(max).unwrap_or(chrono::Duration::days(1));
    let mut out = Vec::new();
    let mut start = from.min(to);
    loop {
        let end = (start + max).min(to);
        out.push((start, end));
        if end >= to {
            return out;
        }
        start = end;
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
    fn windows_cover_the_range() {
        let day = chrono::Duration::days(1);
        let from = Utc::now();
        let w = windows(from, from + day * 10, Duration::from_secs(4 * 86400));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].0, from);
        assert_eq!(w[2].1, from + day * 10);
        assert_eq!(windows(from, from, Duration::from_secs(1)).len(), 1);
    }
}
