//! dbt model versions (`fixtures/versions`): `versions:` with `defined_in`, include/exclude columns,
//! per-version configs, tests, contracts and deprecation dates; `latest_version` (explicit, and the
//! default: 10 over 9, `beta` over `alpha`); `ref('m')`, `ref('m', v=1)`, `ref('pkg', 'm', version=3)`
//! in models, tests, exposures and unit tests. Built on DuckDB, selected with `m.v2`, `m_v2` and
//! `version:`; where a reference dbt is installed, ids, manifest fields, `ls` answers and results are
//! compared with dbt-core's on the same project.

mod common;

use common::{dbt, run_dbt, Fixture};
use serde_json::{json, Value as Json};

fn fixture() -> Fixture {
    Fixture::copy("versions", "")
}

fn manifest(f: &Fixture) -> Json {
    serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json")
}

fn ls(f: &Fixture, select: &str) -> Vec<String> {
    let o = f.expect(&["ls", "-q", "--resource-type", "model", "--select", select], 0);
    o.stdout.lines().map(String::from).collect()
}

fn columns(f: &Fixture, table: &str) -> Vec<String> {
    f.query(&format!("select column_name from information_schema.columns where table_name = '{table}' order by ordinal_position"))
        .into_iter()
        .map(|r| r[0].trim_start_matches("Text(\"").trim_end_matches("\")").to_string())
        .collect()
}

#[test]
fn versions_build_with_dbts_relations_ids_and_refs() {
    let f = fixture();
    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("Done. PASS=27 WARN=0 ERROR=0 SKIP=0 NO-OP=1 TOTAL=28"), "{}", o.stdout);
    assert!(o.stdout.contains(" OK created sql table model main.dim_customers_v2 "), "v2 lives in dim_customers.sql, its relation is dbt's alias: {}", o.stdout);
    // dbt's note when an unpinned ref resolves to a latest version older than a prerelease.
    let note = "While compiling 'customer_report':\nFound an unpinned reference to versioned model 'dim_customers' in project 'shop'.\nResolving to latest version: dim_customers.v2\nA prerelease version 3 is available.";
    assert!(o.stdout.contains(note), "{}", o.stdout);
    assert!(o.stdout.contains("  Try out v3: {{ ref('shop', 'dim_customers', v='3') }}\n  Pin to  v2: {{ ref('shop', 'dim_customers', v='2') }}"), "{}", o.stdout);
    assert!(o.stdout.contains(" PASS dim_customers::keeps_names_v1 ") && o.stdout.contains(" PASS dim_customers::keeps_names_v2 "), "{}", o.stdout);
    // include/exclude: v1 has no country; v3 (defined_in, its own alias) adds the signup date.
    assert_eq!(columns(&f, "dim_customers_v1"), ["id", "name"]);
    assert_eq!(columns(&f, "dim_customers_v2"), ["id", "name", "country"]);
    assert_eq!(columns(&f, "customers_preview"), ["id", "name", "country", "signup_date"]);
    // ref('m') is the latest (2, not the prerelease 3); ref('m', v=1) and ref('shop', 'm', version=3) pin.
    assert_eq!(columns(&f, "customer_report"), ["id", "name", "country"]);
    assert_eq!(columns(&f, "legacy_report"), ["id", "name"]);
    assert_eq!(columns(&f, "preview_report").len(), 4);
    assert_eq!(f.query("select kpi, label from kpi_report"), [["Int(10)".to_string(), "Text(\"beta\")".to_string()]]);

    let m = manifest(&f);
    let v1 = &m["nodes"]["model.shop.dim_customers.v1"];
    assert_eq!((&v1["name"], &v1["version"], &v1["latest_version"]), (&json!("dim_customers"), &json!(1), &json!(2)));
    assert_eq!(v1["fqn"], json!(["shop", "customers", "dim_customers", "v1"]));
    assert_eq!(v1["deprecation_date"], "2020-01-01T00:00:00+00:00");
    assert_eq!(v1["config"]["materialized"], "table", "the model's config applies to every version");
    let v3 = &m["nodes"]["model.shop.dim_customers.v3"];
    assert_eq!((&v3["alias"], &v3["original_file_path"]), (&json!("customers_preview"), &json!("models/customers/dim_customers_next.sql")));
    assert_eq!(v3["contract"]["enforced"], true);
    assert_eq!(v3["constraints"][0]["columns"], json!(["id"]));
    assert_eq!(m["nodes"]["model.shop.labels.vbeta"]["latest_version"], "beta");
    assert_eq!(m["nodes"]["model.shop.kpis.v9"]["latest_version"], 10);
    assert_eq!(m["nodes"]["model.shop.legacy_report"]["deprecation_date"], "2021-06-30T00:00:00+00:00", "an unversioned model's date");
    assert_eq!(m["nodes"]["model.shop.legacy_report"]["refs"], json!([{"name": "dim_customers", "package": null, "version": 1}]));
    assert_eq!(m["nodes"]["model.shop.customer_report"]["depends_on"]["nodes"], json!(["model.shop.dim_customers.v2"]));
    assert_eq!(m["nodes"]["model.shop.preview_report"]["depends_on"]["nodes"], json!(["model.shop.dim_customers.v3"]));
    // Tests are named after `<model>_v<v>`; a version's `data_tests: []` drops the model-level test.
    let tests: Vec<&str> = m["nodes"].as_object().unwrap().keys().filter(|k| k.starts_with("test.")).map(String::as_str).collect();
    for id in [
        "test.shop.not_null_dim_customers_v1_id.ccb11c9411",
        "test.shop.accepted_values_dim_customers_v2_country__UK__US__FR.e2a3b2049e",
        "test.shop.not_null_dim_customers_v3_signup_date.da4217000e",
        "test.shop.relationships_legacy_report_id__id__ref_dim_customers_v_1_.5d0a0ae4dd",
    ] {
        assert!(tests.contains(&id), "{id} not in {tests:?}");
    }
    assert!(!tests.iter().any(|t| t.contains("accepted_values_dim_customers_v1")), "{tests:?}");
    assert_eq!(m["nodes"]["test.shop.not_null_dim_customers_v1_id.ccb11c9411"]["attached_node"], "model.shop.dim_customers.v1");
    assert_eq!(
        m["exposures"]["exposure.shop.customer_dashboard"]["depends_on"]["nodes"],
        json!(["model.shop.dim_customers.v1", "model.shop.dim_customers.v2"])
    );
    let unit = &m["unit_tests"]["unit_test.shop.dim_customers.keeps_names_v2"];
    assert_eq!((&unit["name"], &unit["version"]), (&json!("keeps_names"), &json!(2)));
    let statuses = f.statuses();
    assert_eq!(statuses.get("model.shop.dim_customers.v3").map(String::as_str), Some("success"), "{statuses:?}");
    assert_eq!(statuses.get("unit_test.shop.dim_customers.keeps_names_v1").map(String::as_str), Some("pass"), "{statuses:?}");
}

#[test]
fn selection_goes_through_versions() {
    let f = fixture();
    let all = ["shop.customers.dim_customers.v1", "shop.customers.dim_customers.v2", "shop.customers.dim_customers.v3"];
    assert_eq!(ls(&f, "dim_customers"), all);
    assert_eq!(ls(&f, "shop.customers.dim_customers"), all);
    assert_eq!(ls(&f, "dim_customers.v2"), ["shop.customers.dim_customers.v2"]);
    assert_eq!(ls(&f, "dim_customers_v1"), ["shop.customers.dim_customers.v1"]);
    assert_eq!(ls(&f, "kpis.v10"), ["shop.kpis.kpis.v10"]);
    assert_eq!(ls(&f, "models/customers/dim_customers.sql"), ["shop.customers.dim_customers.v2"]);
    assert_eq!(ls(&f, "version:latest"), ["shop.customers.dim_customers.v2", "shop.kpis.kpis.v10", "shop.kpis.labels.vbeta"]);
    assert_eq!(ls(&f, "version:prerelease"), ["shop.customers.dim_customers.v3"]);
    assert_eq!(ls(&f, "version:old"), ["shop.customers.dim_customers.v1", "shop.kpis.kpis.v9", "shop.kpis.labels.valpha"]);
    assert_eq!(ls(&f, "version:none").len(), 4);
    assert_eq!(ls(&f, "+customer_report"), ["shop.reports.customer_report", "shop.customers.dim_customers.v2"]);
    assert_eq!(ls(&f, "dim_customers.v1+"), ["shop.customers.dim_customers.v1", "shop.reports.legacy_report"]);
    let o = f.expect(&["ls", "-q", "--select", "dim_customers.v3", "--resource-type", "model", "--output", "json"], 0);
    let entry: Json = serde_json::from_str(o.stdout.trim()).expect("one JSON line");
    assert_eq!((&entry["unique_id"], &entry["alias"]), (&json!("model.shop.dim_customers.v3"), &json!("customers_preview")));
    let o = f.run(&["ls", "--select", "version:newest"]);
    assert!(o.code != 0 && o.all().contains("Invalid version type selector newest: expected one of: \"latest\", \"prerelease\", \"old\", or \"none\""), "{}", o.all());
    // `build -s` through a version runs it with its tests.
    let o = f.expect(&["build", "-s", "+dim_customers.v1", "--indirect-selection", "cautious"], 0);
    assert!(o.stdout.contains("PASS=5 "), "seed, v1, its 2 tests and its unit test: {}", o.stdout);
}

#[test]
fn deprecation_dates_warn_like_dbt_and_fail_under_warn_error() {
    let f = fixture();
    let o = f.expect(&["parse"], 0);
    for line in [
        "[WARNING]: Model legacy_report has passed its deprecation date of 2021-06-30T00:00:00+00:00. This model should be disabled or removed.",
        "[WARNING]: Model dim_customers.v1 has passed its deprecation date of 2020-01-01T00:00:00+00:00. This model should be disabled or removed.",
        "[WARNING]: While compiling 'legacy_report': Found a reference to dim_customers.v1, which was deprecated on '2020-01-01T00:00:00+00:00'. A new version of 'dim_customers' is available. Migrate now: {{ ref('shop', 'dim_customers', v='2') }}.",
        "[WARNING]: While compiling 'customer_report': Found a reference to dim_customers.v2, which is slated for deprecation on '2999-01-01T00:00:00+00:00'. ",
    ] {
        assert!(o.stdout.contains(line), "{line}\n{}", o.stdout);
    }
    let o = f.run(&["--warn-error", "parse"]);
    assert!(o.code != 0 && o.all().contains("Model legacy_report has passed its deprecation date"), "{}", o.all());
}

#[test]
fn version_mistakes_are_dbts_errors_naming_the_file() {
    let cases: [(&str, &str, &str, &str); 6] = [
        ("models/kpis/kpis.yml", "      - v: 9\n", "      - v: 9\n      - v: 11\n", "Did not find matching node for patch with name 'kpis_v11' in the 'models' section of file 'models/kpis/kpis.yml'"),
        ("models/customers/dim_customers.yml", "latest_version: 2", "latest_version: 5", "latest_version: 5 is not one of model 'dim_customers' versions: [1, 2, 3] "),
        ("models/customers/dim_customers.yml", "- v: 3", "- v: 2", "Found duplicate version: '2' in versions list of model 'dim_customers'"),
        ("models/customers/dim_customers.yml", "- include: \"*\"", "- include: some", "include must be one of ('all', '*') or a list of strings"),
        ("models/reports/legacy_report.sql", "v=1", "v=7", "Model 'model.shop.legacy_report' (models/reports/legacy_report.sql) depends on a node named 'dim_customers' with version '7' which was not found"),
        ("models/reports/preview_report.sql", "version=3", "version=8", "depends on a node named 'dim_customers' with version '8' in package or project 'shop' which was not found"),
    ];
    for (file, from, to, expected) in cases {
        let f = fixture();
        f.replace(file, from, to);
        let o = f.run(&["parse"]);
        assert!(o.code != 0 && o.all().contains(expected) && o.all().contains(file), "{to}: {}", o.all());
    }
    let f = fixture();
    f.replace("models/reports/reports.yml", "ref('dim_customers', v=1)\n      - ref", "ref('dim_customers', v=4)\n      - ref");
    let o = f.run(&["parse"]);
    assert!(o.code != 0 && o.all().contains("dim_customers.v4"), "an exposure's missing version: {}", o.all());
    let f = fixture();
    f.replace("models/customers/unit_tests.yml", "include: [1, 2]", "include: [6]");
    let o = f.run(&["parse"]);
    assert!(o.all().contains("Unit test 'keeps_names' referenced a version of 'dim_customers' which was not found."), "{}", o.all());
}

#[test]
fn each_version_has_its_own_contract() {
    let f = fixture();
    f.replace("models/customers/dim_customers.yml", "            data_type: date", "            data_type: integer");
    let o = f.run(&["build"]);
    assert_ne!(o.code, 0, "{}", o.all());
    let statuses = f.statuses();
    assert_eq!(statuses.get("model.shop.dim_customers.v3").map(String::as_str), Some("error"), "{statuses:?}");
    assert_eq!(statuses.get("model.shop.dim_customers.v2").map(String::as_str), Some("success"), "v2 has no contract: {statuses:?}");
    assert!(o.all().contains("signup_date"), "the contract error names the column: {}", o.all());
}

/// What versions decide about a model or test: its id, names, version fields, relation and edges.
fn versioned_fields(n: &Json) -> Json {
    let mut deps: Vec<Json> = n["depends_on"]["nodes"].as_array().cloned().unwrap_or_default();
    deps.sort_by_key(|d| d.to_string());
    let cols: Vec<&String> = n["columns"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
    json!({
        "name": n["name"], "version": n["version"], "latest_version": n["latest_version"], "deprecation_date": n["deprecation_date"],
        "fqn": n["fqn"], "alias": n["alias"], "path": n["path"], "original_file_path": n["original_file_path"], "depends_on": deps,
        "attached_node": n["attached_node"], "file_key_name": n["file_key_name"], "columns": cols, "description": n["description"],
        "contract": n["contract"], "constraints": n["constraints"], "materialized": n["config"]["materialized"],
        "ref_versions": n["refs"].as_array().map(|r| r.iter().map(|x| x["version"].clone()).collect::<Vec<_>>()),
    })
}

#[test]
fn ids_fields_selection_and_results_equal_dbts() {
    let Some(dbt) = dbt() else { return };
    let (theirs, ours) = (fixture(), fixture());
    run_dbt(&dbt, &theirs, &["build"]);
    ours.expect(&["build"], 0);
    let (a, b) = (manifest(&theirs), manifest(&ours));
    for key in ["nodes", "unit_tests", "exposures"] {
        let ids = |m: &Json| m[key].as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>();
        assert_eq!(ids(&a), ids(&b), "{key}: the ids differ from dbt's");
    }
    for (id, n) in a["nodes"].as_object().unwrap().iter().filter(|(_, n)| n["resource_type"] != "seed") {
        assert_eq!(versioned_fields(n), versioned_fields(&b["nodes"][id]), "{id} differs from dbt's");
    }
    for (id, u) in a["unit_tests"].as_object().unwrap() {
        for field in ["name", "version", "versions", "depends_on", "fqn", "model"] {
            assert_eq!(u[field], b["unit_tests"][id][field], "{id}.{field}");
        }
    }
    let exposure = "exposure.shop.customer_dashboard";
    assert_eq!(a["exposures"][exposure]["refs"], b["exposures"][exposure]["refs"]);
    assert_eq!(a["exposures"][exposure]["depends_on"], b["exposures"][exposure]["depends_on"]);
    // Each dbt run costs seconds: the selections where versions change the answer.
    for select in ["dim_customers", "dim_customers.v2", "dim_customers_v1", "version:prerelease", "version:old", "version:none", "dim_customers.v1+", "models/customers/dim_customers.sql"] {
        let theirs_ls: Vec<String> = run_dbt(&dbt, &theirs, &["ls", "--select", select]).lines().map(String::from).collect();
        let o = ours.expect(&["ls", "-q", "--select", select], 0);
        assert_eq!(theirs_ls, o.stdout.lines().map(String::from).collect::<Vec<_>>(), "ls --select {select}");
    }
    assert_eq!(theirs.statuses(), ours.statuses(), "build results");
}
