//! End-to-end tests of the `transform` binary on the fixture project and a real DuckDB file:
//! build, incremental strategies, failures and skips, exit codes, artifacts, output formats.

mod common;

use common::Fixture;

#[test]
fn build_runs_seeds_models_tests_and_writes_artifacts() {
    let f = Fixture::new();
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("Done. PASS=21 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=21"), "{}", o.stdout);
    assert_eq!(f.count("select count(*) from main_marts.orders"), 5);
    assert_eq!(f.count("select count(*) from main_marts.customers"), 4);
    let statuses = f.statuses();
    assert_eq!(statuses["model.jaffle.orders"], "success");
    assert!(statuses.keys().any(|k| k.starts_with("test.jaffle.unique_orders_order_id.")));
    let rr = f.run_results();
    let first = &rr["results"][0];
    for key in ["unique_id", "status", "timing", "execution_time", "adapter_response", "message", "failures", "thread_id"] {
        assert!(first.get(key).is_some(), "run_results result lacks {key}");
    }
    let manifest: serde_json::Value = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest parses");
    let orders = &manifest["nodes"]["model.jaffle.orders"];
    // In the order the model refs them, as dbt writes them.
    assert_eq!(orders["depends_on"]["nodes"], serde_json::json!(["model.jaffle.stg_orders", "model.jaffle.int_order_payments"]));
    assert_eq!(orders["config"]["materialized"], "incremental");
    assert_eq!(orders["schema"], "main_marts");
    assert!(manifest["child_map"]["model.jaffle.stg_orders"].as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(manifest["nodes"]["model.jaffle.stg_customers"]["description"], "One row per customer.");
}

#[test]
fn ephemeral_models_are_not_built() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    assert_eq!(f.count("select count(*) from information_schema.tables where table_name = 'int_order_payments'"), 0);
}

#[test]
fn incremental_merge_updates_in_place_and_full_refresh_rebuilds() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    // Order 5 changes status (inside the 3-day lookback window) and order 6 arrives.
    f.replace("seeds/raw_orders.csv", "5,2,2024-01-07,returned", "5,2,2024-01-07,completed\n6,3,2024-01-08,placed");
    f.replace("seeds/raw_payments.csv", "5,5,credit_card,1700", "5,5,credit_card,1700\n7,6,coupon,500");
    f.expect(&["seed"], 0);
    f.expect(&["run", "-s", "orders"], 0);
    assert_eq!(f.count("select count(*) from main_marts.orders"), 6);
    assert_eq!(f.count("select count(distinct order_id) from main_marts.orders"), 6);
    assert_eq!(f.count("select count(*) from main_marts.orders where order_id = 5 and status = 'completed'"), 1);
    assert_eq!(f.run_results()["results"][0]["message"], "INCREMENTAL merge");
    // A stray row survives incremental runs but not --full-refresh.
    let conn = duckdb::Connection::open(f.path("target/dev.duckdb")).expect("open");
    conn.execute_batch("insert into main_marts.orders (order_id, status) values (99, 'stray')").expect("insert");
    drop(conn);
    f.expect(&["run", "-s", "orders"], 0);
    assert_eq!(f.count("select count(*) from main_marts.orders where order_id = 99"), 1);
    f.expect(&["run", "-s", "orders", "--full-refresh"], 0);
    assert_eq!(f.count("select count(*) from main_marts.orders where order_id = 99"), 0);
    assert_eq!(f.count("select count(*) from main_marts.orders"), 6);
}

#[test]
fn delete_insert_and_append_strategies() {
    let f = Fixture::new();
    f.replace("models/marts/orders.sql", "incremental_strategy='merge'", "incremental_strategy='delete+insert'");
    f.expect(&["build"], 0);
    f.expect(&["run", "-s", "orders"], 0);
    assert_eq!(f.count("select count(*) from main_marts.orders"), 5, "delete+insert must not duplicate");
    f.replace("models/marts/orders.sql", "incremental_strategy='delete+insert'", "incremental_strategy='append'");
    f.expect(&["run", "-s", "orders"], 0);
    // The 3-day lookback window (orders 3, 4 and 5) is appended again.
    assert_eq!(f.count("select count(*) from main_marts.orders"), 8);
}

#[test]
fn on_schema_change_append_new_columns_and_fail() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    f.replace("models/marts/orders.sql", "p.amount\n", "p.amount,\n    p.n_payments\n");
    f.expect(&["run", "-s", "orders"], 0);
    assert_eq!(f.count("select count(*) from information_schema.columns where table_name = 'orders' and column_name = 'n_payments'"), 1);
    f.replace("models/marts/orders.sql", "on_schema_change='append_new_columns'", "on_schema_change='fail'");
    f.replace("models/marts/orders.sql", "p.n_payments\n", "p.n_payments,\n    1 as extra\n");
    let o = f.expect(&["run", "-s", "orders"], 1);
    assert!(o.stdout.contains("on_schema_change is `fail`") && o.stdout.contains("extra"), "{}", o.stdout);
    // The failed incremental run left the table as it was.
    assert_eq!(f.count("select count(*) from main_marts.orders"), 5);
}

#[test]
fn failing_model_skips_descendants_and_exits_1() {
    let f = Fixture::new();
    f.replace("models/staging/stg_orders.sql", "status\nfrom", "no_such_column\nfrom");
    let o = f.expect(&["build"], 1);
    let s = f.statuses();
    assert_eq!(s["model.jaffle.stg_orders"], "error");
    assert_eq!(s["model.jaffle.orders"], "skipped");
    assert_eq!(s["model.jaffle.customers"], "skipped");
    assert_eq!(s["model.jaffle.stg_customers"], "success");
    assert!(o.stdout.contains("no_such_column"), "the warehouse error is shown: {}", o.stdout);
    assert!(o.stdout.contains("ERROR=1") && o.stdout.contains("SKIP="), "{}", o.stdout);
}

#[test]
fn failing_test_prints_count_and_rows_and_gates_children() {
    let f = Fixture::new();
    f.replace("seeds/raw_payments.csv", "6,1,gift_card,300", "6,1,gift_card,-300");
    let o = f.expect(&["build"], 1);
    assert!(o.stdout.contains("FAIL 1 positive_stg_payments_amount"), "{}", o.stdout);
    assert!(o.stdout.contains("first failing rows") && o.stdout.contains("-3.0"), "{}", o.stdout);
    let s = f.statuses();
    assert_eq!(s["model.jaffle.orders"], "skipped", "a failed test on stg_payments skips its children in build");
    // `run` ignores tests; `test` alone reports the failure with exit code 1.
    f.expect(&["run"], 0);
    f.expect(&["test", "-s", "stg_payments"], 1);
}

#[test]
fn warn_severity_keeps_exit_code_zero_and_store_failures_keeps_rows() {
    let f = Fixture::new();
    f.write(
        "models/staging/warn.yml",
        "version: 2\nmodels:\n  - name: stg_customers\n    data_tests:\n      - accepted_values:\n          column_name: first_name\n          values: [Michael]\n          config: {severity: warn, store_failures: true}\n",
    );
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("WARN 3 accepted_values_stg_customers_first_name__Michael"), "{}", o.stdout);
    assert!(o.stdout.contains("WARN=1"), "{}", o.stdout);
    assert_eq!(f.count("select count(*) from main_dbt_test__audit.accepted_values_stg_customers_first_name__Michael"), 3);
}

#[test]
fn error_if_and_where_and_limit_configs() {
    let f = Fixture::new();
    f.write(
        "models/staging/thresholds.yml",
        "version: 2\nmodels:\n  - name: stg_orders\n    columns:\n      - name: status\n        data_tests:\n          - accepted_values:\n              name: few_completed\n              values: [placed]\n              config: {error_if: '>10', warn_if: '>1', where: \"status <> 'returned'\", limit: 2}\n",
    );
    let o = f.expect(&["build", "-s", "+stg_orders +stg_customers"], 0);
    assert!(o.stdout.contains("WARN 2 few_completed"), "limit caps failures at 2: {}", o.stdout);
}

#[test]
fn null_semantics_match_dbt() {
    let f = Fixture::new();
    // Nulls: ignored by unique, accepted_values and relationships; caught by not_null.
    f.write("seeds/nullable.csv", "id,status,customer_id\n1,placed,1\n,placed,\n,,\n");
    f.write(
        "seeds/nullable.yml",
        "version: 2\nseeds:\n  - name: nullable\n    columns:\n      - name: id\n        data_tests: [unique]\n      - name: status\n        data_tests:\n          - accepted_values: {values: [placed]}\n      - name: customer_id\n        data_tests:\n          - relationships: {to: ref('raw_customers'), field: id}\n          - not_null\n",
    );
    let o = f.expect(&["build", "-s", "nullable raw_customers"], 1);
    assert!(o.stdout.contains("PASS unique_nullable_id"), "{}", o.stdout);
    assert!(o.stdout.contains("PASS accepted_values_nullable_status__placed"), "{}", o.stdout);
    assert!(o.stdout.contains("PASS relationships_nullable_customer_id__id__ref_raw_customers_"), "{}", o.stdout);
    assert!(o.stdout.contains("FAIL 2 not_null_nullable_customer_id"), "{}", o.stdout);
}

#[test]
fn custom_schema_macro_override_and_vars_flag() {
    let f = Fixture::new();
    f.write(
        "macros/generate_schema_name.sql",
        "{% macro generate_schema_name(custom_schema_name, node) -%}\n{{ custom_schema_name or target.schema }}\n{%- endmacro %}\n",
    );
    f.replace("models/staging/_sources.yml", "schema: main_raw", "schema: raw");
    f.expect(&["build", "--vars", "{min_order_amount: 20}"], 0);
    assert_eq!(f.count("select count(*) from marts.orders"), 2, "orders under 20 dollars are filtered by the var");
    assert_eq!(f.count("select count(*) from raw.raw_orders"), 5);
}

#[test]
fn fail_fast_stops_after_first_failure() {
    let f = Fixture::new();
    f.replace("models/staging/stg_customers.sql", "first_name,", "nope,");
    f.expect(&["build", "--fail-fast", "--threads", "1"], 1);
    let s = f.statuses();
    assert!(s.values().filter(|v| *v == "skipped").count() > 3, "{s:?}");
}

#[test]
fn json_log_format_emits_json_lines() {
    let f = Fixture::new();
    let o = f.expect(&["build", "--log-format", "json"], 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines.len() > 20);
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["info"]["msg"].is_string() && v["info"]["level"].is_string() && v["data"].is_object(), "{l}");
    }
}

#[test]
fn secrets_never_appear_in_output() {
    let f = Fixture::new();
    let secret = f.path("s3cr3t-dir");
    let secret = secret.to_string_lossy().into_owned();
    f.replace("profiles.yml", "env_var('TRANSFORM_TEST_DB', 'target/dev.duckdb')", "env_var('DBT_ENV_SECRET_DIR') ~ '/dev.duckdb'");
    let o = f.run_env(&["debug"], &[("DBT_ENV_SECRET_DIR", &secret)]);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(o.stdout.contains("*****"), "{}", o.stdout);
    assert!(!o.all().contains("s3cr3t"), "{}", o.all());
    // Models may not read secrets, and the error says so without the value.
    f.write("models/leak.sql", "select '{{ env_var(\"DBT_ENV_SECRET_DIR\") }}' as x");
    let o = f.run_env(&["compile"], &[("DBT_ENV_SECRET_DIR", &secret)]);
    assert_eq!(o.code, 2);
    assert!(o.all().contains("may only be used in profiles.yml") && !o.all().contains("s3cr3t"), "{}", o.all());
}

#[test]
fn debug_clean_and_compile() {
    let f = Fixture::new();
    let o = f.expect(&["debug"], 0);
    assert!(o.stdout.contains("Connection test: OK"), "{}", o.stdout);
    f.expect(&["compile", "-s", "orders"], 0);
    let sql = f.read("target/compiled/jaffle/models/marts/orders.sql");
    assert!(sql.starts_with("with __dbt__cte__int_order_payments as ("), "{sql}");
    f.expect(&["clean"], 0);
    assert!(!f.path("target").exists());
}

#[test]
fn run_query_and_log_in_models() {
    let f = Fixture::new();
    f.write(
        "models/marts/status_counts.sql",
        "{% set q %}select distinct status from {{ ref('stg_orders') }} order by 1{% endset %}\n{% set statuses = run_query(q).columns[0].values() if execute else [] %}\n{% do log('statuses: ' ~ statuses | join(','), info=True) %}\nselect\n{% for s in statuses %}  count(*) filter (where status = '{{ s }}') as n_{{ s }}{{ ',' if not loop.last }}\n{% endfor %}from {{ ref('stg_orders') }}\n",
    );
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("statuses: completed,placed,returned,shipped"), "{}", o.stdout);
    assert_eq!(f.count("select n_completed from main_marts.status_counts"), 2);
}

/// `ls` output for one selection, as a sorted space-separated list of names.
fn ls(f: &Fixture, args: &[&str]) -> String {
    let mut full = vec!["ls", "-o", "name"];
    full.extend_from_slice(args);
    let o = f.expect(&full, 0);
    let mut names: Vec<&str> = o.stdout.lines().collect();
    names.sort();
    names.join(" ")
}

#[test]
fn selection_grammar() {
    let f = Fixture::new();
    let models = ["--resource-type", "model"];
    let cases: &[(&[&str], &str)] = &[
        (&["-s", "+orders"], "int_order_payments orders stg_orders stg_payments"),
        (&["-s", "orders+"], "customers orders"),
        (&["-s", "1+customers"], "customers orders stg_customers"),
        (&["-s", "customers+1"], "customers"),
        (&["-s", "@stg_payments"], "customers int_order_payments orders stg_customers stg_orders stg_payments"),
        (&["-s", "tag:staging"], "stg_customers stg_orders stg_payments"),
        (&["-s", "path:models/marts"], "customers orders"),
        (&["-s", "models/marts/orders.sql"], "orders"),
        (&["-s", "config.materialized:table"], "customers"),
        (&["-s", "config.materialized:ephemeral"], "int_order_payments"),
        (&["-s", "source:raw.orders+"], "customers orders stg_orders"),
        (&["-s", "tag:marts,config.materialized:incremental"], "orders"),
        (&["-s", "stg_customers", "stg_payments"], "stg_customers stg_payments"),
        (&["-s", "stg_customers stg_payments"], "stg_customers stg_payments"),
        (&["-s", "staging.*"], "stg_customers stg_orders stg_payments"),
        (&["-s", "stg_*", "--exclude", "stg_orders"], "stg_customers stg_payments"),
        (&["-s", "2+orders,resource_type:model"], "int_order_payments orders stg_orders stg_payments"),
    ];
    for (args, want) in cases {
        let mut full: Vec<&str> = args.to_vec();
        full.extend_from_slice(&models);
        assert_eq!(ls(&f, &full), *want, "selection {args:?}");
    }
    assert_eq!(ls(&f, &["-s", "test_type:singular"]), "assert_payments_match_orders");
    assert_eq!(ls(&f, &["-s", "source:raw"]), "customers orders payments");
    // Selecting a model selects its tests (eager indirect selection); --exclude removes them.
    assert_eq!(ls(&f, &["-s", "customers"]), "customers unique_customers_customer_id");
    assert_eq!(ls(&f, &["-s", "customers", "--exclude", "test_type:generic"]), "customers");
    let o = f.expect(&["ls", "-s", "int_order_payments", "-o", "json"], 0);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).expect("json line");
    assert_eq!(v["unique_id"], "model.jaffle.int_order_payments");
    assert_eq!(v["depends_on"]["nodes"][0], "model.jaffle.stg_payments");
    let o = f.expect(&["ls", "-s", "orders", "-o", "path", "--resource-type", "model"], 0);
    assert_eq!(o.stdout.trim(), "models/marts/orders.sql");
}

#[test]
fn hooks_columns_introspection_and_jinja_test_arguments() {
    let f = Fixture::new();
    f.write(
        "models/marts/audit.sql",
        "-- depends_on: {{ ref('customers') }}\n{{ config(materialized='table', post_hook=\"create or replace table {{ this.schema }}.audit_log as select count(*) as n from {{ this }}\") }}\n\
         {% set cols = adapter.get_columns_in_relation(ref('customers')) if execute else [] %}\n\
         select {% for c in cols %}'{{ c.name }}:{{ c.data_type }}' as col_{{ loop.index }}{{ ',' if not loop.last }}{% endfor %}{% if not cols %}1 as x{% endif %}\n",
    );
    f.write(
        "models/marts/args.yml",
        "version: 2\nmodels:\n  - name: audit\n    columns:\n      - name: col_1\n        data_tests:\n          - accepted_values:\n              values: \"{{ ['customer_id:INTEGER', 'customer_id:BIGINT'] }}\"\n",
    );
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("PASS accepted_values_audit_"), "{}", o.stdout);
    assert_eq!(f.count("select n from main_marts.audit_log"), 1, "the post-hook ran after the build");
    let cols = f.query("select col_2 from main_marts.audit");
    // dbt's Column.data_type: a string of unknown size is `character varying(256)` (dbt-duckdb too).
    assert!(cols[0][0].contains("first_name:character varying(256)"), "{cols:?}");
}

#[test]
fn failed_table_build_keeps_the_previous_table() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    f.replace("models/marts/customers.sql", "count(o.order_id)", "count(o.no_such_column)");
    f.expect(&["run", "-s", "customers"], 1);
    assert_eq!(f.count("select count(*) from main_marts.customers"), 4);
    assert_eq!(f.count("select count(*) from information_schema.tables where table_name like '%transform_tmp%'"), 0);
}

#[test]
fn single_thread_build_matches() {
    let f = Fixture::new();
    let o = f.expect(&["build", "--threads", "1"], 0);
    assert!(o.stdout.contains("PASS=21"), "{}", o.stdout);
    assert!(f.run_results()["results"].as_array().is_some_and(|r| r.iter().all(|x| x["thread_id"] == "Thread-1 (worker)")));
}

#[test]
fn profiles_lookup_order() {
    let f = Fixture::new();
    let profiles = f.read("profiles.yml");
    std::fs::remove_file(f.path("profiles.yml")).expect("rm");
    f.write("elsewhere/profiles.yml", &profiles.replace("target/dev.duckdb", "target/flag.duckdb"));
    f.write("envdir/profiles.yml", &profiles.replace("target/dev.duckdb", "target/env.duckdb"));
    let o = f.run(&["debug"]);
    assert_eq!(o.code, 2, "no profiles.yml in the project, no env, no flag: {}", o.all());
    assert!(o.stderr.contains("profiles.yml not found"), "{}", o.stderr);
    let envdir = f.path("envdir").to_string_lossy().into_owned();
    let o = f.run_env(&["debug"], &[("DBT_PROFILES_DIR", &envdir)]);
    assert!(o.stdout.contains("env.duckdb"), "{}", o.all());
    let flagdir = f.path("elsewhere").to_string_lossy().into_owned();
    let o = f.run_env(&["debug", "--profiles-dir", &flagdir], &[("DBT_PROFILES_DIR", &envdir)]);
    assert!(o.stdout.contains("flag.duckdb"), "--profiles-dir wins over the env var: {}", o.all());
}

#[test]
fn disabled_models_take_their_tests_along() {
    let f = Fixture::new();
    f.write("models/marts/customers.sql", &format!("{{{{ config(enabled=false) }}}}\n{}", f.read("models/marts/customers.sql")));
    let o = f.expect(&["build"], 0);
    assert!(!o.stdout.contains(" unique_customers_customer_id") && o.stdout.contains("TOTAL=19"), "{}", o.stdout);
}

#[test]
fn source_freshness_judges_age_against_thresholds() {
    let f = Fixture::new();
    f.expect(&["seed"], 0);
    let freshness = "    freshness:\n      warn_after: {count: 1, period: day}\n      error_after: {count: 36500, period: day}\n";
    f.replace("models/staging/_sources.yml", "    loaded_at_field: order_date\n", &format!("    loaded_at_field: order_date\n{freshness}"));
    // The 2024 orders are older than a day (warn) but younger than a century (no error).
    let o = f.expect(&["source", "freshness", "-s", "source:raw.orders"], 0);
    assert!(o.stdout.contains("WARN freshness of raw.orders"), "{}", o.stdout);
    let doc: serde_json::Value = serde_json::from_str(&f.read("target/sources.json")).expect("sources.json");
    assert_eq!(doc["results"][0]["status"], "warn");
    assert!(doc["results"][0]["max_loaded_at"].as_str().is_some_and(|s| s.starts_with("2024-01-07")));
    f.replace("models/staging/_sources.yml", "count: 36500", "count: 2");
    let o = f.expect(&["source", "freshness", "-s", "source:raw.orders"], 1);
    assert!(o.stdout.contains("ERROR freshness of raw.orders"), "{}", o.stdout);
}

#[test]
fn python_methods_and_runaway_recursion() {
    let f = Fixture::new();
    f.write(
        "models/py.sql",
        "{% set m = {'a': 1, 'b': 2} %}\nselect {% for k, v in m.items() %}{{ v }} as {{ k.upper() }}{{ ',' if not loop.last }}{% endfor %}, '{{ 'x,y'.split(',') | join('-') }}' as s\n",
    );
    let o = f.expect(&["compile", "-s", "py"], 0);
    assert!(o.stdout.contains("select 1 as A,2 as B, 'x-y' as s"), "{}", o.stdout);
    f.write("macros/loop.sql", "{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}");
    f.write("models/py.sql", "select {{ forever(1) }}");
    let o = f.run(&["parse"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("infinite recursion"), "{}", o.stderr);
}

#[test]
fn two_argument_ref_names_this_project() {
    let f = Fixture::new();
    f.write("models/two.sql", "select * from {{ ref('jaffle', 'stg_orders') }}");
    let o = f.expect(&["compile", "-s", "two"], 0);
    assert!(o.stdout.contains("\"main\".\"stg_orders\""), "{}", o.stdout);
    f.write("models/two.sql", "select * from {{ ref('dbt_utils', 'stg_orders') }}");
    let o = f.run(&["parse"]);
    assert!(o.code == 2 && o.stderr.contains("no project or installed package is named `dbt_utils`"), "{}", o.all());
}
