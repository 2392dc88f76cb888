#!/usr/bin/env bash
# The reference dbt (dbt-core + dbt-duckdb from PyPI) that transform/tests/vs_dbt.rs compares transform with,
# in a cached venv (~1 min the first time).
#   scripts/dbt-venv.sh setup    install it when missing; prints the dbt executable's path
set -euo pipefail
venv="${XDG_CACHE_HOME:-$HOME/.cache}/bitcoin-pipeline/dbt-venv"
dbt="$venv/bin/dbt"
if [ "${1:-}" != setup ]; then echo "usage: $0 setup" >&2; exit 2; fi
if ! "$dbt" --version 2>/dev/null | grep -q "1.10.23"; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "dbt-core==1.10.23" "dbt-duckdb==1.10.1" >&2
fi
echo "$dbt"
