//! transform against dbt itself: the same fixture projects built by dbt-core + dbt-duckdb and by
//! transform, then compared — package-lock.yml byte for byte, every table and view with its column
//! types and row for row, every test's status, and the compiled SQL of every node
//! (whitespace and comments aside). dbt is `TRANSFORM_TEST_DBT` (a `dbt` executable), else the cached
//! venv `~/.cache/bitcoin-pipeline/dbt-venv/bin/dbt`; without one the tests print a loud SKIPPED line.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{tables, Fixture};

fn dbt() -> Option<PathBuf> {
    let exe = std::env::var_os("TRANSFORM_TEST_DBT").map(PathBuf::from).or_else(|| {
        let home = std::env::var_os("HOME")?;
        Some(PathBuf::from(home).join(".cache/bitcoin-pipeline/dbt-venv/bin/dbt"))
    });
    match exe.filter(|e| e.is_file()) {
        Some(e) => Some(e),
        None => {
            eprintln!("\n!!!!! SKIPPED: no dbt to compare with (set TRANSFORM_TEST_DBT to a dbt executable with dbt-duckdb) !!!!!\n");
            None
        }
    }
}

fn run_dbt(dbt: &Path, f: &Fixture, args: &[&str]) -> String {
    let out = Command::new(dbt)
        .args(args)
        .args(["--profiles-dir", "."])
        .current_dir(&f.project)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("HOME", f.dir.path())
        .output()
        .expect("run dbt");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() || args[0] == "build", "dbt {args:?}\n{text}");
    text
}

/// Test name (unique id without its hash) -> status, from run_results.json.
fn test_statuses(f: &Fixture) -> BTreeMap<String, String> {
    f.statuses()
        .into_iter()
        .filter(|(k, _)| k.starts_with("test."))
        .map(|(k, v)| (k.rsplitn(2, '.').nth(1).unwrap_or(&k).to_string(), v))
        .collect()
}

fn normalized(sql: &str) -> String {
    let no_comments = regex::Regex::new(r"(?s)--[^\n]*|/\*.*?\*/").map(|re| re.replace_all(sql, " ").into_owned()).unwrap_or_default();
    let spaced = no_comments.split_whitespace().collect::<Vec<_>>().join(" ");
    regex::Regex::new(r"\s*([(),\[\]])\s*").map(|re| re.replace_all(&spaced, "$1").into_owned()).unwrap_or(spaced)
}

/// Compiled files whose normalized SQL differs, as "path: dbt vs transform".
fn compiled_differences(dbt: &Fixture, ours: &Fixture) -> Vec<String> {
    let root = dbt.path("target/compiled");
    let mut out = vec![];
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&root).unwrap_or(&p).to_path_buf();
            let theirs = std::fs::read_to_string(&p).unwrap_or_default();
            let mine = std::fs::read_to_string(ours.path("target/compiled").join(&rel)).unwrap_or_else(|_| "<missing>".into());
            if normalized(&theirs) != normalized(&mine) {
                out.push(format!("{}:\n  dbt:       {}\n  transform: {}", rel.display(), normalized(&theirs), normalized(&mine)));
            }
        }
    }
    out.sort();
    out
}

/// Builds `make()`'s project with dbt and with transform and compares everything that can be.
fn compare(dbt: &Path, make: impl Fn() -> Fixture) -> (Vec<String>, BTreeMap<String, String>) {
    let (theirs, ours) = (make(), make());
    run_dbt(dbt, &theirs, &["deps"]);
    run_dbt(dbt, &theirs, &["build"]);
    ours.expect(&["deps"], 0);
    ours.run(&["build"]);
    assert_eq!(ours.read("package-lock.yml"), theirs.read("package-lock.yml"), "package-lock.yml differs");
    let (a, b) = (tables(dbt, &theirs), tables(dbt, &ours));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the relations built differ");
    for (name, rows) in &a {
        assert_eq!(Some(rows), b.get(name), "rows of {name} differ");
    }
    assert_eq!(test_statuses(&theirs), test_statuses(&ours), "test results differ");
    (compiled_differences(&theirs, &ours), test_statuses(&ours))
}

#[test]
fn fixture_packages_build_as_with_dbt() {
    let Some(dbt) = dbt() else { return };
    let (differences, tests) = compare(&dbt, || Fixture::copy("packages", "app"));
    assert!(tests.len() >= 4, "{tests:?}");
    // Known gap: dbt writes a unit test's compiled file as the model over its fixture CTEs (plus one
    // file per input, under `<file>.yml/`); transform writes the actual-vs-expected query it runs.
    let unexpected: Vec<&String> = differences.iter().filter(|d| !d.lines().next().unwrap_or_default().contains(".yml/")).collect();
    assert!(unexpected.is_empty(), "compiled SQL differs:\n{}", differences.join("\n"));
}

#[test]
fn public_packages_build_as_with_dbt() {
    let Some(dbt) = dbt() else { return };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pkgs = std::env::var_os("TRANSFORM_TEST_DBT_PACKAGES").map(PathBuf::from).or_else(|| {
        repo.canonicalize().ok()?.ancestors().map(|a| a.join("shared/dbt-packages")).find(|d| d.join("dbt_utils").is_dir())
    });
    let Some(pkgs) = pkgs else {
        eprintln!("\n!!!!! SKIPPED: the public dbt packages are not here (TRANSFORM_TEST_DBT_PACKAGES) !!!!!\n");
        return;
    };
    let make = || {
        let f = Fixture::copy("real_packages", "");
        let local = |p: &str| format!("  - local: {}\n", pkgs.join(p).display());
        f.write("packages.yml", &format!("packages:\n{}{}{}", local("dbt_utils"), local("dbt_date"), local("audit_helper")));
        f
    };
    let (differences, tests) = compare(&dbt, make);
    assert_eq!(tests.values().filter(|s| *s == "warn").count(), 1, "{tests:?}");
    assert!(differences.is_empty(), "compiled SQL differs:\n{}", differences.join("\n"));
}

/// dbt's seed type inference (agate: integers INTEGER, decimals DOUBLE, dates, datetimes, booleans,
/// `column_types`, `delimiter`), dbt-duckdb's `external_location` sources (formatted paths, globs,
/// function calls, source- and table-level meta/config) and `external` models (parquet, csv with a
/// delimiter, json, partitioned, empty), built by both and compared: types, rows, files, test results.
#[test]
fn seeds_and_duckdb_files_build_as_with_dbt() {
    let Some(dbt) = dbt() else { return };
    let (theirs, ours) = (Fixture::copy("duckdb_files", ""), Fixture::copy("duckdb_files", ""));
    run_dbt(&dbt, &theirs, &["build"]);
    let o = ours.run(&["build"]);
    let (a, b) = (tables(&dbt, &theirs), tables(&dbt, &ours));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the relations built differ");
    for (name, rows) in &a {
        assert_eq!(Some(rows), b.get(name), "types or rows of {name} differ");
    }
    assert_eq!(a["main.edge"][0][..5], ["INTEGER", "INTEGER", "INTEGER", "DOUBLE", "INTEGER"]);
    assert_eq!(test_statuses(&theirs), test_statuses(&ours), "test results differ");
    let diffs = compiled_differences(&theirs, &ours);
    assert!(diffs.is_empty(), "compiled SQL differs:\n{}", diffs.join("\n"));
    // The files written, the same on both sides.
    for file in ["target/people_ext.parquet", "target/totals_pq.parquet", "target/folks_csv.csv", "target/folks.json", "target/parted/id=1/data_0.parquet"] {
        assert!(ours.path(file).is_file() && theirs.path(file).is_file(), "{file}");
    }
    assert_eq!(ours.read("target/folks_csv.csv"), theirs.read("target/folks_csv.csv"));
    // A seed integer past 2^31 fails as in dbt-duckdb (the column is INTEGER): the same error.
    assert_eq!(ours.statuses().get("seed.duckdb_files.bigint").map(String::as_str), Some("error"));
    assert!(o.stdout.contains("Could not convert string \"3000000000\" to 'INTEGER'"), "{}", o.stdout);
}

/// The mismatch table of a failed contract (the `  | ... |` lines) in a build's output.
fn contract_table(output: &str) -> Vec<String> {
    output.lines().filter(|l| l.trim_start().starts_with('|')).map(|l| l.trim().to_string()).collect()
}

/// Column types of the relations `names` (`relation.column` -> type), read with the venv's duckdb.
fn column_types(dbt: &Path, f: &Fixture, names: &[&str]) -> BTreeMap<String, String> {
    const DUMP: &str = r#"
import duckdb, json, sys
c = duckdb.connect(sys.argv[1], read_only=True)
rows = c.execute("select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'").fetchall()
print(json.dumps({t + "." + col: ty for t, col, ty in rows if t in sys.argv[2:]}))
"#;
    let out = Command::new(dbt.with_file_name("python")).args(["-c", DUMP]).arg(f.path("target/dev.duckdb")).args(names).output().expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("types as JSON")
}

#[test]
fn contracts_build_as_with_dbt() {
    let Some(dbt) = dbt() else { return };
    // Also project hooks (`results`, `schemas` in on-run-end) and grants (merged, not applied on DuckDB).
    let (theirs, ours) = (Fixture::copy("contracts", ""), Fixture::copy("contracts", ""));
    let dbt_out = run_dbt(&dbt, &theirs, &["build"]);
    let out = ours.expect(&["build"], 1);
    let (a, b) = (tables(&dbt, &theirs), tables(&dbt, &ours));
    assert_eq!(a, b, "the relations built differ");
    assert_eq!(theirs.statuses(), ours.statuses(), "node results differ");
    assert!(compiled_differences(&theirs, &ours).is_empty(), "{:?}", compiled_differences(&theirs, &ours));
    // The declared types, not the query's, and the same mismatch table for the broken contract.
    let contracted = ["countries", "customers", "customer_names", "customer_totals", "orders"];
    assert_eq!(column_types(&dbt, &theirs, &contracted), column_types(&dbt, &ours, &contracted));
    assert_eq!(contract_table(&dbt_out), contract_table(&out.all()), "{}", out.all());
    assert!(!contract_table(&dbt_out).is_empty(), "{dbt_out}");
    // Both warn once that the view's constraint is not enforced.
    let warning = "Constraint types are not supported for view materializations";
    assert!(dbt_out.contains(warning) && out.all().contains(warning), "{}", out.all());
    // The manifests agree on the contract fields.
    let manifest = |f: &Fixture| -> serde_json::Value { serde_json::from_str(&f.read("target/manifest.json")).expect("manifest") };
    let (mt, mo) = (manifest(&theirs), manifest(&ours));
    for m in contracted {
        let id = format!("model.contracts.{m}");
        for key in ["contract", "constraints", "columns"] {
            assert_eq!(mt["nodes"][&id][key], mo["nodes"][&id][key], "{id}: {key}");
        }
        assert_eq!(mt["nodes"][&id]["config"]["contract"], mo["nodes"][&id]["config"]["contract"], "{id}: config.contract");
        assert_eq!(mt["nodes"][&id]["config"]["grants"], mo["nodes"][&id]["config"]["grants"], "{id}: config.grants");
    }
    // Project hooks are the same `operation` nodes, apart from what compiling them in the run adds
    // (transform's manifest keeps every node's parse-time fields).
    for i in ["on-run-start-0", "on-run-start-1", "on-run-end-0"] {
        let id = format!("operation.contracts.contracts-{i}");
        let parse_time = |v: &serde_json::Value| -> serde_json::Value {
            let mut o = v.as_object().cloned().unwrap_or_default();
            for k in ["created_at", "compiled_path", "compiled", "compiled_code", "extra_ctes_injected", "extra_ctes"] {
                o.remove(k);
            }
            serde_json::Value::Object(o)
        };
        assert_eq!(parse_time(&mt["nodes"][&id]), parse_time(&mo["nodes"][&id]), "{id}");
    }
    // Project hooks: the same operation results and messages (the hook_log table is compared above).
    let messages = |f: &Fixture| -> Vec<(String, String)> {
        let rr = f.run_results();
        rr["results"].as_array().into_iter().flatten().filter(|r| r["unique_id"].as_str().is_some_and(|u| u.starts_with("operation.")))
            .map(|r| (r["unique_id"].as_str().unwrap_or_default().to_string(), r["message"].as_str().unwrap_or_default().to_string()))
            .collect()
    };
    assert_eq!(messages(&theirs), messages(&ours));
    assert_eq!(messages(&ours).len(), 3);
    let grants = "DuckDB adapter: Grants for relations are not supported by DuckDB";
    assert!(dbt_out.contains(grants) && out.all().contains(grants), "{}", out.all());
}

/// Every difference between dbt's and transform's manifest.json nodes after `parse`, as
/// "id.key.path: dbt | transform". Left out: `created_at` (a clock), `root_path` (each
/// fixture's own folder, checked apart), `build_path` and `compiled_path` (transform writes where
/// they will be at parse; dbt fills them in when it runs the node) and what dbt adds to a node it
/// compiled (`compiled`, `compiled_code`, `extra_ctes*`: transform's manifest keeps parse-time fields).
fn manifest_node_differences(theirs: &Fixture, ours: &Fixture) -> Vec<String> {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Object(x), Object(y)) => {
                for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    match (x.get(k), y.get(k)) {
                        (Some(p), Some(q)) => walk(p, q, &format!("{at}.{k}"), out),
                        (p, q) => out.push(format!("{at}.{k}: {p:?} | {q:?}")),
                    }
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(p, q, &format!("{at}[{i}]"), out);
                }
            }
            _ if a != b => out.push(format!("{at}: {a} | {b}")),
            _ => {}
        }
    }
    let manifest = |f: &Fixture| -> serde_json::Value { serde_json::from_str(&f.read("target/manifest.json")).expect("manifest") };
    let (mut mt, mut mo) = (manifest(theirs), manifest(ours));
    let mut out = vec![];
    for (m, f) in [(&mut mt, theirs), (&mut mo, ours)] {
        for n in m["nodes"].as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
            let Some(o) = n.as_object_mut() else { continue };
            for k in ["created_at", "build_path", "compiled_path", "compiled", "compiled_code", "extra_ctes_injected", "extra_ctes"] {
                o.remove(k);
            }
            if let Some(root) = o.remove("root_path") {
                let want = std::fs::canonicalize(&f.project).map(|p| p.display().to_string()).unwrap_or_default();
                let got = std::fs::canonicalize(root.as_str().unwrap_or_default()).map(|p| p.display().to_string()).unwrap_or_default();
                if !got.starts_with(&want) {
                    out.push(format!("{}: root_path {got} is not under {want}", o["unique_id"]));
                }
            }
        }
    }
    walk(&mt["nodes"], &mo["nodes"], "nodes", &mut out);
    out
}

#[test]
fn manifest_nodes_after_parse_are_dbt_s() {
    let Some(dbt) = dbt() else { return };
    // Checksums of stripped files, refs, depends_on (macros and node order), tests' raw_code, kwargs and
    // configs, seeds' keys, doc_blocks and inferred primary keys: every field of every node.
    let (theirs, ours) = (Fixture::copy("jaffle", ""), Fixture::copy("jaffle", ""));
    run_dbt(&dbt, &theirs, &["parse"]);
    ours.expect(&["parse"], 0);
    let differences = manifest_node_differences(&theirs, &ours);
    assert!(differences.is_empty(), "manifest nodes differ:\n{}", differences.join("\n"));
}

#[test]
fn a_project_get_where_subquery_shapes_test_filters_as_in_dbt() {
    let Some(dbt) = dbt() else { return };
    // dbt's documented override: a placeholder in `where` filled in at run time. transform used to
    // apply `where` itself and never call the project's macro.
    let make = || {
        let f = Fixture::copy("jaffle", "");
        f.write(
            "macros/get_where_subquery.sql",
            "{% macro get_where_subquery(relation) -%}\n\
             {%- set where = config.get('where') -%}\n\
             {%- if where -%}\n\
             {%- set where = where | replace('__min_amount__', var('min_order_amount') | string) -%}\n\
             {%- set filtered -%}(select * from {{ relation }} where {{ where }}) dbt_subquery{%- endset -%}\n\
             {%- do return(filtered) -%}\n\
             {%- else -%}{%- do return(relation) -%}{%- endif -%}\n\
             {%- endmacro %}\n",
        );
        let yml = f.read("models/marts/schema.yml");
        f.write("models/marts/schema.yml", &yml.replacen("data_tests: [unique, not_null]", "data_tests: [unique, {not_null: {config: {where: \"amount >= __min_amount__\"}}}]", 1));
        f
    };
    let (theirs, ours) = (make(), make());
    assert_ne!(theirs.read("models/marts/schema.yml"), Fixture::copy("jaffle", "").read("models/marts/schema.yml"), "the fixture changed");
    run_dbt(&dbt, &theirs, &["build"]);
    ours.run(&["build"]);
    assert_eq!(test_statuses(&theirs), test_statuses(&ours), "test results differ");
    // Also the ephemeral model's own compiled file, which dbt writes when it inlines it.
    assert!(ours.path("target/compiled/jaffle/models/intermediate/int_order_payments.sql").is_file());
    let differences = compiled_differences(&theirs, &ours);
    assert!(differences.is_empty(), "compiled SQL differs:\n{}", differences.join("\n"));
    let compiled = ours.read("target/compiled/jaffle/models/marts/schema.yml/not_null_orders_order_id.sql");
    assert!(compiled.contains("where amount >= ") && !compiled.contains("__min_amount__"), "{compiled}");
    // The parse-time manifest (dbt adds the macros a node's execution calls to `depends_on.macros`).
    run_dbt(&dbt, &theirs, &["parse"]);
    ours.expect(&["parse"], 0);
    let differences = manifest_node_differences(&theirs, &ours);
    assert!(differences.is_empty(), "manifest nodes differ:\n{}", differences.join("\n"));
}
