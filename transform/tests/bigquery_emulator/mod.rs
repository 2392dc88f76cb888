//! A local BigQuery for tests: `scripts/bigquery-emulator.sh start` on a free loopback port, stopped
//! by PID when the guard drops. When the emulator is not installed the test is skipped loudly, except
//! under CI (env `CI` set), where a missing emulator fails the test so it can never silently pass.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub const PROJECT: &str = "test-project";

pub struct Emulator {
    pub pid: String,
    pub port: u16,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/bigquery-emulator.sh")
}

fn installed() -> bool {
    let root = std::env::var("BQ_EMULATOR_ROOT").map(PathBuf::from).unwrap_or_else(|_| {
        let cache = std::env::var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache"));
        cache.join("bitcoin-pipeline/bq-emulator")
    });
    root.join("kind").exists()
}

/// A loopback port that was free a moment ago (the emulator also takes port + 10 for gRPC).
fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = l.local_addr().expect("local addr").port();
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 10)).is_ok() {
            return port;
        }
    }
}

impl Emulator {
    /// Starts the emulator, or returns None (after a loud message) when it is not installed outside CI.
    pub fn start() -> Option<Emulator> {
        if !installed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "the BigQuery emulator is not installed and CI is set: run `scripts/bigquery-emulator.sh setup` (scripts/test.sh does)"
            );
            eprintln!("\n!!!!! SKIPPED: the BigQuery emulator is not installed; run `scripts/bigquery-emulator.sh setup` !!!!!\n");
            return None;
        }
        for _ in 0..3 {
            let port = free_port();
            let out = Command::new("bash").arg(script()).args(["start", &port.to_string(), PROJECT]).output().expect("run bigquery-emulator.sh");
            let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !pid.is_empty() {
                return Some(Emulator { pid, port });
            }
            eprintln!("emulator did not start on port {port}: {}", String::from_utf8_lossy(&out.stderr));
        }
        panic!("the BigQuery emulator did not start after 3 attempts");
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/bigquery/v2", self.port)
    }

    /// A profiles.yml target for the emulator.
    pub fn profile(&self, profile: &str, dataset: &str) -> String {
        format!(
            "{profile}:\n  target: bq\n  outputs:\n    bq:\n      type: bigquery\n      project: {PROJECT}\n      dataset: {dataset}\n      \
             location: US\n      threads: 2\n      job_retries: 1\n      maximum_bytes_billed: 1000000000\n      api_base_url: {}\n",
            self.base_url()
        )
    }

    /// The adapter itself, for metadata checks (`tables.get`) and queries.
    pub fn connect(&self, dataset: &str) -> transform::warehouse::bigquery::BigQuery {
        let fields = serde_json::json!({"type": "bigquery", "project": PROJECT, "dataset": dataset, "location": "US", "api_base_url": self.base_url()});
        let target = transform::project::profiles::Target {
            profile_name: "p".into(),
            name: "bq".into(),
            adapter_type: "bigquery".into(),
            threads: 1,
            fields: fields.as_object().cloned().unwrap_or_default(),
            profiles_file: PathBuf::from("profiles.yml"),
        };
        transform::warehouse::bigquery::BigQuery::open(&target).expect("connect to the emulator")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["stop", &self.pid]).status();
    }
}
