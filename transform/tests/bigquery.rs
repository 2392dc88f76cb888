//! The BigQuery adapter over real REST against a local emulator (scripts/bigquery-emulator.sh): the
//! fixture project builds (seeds, views, partitioned + clustered tables, incremental merge and
//! insert_overwrite across two runs, every kind of data test), metadata is checked with `tables.get`,
//! a failing model surfaces BigQuery's error, and dbt-duckdb's file features are errors naming the node. Skipped loudly when the emulator is missing (not on CI).

mod bigquery_emulator;
mod common;

use bigquery_emulator::{Emulator, PROJECT};
use common::Fixture;
use transform::project::RelationName;
use transform::warehouse::{RelationKind, Warehouse};

fn rel(dataset: &str, table: &str) -> RelationName {
    RelationName { database: PROJECT.into(), schema: dataset.into(), identifier: table.into() }
}

fn count(bq: &dyn Warehouse, sql: &str) -> i64 {
    let rows = bq.query(sql, 1).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.rows[0][0].as_i64().unwrap_or_else(|| panic!("{sql}: not an integer: {:?}", rows.rows))
}

/// The fixture plus a partitioned/clustered table and an insert_overwrite model, pointed at the emulator.
fn project(emu: &Emulator) -> Fixture {
    let f = Fixture::new();
    f.write("profiles.yml", &emu.profile("jaffle", "main"));
    f.write(
        "models/marts/orders_by_day.sql",
        "{{ config(materialized='table', partition_by={'field': 'order_date', 'data_type': 'date'}, cluster_by=['customer_id'], labels={'team': 'data'}) }}\n\
         select order_date, customer_id, count(*) as n_orders from {{ ref('stg_orders') }} group by 1, 2\n",
    );
    f.write(
        "models/marts/orders_overwrite.sql",
        "{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by={'field': 'order_date', 'data_type': 'date', 'granularity': 'day'}) }}\n\
         select order_id, order_date, status from {{ ref('stg_orders') }}\n\
         {% if is_incremental() %}where order_date >= '2024-01-07'{% endif %}\n",
    );
    f
}

#[test]
fn fixture_project_builds_on_the_emulator() {
    let Some(emu) = Emulator::start() else { return };
    let f = project(&emu);
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("ERROR=0 SKIP=0"), "{}", o.stdout);
    let bq = emu.connect("main");

    // Seeds through the API, with inferred types.
    assert_eq!(count(&bq, "select count(*) from `test-project`.`main_raw`.`raw_customers`"), 4);
    let seed_cols: Vec<String> = bq.columns(&rel("main_raw", "raw_payments")).expect("columns").into_iter().map(|c| c.data_type).collect();
    assert_eq!(seed_cols, vec!["INT64", "INT64", "STRING", "INT64"]);
    // Views and tables.
    assert_eq!(bq.relation_kind(&rel("main", "stg_customers")).expect("kind"), Some(RelationKind::View));
    assert_eq!(bq.relation_kind(&rel("main_marts", "customers")).expect("kind"), Some(RelationKind::Table));
    assert_eq!(bq.relation_kind(&rel("main", "int_order_payments")).expect("kind"), None, "ephemeral models are not built");
    // Partitioning, clustering and labels as tables.get reports them.
    let t = bq.table(&rel("main_marts", "orders_by_day")).expect("tables.get").expect("table exists");
    assert_eq!(t.time_partitioning.as_ref().and_then(|p| p.field.as_deref()), Some("order_date"), "{:?}", t.time_partitioning);
    assert_eq!(t.clustering.as_ref().and_then(|c| c.fields.clone()), Some(vec!["customer_id".to_string()]));
    assert_eq!(t.labels.as_ref().and_then(|l| l.get("team").cloned()).as_deref(), Some("data"));

    // Every kind of data test ran and passed: generic built-ins, custom generic, singular, with `where`.
    let statuses = f.statuses();
    for prefix in [
        "test.jaffle.unique_orders_order_id.",
        "test.jaffle.not_null_stg_orders_order_id.",
        "test.jaffle.accepted_values_stg_orders_",
        "test.jaffle.relationships_stg_orders_",
        "test.jaffle.positive_stg_payments_amount.",
        "test.jaffle.not_null_stg_payments_amount.",
        "test.jaffle.assert_payments_match_orders",
    ] {
        let found: Vec<&String> = statuses.keys().filter(|k| k.starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "{prefix} in {statuses:?}");
        assert_eq!(statuses[found[0]], "pass", "{prefix}");
    }
    // A failing test fails, a warn-severity one warns: the same semantics as on DuckDB.
    f.write("tests/finds_orders.sql", "select * from {{ ref('orders') }} where order_id <= 2");
    f.write("tests/warns_on_orders.sql", "{{ config(severity='warn') }} select * from {{ ref('orders') }}");
    let o = f.expect(&["test", "-s", "finds_orders", "warns_on_orders"], 1);
    assert!(o.stdout.contains("FAIL 2") && o.stdout.contains("WARN 5"), "{}", o.stdout);

    // Second run: order 5 changes status, order 6 arrives; merge and insert_overwrite apply them.
    f.replace("seeds/raw_orders.csv", "5,2,2024-01-07,returned", "5,2,2024-01-07,completed\n6,3,2024-01-08,placed");
    f.replace("seeds/raw_payments.csv", "5,5,credit_card,1700", "5,5,credit_card,1700\n7,6,coupon,500");
    f.expect(&["seed"], 0);
    let o = f.expect(&["run", "-s", "orders", "orders_overwrite"], 0);
    assert!(o.stdout.contains("ERROR=0"), "{}", o.stdout);
    for model in ["orders", "orders_overwrite"] {
        let t = format!("`test-project`.`main_marts`.`{model}`");
        assert_eq!(count(&bq, &format!("select count(*) from {t}")), 6, "{model}");
        assert_eq!(count(&bq, &format!("select count(distinct order_id) from {t}")), 6, "{model}");
        assert_eq!(count(&bq, &format!("select count(*) from {t} where order_id = 5 and status = 'completed'")), 1, "{model}");
    }
    let rr = f.run_results();
    assert!(rr["results"].as_array().expect("results").iter().all(|r| r["message"].as_str().is_some_and(|m| m.starts_with("INCREMENTAL"))), "{rr}");

    // A changed layout (BigQuery will not replace a table partitioned or clustered differently).
    f.replace("models/marts/orders_by_day.sql", "'data_type': 'date'}, cluster_by=['customer_id']", "'data_type': 'date', 'granularity': 'month'}, cluster_by=['n_orders']");
    f.expect(&["run", "-s", "orders_by_day"], 0);
    let t = bq.table(&rel("main_marts", "orders_by_day")).expect("tables.get").expect("table exists");
    assert_eq!(t.time_partitioning.as_ref().map(|p| p.r#type.as_str()), Some("MONTH"), "{:?}", t.time_partitioning);
    assert_eq!(t.clustering.as_ref().and_then(|c| c.fields.clone()), Some(vec!["n_orders".to_string()]));
}

#[test]
fn debug_and_dry_run_report_the_warehouse() {
    let Some(emu) = Emulator::start() else { return };
    let f = project(&emu);
    f.expect(&["seed"], 0);
    let o = f.expect(&["debug"], 0);
    for needle in ["project: test-project", "location: US", "datasets: ", "main_raw", "Connection test: OK"] {
        assert!(o.stdout.contains(needle), "debug lacks {needle:?}:\n{}", o.stdout);
    }
    let o = f.expect(&["run", "--dry-run", "-s", "stg_customers", "stg_orders"], 0);
    assert!(o.stdout.contains("stg_customers") && o.stdout.contains("bytes"), "{}", o.stdout);
    assert!(o.stdout.contains("Dry run: 2 nodes"), "{}", o.stdout);
    let bq = emu.connect("main");
    assert_eq!(bq.relation_kind(&rel("main", "stg_customers")).expect("kind"), None, "a dry run builds nothing");
}

#[test]
fn failing_model_surfaces_the_bigquery_error_with_its_name() {
    let Some(emu) = Emulator::start() else { return };
    let f = project(&emu);
    f.write("models/broken.sql", "select no_such_column from {{ ref('raw_customers') }}");
    f.expect(&["seed"], 0);
    let o = f.expect(&["run", "-s", "broken"], 1);
    let all = o.all();
    assert!(all.contains("model.jaffle.broken") && all.contains("BigQuery:"), "{all}");
    assert!(all.to_lowercase().contains("no_such_column"), "BigQuery's message names the column:\n{all}");
    assert_eq!(f.statuses()["model.jaffle.broken"], "error");
}

#[test]
fn dbt_duckdbs_files_are_errors_naming_the_node() {
    let Some(emu) = Emulator::start() else { return };
    let f = project(&emu);
    f.write("models/writes_file.sql", "{{ config(materialized='external') }}\nselect 1 as x\n");
    let o = f.expect(&["run", "-s", "writes_file"], 1);
    assert!(o.all().contains("model writes_file (models/writes_file.sql): the `external` materialization is dbt-duckdb's"), "{}", o.all());
    f.write("models/files.yml", "sources:\n  - name: files\n    meta:\n      external_location: \"data/{name}.csv\"\n    tables:\n      - name: people\n");
    f.write("models/reads_file.sql", "select * from {{ source('files', 'people') }}\n");
    let all = f.run(&["compile", "-s", "reads_file"]).all();
    assert!(all.contains("reads_file") && all.contains("source('files', 'people') has dbt-duckdb's `external_location` ('data/people.csv')"), "{all}");
}

#[test]
fn inline_service_account_key_never_reaches_the_output() {
    // No emulator needed: the token endpoint and the API are closed loopback ports, so auth fails.
    let f = Fixture::new();
    let key = r#"{"type": "service_account", "project_id": "p", "private_key_id": "KEYID-TOPSECRET-1",
        "private_key": "-----BEGIN PRIVATE KEY-----\nTOPSECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n",
        "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": "http://127.0.0.1:9/token",
        "auth_uri": "http://127.0.0.1:9/auth"}"#;
    f.write(
        "profiles.yml",
        &format!(
            "jaffle:\n  target: bq\n  outputs:\n    bq:\n      type: bigquery\n      method: service-account-json\n      \
             project: p\n      dataset: d\n      api_base_url: http://127.0.0.1:9/bigquery/v2\n      keyfile_json: '{}'\n",
            key.replace('\n', " ").replace('\'', "''")
        ),
    );
    for args in [&["debug"][..], &["run"][..], &["run", "--dry-run"][..]] {
        let o = f.run(args);
        assert_ne!(o.code, 0, "{args:?} cannot succeed without a reachable BigQuery:\n{}", o.all());
        assert!(!o.all().contains("TOPSECRET"), "{args:?} leaked the key:\n{}", o.all());
        for artifact in ["target/run_results.json", "target/manifest.json"] {
            assert!(!f.read(artifact).contains("TOPSECRET"), "{artifact} leaked the key");
        }
    }
}
