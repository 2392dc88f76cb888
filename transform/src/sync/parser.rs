//! The parsing half of a sync, on its own thread: reads the source's stdout line by line, turns
//! records into raw-table rows, and hands them (in order, with the STATE, TRACE and LOG messages
//! between them) to the committing half over a bounded channel, so parsing and DuckDB appends
//! overlap and memory stays bounded.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use serde_json::Value as Json;

use super::airbyte::{self, Kind, Reader};
use super::raw_tables::RawTable;
use crate::error::{Error, Result};
use crate::warehouse::append::Cell;

/// What the committing half receives, in the source's order.
pub enum Item {
    Row(String, Vec<Cell>),
    /// A record of a stream that is not in the configured catalog.
    Unknown(String),
    State(Json),
    /// A TRACE ERROR's text.
    SourceError(String),
    /// A WARN/ERROR/FATAL LOG line.
    Log(String, String),
}

/// Messages in flight between the threads (rows are small: this bounds memory to a few MiB).
const CHANNEL_BOUND: usize = 8192;

/// Starts the parser thread; it returns the reader when the output ends or the receiver is dropped.
pub fn spawn(mut reader: Reader, tables: HashMap<String, RawTable>, sync_id: i64) -> (Receiver<Result<Item>>, JoinHandle<Reader>) {
    let (tx, rx) = sync_channel(CHANNEL_BOUND);
    let handle = std::thread::spawn(move || {
        let clean_meta = RawTable::clean_meta(sync_id);
        loop {
            let item = match reader.next_message() {
                Ok(None) => break,
                Ok(Some(msg)) => match convert(msg, &tables, sync_id, &clean_meta) {
                    Some(item) => item,
                    None => continue,
                },
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.send(item).is_err() || failed {
                break;
            }
        }
        reader
    });
    (rx, handle)
}

fn convert(msg: airbyte::Message, tables: &HashMap<String, RawTable>, sync_id: i64, clean_meta: &str) -> Option<Result<Item>> {
    Some(Ok(match msg.kind {
        Kind::Record => {
            let Some(rec) = msg.record else {
                return Some(Err(Error::Usage("the source printed a RECORD message without `record`".into())));
            };
            match tables.get(&rec.stream) {
                Some(t) => {
                    let row = t.row(rec.data.0, rec.emitted_at as i64, sync_id, clean_meta);
                    Item::Row(rec.stream, row)
                }
                None => Item::Unknown(rec.stream),
            }
        }
        Kind::State => Item::State(msg.state.unwrap_or(Json::Null)),
        Kind::Trace => Item::SourceError(msg.trace.as_ref().and_then(airbyte::trace_error)?),
        Kind::Log => {
            let log = msg.log.unwrap_or_default();
            let level = log.get("level").and_then(Json::as_str).unwrap_or("INFO").to_string();
            if !matches!(level.as_str(), "WARN" | "ERROR" | "FATAL") {
                return None;
            }
            Item::Log(level, log.get("message").and_then(Json::as_str).unwrap_or_default().to_string())
        }
        Kind::Other => return None,
    }))
}
