//! manifest.json's `exposures`, `metrics`, `semantic_models`, `saved_queries`, `groups` and
//! `group_map`: the parsed entries (`project::semantic`) with their resolved dependencies, in the key
//! order dbt-core 1.10 writes.

use serde_json::{json, Map, Value as Json};

use crate::compile::Manifest;
use crate::project::SemanticNode;
use crate::project::Resource;

const EXPOSURE: &[&str] = &[
    "name", "resource_type", "package_name", "path", "original_file_path", "unique_id", "fqn", "type", "owner", "description", "label",
    "maturity", "meta", "tags", "config", "unrendered_config", "url", "depends_on", "refs", "sources", "metrics", "created_at",
];
const METRIC: &[&str] = &[
    "name", "resource_type", "package_name", "path", "original_file_path", "unique_id", "fqn", "description", "label", "type",
    "type_params", "filter", "metadata", "time_granularity", "meta", "tags", "config", "unrendered_config", "sources", "depends_on",
    "refs", "metrics", "created_at", "group",
];
const SEMANTIC_MODEL: &[&str] = &[
    "name", "resource_type", "package_name", "path", "original_file_path", "unique_id", "fqn", "model", "node_relation", "description",
    "label", "defaults", "entities", "measures", "dimensions", "metadata", "depends_on", "refs", "created_at", "config",
    "unrendered_config", "primary_entity", "group",
];
const SAVED_QUERY: &[&str] = &[
    "name", "resource_type", "package_name", "path", "original_file_path", "unique_id", "fqn", "query_params", "exports",
    "description", "label", "metadata", "config", "unrendered_config", "group", "depends_on", "created_at", "refs", "tags",
];

/// One entry of the given resource's map, keys in dbt's order.
pub fn entry_json(m: &Manifest, n: &SemanticNode) -> Json {
    let own = m.project.in_package(&n.package_name, &n.original_file_path);
    let mut all = Map::new();
    all.insert("name".into(), json!(n.name));
    all.insert("resource_type".into(), json!(n.resource.as_str()));
    all.insert("package_name".into(), json!(n.package_name));
    all.insert("path".into(), json!(own.split_once('/').map_or(own, |(_, p)| p)));
    all.insert("original_file_path".into(), json!(own));
    all.insert("unique_id".into(), json!(n.unique_id));
    all.insert("fqn".into(), json!(n.fqn));
    all.insert("tags".into(), json!(n.tags));
    let meta = n.config.get("meta").cloned().unwrap_or(json!({}));
    all.insert("meta".into(), meta.clone());
    let group = n.config.get("group").cloned().unwrap_or(Json::Null);
    all.insert("group".into(), group.clone());
    let mut config = json!({"enabled": true, "group": group, "meta": meta});
    if n.resource == Resource::Exposure {
        config = json!({"enabled": true, "tags": n.tags, "meta": meta});
    }
    all.insert("config".into(), config);
    all.insert("unrendered_config".into(), json!(n.config));
    all.insert("depends_on".into(), json!({"macros": [], "nodes": n.depends_on}));
    all.insert("created_at".into(), json!(chrono::Utc::now().timestamp_micros() as f64 / 1e6));
    if let Json::Object(entry) = &n.entry {
        all.extend(entry.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let keys = match n.resource {
        Resource::Exposure => EXPOSURE,
        Resource::Metric => METRIC,
        Resource::SemanticModel => {
            all.insert("node_relation".into(), node_relation(m, n));
            all.insert("refs".into(), refs_json(n));
            SEMANTIC_MODEL
        }
        _ => SAVED_QUERY,
    };
    // An export without its own schema lands in the target's schema and database.
    if let Some(exports) = all.get_mut("exports").and_then(Json::as_array_mut) {
        for c in exports.iter_mut().filter_map(|x| x.get_mut("config")) {
            if c["schema_name"].is_null() {
                c["schema_name"] = json!(m.engine.shared.target_schema);
            }
            c["database"] = json!(m.engine.shared.target_database);
        }
    }
    if n.resource == Resource::Metric {
        let measures = input_measures(m, n, 0);
        if let Some(tp) = all.get_mut("type_params").and_then(Json::as_object_mut) {
            tp.insert("input_measures".into(), Json::Array(measures));
        }
    }
    Json::Object(keys.iter().filter_map(|k| all.get(*k).map(|v| (k.to_string(), v.clone()))).collect())
}

fn refs_json(n: &SemanticNode) -> Json {
    json!(n.wants.refs.iter().map(|r| json!({"name": r.name, "package": r.package, "version": r.version})).collect::<Vec<_>>())
}

/// Where the semantic model's model lives (dbt's `node_relation`).
fn node_relation(m: &Manifest, n: &SemanticNode) -> Json {
    let Some(model) = n.depends_on.first().and_then(|id| m.project.nodes.get(id)) else { return Json::Null };
    let r = &model.relation;
    json!({"alias": r.identifier, "schema_name": r.schema, "database": r.database, "relation_name": m.dialect.render_relation(r)})
}

/// The measures a metric reads in the end: its own, or those of the metrics it is made of.
fn input_measures(m: &Manifest, n: &SemanticNode, depth: usize) -> Vec<Json> {
    if let Some(measure) = n.entry.pointer("/type_params/measure").filter(|v| !v.is_null()) {
        return vec![measure.clone()];
    }
    if let Some(conversion) = n.entry.pointer("/type_params/conversion_type_params").filter(|v| !v.is_null()) {
        let (base, conv) = (&conversion["base_measure"], &conversion["conversion_measure"]);
        return if base == conv { vec![base.clone()] } else { vec![base.clone(), conv.clone()] };
    }
    if depth > 16 {
        return vec![]; // a cycle of derived metrics; the DAG reports it
    }
    let mut out: Vec<Json> = vec![];
    for dep in n.depends_on.iter().filter_map(|d| m.project.semantic.get(d)).filter(|d| d.resource == Resource::Metric) {
        for x in input_measures(m, dep, depth + 1) {
            if !out.contains(&x) {
                out.push(x);
            }
        }
    }
    out
}

/// The map for one resource type (`exposures`, `metrics`, …).
pub fn map_json(m: &Manifest, resource: Resource) -> Vec<(String, Json)> {
    m.project.semantic.values().filter(|n| n.resource == resource).map(|n| (n.unique_id.clone(), entry_json(m, n))).collect()
}

pub fn groups_json(m: &Manifest) -> Vec<(String, Json)> {
    m.project.groups.values().map(|g| (g.unique_id.clone(), g.entry.clone())).collect()
}

/// `group_map`: each group's name → the nodes in it.
pub fn group_map(m: &Manifest) -> Json {
    let mut out: Map<String, Json> = Map::new();
    let nodes = m.project.nodes.values().map(|n| (n.group(), &n.unique_id));
    let semantic = m.project.semantic.values().map(|n| (n.config.get("group"), &n.unique_id));
    for (group, uid) in nodes.chain(semantic) {
        if let Some(Json::String(g)) = group {
            if let Json::Array(list) = out.entry(g.clone()).or_insert_with(|| json!([])) {
                list.push(json!(uid));
            }
        }
    }
    Json::Object(out)
}
