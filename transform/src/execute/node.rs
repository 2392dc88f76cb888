//! What a worker does with one node: compile and materialize a model (with its hooks and grants), load a seed,
//! run a test or a unit test — all on the node's own warehouse handle (`Warehouse::for_node`, so BigQuery jobs
//! carry the node's id) — with its dbt events before and after (`node_events`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::data_test::{format_sample, run_test, TestStatus};
use super::custom_materialization;
use super::grants;
use super::materialize::materialize;
use super::unit_test::run_unit_test;
use super::runner::{NodeResult, Status, Timing};
use crate::compile::Manifest;
use crate::error::{Error, Result};
use super::node_events;
use crate::project::{Node, Resource};
use crate::warehouse::Warehouse;

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

pub fn execute_node(m: &Manifest, id: &str, idx: usize, total: usize, full_refresh: bool) -> NodeResult {
    let started = Instant::now();
    let start_ts = now();
    if let Some(s) = m.project.semantic.get(id) {
        return node_events::no_op(s, idx, total);
    }
    let mut r = NodeResult::new(id, Status::Success);
    let Ok(node) = m.node(id) else {
        r.status = Status::Error;
        r.message = Some(format!("unknown node {id}"));
        return r;
    };
    let mut info = node_events::node_info(m, node);
    info.started_at = node_events::node_time(&chrono::Utc::now());
    node_events::started(m, node, &info, idx, total);
    // Everything the node runs goes through its own handle (BigQuery labels the jobs with the id).
    let outcome = match m.warehouse.clone().map(|wh| wh.for_node(id)) {
        None => Err(Error::Usage("no warehouse".into())),
        Some(wh) => match node.resource {
            Resource::Seed => run_seed(m, node, wh.as_ref(), &mut r),
            Resource::Test => run_one_test(m, node, &wh, &mut r),
            Resource::UnitTest => run_unit(m, node, &wh, &mut r),
            _ => run_model(m, node, &wh, &mut r, full_refresh),
        },
    };
    if let Err(e) = outcome {
        r.status = Status::Error;
        r.message = Some(crate::output::redact(&e.to_string()));
    }
    r.execution_time = started.elapsed().as_secs_f64();
    r.timing = vec![Timing { name: "execute".into(), started_at: start_ts, completed_at: now() }];
    if !matches!(node.resource, Resource::Test | Resource::UnitTest) && node.materialized() != "ephemeral" {
        r.relation_name = Some(m.dialect.render_relation(&node.relation));
    }
    info.finished_at = node_events::node_time(&chrono::Utc::now());
    node_events::finished(m, node, &info, &r, idx, total);
    r
}

fn run_hooks(m: &Manifest, node: &Node, wh: &Arc<dyn Warehouse>, which: &str) -> Result<()> {
    for hook in node.config.hooks(which) {
        let sql = m.engine.render_hook(node, &hook, Some(wh))?;
        if !sql.trim().is_empty() {
            wh.execute(&sql)?;
        }
    }
    Ok(())
}

fn run_model(m: &Manifest, node: &Node, wh: &Arc<dyn Warehouse>, r: &mut NodeResult, full_refresh: bool) -> Result<()> {
    let sql = m.compile_on(&node.unique_id, Some(wh))?;
    m.write_compiled(node, &sql)?;
    r.compiled_code = Some(sql.clone());
    if let Some((package, caller)) = custom_materialization::macro_for(m, node)? {
        // The macro runs the hooks and grants itself, as dbt's materializations do.
        let (resp, msg) = custom_materialization::run(m, node, &package, &caller, &sql, wh)?;
        r.adapter_response = serde_json::to_value(&resp).unwrap_or_default();
        r.status_tag = Some(msg.clone());
        r.message = Some(msg);
        return Ok(());
    }
    let granted = grants::of(node)?;
    let existed = grants::existed(wh.as_ref(), node, &granted)?;
    run_hooks(m, node, wh, "pre")?;
    let (resp, msg) = materialize(wh.as_ref(), node, &sql, full_refresh)?;
    run_hooks(m, node, wh, "post")?;
    // dbt applies grants after the post-hooks that run in the transaction (the default).
    grants::apply(wh.as_ref(), node, &granted, existed)?;
    r.adapter_response = serde_json::to_value(&resp).unwrap_or_default();
    r.message = Some(msg);
    Ok(())
}

fn run_seed(m: &Manifest, node: &Node, wh: &dyn Warehouse, r: &mut NodeResult) -> Result<()> {
    custom_materialization::macro_for(m, node)?;
    let granted = grants::of(node)?;
    let existed = grants::existed(wh, node, &granted)?;
    let rows = wh.load_seed(&node.relation, &m.project.root.join(&node.original_file_path), &node.config)?;
    grants::apply(wh, node, &granted, existed)?;
    r.message = Some(format!("INSERT {rows}"));
    r.adapter_response = json!({"_message": format!("INSERT {rows}"), "code": "INSERT", "rows_affected": rows});
    Ok(())
}

fn run_unit(m: &Manifest, node: &Node, wh: &Arc<dyn Warehouse>, r: &mut NodeResult) -> Result<()> {
    custom_materialization::macro_for(m, node)?;
    let outcome = run_unit_test(m, node, wh)?;
    m.write_compiled(node, &outcome.sql)?;
    r.compiled_code = Some(outcome.sql);
    match outcome.diff {
        None => r.status = Status::Pass,
        Some(d) => {
            r.status = Status::Fail;
            r.failures = Some(1);
            r.message = Some(format!("\n\nactual differs from expected:\n\n{d}\n"));
        }
    }
    r.adapter_response = json!({"_message": "OK"});
    Ok(())
}

fn run_one_test(m: &Manifest, node: &Node, wh: &Arc<dyn Warehouse>, r: &mut NodeResult) -> Result<()> {
    custom_materialization::macro_for(m, node)?;
    let sql = m.compile_on(&node.unique_id, Some(wh))?;
    m.write_compiled(node, &sql)?;
    r.compiled_code = Some(sql.clone());
    let outcome = run_test(wh.as_ref(), node, &sql, Some(&node.relation))?;
    r.failures = Some(outcome.failures);
    r.status = match outcome.status {
        TestStatus::Pass => Status::Pass,
        // dbt's --warn-error: a warning test fails.
        TestStatus::Warn if crate::flags::get().warn_error => Status::Fail,
        TestStatus::Warn => Status::Warn,
        TestStatus::Fail => Status::Fail,
    };
    r.message = (!outcome.message.is_empty()).then_some(outcome.message);
    let sample = format_sample(&outcome.sample);
    r.detail = (!sample.is_empty()).then_some(sample);
    Ok(())
}
