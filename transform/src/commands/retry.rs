//! `transform retry`: reruns the nodes that errored, failed or were skipped in the last `run`, `test`,
//! `seed` or `build` (target/run_results.json), with that command and its flags; "Nothing to do" when
//! the last run had none.

use std::collections::HashSet;
use std::time::Instant;

use serde_json::Value as Json;

use crate::cli::CommonArgs;
use crate::compile;
use crate::error::{Error, Result};
use crate::project::dbt_project::DbtProject;

const RETRYABLE: &[&str] = &["error", "fail", "skipped", "runtime error"];

fn previous(a: &CommonArgs) -> Result<(std::path::PathBuf, Json)> {
    let cfg = DbtProject::load(&a.project_dir)?;
    let target = crate::flags::get().target_path.clone().unwrap_or_else(|| cfg.target_path.clone().into());
    let path = a.project_dir.join(target).join("run_results.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|_| Error::Usage(format!("retry: no previous run in {} (run_results.json is missing)", path.display())))?;
    let doc = serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{}: not a run_results.json ({e})", path.display())))?;
    Ok((path, doc))
}

pub fn run(a: CommonArgs) -> Result<i32> {
    let start = Instant::now();
    let (path, last) = previous(&a)?;
    let args = last.get("args").cloned().unwrap_or_default();
    let which = args.get("which").and_then(Json::as_str).unwrap_or_default().to_string();
    if !["run", "test", "seed", "build"].contains(&which.as_str()) {
        return Err(Error::Usage(format!("retry reruns run, test, seed or build; {} records `{which}`", path.display())));
    }
    let failed: HashSet<String> = last["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"].as_str().is_some_and(|s| RETRYABLE.contains(&s)))
        .filter_map(|r| r["unique_id"].as_str().map(String::from))
        .collect();
    let flag = |k: &str| args.get(k).and_then(Json::as_bool).unwrap_or(false);
    let mut opts = a.options(&which, flag("full_refresh"));
    opts.empty = flag("empty");
    if opts.target.is_none() {
        opts.target = args.get("target").and_then(Json::as_str).map(String::from);
    }
    if opts.vars.is_none() {
        opts.vars = args.get("vars").filter(|v| v.as_object().is_some_and(|o| !o.is_empty())).map(Json::to_string);
    }
    let m = compile::load(&opts, true)?;
    let ids: Vec<String> = m.dag.topo_order()?.into_iter().filter(|id| failed.contains(id) && m.project.nodes.contains_key(id)).collect();
    let mut recorded = args.clone();
    if let Some(o) = recorded.as_object_mut() {
        o.insert("retried".into(), Json::Bool(true));
    }
    super::run::execute_ids(&m, &ids, &which, which == "build", flag("full_refresh"), flag("fail_fast"), start, recorded)
}
