//! `transform snapshot`: build or update the selected snapshots (dbt's SCD2 tables), in DAG order.

use crate::cli::RunArgs;
use crate::error::Result;
use crate::project::Resource;

pub fn run(a: RunArgs) -> Result<i32> {
    super::run::nodes(a, "snapshot", &[Resource::Snapshot], false)
}
