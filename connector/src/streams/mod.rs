//! The stream trait and the registry of every stream. A stream is plain data plumbing: it plans its slices
//! from the config and its state, and turns one response body into records (plus the next page's request).
//! HTTP, filtering by cursor, state and checkpoints are the reader's job (`read.rs`), so a new provider is one
//! more file here plus one line in [`all`].
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::provider::Provider;
pub use crate::record::{
    boolean, from_unix_millis, from_unix_seconds, int, num, text, time_value, timestamp, Record,
};
pub use crate::request::Page;
use crate::request::Request;
use crate::state::StreamState;

pub mod blockchain_com;
pub mod coingecko;
pub mod coingecko_coins;
pub mod coinmarketcap;
pub mod coinmarketcap_history;
pub mod github;
pub mod mempool_space;
pub mod reddit;

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
