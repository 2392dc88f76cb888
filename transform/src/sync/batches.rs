//! The sink of a sync: buffers parsed records per stream and commits them in batches. A batch is
//! committed at a STATE boundary once it holds `batch_size` records, together with the states that
//! followed its records, in one transaction — so saved state never runs ahead of committed rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value as Json;

use super::raw_tables::RawTable;
use super::state_store::{state_key, StateStore};
use crate::error::Result;
use crate::warehouse::append::{Cell, RowBatch};
use crate::warehouse::Warehouse;

pub struct Sink {
    wh: Arc<dyn Warehouse>,
    store: StateStore,
    tables: HashMap<String, RawTable>,
    rows: HashMap<String, Vec<Vec<Cell>>>,
    states: BTreeMap<String, Json>,
    buffered: usize,
    batch_size: usize,
    /// Records committed per stream.
    pub committed: BTreeMap<String, u64>,
    /// Records of streams not in the configured catalog (ignored, reported once at the end).
    pub unknown: BTreeMap<String, u64>,
    pub batches: u64,
}

impl Sink {
    pub fn new(wh: Arc<dyn Warehouse>, store: StateStore, tables: HashMap<String, RawTable>, batch_size: usize) -> Sink {
        Sink {
            wh,
            store,
            tables,
            rows: HashMap::new(),
            states: BTreeMap::new(),
            buffered: 0,
            batch_size: batch_size.max(1),
            committed: BTreeMap::new(),
            unknown: BTreeMap::new(),
            batches: 0,
        }
    }

    /// Buffers one row of `stream` (built by the parser thread).
    pub fn row(&mut self, stream: String, row: Vec<Cell>) -> Result<()> {
        match self.rows.get_mut(&stream) {
            Some(rows) => rows.push(row),
            None => {
                self.rows.insert(stream, vec![row]);
            }
        }
        self.buffered += 1;
        // Bound memory for a source that never checkpoints (its rows then commit ahead of its state).
        if self.buffered >= self.batch_size.saturating_mul(4) {
            self.flush()?;
        }
        Ok(())
    }

    /// Notes a STATE message; commits the batch when it is full.
    pub fn state(&mut self, state: &Json) -> Result<()> {
        self.states.insert(state_key(state), state.clone());
        if self.buffered >= self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits the buffered rows and the states that followed them, in one transaction.
    pub fn flush(&mut self) -> Result<()> {
        if self.buffered == 0 && self.states.is_empty() {
            return Ok(());
        }
        let mut batches = vec![];
        for (stream, rows) in self.rows.drain() {
            let t = &self.tables[&stream];
            *self.committed.entry(stream).or_default() += rows.len() as u64;
            batches.push(RowBatch { rel: t.rel.clone(), columns: t.column_names(), rows });
        }
        let then: Vec<String> = self.states.iter().map(|(k, s)| self.store.save_sql(k, s)).collect();
        self.wh.append_rows(&batches, &then)?;
        crate::fault::point("after_commit");
        self.states.clear();
        self.buffered = 0;
        self.batches += 1;
        Ok(())
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
