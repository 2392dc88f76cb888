//! on-run-start / on-run-end hooks and `grants` on a real DuckDB: the hooks run around the nodes of
//! run/build/seed/test with dbt's context (`results`, `schemas`, `database_schemas`), are
//! `operation.<project>.<project>-on-run-start-<i>` results and manifest nodes, and a failing one is an
//! error (exit 1);
//! grants merge as dbt merges them and DuckDB warns once that it applies none, as dbt-duckdb does.

mod common;

use common::Fixture;

fn with_hooks(start: &[&str], end: &[&str]) -> Fixture {
    let f = Fixture::new();
    let list = |l: &[&str]| l.iter().map(|s| format!("  - \"{}\"\n", s.replace('"', "\\\""))).collect::<String>();
    let text = f.read("dbt_project.yml");
    f.write("dbt_project.yml", &format!("{text}\non-run-start:\n{}on-run-end:\n{}", list(start), list(end)));
    f
}

#[test]
fn hooks_run_around_the_nodes_with_dbts_context() {
    let f = with_hooks(
        &["create table if not exists hook_log (msg varchar)", "insert into hook_log values ('start {{ target.name }}')"],
        &["insert into hook_log values ('end {{ results | length }} {{ schemas | join(\",\") }} {{ database_schemas | length }}')"],
    );
    f.expect(&["seed"], 0);
    let out = f.expect(&["run", "-s", "stg_customers", "stg_orders"], 0);
    assert!(out.stdout.contains("1 of 2 OK hook: jaffle.on-run-start.0"), "{}", out.stdout);
    assert!(out.stdout.contains("1 of 1 OK hook: jaffle.on-run-end.0"), "{}", out.stdout);
    // The seed command's hooks saw its one seed in main_raw; run's its two views in main.
    let rows: Vec<String> = f.query("select msg from hook_log").into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(rows, ["Text(\"start dev\")", "Text(\"end 3 main_raw 1\")", "Text(\"start dev\")", "Text(\"end 2 main 1\")"]);
    let rr = f.run_results();
    let ids: Vec<&str> = rr["results"].as_array().expect("results").iter().filter_map(|r| r["unique_id"].as_str()).collect();
    assert_eq!(ids.first(), Some(&"operation.jaffle.jaffle-on-run-start-0"));
    assert_eq!(ids.last(), Some(&"operation.jaffle.jaffle-on-run-end-0"));
    assert_eq!(rr["results"][0]["message"], "jaffle.on-run-start.0 passed");
    f.expect(&["test", "-s", "stg_customers"], 0);
    assert_eq!(f.count("select count(*) from hook_log where msg like 'end%'"), 3);
}

/// As in dbt, every hook is an `operation` node of manifest.json (written by parse and by run alike),
/// and counts in the closing `PASS=`/`TOTAL=` of a run.
#[test]
fn hooks_are_operation_nodes_of_the_manifest_and_count_in_the_summary() {
    let f = with_hooks(&["select 1", "select 2"], &["select 3"]);
    f.expect(&["parse"], 0);
    let m: serde_json::Value = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json");
    let hook = &m["nodes"]["operation.jaffle.jaffle-on-run-start-1"];
    assert_eq!(hook["resource_type"], "operation");
    assert_eq!((&hook["index"], &hook["raw_code"], &hook["tags"]), (&serde_json::json!(1), &serde_json::json!("select 2"), &serde_json::json!(["on-run-start"])));
    assert_eq!((&hook["path"], &hook["original_file_path"]), (&serde_json::json!("hooks/jaffle-on-run-start-1.sql"), &serde_json::json!("./dbt_project.yml")));
    assert_eq!(hook["fqn"], serde_json::json!(["jaffle", "hooks", "jaffle-on-run-start-1"]));
    assert_eq!(hook["checksum"]["checksum"].as_str().map(str::len), Some(64));
    assert!(hook["config"].get("access").is_none() && hook["config"]["materialized"].is_string(), "{hook}");
    assert_eq!(m["nodes"]["operation.jaffle.jaffle-on-run-end-0"]["tags"], serde_json::json!(["on-run-end"]));
    assert_eq!(m["parent_map"]["operation.jaffle.jaffle-on-run-end-0"], serde_json::json!([]));
    f.expect(&["seed"], 0);
    let out = f.expect(&["run", "-s", "stg_customers"], 0);
    assert!(out.stdout.contains("Done. PASS=4 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=4"), "{}", out.stdout);
    let m: serde_json::Value = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json");
    assert_eq!(m["nodes"]["operation.jaffle.jaffle-on-run-end-0"]["raw_code"], "select 3");
    // dbt's run renumbers the hooks it ran: 1-based among the hooks of their type.
    assert_eq!(m["nodes"]["operation.jaffle.jaffle-on-run-start-1"]["index"], 2);
}

#[test]
fn a_failing_hook_is_an_error_and_the_run_goes_on() {
    let f = with_hooks(&["select * from no_such_table"], &[]);
    f.run(&["seed"]);
    let out = f.expect(&["run", "-s", "stg_customers"], 1);
    assert!(out.all().contains("ERROR hook: jaffle.on-run-start.0"), "{}", out.all());
    assert!(out.all().contains("Failure in operation jaffle-on-run-start-0 (./dbt_project.yml)"), "{}", out.all());
    assert!(out.all().contains("jaffle.on-run-start.0 failed, error:"), "{}", out.all());
    let st = f.statuses();
    assert_eq!(st["operation.jaffle.jaffle-on-run-start-0"], "error");
    assert_eq!(st["model.jaffle.stg_customers"], "success");
}

#[test]
fn grants_merge_and_duckdb_warns_once() {
    let f = Fixture::new();
    let text = f.read("dbt_project.yml");
    f.write("dbt_project.yml", &text.replacen("models:\n  jaffle:\n", "models:\n  jaffle:\n    +grants:\n      select: ['alice']\n", 1));
    f.write("models/marts/granted.sql", "{{ config(materialized='table', grants={'+select': ['bob'], 'insert': 'carol'}) }}\nselect 1 as id\n");
    let out = f.expect(&["build"], 0);
    assert_eq!(out.stdout.matches("DuckDB adapter: Grants for relations are not supported by DuckDB").count(), 1, "{}", out.stdout);
    let m: serde_json::Value = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest");
    assert_eq!(m["nodes"]["model.jaffle.granted"]["config"]["grants"], serde_json::json!({"select": ["alice", "bob"], "insert": ["carol"]}));
    assert_eq!(m["nodes"]["model.jaffle.stg_orders"]["config"]["grants"], serde_json::json!({"select": ["alice"]}));
    f.write("models/marts/granted.sql", "{{ config(grants={'select': 7}) }}\nselect 1 as id\n");
    let out = f.expect(&["run", "-s", "granted"], 1);
    assert!(out.all().contains("config `grants` of granted: grantees must be strings") || out.all().contains("each privilege takes"), "{}", out.all());
}

#[test]
fn on_run_end_schemas_leave_out_failed_nodes() {
    let f = with_hooks(&["create table if not exists hook_log (msg varchar)"], &["insert into hook_log values ('{{ schemas | sort | join(\",\") }}')"]);
    f.write("models/broken.sql", "{{ config(schema='elsewhere') }}\nselect * from nowhere\n");
    f.write("models/fine.sql", "{{ config(schema='other') }}\nselect 1 as id\n");
    f.expect(&["run", "-s", "broken", "fine"], 1);
    assert_eq!(f.query("select msg from hook_log"), vec![vec!["Text(\"main_other\")".to_string()]]);
}
