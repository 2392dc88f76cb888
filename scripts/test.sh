#!/usr/bin/env bash
# The test command (README "Running the tests", and what .ci/run calls): every test of the workspace, linked
# against the prebuilt DuckDB so no DuckDB compile is needed. Extra arguments go to the test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dev-env.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-default-features --no-fail-fast "$@"
else
  cargo test --workspace --no-default-features --no-fail-fast "$@"
fi
