//! Groups, access, semantic models, metrics, saved queries and exposures (`fixtures/semantic`):
//! parsed into manifest.json as dbt writes them, written to semantic_manifest.json for MetricFlow,
//! selectable (`exposure:`, `metric:`, `group:`, `access:`, graph operators through them) and listed
//! by `ls`; what dbt rejects is an error naming the file. Where a reference dbt is installed, the
//! manifest entries, semantic_manifest.json and `ls` answers are compared with dbt-core's on the
//! same project, and `dbt_semantic_interfaces`' validator (in dbt's venv) reads our file.

mod common;

use std::process::Command;

use common::{dbt, run_dbt, Fixture};
use serde_json::Value as Json;

fn fixture() -> Fixture {
    Fixture::copy("semantic", "")
}

fn manifest(f: &Fixture) -> Json {
    serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json")
}

fn ls(f: &Fixture, select: &str) -> Vec<String> {
    let o = f.expect(&["ls", "-q", "--select", select], 0);
    o.stdout.lines().map(String::from).collect()
}

#[test]
fn manifest_has_the_semantic_layer_with_dependencies() {
    let f = fixture();
    f.expect(&["parse"], 0);
    let m = manifest(&f);
    let metric = &m["metrics"]["metric.shop.average_order"];
    assert_eq!(metric["type"], "ratio");
    assert_eq!(metric["depends_on"]["nodes"], serde_json::json!(["metric.shop.revenue", "metric.shop.order_count"]));
    let inputs: Vec<&str> = metric["type_params"]["input_measures"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["order_total", "order_count"]);
    assert_eq!(m["metrics"]["metric.shop.order_count"]["description"], "Metric created from measure order_count");
    assert_eq!(m["metrics"]["metric.shop.revenue"]["config"]["meta"]["owner"], "analytics", "dbt_project.yml's +meta");
    let sm = &m["semantic_models"]["semantic_model.shop.orders"];
    assert_eq!(sm["depends_on"]["nodes"], serde_json::json!(["model.shop.orders"]));
    assert_eq!(sm["node_relation"]["alias"], "orders");
    assert_eq!(sm["measures"][1]["expr"], "1");
    assert_eq!(m["saved_queries"]["saved_query.shop.daily_revenue"]["exports"][0]["config"]["export_as"], "table");
    assert_eq!(m["exposures"]["exposure.shop.revenue_dashboard"]["depends_on"]["nodes"], serde_json::json!(["model.shop.orders", "metric.shop.revenue"]));
    assert_eq!(m["groups"]["group.shop.finance"]["owner"]["email"], "finance@example.com");
    assert_eq!(m["group_map"]["finance"].as_array().unwrap().len(), 4, "two models and the two tests on orders");
    assert_eq!(m["nodes"]["model.shop.finance_fees"]["access"], "private");
    assert_eq!(m["nodes"]["model.shop.orders"]["group"], "finance");
    assert_eq!(m["child_map"]["model.shop.orders"].as_array().unwrap().iter().filter(|c| c.as_str().unwrap().starts_with("exposure.")).count(), 1);
}

#[test]
fn selection_goes_through_metrics_and_exposures() {
    let f = fixture();
    assert_eq!(ls(&f, "+exposure:revenue_dashboard"), [
        "exposure:shop.revenue_dashboard", "metric:shop.revenue", "shop.marts.orders", "shop.raw_orders", "semantic_model:shop.orders",
        // the tests of selected models join (eager indirect selection), as in dbt
        "shop.marts.not_null_orders_order_id", "shop.marts.unique_orders_order_id",
    ]);
    assert_eq!(ls(&f, "group:finance"), [
        "shop.marts.finance_fees", "shop.marts.orders", "shop.marts.not_null_orders_order_id", "shop.marts.unique_orders_order_id",
    ]);
    assert_eq!(ls(&f, "access:private"), ["shop.marts.finance_fees"]);
    assert_eq!(ls(&f, "metric:revenue+"), [
        "exposure:shop.revenue_dashboard", "metric:shop.average_order", "metric:shop.revenue", "metric:shop.revenue_doubled",
        "saved_query:shop.daily_revenue",
    ]);
    let o = f.expect(&["ls", "-q", "--resource-type", "saved_query", "--output", "json"], 0);
    let ids: Vec<Json> = o.stdout.lines().map(|l| serde_json::from_str::<Json>(l).expect("a JSON line")["unique_id"].clone()).collect();
    assert_eq!(ids, ["saved_query.shop.daily_revenue", "saved_query.shop.weekly_visits"]);
    // build runs the models and tests; exposures and saved queries are NO-OP nodes, as in dbt-core.
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("Finished running 1 exposure, 2 saved queries, 1 seed, 2 data tests, 4 view models in 0 hours 0 minutes and "), "{}", o.stdout);
    assert!(o.stdout.contains("Done. PASS=7 WARN=0 ERROR=0 SKIP=0 NO-OP=3 TOTAL=10"), "{}", o.stdout);
    assert!(o.stdout.contains(" NO-OP exposure revenue_dashboard ") && o.stdout.contains(" NO-OP saved query daily_revenue "), "{}", o.stdout);
    let statuses = f.statuses();
    assert_eq!(statuses.get("exposure.shop.revenue_dashboard").map(String::as_str), Some("no-op"), "{statuses:?}");
}

#[test]
fn what_dbt_rejects_is_an_error_naming_the_file() {
    let cases = [
        ("measure: order_total}", "measure: no_such_measure}", "no_such_measure"),
        ("type: ratio", "type: fraction", "must be one of simple, ratio"),
        ("type: dashboard", "type: billboard", "must be one of dashboard"),
        ("metrics: [revenue, order_count]", "metrics: [revenue, nope]", "nope"),
        ("agg: sum_boolean", "agg: mode", "`agg` must be one of"),
        ("    label: Revenue x2\n", "    labels: Revenue x2\n", "labels"),
    ];
    for (from, to, expected) in cases {
        let f = fixture();
        f.replace("models/marts/orders.yml", from, to);
        let o = f.run(&["parse"]);
        assert_ne!(o.code, 0, "{to}: {}", o.all());
        assert!(o.all().contains("models/marts/orders.yml") && o.all().contains(expected), "{to}: {}", o.all());
    }
    let f = fixture();
    f.replace("models/marts/orders.yml", "config: {group: finance}", "config: {group: treasury}");
    let o = f.run(&["parse"]);
    assert!(o.code != 0 && o.all().contains("finance_fees") && o.all().contains("group `treasury` is not defined"), "{}", o.all());
    let f = fixture();
    f.write("models/other.sql", "select * from {{ ref('finance_fees') }}");
    let o = f.run(&["parse"]);
    assert!(
        o.all().contains("Node model.shop.other attempted to reference node model.shop.finance_fees, which is not allowed because the referenced node is private to the 'finance' group."),
        "{}",
        o.all()
    );
}

fn semantic_manifest(f: &Fixture) -> Json {
    serde_json::from_str(&f.read("target/semantic_manifest.json")).expect("semantic_manifest.json")
}

#[test]
fn semantic_manifest_is_what_metricflow_reads() {
    let f = fixture();
    f.expect(&["parse"], 0);
    let sm = semantic_manifest(&f);
    let keys: Vec<&String> = sm.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["semantic_models", "metrics", "project_configuration", "saved_queries"]);
    let orders = &sm["semantic_models"][0];
    assert_eq!(orders["node_relation"]["alias"], "orders");
    assert!(orders.get("resource_type").is_none() && orders.get("depends_on").is_none(), "only dsi's fields: {orders}");
    assert_eq!(sm["semantic_models"][1]["entities"][0]["config"]["meta"]["team"], "growth", "the model's meta reaches its elements");
    // dbt's order: a file's metrics, then the metrics its semantic models create.
    let names: Vec<&str> = sm["metrics"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..5], ["revenue", "food_revenue", "average_order", "revenue_doubled", "order_count"]);
    let conversion = sm["metrics"].as_array().unwrap().iter().find(|m| m["name"] == "visit_to_conversion").unwrap();
    let inputs: Vec<&str> = conversion["type_params"]["input_measures"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["visit_count", "conversions"]);
    assert_eq!(conversion["type_params"]["conversion_type_params"]["window"], serde_json::json!({"count": 7, "granularity": "day"}));
    let pc = &sm["project_configuration"];
    assert_eq!(pc["time_spines"][0]["primary_column"], serde_json::json!({"name": "date_day", "time_granularity": "day"}));
    assert_eq!(pc["time_spines"][0]["custom_granularities"], serde_json::json!([{"name": "fiscal_month", "column_name": null}]));
    assert_eq!(pc["time_spine_table_configurations"][0]["column_name"], "date_day", "the legacy spine, as dbt keeps it");
    assert_eq!(pc["dsi_package_version"], serde_json::json!({"major_version": "0", "minor_version": "9", "patch_version": "0"}));
    assert!(f.read("target/semantic_manifest.json").starts_with("{\"semantic_models\": [{\"name\": \"orders\", "), "Python's separators");
    let m = manifest(&f);
    assert_eq!(m["nodes"]["model.shop.metricflow_time_spine"]["time_spine"]["standard_granularity_column"], "date_day");
    assert_eq!(m["nodes"]["model.shop.metricflow_time_spine"]["columns"]["date_day"]["granularity"], "day");
    // Written with every manifest.json (here by build), never with --no-write-json.
    std::fs::remove_file(f.path("target/semantic_manifest.json")).unwrap();
    f.expect(&["build", "--no-write-json", "-s", "metricflow_time_spine"], 0);
    assert!(!f.path("target/semantic_manifest.json").exists());
    f.expect(&["build", "-s", "metricflow_time_spine"], 0);
    assert_eq!(semantic_manifest(&f), sm);
}

#[test]
fn time_spines_are_checked_as_dbt_checks_them() {
    let cases = [
        ("granularity: day", "granularity: fortnight", "Invalid enum value: `fortnight` in enum TimeGranularity"),
        ("standard_granularity_column: date_day", "standard_granularity_column: dd", "Got invalid column name 'dd' for model 'metricflow_time_spine'. Valid names: ['date_day', 'fiscal_month']."),
        ("        granularity: day\n", "", "must have a granularity defined. Please add one for column 'date_day' in model 'metricflow_time_spine'."),
        ("{name: fiscal_month}", "{name: fiscal_week}", "Columns not found: ['fiscal_week']; Available columns: ['date_day', 'fiscal_month']"),
    ];
    for (from, to, expected) in cases {
        let f = fixture();
        f.replace("models/schema.yml", from, to);
        let o = f.run(&["parse"]);
        assert!(o.code == 2 && o.all().contains("models/schema.yml") && o.all().contains(expected), "{to}: {}", o.all());
    }
    // Without any time spine of day grain or finer, a project with semantic models does not parse.
    let f = fixture();
    std::fs::remove_file(f.path("models/schema.yml")).unwrap();
    std::fs::rename(f.path("models/metricflow_time_spine.sql"), f.path("models/spine.sql")).unwrap();
    let o = f.run(&["parse"]);
    assert!(o.code == 2 && o.all().contains("The semantic layer requires a time spine model with granularity DAY or smaller"), "{}", o.all());
    // A week-grain spine alone is not enough; with the legacy model beside it, it is.
    f.write("models/schema.yml", "models:\n  - name: spine\n    time_spine: {standard_granularity_column: date_day}\n    columns: [{name: date_day, granularity: week}]\n");
    assert_eq!(f.run(&["parse"]).code, 2);
    f.write("models/metricflow_time_spine.sql", "select 1 as date_day");
    f.expect(&["parse"], 0);
}

/// An entry without what differs by nature between two parses (timestamps, the database file name).
fn comparable(mut v: Json) -> Json {
    if let Some(o) = v.as_object_mut() {
        o.remove("created_at");
        if let Some(rel) = o.get_mut("node_relation").and_then(Json::as_object_mut) {
            rel.remove("database");
            rel.remove("relation_name");
        }
        if let Some(exports) = o.get_mut("exports").and_then(Json::as_array_mut) {
            for e in exports {
                if let Some(c) = e.get_mut("config").and_then(Json::as_object_mut) {
                    c.remove("database");
                }
            }
        }
    }
    v
}

#[test]
fn entries_and_selection_equal_dbts() {
    let Some(dbt) = dbt() else { return };
    let (theirs, ours) = (fixture(), fixture());
    run_dbt(&dbt, &theirs, &["parse"]);
    ours.expect(&["parse"], 0);
    let (a, b) = (manifest(&theirs), manifest(&ours));
    for key in ["exposures", "metrics", "semantic_models", "saved_queries", "groups"] {
        let (x, y) = (a[key].as_object().unwrap(), b[key].as_object().unwrap());
        let sorted = |m: &serde_json::Map<String, Json>| m.keys().cloned().collect::<std::collections::BTreeSet<_>>();
        assert_eq!(sorted(x), sorted(y), "{key}: the entries differ");
        for (id, entry) in x {
            assert_eq!(comparable(entry.clone()), comparable(y[id].clone()), "{id} differs from dbt's");
        }
    }
    let members = |m: &Json| {
        let mut v: Vec<String> = m["group_map"]["finance"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(members(&a), members(&b), "group_map");
    for id in ["model.shop.orders", "exposure.shop.revenue_dashboard", "metric.shop.average_order"] {
        let sorted = |m: &Json, which: &str| {
            let mut v: Vec<String> = m[which][id].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&a, "parent_map"), sorted(&b, "parent_map"), "parent_map of {id}");
        assert_eq!(sorted(&a, "child_map"), sorted(&b, "child_map"), "child_map of {id}");
    }
    for select in ["orders+", "+exposure:*", "metric:*", "saved_query:daily_revenue+", "group:finance", "access:protected"] {
        let theirs_ls: Vec<String> = run_dbt(&dbt, &theirs, &["ls", "--select", select]).lines().map(String::from).collect();
        assert_eq!(theirs_ls, ls(&ours, select), "ls --select {select}");
    }
}

/// dbt's semantic_manifest.json and ours on the same project are the same text, and
/// `dbt_semantic_interfaces` parses ours back to the same JSON and validates it without errors.
#[test]
fn semantic_manifest_equals_dbts_and_validates() {
    let Some(dbt) = dbt() else { return };
    let (theirs, ours) = (fixture(), fixture());
    run_dbt(&dbt, &theirs, &["parse"]);
    ours.expect(&["parse"], 0);
    assert_eq!(ours.read("target/semantic_manifest.json"), theirs.read("target/semantic_manifest.json"));
    let python = dbt.with_file_name("python");
    let check = r#"
import sys
from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
from dbt_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
text = open(sys.argv[1]).read()
manifest = PydanticSemanticManifest.parse_raw(text)
assert manifest.json() == text, "dsi does not write our file back unchanged"
results = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(manifest)
for issue in results.all_issues:
    print(issue.as_readable_str())
sys.exit(1 if results.has_blocking_issues else 0)
"#;
    let out = Command::new(python).args(["-c", check]).arg(ours.path("target/semantic_manifest.json")).output().expect("run dbt's python");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
