//! Executing selected nodes, below the commands: `plan` (which node waits for which), `runner`
//! (the `--threads` pool walking the DAG), `node` (what a worker does with one node), `materialize`
//! (models; `custom_materialization`: those a `{% materialization %}` macro builds), `contract` (enforced model contracts), `grants`, `project_hooks` (on-run-start/end), `snapshot` (SCD2 snapshots), `data_test` (tests), `unit_test` and `summary` (dbt's closing report).
//! Here: the schemas to create.

pub mod contract;
pub mod custom_materialization;
pub mod data_test;
pub mod defer;
pub mod external;
pub mod grants;
pub mod materialize;
pub mod node;
pub mod node_events;
pub mod plan;
pub mod project_hooks;
pub mod runner;
pub mod snapshot;
pub mod unit_test;
pub mod summary;

use crate::compile::Manifest;
use crate::error::Result;
use crate::project::Resource;
use crate::warehouse::Warehouse;

/// Creates each schema the selected seeds and models are built in (tests write to their own).
pub fn create_schemas(m: &Manifest, ids: &[String], wh: &dyn Warehouse) -> Result<()> {
    let mut schemas: Vec<(String, String)> = ids
        .iter()
        .filter_map(|id| m.project.nodes.get(id))
        .filter(|n| n.resource != Resource::Test)
        .map(|n| (n.relation.database.clone(), n.relation.schema.clone()))
        .collect();
    schemas.sort();
    schemas.dedup();
    for (db, schema) in schemas {
        wh.create_schema(&db, &schema)?;
    }
    Ok(())
}
