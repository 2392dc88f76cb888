//! The `Stream` trait and what a stream is described and planned with. A stream is plain data plumbing: it
//! plans its slices from its provider's config section and its state, and turns one response body into
//! records (plus the next page's request). HTTP, filtering by cursor, state and checkpoints are the reader's
//! job (`read.rs`); the streams themselves live in `providers/<key>/`.
use std::cmp::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::provider::Provider;
use crate::record::Record;
use crate::request::{Page, Request};
use crate::state::{Cursor, StreamState};

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

    /// The same records as [`Stream::parse`], as a [`PageRecords`] the reader builds one at a time: a
    /// stream whose pages are long (a dense market chart) keeps its parsed points, not every record.
    fn page_records(
        &self,
        cx: &Ctx,
        page: &Page,
        state: &StreamState,
    ) -> Result<(Box<dyn PageRecords>, Option<Request>), String> {
        let mut out = Vec::new();
        let next = self.parse(cx, page, state, &mut out)?;
        Ok((Box::new(Built(out)), next))
    }
}

/// One page's records in the page's order, each built when the reader takes it. Positions `0..len()`
/// each make at most one record.
pub trait PageRecords: Send {
    fn len(&self) -> usize;

    /// The cursor (the value of `field`) of the record at `i`, without building it where the source can.
    fn cursor(&self, i: usize, field: &str) -> Option<Cursor>;

    /// The record at `i`, taken once; `None` when that position makes no record.
    fn take(&mut self, i: usize) -> Option<Record>;
}

/// The positions of a page's records that have a cursor, in cursor order; equal cursors keep the page's
/// order (a stable sort), and a record without one is left out. A page already in order (the usual case)
/// is walked as it is, without a list of its positions.
pub struct CursorOrder {
    sorted: Option<std::vec::IntoIter<(Cursor, usize)>>,
    next: usize,
}

impl CursorOrder {
    pub fn new(records: &dyn PageRecords, field: &str) -> CursorOrder {
        let mut last = None;
        let in_order = (0..records.len())
            .filter_map(|i| records.cursor(i, field))
            .all(|c| last.replace(c).is_none_or(|l| l <= c));
        let sorted = (!in_order).then(|| {
            let mut keyed: Vec<(Cursor, usize)> = (0..records.len())
                .filter_map(|i| Some((records.cursor(i, field)?, i)))
                .collect();
            keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
            keyed.into_iter()
        });
        CursorOrder { sorted, next: 0 }
    }

    /// The next record's cursor and position.
    pub fn next(&mut self, records: &dyn PageRecords, field: &str) -> Option<(Cursor, usize)> {
        if let Some(sorted) = &mut self.sorted {
            return sorted.next();
        }
        while self.next < records.len() {
            let i = self.next;
            self.next += 1;
            if let Some(cursor) = records.cursor(i, field) {
                return Some((cursor, i));
            }
        }
        None
    }
}

/// Records built up front by [`Stream::parse`].
pub struct Built(pub Vec<Record>);

impl PageRecords for Built {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn cursor(&self, i: usize, field: &str) -> Option<Cursor> {
        self.0.get(i)?.field(field).and_then(Cursor::from_field)
    }

    fn take(&mut self, i: usize) -> Option<Record> {
        self.0.get_mut(i).map(std::mem::take)
    }
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
