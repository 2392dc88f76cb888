//! `transform run`, and `nodes`: the body `run`, `test`, `seed`, `build` and `retry` share. It loads
//! and selects (with `--state`, `--defer`), creates the schemas, hands the nodes to the executor
//! (`execute`), writes manifest.json and run_results.json and prints dbt's summary. `--dry-run` goes
//! to `estimate`.

use std::time::Instant;

use serde_json::json;

use crate::artifacts;
use crate::cli::RunArgs;
use crate::compile::{self, Manifest};
use crate::error::{Error, Result};
use crate::execute::node::execute_node;
use crate::execute::node_events;
use crate::execute::plan::{add_test_gates, order_unit_tests, selected_deps};
use crate::execute::runner::{NodeResult, Status};
use crate::execute::summary::print_summary;
use crate::execute::{self, defer, project_hooks, runner};
use crate::output::printer;
use crate::project::Resource;
use crate::select;
use crate::state::State;

pub fn run(a: RunArgs) -> Result<i32> {
    nodes(a, "run", &[Resource::Model], false)
}

/// The resource types of a command, narrowed by `--resource-type`/`--exclude-resource-type`.
fn kinds_of(a: &RunArgs, kinds: &[Resource]) -> Vec<Resource> {
    kinds
        .iter()
        .copied()
        .filter(|k| a.resource_type.is_empty() || a.resource_type.iter().any(|r| r == k.as_str() || r == "all"))
        .filter(|k| !a.exclude_resource_type.iter().any(|r| r == k.as_str()))
        .collect()
}

/// Loads, selects and defers for a node-running command.
fn prepare(a: &RunArgs, command: &str, kinds: &[Resource]) -> Result<(Manifest, Vec<String>)> {
    let mut opts = a.common.options(command, a.full_refresh()?);
    opts.empty = a.empty()?;
    let mut m = compile::load(&opts, true)?;
    let state = select::load_state(&a.selection)?;
    let ids = select::selected(&m, &a.selection, &kinds_of(a, kinds), state.as_ref())?;
    if a.selection.state.defer()? {
        let defer_state = match &a.selection.state.defer_state {
            Some(dir) => Some(State::load(dir)?),
            None => state,
        };
        let Some(defer_state) = defer_state else {
            return Err(Error::Usage("--defer needs --state DIR (or --defer-state DIR): the artifacts to defer to".into()));
        };
        defer::defer(&mut m, &ids, &defer_state, a.selection.state.favor_state()?)?;
    }
    Ok((m, ids))
}

/// Builds the selected nodes of `kinds` in DAG order; with `test_gates` (build) a test on a node
/// also blocks that node's children.
pub(super) fn nodes(a: RunArgs, command: &str, kinds: &[Resource], test_gates: bool) -> Result<i32> {
    if a.dry_run {
        return super::estimate::run(&a, command, kinds);
    }
    let start = Instant::now();
    let (m, ids) = prepare(&a, command, kinds)?;
    let full_refresh = a.full_refresh()?;
    execute_ids(&m, &ids, command, test_gates, full_refresh, a.fail_fast()?, start, run_args(&a)?)
}

/// What run_results.json's `args` records of the command line (`retry` reads it back).
fn run_args(a: &RunArgs) -> Result<serde_json::Value> {
    Ok(json!({
        "select": a.selection.select, "exclude": a.selection.exclude, "selector": a.selection.selector,
        "indirect_selection": a.selection.indirect_selection.as_deref().unwrap_or("eager"),
        "full_refresh": a.full_refresh()?, "fail_fast": a.fail_fast()?, "empty": a.empty()?,
        "store_failures": a.store_failures()?, "defer": a.selection.state.defer()?,
        "favor_state": a.selection.state.favor_state()?,
        "state": a.selection.state.state.as_ref().map(|p| p.display().to_string()),
        "resource_types": a.resource_type, "exclude_resource_types": a.exclude_resource_type,
    }))
}

/// Runs `ids` (in order) and writes the artifacts and the summary.
#[allow(clippy::too_many_arguments)]
pub(super) fn execute_ids(
    m: &Manifest, ids: &[String], command: &str, test_gates: bool, full_refresh: bool, fail_fast: bool, start: Instant,
    args: serde_json::Value,
) -> Result<i32> {
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let p = printer();
    if ids.is_empty() {
        p.emit(crate::events::nothing_to_do());
    }
    execute::create_schemas(m, ids, wh.as_ref())?;
    let mut deps = selected_deps(ids, |id| m.dag.parents(id));
    if test_gates {
        add_test_gates(m, ids, &mut deps);
        order_unit_tests(m, ids, &mut deps);
    }
    p.emit(crate::events::concurrency(m.target.threads, &m.target.name, ids.len()));
    p.info(&format!("Running with transform {} on {} ({} threads)", env!("CARGO_PKG_VERSION"), m.target.adapter_type, m.target.threads));
    let work = |id: &str, idx: usize, total: usize| execute_node(m, id, idx, total, full_refresh);
    let start_hooks = project_hooks::run(m, &wh, "on-run-start", &[]);
    let ran = runner::run(ids, &deps, m.target.threads, fail_fast, &work);
    report_skipped(m, &ran);
    let end_hooks = project_hooks::run(m, &wh, "on-run-end", &ran);
    let results: Vec<NodeResult> = start_hooks.into_iter().chain(ran).chain(end_hooks).collect();
    let elapsed = start.elapsed().as_secs_f64();
    artifacts::write_manifest(m)?;
    artifacts::write_run_results(m, &results, elapsed, artifacts::run_args(m, command, args))?;
    Ok(print_summary(m, &results, elapsed, command))
}

/// dbt's SkippingDetails for the nodes that never ran.
fn report_skipped(m: &Manifest, results: &[NodeResult]) {
    let total = results.len();
    for (i, r) in results.iter().enumerate().filter(|(_, r)| r.status == Status::Skipped) {
        if let Ok(node) = m.node(&r.unique_id) {
            node_events::skipped(m, node, i + 1, total);
        }
    }
}
