//! Test harness: starts the loopback replay server on a routes file from `tests/scenarios/`, writes config,
//! catalog and state files, runs the real `source-bitcoin` binary against them and parses its stdout.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use replay_server::ReplayServer;
use serde_json::{json, Value};

/// The API key every test configures; no output may ever contain it.
pub const KEY: &str = "cg-SECRET-test-key-123";
/// The CoinMarketCap key and GitHub token of the tests that set them; never in any output either.
pub const CMC_KEY: &str = "cmc-SECRET-4f1d-key-456";
pub const GITHUB_TOKEN: &str = "ghp_SECRETtoken789";

pub const ALL_STREAMS: [&str; 10] = [
    "coingecko_coin_snapshots",
    "coingecko_market_chart",
    "coingecko_ohlc",
    "coingecko_tickers",
    "coingecko_global",
    "blockchain_charts",
    "blockchain_stats",
    "mempool_hashrate",
    "mempool_difficulty_adjustments",
    "mempool_blocks",
];

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("connector/ has a parent")
        .to_path_buf()
}

pub fn start(scenario: &str) -> ReplayServer {
    let path = repo_root().join("tests/scenarios").join(scenario);
    ReplayServer::start(&path, 0).unwrap_or_else(|e| panic!("replay server: {e}"))
}

/// A config pointing every provider at `server`, with fast retries.
pub fn config(server: &ReplayServer) -> Value {
    let url = server.url();
    json!({
        "start_date": "2026-01-01",
        "coingecko_api_key": KEY,
        "mempool_blocks_backfill": 30,
        "rate_limits": {"coingecko": 60000, "blockchain_com": 60000, "mempool_space": 60000,
            "coinmarketcap": 60000, "github": 60000, "reddit": 60000},
        "http": {"max_attempts": 3, "backoff_base_seconds": 0.01, "request_timeout_seconds": 5, "max_retry_wait_seconds": 5},
        "base_urls": {"coingecko": format!("{url}/coingecko/api/v3"), "blockchain_com": format!("{url}/blockchain"),
            "mempool_space": format!("{url}/mempool/api"), "coinmarketcap": format!("{url}/cmc"),
            "github": format!("{url}/github"), "reddit": format!("{url}/reddit")}
    })
}

pub fn catalog(streams: &[&str], mode: &str) -> Value {
    json!({"streams": streams.iter().map(|s| json!({
        "stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": mode, "destination_sync_mode": "append"})).collect::<Vec<_>>()})
}

/// What one run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub messages: Vec<Value>,
}

impl Run {
    pub fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.messages.iter().filter(|m| m["type"] == kind).collect()
    }

    pub fn records(&self, stream: &str) -> Vec<&Value> {
        self.of_type("RECORD")
            .into_iter()
            .filter(|m| m["record"]["stream"] == stream)
            .map(|m| &m["record"]["data"])
            .collect()
    }

    pub fn states(&self, stream: &str) -> Vec<&Value> {
        self.of_type("STATE")
            .into_iter()
            .filter(|m| m["state"]["stream"]["stream_descriptor"]["name"] == stream)
            .collect()
    }

    /// The STATE messages, as a `--state` file would hold them (the last one per stream).
    pub fn final_state(&self) -> Value {
        let mut last = serde_json::Map::new();
        for m in self.of_type("STATE") {
            let name = m["state"]["stream"]["stream_descriptor"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            last.insert(name, m["state"].clone());
        }
        Value::Array(last.into_iter().map(|(_, v)| v).collect())
    }

    pub fn errors(&self) -> Vec<&Value> {
        self.of_type("TRACE")
            .into_iter()
            .filter(|m| m["trace"]["type"] == "ERROR")
            .map(|m| &m["trace"]["error"])
            .collect()
    }

    pub fn statuses(&self, stream: &str) -> Vec<String> {
        self.of_type("TRACE")
            .into_iter()
            .filter(|m| {
                m["trace"]["type"] == "STREAM_STATUS"
                    && m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
            })
            .map(|m| {
                m["trace"]["stream_status"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    pub fn assert_no_secret(&self) {
        for secret in [KEY, CMC_KEY, GITHUB_TOKEN] {
            assert!(
                !self.stdout.contains(secret) && !self.stderr.contains(secret),
                "a secret leaked into the output"
            );
        }
    }

    /// The messages of the LOG lines.
    pub fn logs(&self) -> Vec<&str> {
        self.of_type("LOG")
            .into_iter()
            .filter_map(|m| m["log"]["message"].as_str())
            .collect()
    }

    /// The RUNNING/RATE_LIMITED traces of a stream.
    pub fn rate_limited(&self, stream: &str) -> usize {
        self.of_type("TRACE")
            .into_iter()
            .filter(|m| {
                m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
                    && m["trace"]["stream_status"]["status"] == "RUNNING"
                    && m["trace"]["stream_status"]["reasons"][0]["type"] == "RATE_LIMITED"
            })
            .count()
    }
}

/// Runs `source-bitcoin ARGS`, with `files` written to a temp dir and `{name}` in args replaced by their paths.
pub fn run(args: &[&str], files: &[(&str, String)]) -> Run {
    run_measured(args, files).0
}

/// [`run`], also returning the child's peak resident set size in KiB (its own `ru_maxrss`, from `wait4`).
pub fn run_measured(args: &[&str], files: &[(&str, String)]) -> (Run, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let args: Vec<String> = args
        .iter()
        .map(
            |a| match files.iter().find(|(name, _)| a == &format!("{{{name}}}")) {
                Some((name, _)) => dir.path().join(name).display().to_string(),
                None => a.to_string(),
            },
        )
        .collect();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write input file");
    }
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let child = Command::new(env!("CARGO_BIN_EXE_source-bitcoin"))
        .args(&args)
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("run source-bitcoin");
    let (code, max_rss_kib) = wait_with_rusage(child);
    let stdout = String::from_utf8_lossy(&std::fs::read(&out_path).expect("stdout")).into_owned();
    let messages = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"))
        })
        .collect();
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).expect("stderr")).into_owned();
    let run = Run {
        code,
        stdout,
        stderr,
        messages,
    };
    (run, max_rss_kib)
}

/// Reaps `child` with `wait4`, which also reports its resource usage: (exit code or -1, peak RSS in KiB).
fn wait_with_rusage(child: std::process::Child) -> (i32, u64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct that `wait4` fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child, and both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    // Reaped here: the `Child` must not be waited for again.
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss.max(0) as u64)
}

/// `read` with a config, catalog and optional state.
pub fn read(config: &Value, catalog: &Value, state: Option<&Value>) -> Run {
    let mut files = vec![
        ("config.json", config.to_string()),
        ("catalog.json", catalog.to_string()),
    ];
    let mut args = vec![
        "read",
        "--config",
        "{config.json}",
        "--catalog",
        "{catalog.json}",
    ];
    if let Some(state) = state {
        files.push(("state.json", state.to_string()));
        args.extend(["--state", "{state.json}"]);
    }
    run(&args, &files)
}

/// Checks every record of `stream` against `schemas/<stream>.json` (draft-07, formats included) and that
/// it has no field the schema does not declare.
pub fn assert_valid_records(stream: &str, records: &[&Value]) {
    let path = repo_root().join("schemas").join(format!("{stream}.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON");
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("valid draft-07 schema");
    let declared = schema["properties"].as_object().expect("properties");
    for r in records {
        let undeclared: Vec<&String> = r
            .as_object()
            .expect("object")
            .keys()
            .filter(|k| !declared.contains_key(*k))
            .collect();
        assert!(
            undeclared.is_empty(),
            "{stream}: fields {undeclared:?} are not in its schema"
        );
        let errors: Vec<String> = validator
            .iter_errors(r)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{stream}: {errors:?} in {r}");
    }
}

/// Midnight UTC of a `YYYY-MM-DD` day.
pub fn date(day: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .expect("a YYYY-MM-DD day")
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

/// The requests the server received whose path ends with `suffix`.
pub fn calls(server: &ReplayServer, suffix: &str) -> Vec<replay_server::Logged> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with(suffix))
        .collect()
}
