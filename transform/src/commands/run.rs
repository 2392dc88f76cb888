//! `transform run`, and `nodes`: the body `run`, `test`, `seed` and `build` share. It loads and
//! selects, creates the schemas, hands the nodes to the executor (`execute`), writes
//! manifest.json and run_results.json and prints dbt's summary. `--dry-run` goes to `estimate`.

use std::time::Instant;

use serde_json::json;

use crate::artifacts;
use crate::cli::RunArgs;
use crate::compile;
use crate::error::{Error, Result};
use crate::execute::node::execute_node;
use crate::execute::plan::{add_test_gates, order_unit_tests, selected_deps};
use crate::execute::summary::print_summary;
use crate::execute::{self, runner};
use crate::output::printer;
use crate::project::Resource;
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
    execute::create_schemas(&m, &ids, wh.as_ref())?;
    let mut deps = selected_deps(&ids, |id| m.dag.parents(id));
    if test_gates {
        add_test_gates(&m, &ids, &mut deps);
        order_unit_tests(&m, &ids, &mut deps);
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
