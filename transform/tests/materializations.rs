//! `{% materialization %}` blocks (`fixtures/materializations`): a new `audited_table` materialization
//! (intermediate table, renames, a fetched row count, hooks, grants, an audit row) and the project's
//! override of dbt's `view`, built twice on DuckDB; a misspelled materialization fails with dbt's text.
//! Where a reference dbt is installed, the same project is built by dbt-duckdb and compared (tables, run
//! statuses and messages, the manifest's macro entries), and dbt's own `table` and `view` materializations,
//! copied from its installed package at test time, build the same tables when used as project overrides.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{dbt, tables, Fixture};
use serde_json::{json, Value as Json};

fn fixture() -> Fixture {
    Fixture::copy("materializations", "")
}

fn manifest(f: &Fixture) -> Json {
    serde_json::from_str(&f.read("target/manifest.json")).expect("manifest.json")
}

/// The reference dbt's exit code for `args` (a run with a failing model exits 1, as transform's does).
fn dbt_code(dbt: &Path, f: &Fixture, args: &[&str]) -> i32 {
    let out = Command::new(dbt)
        .args(args)
        .args(["--profiles-dir", "."])
        .current_dir(&f.project)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("HOME", f.dir.path())
        .output()
        .expect("run dbt");
    out.status.code().unwrap_or(-1)
}

/// unique_id -> (status, message) from run_results.json.
fn results(f: &Fixture) -> Vec<(String, String, String)> {
    let rr = f.run_results();
    let mut out: Vec<(String, String, String)> = rr["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["unique_id"].as_str().unwrap_or_default().into(), r["status"].as_str().unwrap_or_default().into(), r["message"].as_str().unwrap_or_default().into()))
        .collect();
    out.sort();
    out
}

/// The manifest's entries for the project's materialization macros, with the keys both tools fill alike.
fn materialization_macros(f: &Fixture) -> Json {
    let m = manifest(f);
    let keys = ["name", "unique_id", "package_name", "path", "original_file_path", "macro_sql", "supported_languages", "resource_type"];
    let entries: serde_json::Map<String, Json> = m["macros"]
        .as_object()
        .expect("macros")
        .iter()
        .filter(|(id, _)| id.starts_with("macro.shop.materialization_"))
        .map(|(id, e)| (id.clone(), Json::Object(keys.iter().map(|k| (k.to_string(), e[*k].clone())).collect())))
        .collect();
    Json::Object(entries)
}

#[test]
fn a_new_materialization_and_a_view_override_build_twice() {
    let f = fixture();
    for round in 1..=2 {
        let o = f.expect(&["run"], 1);
        let out = o.stdout.clone();
        assert!(out.contains(" OK created sql audited_table model main.customer_totals "), "{out}");
        assert!(out.contains(" OK created sql view model main.orders "), "{out}");
        assert!(out.contains("Finished running 1 audited tabel model, 2 audited table models, 1 table model, 1 view model"), "{out}");
        assert!(
            out.contains("No materialization 'audited_tabel' was found for adapter duckdb! (searched types 'default' and 'duckdb')"),
            "round {round}: {out}"
        );
        assert!(out.contains("Done. PASS=4 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=5"), "{out}");
    }
    assert_eq!(f.query("select customer, total, orders from customer_totals order by customer"), [
        ["Text(\"alice\")", "HugeInt(38)", "BigInt(2)"],
        ["Text(\"bob\")", "HugeInt(12)", "BigInt(1)"],
    ]);
    // Two builds of each audited model; its post-hook ran after the audit row, every time.
    let audit = f.query("select model, row_count, columns, full_refresh, incremental from audit_log order by all");
    let row = |m: &str, n: i64, c: &str| vec![format!("Text(\"{m}\")"), format!("BigInt({n})"), format!("Text(\"{c}\")"), "Boolean(false)".into(), "Boolean(false)".into()];
    let expected = [
        row("big_orders", 2, "id,amount"),
        row("big_orders", 2, "id,amount"),
        row("customer_totals", 2, "customer,total,orders"),
        row("customer_totals", 2, "customer,total,orders"),
        row("hook:customer_totals", 0, ""),
        row("hook:customer_totals", 0, ""),
    ];
    assert_eq!(audit, expected);
    assert_eq!(f.count("select count(*) from view_log where model = 'orders' and compiled_lines = 1"), 2, "the project's view materialization ran");
    // The intermediate and backup relations are gone; the model is a table.
    assert_eq!(f.count("select count(*) from information_schema.tables where table_name like '%__staged' or table_name like '%__dbt_backup'"), 0);
    assert_eq!(f.count("select count(*) from information_schema.tables where table_name = 'big_orders' and table_type = 'BASE TABLE'"), 1);

    let statuses = f.statuses();
    assert_eq!(statuses["model.shop.customer_totals"], "success");
    assert_eq!(statuses["model.shop.misspelled"], "error");
    let rr = f.run_results();
    let totals = rr["results"].as_array().unwrap().iter().find(|r| r["unique_id"] == "model.shop.customer_totals").unwrap();
    assert_eq!((&totals["message"], &totals["adapter_response"]["_message"]), (&json!("OK"), &json!("OK")), "the 'main' statement's response");

    let macros = materialization_macros(&f);
    let audited = &macros["macro.shop.materialization_audited_table_default"];
    assert_eq!(audited["supported_languages"], json!(["sql"]));
    assert_eq!(audited["path"], "macros/audited_table.sql");
    assert!(audited["macro_sql"].as_str().unwrap().starts_with("{% materialization audited_table, default %}"), "{audited}");
    assert!(audited["macro_sql"].as_str().unwrap().ends_with("{% endmaterialization %}"), "{audited}");
    assert!(macros["macro.shop.materialization_view_default"].is_object(), "{macros}");
}

#[test]
fn a_materialization_without_main_or_return_fails_as_in_dbt() {
    let f = fixture();
    f.write("macros/broken.sql", "{% materialization no_main, default %}{{ return({'relations': []}) }}{% endmaterialization %}\n\
        {% materialization no_return, default %}{% call statement('main') %}select 1{% endcall %}{% endmaterialization %}\n\
        {% materialization python_only, default, supported_languages=['python'] %}{% endmaterialization %}");
    f.write("models/a.sql", "{{ config(materialized='no_main') }} select 1 as x");
    f.write("models/b.sql", "{{ config(materialized='no_return') }} select 1 as x");
    f.write("models/c.sql", "{{ config(materialized='python_only') }} select 1 as x");
    let o = f.expect(&["run", "-s", "a", "b", "c"], 1);
    assert!(o.stdout.contains("Runtime Error in model a (models/a.sql)\n    main is not being called during running model"), "{}", o.stdout);
    assert!(o.stdout.contains("The materialization (\"no_return\") did not explicitly return a list of relations to add to the cache."), "{}", o.stdout);
    assert!(o.stdout.contains("Materialization \"materialization_python_only_default\" only supports languages ['python']; got \"sql\""), "{}", o.stdout);
}

#[test]
fn builds_what_dbt_duckdb_builds() {
    let Some(dbt) = dbt() else { return };
    let (theirs, ours) = (fixture(), fixture());
    for _ in 0..2 {
        assert_eq!(dbt_code(&dbt, &theirs, &["run"]), 1);
        ours.expect(&["run"], 1);
    }
    assert_eq!(tables(&dbt, &ours), tables(&dbt, &theirs));
    // Messages of the custom materializations (and the missing one); transform's built-in `table` says
    // `CREATE TABLE` where dbt-duckdb says `OK`.
    let strip = |r: Vec<(String, String, String)>| {
        r.into_iter().map(|(id, s, m)| (id.clone(), s, if id.ends_with(".order_count") { String::new() } else { m })).collect::<Vec<_>>()
    };
    assert_eq!(strip(results(&ours)), strip(results(&theirs)));
    assert_eq!(materialization_macros(&ours), materialization_macros(&theirs));
}

/// dbt's installed `table` (dbt-duckdb's, `adapter="duckdb"`) and `view` (dbt-core's, `default`) blocks.
fn dbts_own_materializations(dbt: &Path) -> Option<Vec<(String, PathBuf)>> {
    let lib = dbt.parent()?.parent()?.join("lib");
    let site = std::fs::read_dir(&lib).ok()?.flatten().map(|e| e.path().join("site-packages")).find(|p| p.is_dir())?;
    let include = site.join("dbt/include");
    let files = [
        ("table", include.join("duckdb/macros/materializations/table.sql")),
        ("view", include.join("global_project/macros/materializations/models/view.sql")),
    ];
    files.iter().all(|(_, p)| p.is_file()).then(|| files.into_iter().map(|(n, p)| (n.to_string(), p)).collect())
}

#[test]
fn dbts_own_table_and_view_materializations_build_the_same_as_project_overrides() {
    let Some(dbt) = dbt() else { return };
    let Some(files) = dbts_own_materializations(&dbt) else {
        eprintln!("\n!!!!! SKIPPED: the dbt venv has no dbt/include/*/materializations files to copy !!!!!\n");
        return;
    };
    let setup = || {
        let f = fixture();
        std::fs::remove_file(f.path("macros/view_override.sql")).expect("remove the fixture's view");
        f.write("models/misspelled.sql", "{{ config(materialized='table') }} select 1 as id");
        for (name, path) in &files {
            let text = std::fs::read_to_string(path).expect("read dbt's materialization");
            // One line after the header proves the copy (not the built-in) ran; the body is dbt's, unchanged.
            let marker = format!("{{% do run_query(\"create table if not exists override_log (m varchar)\") %}}{{% do run_query(\"insert into override_log values ('{name}')\") %}}");
            let (header, body) = text.split_once('\n').expect("a header line");
            f.write(&format!("macros/dbt_{name}.sql"), &format!("{header}\n{marker}\n{body}"));
        }
        f
    };
    let (theirs, ours) = (setup(), setup());
    for _ in 0..2 {
        assert_eq!(dbt_code(&dbt, &theirs, &["run"]), 0);
        ours.expect(&["run"], 0);
    }
    let ours_tables = tables(&dbt, &ours);
    assert_eq!(ours_tables, tables(&dbt, &theirs));
    // Two runs: `orders` twice through dbt's view, the two table models twice through dbt's table.
    let log = &ours_tables["main.override_log"];
    assert_eq!((log.iter().filter(|r| r == &&vec!["view".to_string()]).count(), log.iter().filter(|r| r == &&vec!["table".to_string()]).count()), (2, 4));
    assert_eq!(results(&ours).into_iter().map(|(id, s, _)| (id, s)).collect::<Vec<_>>(), results(&theirs).into_iter().map(|(id, s, _)| (id, s)).collect::<Vec<_>>());
}

/// The fixture with `fixtures/materializations_pkg` installed as the local package `audit_pkg`.
fn with_package(allow_overrides: bool) -> Fixture {
    let f = fixture();
    let pkg = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/materializations_pkg");
    f.write("packages.yml", &format!("packages:\n  - local: {}\n", pkg.display()));
    std::fs::remove_file(f.path("models/misspelled.sql")).expect("remove misspelled");
    if allow_overrides {
        let text = f.read("dbt_project.yml");
        f.write("dbt_project.yml", &format!("{text}\nflags:\n  require_explicit_package_overrides_for_builtin_materializations: false\n"));
    }
    f
}

#[test]
fn a_package_materialization_wins_by_specificity_and_replaces_a_builtin_only_when_allowed() {
    let dbt = dbt();
    for allow in [false, true] {
        let f = with_package(allow);
        f.expect(&["deps"], 0);
        let o = f.expect(&["run"], 0);
        // The package's `audited_table, adapter='duckdb'` beats the project's `audited_table, default`.
        let mut expected = vec!["audited_table:big_orders", "audited_table:customer_totals"];
        if allow {
            // dbt-duckdb's `table` yields to the package's only with the flag off, with dbt's deprecation.
            expected.push("table:order_count");
            let words = o.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(words.contains("[WARNING]: Installed package 'audit_pkg' is overriding the built-in materialization 'table'."), "{}", o.stdout);
        }
        let log: Vec<String> = f.query("select m from pkg_log order by m").into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(log, expected.iter().map(|m| format!("Text(\"{m}\")")).collect::<Vec<_>>(), "allow={allow}");
        if let Some(dbt) = &dbt {
            let theirs = with_package(allow);
            assert_eq!(dbt_code(dbt, &theirs, &["deps"]), 0);
            assert_eq!(dbt_code(dbt, &theirs, &["run"]), 0);
            assert_eq!(tables(dbt, &f), tables(dbt, &theirs), "allow={allow}");
        }
    }
}

#[test]
fn overrides_of_seed_and_unit_materializations_are_errors_not_ignored() {
    // transform builds seeds and unit tests itself: a project's `seed` or `unit` block must not be
    // silently passed over.
    let body = "{% materialization NAME, default %}{{ return({'relations': []}) }}{% endmaterialization %}\n";
    let f = Fixture::copy("versions", "");
    f.write("macros/overrides.sql", &format!("{}{}", body.replace("NAME", "seed"), body.replace("NAME", "unit")));
    let seed = f.run(&["seed"]);
    assert_ne!(seed.code, 0, "{}", seed.all());
    assert!(seed.all().contains("the `seed` materialization of package") && seed.all().contains("only models run custom materializations"), "{}", seed.all());
    let unit = f.run(&["test", "--select", "test_type:unit"]);
    assert_ne!(unit.code, 0, "{}", unit.all());
    assert!(unit.all().contains("the `unit` materialization of package") && unit.all().contains("only models run custom materializations"), "{}", unit.all());
}
