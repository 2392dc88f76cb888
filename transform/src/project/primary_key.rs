//! dbt's inferred `primary_key` of a model (manifest.json, dbt 1.9+): its primary-key constraint's
//! columns; else the columns with both a `unique` and a `not_null` test; else those with a `unique`
//! (or `unique_combination_of_columns`) test. Sorted, as dbt writes them.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use super::constraints::Kind;
use super::nodes::{Node, Project, Resource};

/// Every model's primary key, by unique id (models without one are left out).
pub fn infer_all(project: &Project) -> HashMap<String, Vec<String>> {
    let mut tests: HashMap<&str, Vec<&Node>> = HashMap::new();
    for n in project.nodes.values() {
        if let Some(g) = &n.generic {
            tests.entry(g.attached_to.as_str()).or_default().push(n);
        }
    }
    let models = project.nodes.values().filter(|n| n.resource == Resource::Model);
    let keys = models.map(|m| (m.unique_id.clone(), infer(m, tests.get(m.unique_id.as_str()).map(Vec::as_slice).unwrap_or_default())));
    keys.filter(|(_, k)| !k.is_empty()).collect()
}

/// One model's primary key, from its constraints and the generic tests attached to it.
fn infer(model: &Node, tests: &[&Node]) -> Vec<String> {
    if let Some(c) = model.constraints.iter().find(|c| c.kind == Kind::PrimaryKey) {
        return sorted(c.columns.iter().flatten().cloned());
    }
    if let Some(col) = model.columns.iter().find(|c| c.constraints.iter().any(|k| k.kind == Kind::PrimaryKey)) {
        return vec![col.name.clone()];
    }
    let (mut unique, mut not_null) = (BTreeSet::new(), BTreeSet::new());
    for t in tests {
        let Some(g) = &t.generic else { continue };
        let columns: Vec<String> = match (&g.column_name, g.kwargs.get("combination_of_columns")) {
            (Some(c), _) => vec![c.clone()],
            (None, Some(Json::Array(cols))) => cols.iter().filter_map(Json::as_str).map(String::from).collect(),
            _ => vec![],
        };
        match g.test_name.as_str() {
            "unique" | "unique_combination_of_columns" => unique.extend(columns),
            "not_null" => not_null.extend(columns),
            _ => {}
        }
    }
    let both: Vec<String> = not_null.intersection(&unique).cloned().collect();
    if both.is_empty() {
        unique.into_iter().collect()
    } else {
        both
    }
}

fn sorted(columns: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = columns.collect();
    v.sort();
    v
}
