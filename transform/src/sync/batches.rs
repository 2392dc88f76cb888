//! The sink of a sync: records are committed only together with the STATE that follows them. Rows
//! of a stream wait (`pending`) until a state covers them — its STREAM state, a GLOBAL/LEGACY
//! state, or its stream-complete status (a stream without intermediate states) — then they are
//! `ready`, and at a state boundary past `batch_size` the ready rows and those states commit in one
//! transaction. A failed sync commits the ready rows and drops the pending ones, so a re-read from
//! the saved state never doubles a record. Past `4 × batch_size` pending rows, they wait in staging
//! tables instead of memory (`staging`), so memory stays bounded whatever the source does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use duckdb::arrow::record_batch::RecordBatch;
use serde_json::Value as Json;

use super::raw_tables::RawTable;
use super::staging;
use super::state_store::{state_key, StateStore};
use crate::error::Result;
use crate::warehouse::append::RowBatch;
use crate::warehouse::Warehouse;

/// Rows of streams, kept until their commit.
#[derive(Default)]
struct Held {
    rows: Vec<(String, RecordBatch)>,
    count: usize,
    /// Rows per stream in its staging table.
    staged: BTreeMap<String, u64>,
}

impl Held {
    fn total(&self) -> usize {
        self.count + self.staged.values().sum::<u64>() as usize
    }
}

pub struct Sink {
    wh: Arc<dyn Warehouse>,
    store: StateStore,
    tables: HashMap<String, RawTable>,
    /// Rows no state covers yet.
    pending: Held,
    /// Rows covered by `states`, for the next commit.
    ready: Held,
    states: BTreeMap<String, Json>,
    /// Staging tables created by this sync (dropped at its end).
    staging: BTreeSet<String>,
    batch_size: usize,
    /// Records committed per stream.
    pub committed: BTreeMap<String, u64>,
    pub batches: u64,
}

impl Sink {
    pub fn new(wh: Arc<dyn Warehouse>, store: StateStore, tables: HashMap<String, RawTable>, batch_size: usize) -> Sink {
        Sink {
            wh,
            store,
            tables,
            pending: Held::default(),
            ready: Held::default(),
            states: BTreeMap::new(),
            staging: BTreeSet::new(),
            batch_size: batch_size.max(1),
            committed: BTreeMap::new(),
            batches: 0,
        }
    }

    /// Holds a chunk of `stream`'s rows until a state covers them.
    pub fn rows(&mut self, stream: String, batch: RecordBatch) -> Result<()> {
        self.pending.count += batch.num_rows();
        self.pending.rows.push((stream, batch));
        if self.pending.count >= self.batch_size.saturating_mul(4) {
            self.spill()?;
        }
        Ok(())
    }

    /// A STATE message: it covers its stream's rows (all streams' for a GLOBAL or LEGACY state);
    /// commits when enough rows are ready.
    pub fn state(&mut self, state: &Json) -> Result<()> {
        let stream = state.pointer("/stream/stream_descriptor/name").and_then(Json::as_str);
        match (state.get("type").and_then(Json::as_str), stream) {
            (Some("STREAM") | None, Some(name)) => {
                let name = name.to_string();
                self.cover(|s| *s == name);
            }
            (Some("GLOBAL" | "LEGACY") | None, _) => self.cover(|_| true),
            _ => {} // a STREAM state without its stream covers nothing
        }
        self.states.insert(state_key(state), state.clone());
        if self.ready.total() >= self.batch_size {
            self.commit()?;
        }
        Ok(())
    }

    /// A stream reported complete: its records are final, with or without a state after them.
    pub fn stream_done(&mut self, stream: &str) {
        self.cover(|s| s == stream);
    }

    fn cover(&mut self, covered: impl Fn(&String) -> bool) {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending.rows).into_iter().partition(|(s, _)| covered(s));
        let n: usize = now.iter().map(|(_, b)| b.num_rows()).sum();
        (self.pending.rows, self.pending.count) = (later, self.pending.count - n);
        self.ready.rows.extend(now);
        self.ready.count += n;
        let staged: Vec<String> = self.pending.staged.keys().filter(|s| covered(s)).cloned().collect();
        for s in staged {
            let k = self.pending.staged.remove(&s).unwrap_or(0);
            *self.ready.staged.entry(s).or_default() += k;
        }
    }

    /// Commits the ready rows and the states that cover them, in one transaction.
    fn commit(&mut self) -> Result<()> {
        if self.ready.total() == 0 && self.states.is_empty() {
            return Ok(());
        }
        let ready = std::mem::take(&mut self.ready);
        let batches: Vec<RowBatch> = ready.rows.into_iter().map(|(s, data)| self.batch(&self.tables[&s], data)).collect();
        let mut then: Vec<String> = ready.staged.keys().flat_map(|s| staging::move_sql(&*self.wh, &self.tables[s])).collect();
        then.extend(self.states.iter().map(|(k, s)| self.store.save_sql(&*self.wh, k, s)));
        self.wh.append_rows(&batches, &then)?;
        crate::fault::point("after_commit");
        for (s, n) in batches.iter().map(|b| (&b.rel.identifier, b.data.num_rows() as u64)).chain(ready.staged.iter().map(|(s, n)| (s, *n))) {
            *self.committed.entry(s.clone()).or_default() += n;
        }
        self.states.clear();
        self.batches += 1;
        Ok(())
    }

    fn batch(&self, t: &RawTable, data: RecordBatch) -> RowBatch {
        RowBatch { rel: t.rel.clone(), columns: t.column_names(), data }
    }

    /// Moves the pending rows out of memory into their streams' staging tables (committed there on
    /// their own). Ready rows commit first, so a staging table never mixes covered and uncovered rows.
    fn spill(&mut self) -> Result<()> {
        self.commit()?;
        let pending = std::mem::take(&mut self.pending.rows);
        self.pending.count = 0;
        for (s, data) in pending {
            let stage = staging::of(&self.tables[&s]);
            if self.staging.insert(s.clone()) {
                staging::drop(&*self.wh, &self.tables[&s])?;
                stage.ensure(&*self.wh)?;
                let msg = format!("  {s}: over {} records without a state: they wait in {} until one covers them", 4 * self.batch_size, stage.rel.identifier);
                crate::output::printer().info(&msg);
            }
            let n = data.num_rows() as u64;
            self.wh.append_rows(&[self.batch(&stage, data)], &[])?;
            *self.pending.staged.entry(s).or_default() += n;
        }
        Ok(())
    }

    /// The end of the read: after a successful one every record is final (and commits); after a
    /// failed one only what states cover commits. Staging tables are dropped either way.
    pub fn finish(&mut self, success: bool) -> Result<()> {
        if success {
            self.cover(|_| true);
        }
        self.commit()?;
        for s in std::mem::take(&mut self.staging) {
            staging::drop(&*self.wh, &self.tables[&s])?;
        }
        Ok(())
    }

    /// Rows a failed sync did not commit (no state covered them).
    pub fn dropped(&self) -> u64 {
        self.pending.total() as u64
    }

    /// After a successful read: full-refresh (`overwrite`) tables drop their older generations.
    pub fn finish_overwrites(&self) -> Result<()> {
        for t in self.tables.values().filter(|t| t.overwrite) {
            let rel = self.wh.render_relation(&t.rel);
            self.wh.execute(&format!("delete from {rel} where _airbyte_generation_id < {}", t.generation))?;
        }
        Ok(())
    }
}
