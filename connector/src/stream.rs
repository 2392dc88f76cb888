//! The `Stream` trait and what a stream is described and planned with. A stream is plain data plumbing: it
//! plans its slices from its provider's config section and its state, and turns one response body into
//! records (plus the next page's request). HTTP, filtering by cursor, state and checkpoints are the reader's
//! job (`read.rs`); the streams themselves live in `providers/<key>/`.
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::provider::Provider;
use crate::record::Record;
use crate::request::{Page, Request};
use crate::state::StreamState;

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
    /// The state key this slice advances (see `state/`).
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

/// What every stream sees while planning and parsing, whatever its provider: `start_date` and the read's
/// clock. A stream's own settings are its provider's config section, which it holds.
pub struct Ctx {
    pub start_date: DateTime<Utc>,
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
