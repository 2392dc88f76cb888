#!/usr/bin/env bash
# Python venvs for the orchestration tests, installed from PyPI only and cached under ~/.cache/bitcoin-pipeline/:
#   scripts/airflow-venv.sh setup    apache-airflow 2.10 + astronomer-cosmos 1.15 (+ the Kubernetes provider, pytest)
#                                    in airflow-venv/, and dbt-core + dbt-duckdb (the reference dbt of the slim CI
#                                    comparison) in dbt-ref-venv/; changed pins or constraints reinstall
#   scripts/airflow-venv.sh path     prints the airflow venv's directory
#   scripts/airflow-venv.sh dbt      prints the reference dbt venv's directory
# Airflow's constraints files cannot be fetched (PyPI only), so orchestration/airflow/constraints-*.txt hold the
# full resolution (pip freeze): a cold install downloads once instead of backtracking for minutes. dbt-core lives
# in its own venv: Cosmos switches to dbt's in-process runner whenever `import dbt` works, and the Airflow tests
# must run the `transform` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${AIRFLOW_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/bitcoin-pipeline}
AIRFLOW_VENV="$ROOT/airflow-venv"
DBT_VENV="$ROOT/dbt-ref-venv"
AIRFLOW_PINS=(apache-airflow==2.10.5 astronomer-cosmos==1.15.1 apache-airflow-providers-cncf-kubernetes==10.1.0 pytest==8.3.5)
DBT_PINS=(dbt-core==1.10.23 dbt-duckdb==1.10.1)

python_for_airflow() { # Airflow 2.10 supports 3.8-3.12, cosmos 1.15 needs >= 3.10: the newest of 3.12, 3.11, 3.10
  local v py
  for v in 3.12 3.11 3.10; do
    py=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$v*/bin/python3 2>/dev/null | tail -1)
    [ -n "$py" ] || py=$(command -v "python$v" || true)
    [ -n "$py" ] && "$py" --version >/dev/null 2>&1 && { echo "$py"; return 0; }
  done
  echo "no Python 3.10-3.12 found for Airflow 2.10 (install python3.12 or python3.11)" >&2
  return 1
}

install() { # $1 = venv dir, $2 = constraints file, rest = pins; skipped when pins and constraints are unchanged
  local dir=$1 constraints=$2; shift 2
  local want
  want="$* $(sha256sum "$constraints" | cut -c1-16)"
  [ -f "$dir/.pins" ] && [ "$(cat "$dir/.pins")" = "$want" ] && return 0
  rm -rf "$dir"
  "$(python_for_airflow)" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -c "$constraints" "$@"
  echo "$want" > "$dir/.pins"
}

case "${1:-}" in
  setup)
    mkdir -p "$ROOT"
    install "$AIRFLOW_VENV" orchestration/airflow/constraints-airflow.txt "${AIRFLOW_PINS[@]}"
    install "$DBT_VENV" orchestration/airflow/constraints-dbt.txt "${DBT_PINS[@]}"
    ;;
  path) echo "$AIRFLOW_VENV" ;;
  dbt) echo "$DBT_VENV" ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
