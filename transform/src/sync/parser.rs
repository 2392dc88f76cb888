//! The parsing half of a sync, on its own thread: reads the source's stdout line by line, builds
//! each stream's rows as Arrow columns (`rows`), and hands them in chunks — in order, with the STATE,
//! stream-complete, TRACE and LOG messages between them — to the committing half over a bounded
//! channel, so parsing and warehouse appends overlap and memory stays bounded. A line that is not an
//! Airbyte message is logged (line number, truncated, redacted) and counted, and the sync goes on,
//! as the Airbyte platform does.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use duckdb::arrow::record_batch::RecordBatch;
use serde_json::{json, Value as Json};

use super::airbyte::{self, Kind, Lines};
use super::raw_tables::RawTable;
use super::record_line;
use super::rows::TableRows;
use crate::error::Result;
use crate::events::Level;
use crate::output::printer;

/// What the committing half receives, in the source's order.
pub enum Item {
    /// Rows of a stream, not yet covered by a state.
    Rows(String, RecordBatch),
    State(Json),
    /// A TRACE STREAM_STATUS COMPLETE: the stream's records are all there.
    StreamDone(String),
    /// A TRACE ERROR's text.
    SourceError(String),
    /// A WARN/ERROR/FATAL LOG line.
    Log(String, String),
}

/// What the parser saw besides the items, returned when it ends.
pub struct Parsed {
    /// Lines that were not Airbyte messages (or messages sync cannot read), logged and skipped.
    pub invalid_lines: u64,
    /// Records of streams outside the configured catalog, per stream (ignored).
    pub unknown: BTreeMap<String, u64>,
}

/// Rows per chunk sent to the committing half (a few MiB at most).
const CHUNK_ROWS: usize = 8192;
/// Chunks and messages in flight between the threads.
const CHANNEL_BOUND: usize = 8;
/// Invalid lines logged one by one; past this many they are only counted.
const LOGGED_INVALID: u64 = 100;
/// Characters of an invalid line shown in its log line.
const SHOWN_CHARS: usize = 200;

struct Parser<'e> {
    tables: HashMap<String, RawTable>,
    rows: HashMap<String, TableRows>,
    sync_id: i64,
    clean_meta: String,
    emit: &'e mut dyn FnMut(Result<Item>) -> bool,
    /// Log invalid lines (not when fuzzing).
    log: bool,
    last_stream: Option<String>,
    invalid: u64,
    unknown: BTreeMap<String, u64>,
}

/// Starts the parser thread; it ends at the end of the output or when the receiver is dropped.
pub fn spawn(mut lines: Lines, tables: HashMap<String, RawTable>, sync_id: i64) -> (Receiver<Result<Item>>, JoinHandle<Parsed>) {
    let (tx, rx) = sync_channel(CHANNEL_BOUND);
    let handle = std::thread::spawn(move || parse(&mut lines, tables, sync_id, &mut |item| tx.send(item).is_ok(), true));
    (rx, handle)
}

/// Parses every line into items handed to `emit` (which returns false to stop); `log` logs the
/// invalid lines as well as counting them.
pub fn parse(lines: &mut Lines, tables: HashMap<String, RawTable>, sync_id: i64, emit: &mut dyn FnMut(Result<Item>) -> bool, log: bool) -> Parsed {
    let rows = tables.iter().map(|(name, t)| (name.clone(), TableRows::new(t))).collect();
    let clean_meta = RawTable::clean_meta(sync_id);
    let mut p = Parser { tables, rows, sync_id, clean_meta, emit, log, last_stream: None, invalid: 0, unknown: BTreeMap::new() };
    let mut line = Vec::with_capacity(1 << 16);
    loop {
        match lines.next_line(&mut line) {
            Ok(true) if p.line(&line, lines.line) => {}
            Ok(true) => break,
            Ok(false) => {
                p.flush_all();
                break;
            }
            Err(e) => {
                (p.emit)(Err(e));
                break;
            }
        }
    }
    if log && p.invalid > LOGGED_INVALID {
        printer().emit(crate::events::note_with(Level::Warn, &format!("{} more lines of the source's output were not Airbyte messages (not logged)", p.invalid - LOGGED_INVALID), json!({})));
    }
    Parsed { invalid_lines: p.invalid, unknown: p.unknown }
}

impl Parser<'_> {
    /// Handles one line; false when the committing half is gone (stop reading).
    fn line(&mut self, bytes: &[u8], number: u64) -> bool {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return true;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => return self.invalid(number, &String::from_utf8_lossy(bytes), &e.to_string()),
        };
        if let Some(read) = record_line::read(text, &self.tables, &mut self.rows, self.sync_id, &self.clean_meta) {
            return self.after_record(read.stream, read.rows);
        }
        match serde_json::from_str::<airbyte::Message>(text) {
            Ok(msg) => match self.message(msg) {
                Ok(sent) => sent,
                Err(why) => self.invalid(number, text, &why),
            },
            Err(e) => self.invalid(number, text, &e.to_string()),
        }
    }

    /// Acts on one message; `Err` names why sync cannot read it.
    fn message(&mut self, msg: airbyte::Message) -> std::result::Result<bool, String> {
        let parse = |raw: Option<&serde_json::value::RawValue>, what: &str| -> std::result::Result<Json, String> {
            let raw = raw.ok_or_else(|| format!("a {what} message without `{}`", what.to_lowercase()))?;
            serde_json::from_str(raw.get()).map_err(|e| e.to_string())
        };
        match msg.kind {
            Kind::Record => self.record(msg.record.ok_or("a RECORD message without `record`")?),
            Kind::State => {
                let state = parse(msg.state, "STATE")?;
                Ok(self.flush_all() && self.send(Item::State(state)))
            }
            Kind::Trace => {
                let trace = parse(msg.trace, "TRACE")?;
                if let Some(stream) = airbyte::stream_complete(&trace) {
                    let stream = stream.to_string();
                    return Ok(self.flush(&stream) && self.send(Item::StreamDone(stream)));
                }
                Ok(airbyte::trace_error(&trace).is_none_or(|e| self.send(Item::SourceError(e))))
            }
            Kind::Log => {
                let log = parse(msg.log, "LOG")?;
                let level = log.get("level").and_then(Json::as_str).unwrap_or("INFO").to_string();
                if !matches!(level.as_str(), "WARN" | "ERROR" | "FATAL") {
                    return Ok(true);
                }
                Ok(self.send(Item::Log(level, log.get("message").and_then(Json::as_str).unwrap_or_default().to_string())))
            }
            Kind::Other => Ok(true),
        }
    }

    fn record(&mut self, raw: &serde_json::value::RawValue) -> std::result::Result<bool, String> {
        let rec: airbyte::Record = serde_json::from_str(raw.get()).map_err(|e| format!("its `record` is unreadable: {e}"))?;
        self.push_record(rec)
    }

    fn push_record(&mut self, rec: airbyte::Record) -> std::result::Result<bool, String> {
        let (Some(t), Some(rows)) = (self.tables.get(rec.stream.as_ref()), self.rows.get_mut(rec.stream.as_ref())) else {
            return Ok(self.after_record(rec.stream, None));
        };
        rows.push(t, rec.data, rec.emitted_at as i64, self.sync_id, &self.clean_meta)?;
        let n = rows.len();
        Ok(self.after_record(rec.stream, Some(n)))
    }

    /// Counts a record of `stream` (appended to its `rows`, or `None`: outside the catalog), and
    /// sends the stream's rows when a chunk is full.
    fn after_record(&mut self, stream: Cow<str>, rows: Option<usize>) -> bool {
        let Some(rows) = rows else {
            *self.unknown.entry(stream.into_owned()).or_default() += 1;
            return true;
        };
        if self.last_stream.as_deref() != Some(stream.as_ref()) {
            self.last_stream = Some(stream.to_string());
        }
        if rows >= CHUNK_ROWS {
            return self.flush(&stream);
        }
        true
    }

    /// Sends the rows of `stream` built so far.
    fn flush(&mut self, stream: &str) -> bool {
        let (Some(t), Some(rows)) = (self.tables.get(stream), self.rows.get_mut(stream)) else { return true };
        if rows.len() == 0 {
            return true;
        }
        let batch = rows.finish(t);
        self.send(Item::Rows(stream.to_string(), batch))
    }

    fn flush_all(&mut self) -> bool {
        let streams: Vec<String> = self.rows.iter().filter(|(_, r)| r.len() > 0).map(|(s, _)| s.clone()).collect();
        streams.iter().all(|s| self.flush(s))
    }

    fn send(&mut self, item: Item) -> bool {
        (self.emit)(Ok(item))
    }

    /// Logs (the first `LOGGED_INVALID`) and counts a line sync cannot read; reading goes on.
    fn invalid(&mut self, number: u64, text: &str, why: &str) -> bool {
        self.invalid += 1;
        if self.log && self.invalid <= LOGGED_INVALID {
            let mut head: String = text.chars().take(SHOWN_CHARS).collect();
            if head.len() < text.len() {
                head.push('…');
            }
            let after = self.last_stream.as_ref().map(|s| format!(", after a record of stream `{s}`")).unwrap_or_default();
            let msg = format!("source output line {number} is not an Airbyte message sync can read ({why}){after}; skipped: {head}");
            printer().emit(crate::events::note_with(Level::Warn, &msg, json!({"line": number, "stream": self.last_stream})));
        }
        true
    }
}
