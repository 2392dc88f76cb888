//! `transform run`, and `nodes`: the body `run`, `test`, `seed` and `build` share. It loads and
//! selects, creates the schemas, hands the nodes to the executor (`execute`), writes
//! manifest.json and run_results.json and prints dbt's summary. `--dry-run` goes to `estimate`.

use std::time::Instant;

use serde_json::json;

use crate::artifacts;
use crate::cli::RunArgs;
use crate::compile;
use crate::error::{Error, Result};
use crate::execute::{add_test_gates, execute_node, print_summary};
use crate::output::printer;
use crate::project::Resource;
use crate::runner::{self, selected_deps};
use crate::select;

pub fn run(a: RunArgs) -> Result<i32> {
    nodes(a, "run", &[Resource::Model], false)
}

/// Builds the selected nodes of `kinds` in DAG order; with `test_gates` (build) a test on a node
/// also blocks that node's children.
pub(super) fn nodes(a: RunArgs, command: &str, kinds: &[Resource], test_gates: bool) -> Result<i32> {
    if a.dry_run {
        return super::estimate::run(&a, command, kinds);
    }
    let start = Instant::now();
    let opts = a.common.options(command, a.full_refresh);
    let m = compile::load(&opts, true)?;
    let ids = select::selected(&m, &a.selection.select, &a.selection.exclude, kinds)?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
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
    let mut deps = selected_deps(&ids, |id| m.dag.parents(id));
    if test_gates {
        add_test_gates(&m, &ids, &mut deps);
    }
    printer().info(&format!("Running with transform {} on {} ({} threads)", env!("CARGO_PKG_VERSION"), m.target.adapter_type, m.target.threads));
    let work = |id: &str, idx: usize, total: usize| execute_node(&m, id, idx, total, a.full_refresh);
    let results = runner::run(&ids, &deps, m.target.threads, a.fail_fast, &work);
    let elapsed = start.elapsed().as_secs_f64();
    artifacts::write_manifest(&m)?;
    let args = json!({"which": command, "select": a.selection.select, "exclude": a.selection.exclude, "full_refresh": a.full_refresh, "threads": m.target.threads});
    artifacts::write_run_results(&m, &results, elapsed, args)?;
    Ok(print_summary(&m, &results, elapsed))
}
