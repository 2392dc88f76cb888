//! `--defer`: a ref to a model or seed this run does not build resolves to the relation the state
//! manifest recorded for it — when this target has no such relation, or always with `--favor-state`
//! (dbt's rules; ephemeral models and tests are never deferred).

use std::collections::HashSet;
use std::sync::Arc;

use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::output::printer;
use crate::project::Resource;
use crate::state::State;

/// Points the refs of unselected nodes at the state's relations; returns how many were deferred.
pub fn defer(m: &mut Manifest, selected: &[String], state: &State, favor_state: bool) -> Result<usize> {
    let selected: HashSet<&str> = selected.iter().map(String::as_str).collect();
    let mut moved = vec![];
    for n in m.project.nodes.values() {
        if selected.contains(n.unique_id.as_str()) || !matches!(n.resource, Resource::Model | Resource::Seed) || n.materialized() == "ephemeral" {
            continue;
        }
        let Some(relation) = state.relation(&n.unique_id) else { continue };
        let here = match (&m.warehouse, favor_state) {
            (_, true) | (None, _) => false,
            (Some(wh), false) => wh.relation_kind(&n.relation)?.is_some(),
        };
        if !here {
            // A model version is also `ref()`'s answer for its `name.v<v>` key (and `name` when latest).
            let mut keys = vec![n.search_name()];
            if n.version.is_some() && n.is_latest_version() {
                keys.push(n.name.clone());
            }
            moved.push((n.package_name.clone(), keys, relation));
        }
    }
    let shared = Arc::get_mut(&mut m.engine.shared).ok_or_else(|| Error::Usage("internal: render context shared during --defer".into()))?;
    for (owner, keys, relation) in &moved {
        for key in keys {
            for (package, t) in shared.refs.get_mut(key).into_iter().flatten() {
                if package == owner {
                    t.relation = relation.clone();
                }
            }
        }
    }
    if !moved.is_empty() {
        printer().info(&format!("Deferring {} unselected nodes to the relations of {}", moved.len(), state.dir.display()));
    }
    Ok(moved.len())
}
