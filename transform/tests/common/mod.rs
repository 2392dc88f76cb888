//! Test harness: a fresh copy of the fixture project per test (`tests/fixtures/jaffle`), the real
//! `transform` binary run against it, and direct DuckDB queries to check what it built.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The project inside `dir` the binary runs in (`dir` itself, or a sub-folder).
    pub project: PathBuf,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create fixture dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("fixture entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "target" {
            continue;
        }
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy fixture file");
        }
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::copy("jaffle", "")
    }

    /// A fresh copy of `tests/fixtures/<name>`, run in its sub-folder `project` ("" for the top).
    pub fn copy(name: &str, project: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        copy_dir(&src, dir.path());
        let project = dir.path().join(project);
        Fixture { dir, project }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write fixture file");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replace(from, to));
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_transform"));
        cmd.args(args).current_dir(&self.project).env_remove("DBT_PROFILES_DIR").env("HOME", self.dir.path()).env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run transform");
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_env(args, &[])
    }

    /// Runs and asserts the exit code, showing the output when it differs.
    pub fn expect(&self, args: &[&str], code: i32) -> Outcome {
        let o = self.run(args);
        assert_eq!(o.code, code, "transform {args:?}\n{}", o.all());
        o
    }

    /// Rows of a query against the project's DuckDB file, as strings.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let conn = duckdb::Connection::open(self.path("target/dev.duckdb")).expect("open duckdb");
        let mut stmt = conn.prepare(sql).expect("prepare");
        let mut rows = stmt.query([]).expect("query");
        let mut out = vec![];
        while let Some(row) = rows.next().expect("row") {
            let n = row.as_ref().column_count();
            out.push((0..n).map(|i| format!("{:?}", row.get::<_, duckdb::types::Value>(i).expect("value"))).collect());
        }
        out
    }

    pub fn count(&self, sql: &str) -> i64 {
        let conn = duckdb::Connection::open(self.path("target/dev.duckdb")).expect("open duckdb");
        conn.query_row(sql, [], |r| r.get(0)).expect("count query")
    }

    pub fn run_results(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("target/run_results.json")).expect("run_results.json parses")
    }

    /// unique_id → status from run_results.json.
    pub fn statuses(&self) -> std::collections::BTreeMap<String, String> {
        let rr = self.run_results();
        rr["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| (r["unique_id"].as_str().unwrap_or_default().to_string(), r["status"].as_str().unwrap_or_default().to_string()))
            .collect()
    }
}

/// The reference dbt (dbt-core + dbt-duckdb) to compare with: `TRANSFORM_TEST_DBT`, else the cached
/// venv's; None (with a loud note) when neither exists.
pub fn dbt() -> Option<PathBuf> {
    let exe = std::env::var_os("TRANSFORM_TEST_DBT")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache/bitcoin-pipeline/dbt-venv/bin/dbt")));
    let found = exe.filter(|e| e.is_file());
    if found.is_none() {
        eprintln!("\n!!!!! SKIPPED: no dbt to compare with (set TRANSFORM_TEST_DBT to a dbt executable with dbt-duckdb) !!!!!\n");
    }
    found
}

/// Runs the reference dbt in the fixture (its profiles.yml, no telemetry); asserts success, returns stdout.
pub fn run_dbt(dbt: &Path, f: &Fixture, args: &[&str]) -> String {
    let out = Command::new(dbt)
        .args(args)
        .args(["--profiles-dir", ".", "--quiet"])
        .current_dir(&f.project)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("HOME", f.dir.path())
        .output()
        .expect("run dbt");
    assert!(out.status.success(), "dbt {args:?}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every table and view outside the test-audit schemas: name -> its column types, then its sorted
/// rows as text. Read with the venv's Python duckdb (dbt's database file may be newer than the DuckDB
/// transform links), from the project directory (views over dbt-duckdb's files read relative paths).
pub fn tables(dbt: &Path, f: &Fixture) -> BTreeMap<String, Vec<Vec<String>>> {
    const DUMP: &str = r#"
import duckdb, json, sys
c = duckdb.connect(sys.argv[1], read_only=True)
out = {}
for s, t in c.execute("select table_schema, table_name from information_schema.tables where table_schema not like '%dbt_test__audit'").fetchall():
    meta = c.execute("select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [s, t]).fetchall()
    sel = ", ".join('cast("%s" as varchar)' % x for x, _ in meta)
    rows = sorted([[("" if v is None else v) for v in r] for r in c.execute('select %s from "%s"."%s"' % (sel, s, t)).fetchall()])
    out[s + "." + t] = [[ty for _, ty in meta]] + rows
print(json.dumps(out))
"#;
    let python = dbt.with_file_name("python");
    let out = Command::new(python).args(["-c", DUMP]).arg(f.path("target/dev.duckdb")).current_dir(&f.project).output().expect("run python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("tables as JSON")
}
