//! Harness for the pipeline tests: the real binaries (`transform`, `source-bitcoin`, `replay-server`,
//! the last two built next to `transform` on first use), a replay server on a free loopback port,
//! a copy of the repo's dbt project in a temp dir, and direct DuckDB queries of what was built.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_transform")).parent().expect("bin dir").to_path_buf()
}

/// `source-bitcoin` and `replay-server`, built (a no-op when current) into transform's target dir.
pub fn sibling_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target_dir = bin_dir().parent().expect("target dir").to_path_buf();
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "source-bitcoin", "-p", "replay-server"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(repo_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of source-bitcoin and replay-server failed");
    });
    bin_dir().join(name)
}

/// A replay server on 127.0.0.1 serving one scenario; killed on drop.
pub struct Replay {
    child: Child,
    pub url: String,
}

impl Replay {
    pub fn start(scenario: &str) -> Replay {
        Replay::start_file(&repo_root().join("tests/scenarios").join(scenario))
    }

    /// A routes file anywhere (a test may write its own scenario).
    pub fn start_file(routes: &Path) -> Replay {
        Replay::spawn(routes, &[])
    }

    /// A scenario whose synthetic series end at `now` (`replay-server --now`, Unix seconds or ISO time).
    pub fn start_at(scenario: &str, now: &str) -> Replay {
        Replay::spawn(&repo_root().join("tests/scenarios").join(scenario), &["--now", now])
    }

    fn spawn(routes: &Path, extra: &[&str]) -> Replay {
        let mut child = Command::new(sibling_bin("replay-server"))
            .arg(routes)
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start replay-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read listening line");
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("replay-server said {line:?}")).to_string();
        Replay { child, url }
    }

    /// Connector config for this server. `all_providers` adds CoinMarketCap (placeholder key), GitHub, Reddit.
    pub fn config(&self, start_date: &str, all_providers: bool) -> serde_json::Value {
        let u = &self.url;
        let mut c = serde_json::json!({
            "start_date": start_date, "market_chart_hourly_days": 0, "mempool_blocks_backfill": 30,
            "github_repositories": [], "reddit_subreddits": [],
            "rate_limits": {"coingecko": 60000, "blockchain_com": 60000, "mempool_space": 60000,
                            "coinmarketcap": 60000, "github": 60000, "reddit": 60000},
            "base_urls": {"coingecko": format!("{u}/coingecko/api/v3"), "blockchain_com": format!("{u}/blockchain"),
                          "mempool_space": format!("{u}/mempool/api"), "coinmarketcap": format!("{u}/cmc"),
                          "github": format!("{u}/github"), "reddit": format!("{u}/reddit")}
        });
        if all_providers {
            let o = c.as_object_mut().expect("object");
            o.remove("github_repositories");
            o.remove("reddit_subreddits");
            o.insert("coinmarketcap_api_key".into(), "replay-placeholder".into());
        }
        c
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

pub struct Out {
    pub code: i32,
    pub all: String,
}

/// The repo's dbt project (dbt_project.yml, profiles.yml, models, macros, data tests) in a temp dir.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = repo_root();
        for f in ["dbt_project.yml", "profiles.yml"] {
            std::fs::copy(root.join(f), dir.path().join(f)).expect("copy project file");
        }
        for d in ["models", "macros", "data_tests", "seeds", "snapshots", "analyses", "dashboards"] {
            if root.join(d).is_dir() {
                copy_dir(&root.join(d), &dir.path().join(d));
            }
        }
        Project { dir }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("target/test.duckdb")
    }

    pub fn write_config(&self, name: &str, config: &serde_json::Value) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, config.to_string()).expect("write config");
        p
    }

    /// Runs `transform` in the project with the database at `db` (and extra env).
    pub fn transform_db(&self, db: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
        let out = self.command(db, args, env).output().expect("run transform");
        Out {
            code: out.status.code().unwrap_or(-1),
            all: format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// The `transform` command of [`Project::transform_db`], not yet run (a test may spawn and kill it).
    pub fn command(&self, db: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_transform"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("DBT_PROFILES_DIR")
            .env("TRANSFORM_DUCKDB_PATH", db)
            .env("NO_COLOR", "1")
            .env("TZ", "America/Los_Angeles"); // results must not depend on the machine's time zone
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn transform(&self, args: &[&str]) -> Out {
        self.transform_db(&self.db(), args, &[])
    }

    /// `transform sync` of source-bitcoin with `config` (extra flags and env appended).
    pub fn sync(&self, db: &Path, config: &Path, extra: &[&str], env: &[(&str, &str)]) -> Out {
        let source = sibling_bin("source-bitcoin");
        let mut args = vec!["sync", "--source", source.to_str().expect("utf-8 path"), "--config", config.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        self.transform_db(db, &args, env)
    }

    /// The `transform sync` command of [`Project::sync`] (no extra flags), not yet run.
    pub fn sync_command(&self, db: &Path, config: &Path) -> Command {
        let source = sibling_bin("source-bitcoin");
        let args = ["sync", "--source", source.to_str().expect("utf-8 path"), "--config", config.to_str().expect("utf-8 path")];
        self.command(db, &args, &[])
    }
}

/// Opens a DuckDB file read-only for checks.
pub fn open(db: &Path) -> duckdb::Connection {
    let cfg = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly).expect("config");
    duckdb::Connection::open_with_flags(db, cfg).expect("open duckdb")
}

pub fn scalar_i64(conn: &duckdb::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Row count of every table in the raw schema (except the state table), sorted by name.
pub fn raw_counts(db: &Path) -> Vec<(String, i64)> {
    let conn = open(db);
    let mut stmt = conn
        .prepare("select table_name from information_schema.tables where table_schema = 'raw' and table_name <> '_sync_state' order by 1")
        .expect("prepare");
    let names: Vec<String> = stmt.query_map([], |r| r.get(0)).expect("query").map(|r| r.expect("row")).collect();
    names.into_iter().map(|n| {
        let c = scalar_i64(&conn, &format!("select count(*) from raw.\"{n}\""));
        (n, c)
    }).collect()
}

/// Rows of `raw.<table>` (data columns only) in one DB and not the other, both ways.
pub fn differing_rows(a: &Path, b: &Path, table: &str) -> i64 {
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    conn.execute_batch(&format!("attach '{}' as a (read_only); attach '{}' as b (read_only)", a.display(), b.display()))
        .expect("attach");
    let cols = "* exclude (_airbyte_raw_id, _airbyte_extracted_at, _airbyte_meta, _airbyte_generation_id)";
    let q = format!(
        "select (select count(*) from (select {cols} from a.raw.\"{table}\" except all select {cols} from b.raw.\"{table}\")) + \
                (select count(*) from (select {cols} from b.raw.\"{table}\" except all select {cols} from a.raw.\"{table}\"))"
    );
    conn.query_row(&q, [], |r| r.get(0)).expect("compare")
}
