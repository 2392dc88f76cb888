//! `target/catalog.json` (dbt's catalog: `metadata`, `nodes`, `sources`, `errors`): every model, seed,
//! snapshot and source that exists in the warehouse, with its type and its columns' types, positions and
//! comments, read from the warehouse's information schema (`Warehouse::catalog_sql`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value as Json};

use crate::compile::Manifest;
use crate::error::Result;
use crate::project::{RelationName, Resource};
use crate::warehouse::Warehouse;

type Key = (String, String, String);

fn key(r: &RelationName) -> Key {
    (r.database.to_lowercase(), r.schema.to_lowercase(), r.identifier.to_lowercase())
}

const STATS: &str = r#"{"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": false, "include": false, "description": "Indicates whether there are statistics for this table"}}"#;

/// The relations the project documents, by warehouse location → unique id (nodes, then sources).
fn documented(m: &Manifest) -> (HashMap<Key, String>, HashMap<Key, String>) {
    let nodes = m
        .project
        .nodes
        .values()
        .filter(|n| matches!(n.resource, Resource::Model | Resource::Seed) && n.materialized() != "ephemeral")
        .map(|n| (key(&n.relation), n.unique_id.clone()))
        .collect();
    let sources = m.project.sources.values().map(|s| (key(&s.relation), s.unique_id.clone())).collect();
    (nodes, sources)
}

fn text(v: Option<&Json>) -> Json {
    match v {
        Some(Json::String(s)) if !s.is_empty() => Json::String(s.clone()),
        _ => Json::Null,
    }
}

/// One catalog entry per documented relation found, columns in warehouse order.
fn entries(rows: &[Vec<Json>], wanted: &HashMap<Key, String>) -> BTreeMap<String, Json> {
    let mut out: BTreeMap<String, Json> = BTreeMap::new();
    for r in rows {
        let s = |i: usize| r.get(i).and_then(Json::as_str).unwrap_or_default().to_string();
        let Some(id) = wanted.get(&(s(0).to_lowercase(), s(1).to_lowercase(), s(2).to_lowercase())) else { continue };
        let entry = out.entry(id.clone()).or_insert_with(|| {
            json!({
                "metadata": {"type": s(3), "schema": s(1), "name": s(2), "database": s(0), "comment": text(r.get(4)), "owner": Json::Null},
                "columns": {}, "stats": serde_json::from_str::<Json>(STATS).unwrap_or(Json::Null), "unique_id": id,
            })
        });
        let index = r.get(6).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|t| t.parse().ok())));
        if let Some(cols) = entry["columns"].as_object_mut() {
            cols.insert(s(5), json!({"type": s(7), "index": index, "name": s(5), "comment": text(r.get(8))}));
        }
    }
    out
}

/// Builds the catalog document (`errors` lists schemas whose information schema could not be read).
pub fn build(m: &Manifest, wh: &dyn Warehouse, empty: bool) -> Result<Json> {
    let (nodes, sources) = documented(m);
    let mut schemas: Vec<(String, String)> = nodes.keys().chain(sources.keys()).map(|(d, s, _)| (d.clone(), s.clone())).collect::<HashSet<_>>().into_iter().collect();
    schemas.sort();
    let mut rows = vec![];
    let mut errors = vec![];
    if !empty {
        for sql in wh.catalog_sql(&schemas) {
            match wh.query(&sql, usize::MAX) {
                Ok(r) => rows.extend(r.rows),
                Err(e) => errors.push(Json::String(crate::output::redact(&e.to_string()))),
            }
        }
    }
    let as_map = |e: BTreeMap<String, Json>| Json::Object(e.into_iter().collect::<Map<_, _>>());
    Ok(json!({
        "metadata": crate::artifacts::catalog_metadata(m),
        "nodes": as_map(entries(&rows, &nodes)),
        "sources": as_map(entries(&rows, &sources)),
        "errors": if errors.is_empty() { Json::Null } else { Json::Array(errors) },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_into_entries_in_column_order() {
        let wanted = HashMap::from([(("dev".into(), "main".into(), "orders".into()), "model.p.orders".to_string())]);
        let row = |c: &str, i: i64, t: &str| vec![json!("dev"), json!("main"), json!("Orders"), json!("BASE TABLE"), json!(null), json!(c), json!(i), json!(t), json!(null)];
        let e = entries(&[row("id", 1, "INTEGER"), row("amount", 2, "DOUBLE"), vec![json!("dev"), json!("main"), json!("other")]], &wanted);
        let o = &e["model.p.orders"];
        assert_eq!(o["metadata"]["type"], "BASE TABLE");
        assert_eq!(o["columns"]["amount"], json!({"type": "DOUBLE", "index": 2, "name": "amount", "comment": null}));
        assert_eq!(o["stats"]["has_stats"]["value"], false);
        assert_eq!(e.len(), 1);
    }
}
