//! `transform sync`: what the Airbyte platform does for one source, on one machine. Runs the source
//! executable (`discover`, then `read` with the state saved in the warehouse), parses its records
//! into raw-table rows on a thread of their own (`parser`, `rows`), and commits them in batches
//! (`batches`), each with the state that covers it (`state_store`). Source TRACE errors or a failed
//! exit make the sync exit 1 after committing what states cover (and nothing else).

pub mod airbyte;
mod batches;
pub mod parser;
pub mod raw_tables;
mod record_line;
pub mod rows;
mod staging;
pub mod state_store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};
use crate::events::Level;
use crate::output::printer;
use crate::project::RelationName;
use crate::warehouse::Warehouse;
use raw_tables::RawTable;
use state_store::StateStore;

/// What to sync: the source, its config, where the raw tables go and how big a batch is.
pub struct Request<'a> {
    /// The Airbyte source executable (it must answer `discover` and `read`).
    pub source: &'a Path,
    /// The source's config file (JSON), passed as is to `discover` and `read --config`.
    pub config: &'a Path,
    /// The schema (BigQuery dataset) of the raw tables.
    pub raw_schema: &'a str,
    /// Only these streams (empty: every stream the source discovers).
    pub streams: &'a [String],
    /// Records per committed batch (a batch ends at the first STATE message after this many).
    pub batch_size: usize,
}

/// The raw tables of the configured streams: created or widened, generation chosen.
fn prepare_tables(wh: &dyn Warehouse, catalog: &Json, database: &str, schema: &str) -> Result<HashMap<String, RawTable>> {
    let mut tables = HashMap::new();
    for c in catalog["streams"].as_array().into_iter().flatten() {
        let name = c.pointer("/stream/name").and_then(Json::as_str).unwrap_or_default().to_string();
        let rel = RelationName { database: database.into(), schema: schema.into(), identifier: name.clone() };
        let mut t = RawTable::new(rel, c.pointer("/stream/json_schema").unwrap_or(&Json::Null));
        t.ensure(wh)?;
        if c["destination_sync_mode"] == "overwrite" {
            let rel = wh.render_relation(&t.rel);
            let r = wh.query(&format!("select coalesce(max(_airbyte_generation_id), 0) + 1 from {rel}"), 1)?;
            t.generation = r.rows.first().and_then(|r| r.first()).and_then(Json::as_i64).unwrap_or(1);
            t.overwrite = true;
        }
        tables.insert(name, t);
    }
    Ok(tables)
}

/// The configured catalog and the saved state, as files for the source; removed on drop.
struct TempFiles {
    dir: PathBuf,
}

impl TempFiles {
    fn write(catalog: &Json, states: &[Json]) -> Result<TempFiles> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("transform-sync-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let files = TempFiles { dir };
        for (name, value) in [("catalog.json", catalog.clone()), ("state.json", Json::from(states.to_vec()))] {
            let p = files.dir.join(name);
            std::fs::write(&p, value.to_string()).map_err(|e| Error::io(&p, e))?;
        }
        Ok(files)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Commits every item the parser thread sends; returns the TRACE errors seen.
fn pump(items: std::sync::mpsc::Receiver<Result<parser::Item>>, sink: &mut batches::Sink) -> Result<Vec<String>> {
    let mut errors = vec![];
    for item in items {
        match item? {
            parser::Item::Rows(stream, rows) => sink.rows(stream, rows)?,
            parser::Item::State(state) => sink.state(&state)?,
            parser::Item::StreamDone(stream) => sink.stream_done(&stream),
            parser::Item::SourceError(e) => {
                printer().note(Level::Error, &format!("source error: {}", crate::output::redact(&e)));
                errors.push(e);
            }
            parser::Item::Log(level, text) => printer().info(&format!("source {level}: {}", crate::output::redact(&text))),
        }
    }
    Ok(errors)
}

/// The load connection's DuckDB settings for raw tables of `columns` columns in all. DuckDB keeps every
/// block it writes cached up to its memory limit (80% of RAM by default), so a sync's memory would grow
/// with the history it loads; capped, it evicts them (they are in the file). A commit pins about a
/// block (256 KiB) per column it writes, so the cap grows with the columns (a flat 32 MB failed the
/// commit of 14 streams' 240 columns). One DuckDB thread: on 2 cores a second one cost ~13 % more CPU
/// and 16–29 MiB more peak RSS than it saved (docs/performance.md).
fn duckdb_load_settings(columns: usize) -> String {
    format!("set threads = 1; set memory_limit = '{}MB'", 32 + columns / 4)
}

/// Runs one sync into `wh`; returns the exit code (1 when the source reported errors or failed).
pub fn run(wh: Arc<dyn Warehouse>, a: &Request) -> Result<i32> {
    let start = Instant::now();
    let database = wh.database().to_string();
    wh.create_schema(&database, a.raw_schema)?;
    let store = StateStore::open(&*wh, &database, a.raw_schema)?;
    airbyte::register_secrets(a.source, a.config);
    let streams = airbyte::discover(a.source, a.config)?;
    let catalog = airbyte::configured_catalog(&streams, a.streams)?;
    let tables = prepare_tables(&*wh, &catalog, &database, a.raw_schema)?;
    if wh.adapter_type() == "duckdb" {
        wh.execute(&duckdb_load_settings(tables.values().map(|t| t.column_names().len()).sum()))?;
    }
    staging::drop_leftovers(&*wh, tables.values())?;
    let files = TempFiles::write(&catalog, &store.load(&*wh)?)?;
    printer().info(&format!("Syncing {} streams from {} into {database}.{}", tables.len(), a.source.display(), a.raw_schema));
    let sync_id = chrono::Utc::now().timestamp();
    let (reader, lines) = airbyte::Reader::start(a.source, a.config, &files.path("catalog.json"), &files.path("state.json"))?;
    let (items, parsing) = parser::spawn(lines, tables.clone(), sync_id);
    let mut sink = batches::Sink::new(wh.clone(), store, tables, a.batch_size);
    let errors = match pump(items, &mut sink) {
        Ok(e) => e,
        Err(e) => {
            reader.kill();
            let _ = parsing.join();
            return Err(e);
        }
    };
    let parsed = parsing.join().map_err(|_| Error::Usage("the sync parser thread panicked".into()))?;
    let exit = reader.finish();
    let ok = exit.is_ok() && errors.is_empty();
    sink.finish(ok)?;
    report(&sink, &parsed, start.elapsed().as_secs_f64(), a.source);
    if let Err(why) = &exit {
        printer().note(Level::Error, &format!("source {}: {why}", a.source.display()));
    }
    if !ok {
        let dropped = sink.dropped();
        printer().info(&format!(
            "Sync finished with {} source error(s); what the saved states cover is committed ({dropped} records after them were not: the next sync reads them again)",
            errors.len() + exit.is_err() as usize
        ));
        return Ok(1);
    }
    sink.finish_overwrites()?;
    Ok(0)
}

fn report(sink: &batches::Sink, parsed: &parser::Parsed, secs: f64, source: &Path) {
    let total: u64 = sink.committed.values().sum();
    for (stream, n) in &sink.committed {
        printer().info(&format!("  {stream}: {n} records"));
    }
    for (stream, n) in &parsed.unknown {
        printer().info(&format!("  {stream}: {n} records ignored (stream not in the configured catalog)"));
    }
    if parsed.invalid_lines > 0 {
        let n = parsed.invalid_lines;
        printer().emit(crate::events::note_with(Level::Warn, &format!("  {n} lines of the source's output were not Airbyte messages sync can read (skipped)"), json!({"invalid_lines": n})));
    }
    let rate = if secs > 0.0 { total as f64 / secs } else { 0.0 };
    printer().emit(crate::events::note_with(
        Level::Info,
        &format!("Synced {total} records in {} batches from {} in {secs:.2}s ({rate:.0} records/s)", sink.batches, source.display()),
        json!({"records": total, "batches": sink.batches, "elapsed": secs, "invalid_lines": parsed.invalid_lines}),
    ));
}
