//! What dbt tools read from `transform`, checked against dbt-core 1.10: generic test names and unique_ids,
//! `ls --output json` keys, artifacts (schema versions, sha256 checksums, adapter_response without nulls),
//! structured JSON log lines (dbt's event shapes, tests/fixtures/dbt_log_events.schema.json), and the
//! dbt flags Cosmos and CI pass (`--profile`, `--target-path`, `--log-path`, `-q`, `--no-write-json`,
//! `--selector`, `--indirect-selection`, `--empty`, `run-operation`, env equivalents).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use common::Fixture;
use serde_json::Value as Json;

/// dbt-core 1.10.23's unique_ids of the fixture's tests (from its manifest.json for the same project).
const DBT_TEST_IDS: &[&str] = &[
    "test.jaffle.accepted_values_stg_orders_status__placed__shipped__completed__returned.7511f2d274",
    "test.jaffle.assert_payments_match_orders",
    "test.jaffle.not_null_orders_order_id.cf6c17daed",
    "test.jaffle.not_null_stg_customers_customer_id.e2cfb1f9aa",
    "test.jaffle.not_null_stg_orders_order_id.81cfe2fe64",
    "test.jaffle.not_null_stg_payments_amount.4739fb3aea",
    "test.jaffle.positive_orders_amount.82707cf259",
    "test.jaffle.positive_stg_payments_amount.a7ccfd6f9b",
    "test.jaffle.relationships_stg_orders_customer_id__customer_id__ref_stg_customers_.430bf21500",
    "test.jaffle.unique_customers_customer_id.c5af1ff4b1",
    "test.jaffle.unique_orders_order_id.fed79b3a6e",
    "test.jaffle.unique_stg_customers_customer_id.c7614daada",
    "test.jaffle.unique_stg_orders_order_id.e3b841c71a",
];

fn json_lines(text: &str) -> Vec<Json> {
    text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn ls_json(f: &Fixture, extra: &[&str]) -> Vec<Json> {
    let mut args = vec!["ls", "--output", "json"];
    args.extend_from_slice(extra);
    json_lines(&f.expect(&args, 0).stdout)
}

#[test]
fn generic_test_ids_and_aliases_are_dbt_s() {
    let f = Fixture::new();
    let ids: BTreeSet<String> = ls_json(&f, &["--resource-type", "test"]).iter().map(|l| l["unique_id"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(ids, DBT_TEST_IDS.iter().map(|s| s.to_string()).collect());
    let long = ls_json(&f, &["-s", "accepted_values_stg_orders_status__placed__shipped__completed__returned"]);
    assert_eq!(long.len(), 1, "selecting a test by dbt's name selects it");
    assert_eq!(long[0]["alias"], "accepted_values_stg_orders_7c9e0be389dac14a09b2140966f0792f");
}

#[test]
fn ls_json_has_dbt_s_keys_and_config_defaults_and_output_keys_filters() {
    let f = Fixture::new();
    let lines = ls_json(&f, &["-s", "orders"]);
    let orders = lines.iter().find(|l| l["unique_id"] == "model.jaffle.orders").expect("orders");
    let keys: Vec<&str> = orders.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["name", "resource_type", "package_name", "original_file_path", "unique_id", "alias", "config", "tags", "depends_on"]);
    assert_eq!(orders["config"]["on_configuration_change"], "apply");
    assert_eq!(orders["config"]["materialized"], "incremental");
    assert_eq!(orders["config"]["docs"], serde_json::json!({"show": true, "node_color": null}));
    assert!(orders["depends_on"]["macros"].is_array());
    // Cosmos's LoadMode.DBT_LS command line.
    let cosmos = ls_json(&f, &["--output-keys", "name", "unique_id", "resource_type", "depends_on", "original_file_path", "tags", "config", "freshness", "fqn", "--profile", "jaffle", "--target", "dev"]);
    let src = cosmos.iter().find(|l| l["resource_type"] == "source").expect("a source");
    assert!(src["freshness"].is_object() && src.get("alias").is_none() && src["fqn"].is_array(), "{src}");
}

#[test]
fn artifacts_have_dbt_s_schema_versions_checksums_and_no_null_adapter_response() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    let manifest: Json = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest");
    assert_eq!(manifest["metadata"]["dbt_schema_version"], "https://schemas.getdbt.com/dbt/manifest/v12.json");
    let stg = &manifest["nodes"]["model.jaffle.stg_orders"];
    // dbt hashes the file's contents stripped of leading and trailing whitespace (`load_file_contents(strip=True)`).
    let text = std::fs::read_to_string(f.path("models/staging/stg_orders.sql")).expect("read model");
    assert!(text.ends_with('\n') && !text.trim().is_empty(), "the fixture should end with a newline, so stripping matters");
    let mut sha = Command::new("sha256sum").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().expect("sha256sum");
    std::io::Write::write_all(&mut sha.stdin.take().expect("stdin"), text.trim().as_bytes()).expect("write");
    let out = sha.wait_with_output().expect("sha256sum");
    let want = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string();
    assert_eq!(stg["checksum"], serde_json::json!({"name": "sha256", "checksum": want}));
    let rr = f.run_results();
    assert_eq!(rr["metadata"]["dbt_schema_version"], "https://schemas.getdbt.com/dbt/run-results/v6.json");
    for r in rr["results"].as_array().expect("results") {
        for (k, v) in r["adapter_response"].as_object().expect("adapter_response object") {
            assert!(!v.is_null(), "{}: adapter_response.{k} is null", r["unique_id"]);
        }
    }
    assert_eq!(rr["args"]["which"], "build");
}

fn schema() -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dbt_log_events.schema.json");
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("valid schema")
}

#[test]
fn json_log_lines_are_dbt_events() {
    let f = Fixture::new();
    f.replace("models/staging/stg_orders.sql", "select", "select no_such_column, ");
    let out = f.run(&["build", "--log-format", "json", "--log-level", "debug"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), out.stdout.lines().count(), "every stdout line is JSON:\n{}", out.stdout);
    let v = schema();
    for l in &lines {
        let errors: Vec<String> = v.iter_errors(l).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{l}\n{errors:?}");
    }
    let names: BTreeSet<&str> = lines.iter().filter_map(|l| l["info"]["name"].as_str()).collect();
    for want in ["MainReportVersion", "NodeStart", "NodeFinished", "LogModelResult", "LogTestResult", "LogSeedResult", "RunResultError", "SkippingDetails", "StatsLine"] {
        assert!(names.contains(want), "no {want} event in {names:?}");
    }
    let failed = lines.iter().find(|l| l["info"]["name"] == "LogModelResult" && l["data"]["node_info"]["unique_id"] == "model.jaffle.stg_orders").expect("stg_orders result");
    assert_eq!(failed["data"]["node_info"]["node_status"], "error");
    assert_eq!(failed["info"]["level"], "error");
    let ids: BTreeSet<&str> = lines.iter().filter_map(|l| l["info"]["invocation_id"].as_str()).collect();
    assert_eq!(ids.len(), 1, "one invocation id");
    assert_eq!(f.run_results()["metadata"]["invocation_id"].as_str(), ids.iter().next().copied());
}

#[test]
fn text_logs_keep_their_lines_and_dbt_log_is_written_to_the_log_path() {
    let f = Fixture::new();
    let logs = f.path("elsewhere/logs");
    let out = f.expect(&["seed", "--log-path", logs.to_str().expect("utf-8")], 0);
    assert!(out.stdout.contains("OK created seed file") || out.stdout.contains(" OK "), "{}", out.stdout);
    assert!(!out.stdout.contains("\"info\""), "text mode prints no JSON");
    let log = std::fs::read_to_string(logs.join("dbt.log")).expect("dbt.log in --log-path");
    assert!(log.contains("[info ] [MainThread]: Running with dbt="), "{log}");
    assert!(log.contains("Began running node seed.jaffle.raw_orders"), "debug events go to the file: {log}");
    let env_logs = f.path("env-logs");
    f.run_env(&["parse"], &[("DBT_LOG_PATH", env_logs.to_str().expect("utf-8"))]);
    assert!(env_logs.join("dbt.log").is_file(), "DBT_LOG_PATH is honoured");
}

#[test]
fn target_path_profile_quiet_and_no_write_json_are_honoured_before_or_after_the_command() {
    let f = Fixture::new();
    f.expect(&["--target-path", "custom-target", "parse"], 0);
    assert!(f.path("custom-target/manifest.json").is_file() && !f.path("target/manifest.json").exists());
    f.run_env(&["parse"], &[("DBT_TARGET_PATH", "env-target")]);
    assert!(f.path("env-target/manifest.json").is_file(), "DBT_TARGET_PATH");
    f.expect(&["parse", "--no-write-json"], 0);
    assert!(!f.path("target/manifest.json").exists(), "--no-write-json writes no artifact");
    let quiet = f.expect(&["seed", "-q", "--no-partial-parse", "--no-version-check", "--no-send-anonymous-usage-stats"], 0);
    assert_eq!(quiet.stdout.trim(), "", "--quiet prints only errors: {}", quiet.stdout);
    let wrong = f.run(&["parse", "--profile", "no_such_profile"]);
    assert_eq!(wrong.code, 2);
    assert!(wrong.all().contains("no_such_profile"), "--profile is used: {}", wrong.all());
    f.expect(&["parse", "--profile", "jaffle"], 0);
}

#[test]
fn selectors_yml_and_indirect_selection() {
    let f = Fixture::new();
    f.write("selectors.yml", "selectors:
  - name: staging_models
    definition:
      union:
        - method: path
          value: models/staging
        - exclude:
            - method: fqn
              value: stg_payments
  - name: orders_up
    definition: {method: fqn, value: orders, parents: true, indirect_selection: empty}
");
    let names = |args: &[&str]| -> BTreeSet<String> {
        let mut a = vec!["ls", "--output", "name"];
        a.extend_from_slice(args);
        f.expect(&a, 0).stdout.lines().map(String::from).collect()
    };
    let staging = names(&["--selector", "staging_models", "--resource-type", "model"]);
    assert_eq!(staging, BTreeSet::from(["stg_customers".to_string(), "stg_orders".to_string()]));
    let up = names(&["--selector", "orders_up"]);
    assert!(up.contains("stg_orders") && up.contains("raw_orders") && !up.iter().any(|n| n.starts_with("unique_")), "{up:?}");
    let manifest: Json = {
        f.expect(&["parse"], 0);
        serde_json::from_str(&f.read("target/manifest.json")).expect("manifest")
    };
    assert_eq!(manifest["selectors"]["orders_up"]["definition"]["method"], "fqn");
    let cautious = names(&["-s", "stg_orders", "--indirect-selection", "cautious"]);
    assert!(!cautious.iter().any(|n| n.starts_with("relationships_")), "relationships has an unselected parent: {cautious:?}");
    let eager = names(&["-s", "stg_orders"]);
    assert!(eager.iter().any(|n| n.starts_with("relationships_")), "{eager:?}");
    let bad = f.run(&["ls", "--selector", "orderz_up"]);
    assert!(bad.code == 2 && bad.all().contains("orders_up"), "{}", bad.all());
}

#[test]
fn empty_builds_relations_with_no_rows() {
    let f = Fixture::new();
    f.expect(&["seed"], 0);
    f.expect(&["run", "--empty", "-s", "stg_orders"], 0);
    assert_eq!(f.count("select count(*) from main.stg_orders"), 0);
    f.expect(&["run", "-s", "stg_orders"], 0);
    assert!(f.count("select count(*) from main.stg_orders") > 0);
}

#[test]
fn run_operation_calls_a_macro_with_args() {
    let f = Fixture::new();
    f.write("macros/make_table.sql", "{% macro make_table(name, n=1) %}
  {% do run_query('create table main.' ~ name ~ ' as select ' ~ n ~ ' as x') %}
{% endmacro %}
");
    f.expect(&["run-operation", "make_table", "--args", "{name: from_op, n: 7}"], 0);
    assert_eq!(f.count("select x from main.from_op"), 7);
    let bad = f.run(&["run-operation", "make_tabel"]);
    assert_eq!(bad.code, 2);
    assert!(bad.all().contains("make_table"), "did-you-mean: {}", bad.all());
}

#[test]
fn deps_succeeds_without_packages() {
    let f = Fixture::new();
    f.expect(&["deps"], 0);
}
