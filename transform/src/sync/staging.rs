//! Where a stream's rows wait when its source emits many records before the STATE that covers them:
//! a staging table beside the raw table (`<stream>__sync_pending`), committed on its own (it is not
//! raw data: nothing reads it), moved into the raw table by the transaction that saves the covering
//! state, and dropped when the sync ends. A crashed sync's leftovers are dropped when the next starts.

use super::raw_tables::RawTable;
use crate::error::Result;
use crate::warehouse::{RelationKind, Warehouse};

/// The staging table of raw table `t` (same columns).
pub fn of(t: &RawTable) -> RawTable {
    let mut s = t.clone();
    s.rel.identifier = format!("{}__sync_pending", t.rel.identifier);
    s
}

/// Drops the staging tables of `tables` that exist (a previous sync's, left by a crash).
pub fn drop_leftovers<'a>(wh: &dyn Warehouse, tables: impl IntoIterator<Item = &'a RawTable>) -> Result<()> {
    for t in tables {
        drop(wh, t)?;
    }
    Ok(())
}

/// Drops the staging table of `t` if it exists.
pub fn drop(wh: &dyn Warehouse, t: &RawTable) -> Result<()> {
    let s = of(t);
    if wh.relation_kind(&s.rel)?.is_some() {
        wh.execute(&wh.drop_sql(&wh.render_relation(&s.rel), RelationKind::Table))?;
    }
    Ok(())
}

/// The statements that move the staged rows of `t` into it (run in the state's transaction).
pub fn move_sql(wh: &dyn Warehouse, t: &RawTable) -> Vec<String> {
    let (raw, stage) = (wh.render_relation(&t.rel), wh.render_relation(&of(t).rel));
    let cols: Vec<String> = t.column_names().iter().map(|c| wh.quote(c)).collect();
    let cols = cols.join(", ");
    vec![format!("insert into {raw} ({cols}) select {cols} from {stage}"), format!("delete from {stage} where true")]
}
