//! Slim CI on the jaffle fixture, as dbt's docs run it: build "prod", keep its artifacts, change one model,
//! then `build -s state:modified+ --defer --state <prod artifacts> --target ci` builds exactly that model and
//! its descendants into the CI schema and reads the unchanged parents from prod's relations. The selected set
//! is compared with dbt-core's on the same change (the reference dbt venv of scripts/airflow-venv.sh).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Fixture;

const PROFILES: &str = "jaffle:
  target: prod
  outputs:
    prod: {type: duckdb, path: target/dev.duckdb, schema: main, threads: 2}
    ci: {type: duckdb, path: target/dev.duckdb, schema: ci, threads: 2}
";

/// What dbt selects for this change (dbt-core 1.10.23 `ls -s state:modified+`, kept for machines without
/// the reference venv; the venv, when present, recomputes it below).
const DBT_SELECTED: &[&str] = &[
    "assert_payments_match_orders", "customers", "int_order_payments", "not_null_orders_order_id",
    "not_null_stg_payments_amount", "orders", "positive_orders_amount", "positive_stg_payments_amount",
    "stg_payments", "unique_customers_customer_id", "unique_orders_order_id",
];

fn prod_fixture() -> (Fixture, PathBuf) {
    let f = Fixture::new();
    f.write("profiles.yml", PROFILES);
    f.expect(&["build"], 0);
    let state = f.path("prod-artifacts");
    std::fs::create_dir_all(&state).expect("mkdir state");
    for a in ["manifest.json", "run_results.json"] {
        std::fs::copy(f.path("target").join(a), state.join(a)).expect("save artifact");
    }
    f.replace(CHANGE.0, CHANGE.1, CHANGE.2);
    (f, state)
}

fn names(stdout: &str) -> BTreeSet<String> {
    stdout.lines().map(str::trim).filter(|l| !l.is_empty() && !l.contains(' ')).map(String::from).collect()
}

const CHANGE: (&str, &str, &str) = ("models/staging/stg_payments.sql", "select", "select -- a comment changes the body\n");

/// The reference dbt of scripts/airflow-venv.sh, when installed.
fn reference_dbt() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/airflow-venv.sh");
    let out = Command::new("bash").arg(script).arg("dbt").output().ok()?;
    let dbt = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/dbt");
    dbt.is_file().then_some(dbt)
}

/// dbt's own slim CI selection for the same change: dbt builds prod and keeps its artifacts, then lists
/// `state:modified+` against them (dbt compares with the state it wrote).
fn dbt_selection() -> Option<BTreeSet<String>> {
    let Some(dbt) = reference_dbt() else {
        eprintln!("reference dbt not installed (scripts/airflow-venv.sh setup): comparing with dbt's recorded selection");
        return None;
    };
    let f = Fixture::new();
    f.write("profiles.yml", PROFILES);
    let run = |args: &[&str]| {
        let o = Command::new(&dbt)
            .args(args)
            .args(["--profiles-dir", ".", "-q"])
            .current_dir(f.dir.path())
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env_remove("DBT_PROFILES_DIR")
            .output()
            .expect("run dbt");
        assert!(o.status.success(), "dbt {args:?}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&["build"]);
    std::fs::rename(f.path("target"), f.path("dbt-prod")).expect("keep dbt's artifacts");
    f.replace(CHANGE.0, CHANGE.1, CHANGE.2);
    Some(names(&run(&["ls", "-s", "state:modified+", "--state", "dbt-prod", "--output", "name"])))
}

#[test]
fn state_modified_plus_selects_the_changed_model_its_children_and_their_tests_like_dbt() {
    let (f, state) = prod_fixture();
    let state = state.to_str().expect("utf-8");
    let ls = f.expect(&["ls", "-s", "state:modified+", "--state", state, "--output", "name"], 0);
    let ours = names(&ls.stdout);
    let dbt = dbt_selection().unwrap_or_else(|| DBT_SELECTED.iter().map(|s| s.to_string()).collect());
    assert_eq!(ours, dbt);
}

#[test]
fn build_with_defer_reads_unchanged_parents_from_the_state_relations() {
    let (f, state) = prod_fixture();
    let state = state.to_str().expect("utf-8");
    f.expect(&["build", "-s", "state:modified+", "--defer", "--state", state, "--target", "ci"], 0);
    let built: BTreeSet<String> = f.statuses().into_keys().filter(|id| !id.starts_with("test.")).collect();
    // The ephemeral int_order_payments is inlined, never run (no result), as in dbt.
    let want: BTreeSet<String> = ["model.jaffle.stg_payments", "model.jaffle.orders", "model.jaffle.customers"]
        .into_iter().map(String::from).collect();
    assert_eq!(built, want);
    // The CI schemas hold the rebuilt models only; their unchanged parents were read from prod (main).
    let ci = f.query("select table_schema || '.' || table_name from information_schema.tables where table_schema like 'ci%' order by 1");
    let ci: Vec<String> = ci.into_iter().map(|r| r[0].clone()).collect();
    assert!(ci.iter().any(|t| t.contains("ci.stg_payments")) && !ci.iter().any(|t| t.contains("stg_orders")), "{ci:?}");
    let orders = f.read("target/compiled/jaffle/models/marts/orders.sql");
    assert!(orders.contains("\"main\".\"stg_orders\""), "orders must read prod's stg_orders:\n{orders}");
    assert!(orders.contains("\"ci\".\"stg_payments\""), "orders must read the rebuilt stg_payments:\n{orders}");
}

#[test]
fn favor_state_defers_even_when_the_ci_relation_exists() {
    let (f, state) = prod_fixture();
    let state = state.to_str().expect("utf-8");
    f.expect(&["build", "--target", "ci"], 0);
    f.expect(&["run", "-s", "orders", "--defer", "--favor-state", "--state", state, "--target", "ci"], 0);
    let orders = f.read("target/compiled/jaffle/models/marts/orders.sql");
    assert!(orders.contains("\"main\".\"stg_payments\""), "{orders}");
    f.expect(&["run", "-s", "orders", "--defer", "--state", state, "--target", "ci"], 0);
    let orders = f.read("target/compiled/jaffle/models/marts/orders.sql");
    assert!(orders.contains("\"ci\".\"stg_payments\""), "without --favor-state the existing CI relation wins:\n{orders}");
}

#[test]
fn result_selectors_and_retry_rerun_what_failed() {
    let f = Fixture::new();
    f.replace("models/staging/stg_orders.sql", "select", "select no_such_column, ");
    f.expect(&["build"], 1);
    let state = f.path("last-run");
    std::fs::create_dir_all(&state).expect("mkdir");
    for a in ["manifest.json", "run_results.json"] {
        std::fs::copy(f.path("target").join(a), state.join(a)).expect("save");
    }
    let failed = f.expect(&["ls", "-s", "result:error", "--state", state.to_str().expect("utf-8"), "--output", "name"], 0);
    // As dbt: the errored model, and its tests by eager indirect selection (dbt-core 1.10.23 lists the same).
    let want = ["stg_orders", "accepted_values_stg_orders_status__placed__shipped__completed__returned", "not_null_stg_orders_order_id",
                "relationships_stg_orders_customer_id__customer_id__ref_stg_customers_", "unique_stg_orders_order_id"];
    assert_eq!(names(&failed.stdout), want.iter().map(|s| s.to_string()).collect());
    f.replace("models/staging/stg_orders.sql", "select no_such_column, ", "select");
    let retry = f.expect(&["retry"], 0);
    let statuses = f.statuses();
    assert!(statuses.contains_key("model.jaffle.stg_orders") && statuses.contains_key("model.jaffle.orders"), "{}", retry.all());
    assert!(!statuses.contains_key("seed.jaffle.raw_orders"), "retry reran a node that had succeeded: {statuses:?}");
    let again = f.expect(&["retry"], 0);
    assert!(again.stdout.contains("Nothing to do"), "a second retry has nothing to do: {}", again.all());
}
