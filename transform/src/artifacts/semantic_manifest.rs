//! `target/semantic_manifest.json`, what MetricFlow reads: dbt-core writes it next to every
//! manifest.json as `dbt_semantic_interfaces` 0.9's `PydanticSemanticManifest` serializes it —
//! each semantic model, metric and saved query of the manifest cut to that model's fields (in its
//! order, absent ones null), the time spines in `project_configuration`, Python's `json.dumps` text.

use std::io::Write;

use serde_json::{json, Value as Json};

use super::semantic::entry_json;
use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::packages::pyjson;
use crate::project::time_spine;
use crate::project::{Node, Resource, SemanticNode};

/// A pydantic model's fields: a value kept as it is, an object of fields, or a list of objects.
enum Shape {
    Value,
    Object(&'static [(&'static str, Shape)]),
    List(&'static [(&'static str, Shape)]),
}
use Shape::{List, Object, Value as V};

const CONFIG: Shape = Object(&[("meta", V)]);
const METADATA: Shape = Object(&[("repo_file_path", V), ("file_slice", Object(&[("filename", V), ("content", V), ("start_line_number", V), ("end_line_number", V)]))]);
const WHERE: Shape = Object(&[("where_filters", List(&[("where_sql_template", V)]))]);
const WINDOW: Shape = Object(&[("count", V), ("granularity", V)]);
const NODE_RELATION: Shape = Object(&[("alias", V), ("schema_name", V), ("database", V), ("relation_name", V)]);

const SEMANTIC_MODEL: &[(&str, Shape)] = &[
    ("name", V),
    ("defaults", Object(&[("agg_time_dimension", V)])),
    ("description", V),
    ("node_relation", NODE_RELATION),
    ("primary_entity", V),
    ("entities", List(&[("name", V), ("description", V), ("type", V), ("role", V), ("expr", V), ("metadata", METADATA), ("label", V), ("config", CONFIG)])),
    ("measures", List(MEASURE)),
    ("dimensions", List(DIMENSION)),
    ("label", V),
    ("metadata", METADATA),
    ("config", CONFIG),
];
const MEASURE: &[(&str, Shape)] = &[
    ("name", V),
    ("agg", V),
    ("description", V),
    ("create_metric", V),
    ("expr", V),
    ("agg_params", Object(&[("percentile", V), ("use_discrete_percentile", V), ("use_approximate_percentile", V)])),
    ("metadata", METADATA),
    ("non_additive_dimension", Object(&[("name", V), ("window_choice", V), ("window_groupings", V)])),
    ("agg_time_dimension", V),
    ("label", V),
    ("config", CONFIG),
];
const DIMENSION: &[(&str, Shape)] = &[
    ("name", V),
    ("description", V),
    ("type", V),
    ("is_partition", V),
    ("type_params", Object(&[("time_granularity", V), ("validity_params", Object(&[("is_start", V), ("is_end", V)]))])),
    ("expr", V),
    ("metadata", METADATA),
    ("label", V),
    ("config", CONFIG),
];

const INPUT_MEASURE: &[(&str, Shape)] = &[("name", V), ("filter", WHERE), ("alias", V), ("join_to_timespine", V), ("fill_nulls_with", V)];
const INPUT_METRIC: &[(&str, Shape)] = &[("name", V), ("filter", WHERE), ("alias", V), ("offset_window", WINDOW), ("offset_to_grain", V)];
const METRIC: &[(&str, Shape)] = &[
    ("name", V),
    ("description", V),
    ("type", V),
    ("type_params", Object(TYPE_PARAMS)),
    ("filter", WHERE),
    ("metadata", METADATA),
    ("label", V),
    ("config", CONFIG),
    ("time_granularity", V),
];
const TYPE_PARAMS: &[(&str, Shape)] = &[
    ("measure", Object(INPUT_MEASURE)),
    ("numerator", Object(INPUT_METRIC)),
    ("denominator", Object(INPUT_METRIC)),
    ("expr", V),
    ("window", WINDOW),
    ("grain_to_date", V),
    ("metrics", List(INPUT_METRIC)),
    (
        "conversion_type_params",
        Object(&[
            ("base_measure", Object(INPUT_MEASURE)),
            ("conversion_measure", Object(INPUT_MEASURE)),
            ("entity", V),
            ("calculation", V),
            ("window", WINDOW),
            ("constant_properties", List(&[("base_property", V), ("conversion_property", V)])),
        ]),
    ),
    ("cumulative_type_params", Object(&[("window", WINDOW), ("grain_to_date", V), ("period_agg", V)])),
    ("input_measures", List(INPUT_MEASURE)),
];

const SAVED_QUERY: &[(&str, Shape)] = &[
    ("name", V),
    ("query_params", Object(&[("metrics", V), ("group_by", V), ("order_by", V), ("limit", V), ("where", WHERE)])),
    ("description", V),
    ("metadata", METADATA),
    ("label", V),
    ("exports", List(&[("name", V), ("config", Object(&[("export_as", V), ("schema_name", V), ("alias", V)]))])),
    ("tags", V),
];

/// The version of `dbt_semantic_interfaces` that dbt-core 1.10.23 installs and records.
const DSI_VERSION: (&str, &str, &str) = ("0", "9", "0");

/// `value` cut to `shape`: unknown keys dropped, missing ones null, in the shape's order.
fn cut(value: &Json, shape: &Shape) -> Json {
    match (shape, value) {
        (V, v) => v.clone(),
        (Object(fields), Json::Object(o)) => Json::Object(fields.iter().map(|(k, s)| (k.to_string(), cut(o.get(*k).unwrap_or(&Json::Null), s))).collect()),
        (List(fields), Json::Array(items)) => Json::Array(items.iter().map(|i| cut(i, &Object(fields))).collect()),
        (_, other) => other.clone(),
    }
}

/// The node's relation as dsi's `PydanticNodeRelation`.
fn node_relation(m: &Manifest, n: &Node) -> Json {
    let r = &n.relation;
    json!({"alias": r.identifier, "schema_name": r.schema, "database": r.database, "relation_name": m.dialect.render_relation(r)})
}

/// `project_configuration`: the time spines of YAML and, when there are semantic models, the legacy
/// `metricflow_time_spine` model as dbt adds it for backward compatibility.
fn project_configuration(m: &Manifest) -> Json {
    let mut spines = vec![];
    for n in m.project.nodes.values().filter(|n| n.resource == Resource::Model && n.config.enabled()) {
        let Some(spine) = &n.time_spine else { continue };
        let grain = n.columns.iter().find(|c| c.name == spine.standard_granularity_column).and_then(|c| c.granularity.clone());
        let custom: Vec<Json> = spine.custom_granularities.iter().map(|(name, column)| json!({"name": name, "column_name": column})).collect();
        spines.push(json!({
            "node_relation": node_relation(m, n),
            "primary_column": {"name": spine.standard_granularity_column, "time_granularity": grain},
            "custom_granularities": custom,
        }));
    }
    // dbt compares the quoted relation name with the bare model name, so this holds only for a
    // relation rendered unquoted as exactly that name.
    let legacy_configured = spines.iter().any(|s| s["node_relation"]["relation_name"] == time_spine::LEGACY_MODEL);
    let has_semantic_models = m.project.semantic.values().any(|n| n.resource == Resource::SemanticModel);
    let legacy: Vec<Json> = match crate::project::spine_check::legacy_model(&m.project) {
        Some(n) if has_semantic_models && !legacy_configured => {
            vec![json!({"location": m.dialect.render_relation(&n.relation), "column_name": "date_day", "grain": "day"})]
        }
        _ => vec![],
    };
    let (major, minor, patch) = DSI_VERSION;
    json!({
        "time_spine_table_configurations": legacy,
        "metadata": null,
        "dsi_package_version": {"major_version": major, "minor_version": minor, "patch_version": patch},
        "time_spines": spines,
    })
}

fn in_parse_order(m: &Manifest, resource: Resource) -> Vec<&SemanticNode> {
    let mut out: Vec<&SemanticNode> = m.project.semantic.values().filter(|n| n.resource == resource).collect();
    out.sort_by_key(|n| n.seq);
    out
}

/// `"key": [entry, …]`, one entry at a time.
fn write_list<W: Write>(w: &mut W, m: &Manifest, key: &str, resource: Resource, shape: &'static [(&'static str, Shape)]) -> std::io::Result<()> {
    write!(w, "\"{key}\": [")?;
    for (i, n) in in_parse_order(m, resource).into_iter().enumerate() {
        if i > 0 {
            w.write_all(b", ")?;
        }
        w.write_all(pyjson::dumps(&cut(&entry_json(m, n), &Object(shape))).as_bytes())?;
    }
    w.write_all(b"]")
}

/// Writes target/semantic_manifest.json (called wherever manifest.json is written, as in dbt).
pub fn write(m: &Manifest) -> Result<()> {
    let path = m.target_dir().join("semantic_manifest.json");
    let mut w = super::create(&path)?;
    let io = |e: std::io::Error| Error::io(&path, e);
    w.write_all(b"{").map_err(io)?;
    write_list(&mut w, m, "semantic_models", Resource::SemanticModel, SEMANTIC_MODEL).map_err(io)?;
    w.write_all(b", ").map_err(io)?;
    write_list(&mut w, m, "metrics", Resource::Metric, METRIC).map_err(io)?;
    write!(w, ", \"project_configuration\": {}, ", pyjson::dumps(&project_configuration(m))).map_err(io)?;
    write_list(&mut w, m, "saved_queries", Resource::SavedQuery, SAVED_QUERY).map_err(io)?;
    w.write_all(b"}").and_then(|_| w.flush()).map_err(io)?;
    crate::output::printer().emit(crate::events::artifact_written("SemanticManifest", &path.display().to_string()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_the_shape_order_drops_extra_keys_and_fills_nulls() {
        let entry = json!({"type": "simple", "name": "x", "resource_type": "metric", "filter": null,
                           "type_params": {"metrics": [{"name": "a", "extra": 1}], "metric_aggregation_params": null},
                           "config": {"enabled": true, "group": null, "meta": {"k": 1}}});
        let out = cut(&entry, &Object(METRIC));
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "description", "type", "type_params", "filter", "metadata", "label", "config", "time_granularity"]);
        assert_eq!(out["config"], json!({"meta": {"k": 1}}));
        assert_eq!(out["type_params"]["metrics"], json!([{"name": "a", "filter": null, "alias": null, "offset_window": null, "offset_to_grain": null}]));
        assert!(out["type_params"].get("metric_aggregation_params").is_none());
        assert_eq!(out["description"], Json::Null);
    }
}
