//! Which selected node waits for which: its nearest selected ancestors (looking through unselected
//! ones), in `build` the tests gating a node's children, and a model's unit tests running before it.

use std::collections::{HashMap, HashSet};

use crate::compile::Manifest;

/// For each selected node, its nearest selected ancestors (looking through unselected nodes).
pub fn selected_deps(selected: &[String], parents: impl Fn(&str) -> Vec<String>) -> HashMap<String, Vec<String>> {
    let set: HashSet<&String> = selected.iter().collect();
    let mut out = HashMap::new();
    for id in selected {
        let mut deps = vec![];
        let mut seen = HashSet::new();
        let mut stack = parents(id);
        while let Some(p) = stack.pop() {
            if !seen.insert(p.clone()) {
                continue;
            }
            if set.contains(&p) {
                deps.push(p);
            } else {
                stack.extend(parents(&p));
            }
        }
        out.insert(id.clone(), deps);
    }
    out
}

/// In `build`, a test on one node blocks that node's children, so bad data does not flow on.
pub fn add_test_gates(m: &Manifest, ids: &[String], deps: &mut HashMap<String, Vec<String>>) {
    let set: HashSet<&String> = ids.iter().collect();
    for id in ids {
        let Some(g) = m.project.nodes.get(id).and_then(|n| n.generic.as_ref().map(|_| n)) else { continue };
        let parents: Vec<&String> = g.depends_on.iter().filter(|p| set.contains(p)).collect();
        if g.depends_on.len() != 1 || parents.len() != 1 {
            continue;
        }
        // Children in the selection, looking through unselected ones (ephemeral models).
        let mut stack = m.dag.children(parents[0]);
        let mut seen = HashSet::new();
        while let Some(child) = stack.pop() {
            if child.starts_with("test.") || child.starts_with("unit_test.") || !seen.insert(child.clone()) {
                continue;
            }
            if set.contains(&child) {
                deps.entry(child).or_default().push(id.clone());
            } else {
                stack.extend(m.dag.children(&child));
            }
        }
    }
}

/// In `build`, a model's selected unit tests run before it, one after another (as dbt: the first
/// failure skips the others and the model), starting once the model's own dependencies are done.
pub fn order_unit_tests(m: &Manifest, ids: &[String], deps: &mut HashMap<String, Vec<String>>) {
    let set: HashSet<&String> = ids.iter().collect();
    let mut by_model: HashMap<&str, Vec<&String>> = HashMap::new();
    for id in ids {
        if let Some(u) = m.project.nodes.get(id).and_then(|n| n.unit.as_ref()).filter(|u| set.contains(&u.model)) {
            by_model.entry(u.model.as_str()).or_default().push(id);
        }
    }
    for (model, mut tests) in by_model {
        tests.sort();
        let first_deps = deps.get(model).cloned().unwrap_or_default();
        let mut previous: Option<&String> = None;
        for t in &tests {
            deps.insert((*t).clone(), previous.map_or_else(|| first_deps.clone(), |p| vec![p.clone()]));
            previous = Some(t);
        }
        if let Some(last) = previous {
            deps.entry(model.to_string()).or_default().push(last.clone());
        }
    }
}
