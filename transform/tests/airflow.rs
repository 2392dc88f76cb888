//! The example Airflow DAGs (orchestration/airflow/) on real Airflow 2.10 + astronomer-cosmos 1.15 from PyPI
//! (`scripts/airflow-venv.sh setup`, run by scripts/test.sh): this test builds the binaries, starts the replay
//! server and runs the DAG tests (orchestration/airflow/tests, pytest in the Airflow venv) against them.
//! Without the venv the test is skipped loudly, or fails when CI is set.

mod pipeline_harness;

use std::path::PathBuf;
use std::process::Command;

use pipeline_harness::{repo_root, sibling_bin, Replay};

fn airflow_venv() -> Option<PathBuf> {
    let out = Command::new("bash").arg(repo_root().join("scripts/airflow-venv.sh")).arg("path").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    dir.join(".pins").is_file().then_some(dir)
}

#[test]
fn airflow_dags_load_render_and_run_on_the_offline_replay() {
    let Some(venv) = airflow_venv() else {
        assert!(std::env::var_os("CI").is_none(), "the Airflow venv is not installed and CI is set: run `scripts/airflow-venv.sh setup` (scripts/test.sh does)");
        eprintln!("\n!!!!! SKIPPED: the Airflow venv is not installed; run `scripts/airflow-venv.sh setup` !!!!!\n");
        return;
    };
    let replay = Replay::start("pipeline.json");
    let out = Command::new(venv.join("bin/python"))
        .args(["-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "orchestration/airflow/tests"])
        .current_dir(repo_root())
        .env("BITCOIN_TEST_REPO", repo_root())
        .env("BITCOIN_TEST_TRANSFORM_BIN", env!("CARGO_BIN_EXE_transform"))
        .env("BITCOIN_TEST_SOURCE_BIN", sibling_bin("source-bitcoin"))
        .env("BITCOIN_TEST_SOURCE_CONFIG", replay.config("2025-09-01", true).to_string())
        .env("NO_COLOR", "1")
        .env_remove("DBT_PROFILES_DIR")
        .output()
        .expect("run pytest in the Airflow venv");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the Airflow DAG tests failed:\n{text}");
    assert!(text.contains(" passed") && !text.contains(" skipped"), "{text}");
}
