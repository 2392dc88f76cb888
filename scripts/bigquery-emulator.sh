#!/usr/bin/env bash
# A local BigQuery (REST on 127.0.0.1) for the BigQuery adapter's tests, installed from PyPI only.
#   scripts/bigquery-emulator.sh setup              install local-bigquery (Python >= 3.13) or, failing that, bqemulator (3.11)
#   scripts/bigquery-emulator.sh start PORT PROJECT start it; prints the PID; REST base http://127.0.0.1:PORT/bigquery/v2
#   scripts/bigquery-emulator.sh stop PID           stop it
# Offline fixes: DuckDB 1.5.5 (its extensions ship as PyPI wheels; 2.0's must be downloaded) installed into the
# emulator's own HOME, so nothing is fetched at run time.
set -euo pipefail
ROOT=${BQ_EMULATOR_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/bitcoin-pipeline/bq-emulator}
mkdir -p "$ROOT"

install_extensions() { # $1 = venv python, rest = extension names
  local py=$1; shift
  HOME="$ROOT/home" "$py" - "$@" <<'PY'
import duckdb, importlib, os, sys
con = duckdb.connect()
for name in sys.argv[1:]:
    mod = importlib.import_module(f"duckdb_extension_{name}")
    con.execute(f"INSTALL '{os.path.join(os.path.dirname(mod.__file__), 'extensions', 'v1.5.5', name + '.duckdb_extension')}'")
PY
}

setup_local_bigquery() {
  local py313
  # pyenv's shim for python3.13 exists but fails unless 3.13 is selected: call the interpreter directly.
  py313=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 2>/dev/null | tail -1)
  [ -n "$py313" ] || py313=$(command -v python3.13) || return 1
  "$py313" --version >/dev/null 2>&1 || return 1
  "$py313" -m venv "$ROOT/venv-lbq" || return 1
  "$ROOT/venv-lbq/bin/pip" install -q local-bigquery==0.4.0 || return 1
  # local-bigquery pins duckdb>=2 (pip warns); 1.5.5 works and has offline extension wheels.
  "$ROOT/venv-lbq/bin/pip" install -q duckdb==1.5.5 duckdb-extension-icu==1.5.5 \
    duckdb-extension-ducklake==1.5.5 duckdb-extension-spatial==1.5.5 2>&1 | grep -v 'dependency conflicts\|requires duckdb' || true
  install_extensions "$ROOT/venv-lbq/bin/python" icu ducklake spatial || return 1
  echo local-bigquery > "$ROOT/kind"
}

setup_bqemulator() {
  python3 -m venv "$ROOT/venv-bqe"
  "$ROOT/venv-bqe/bin/pip" install -q bqemulator==1.4.0 numpy duckdb==1.5.5 duckdb-extension-spatial==1.5.5
  install_extensions "$ROOT/venv-bqe/bin/python" spatial
  echo bqemulator > "$ROOT/kind"
}

wait_ready() { # $1 = url, $2 = pid
  for _ in $(seq 1 300); do
    curl -sf "$1" >/dev/null 2>&1 && { echo "$2"; return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "bigquery emulator did not come up; see $ROOT/emulator.log" >&2
  return 1
}

case "${1:-}" in
  setup)
    mkdir -p "$ROOT/home"
    [ -f "$ROOT/kind" ] && { echo "already installed: $(cat "$ROOT/kind")" >&2; exit 0; }
    setup_local_bigquery || { echo "local-bigquery failed; falling back to bqemulator" >&2; setup_bqemulator; }
    ;;
  start)
    port=${2:?port}; project=${3:?project}
    case "$(cat "$ROOT/kind")" in
      local-bigquery)
        # One fresh data folder per port: emulators on other ports keep theirs, nothing piles up.
        data="$ROOT/data.$port"; rm -rf "$data"; mkdir -p "$data"
        HOME="$ROOT/home" nohup "$ROOT/venv-lbq/bin/local-bigquery" serve --host 127.0.0.1 --port "$port" \
          --grpc-port $((port + 10)) --project "$project" --data-dir "$data" > "$ROOT/emulator.log" 2>&1 &
        wait_ready "http://127.0.0.1:$port/bigquery/v2/projects" $! ;;
      bqemulator)
        HOME="$ROOT/home" BQEMU_ENABLE_FORMAT_EXTENSIONS=false nohup "$ROOT/venv-bqe/bin/bqemulator" start \
          --rest-host 127.0.0.1 --rest-port "$port" --grpc-host 127.0.0.1 --grpc-port $((port + 10)) \
          --project "$project" --ephemeral --log-level warning > "$ROOT/emulator.log" 2>&1 &
        wait_ready "http://127.0.0.1:$port/readyz" $! ;;
    esac
    ;;
  stop)
    kill "${2:?pid}" 2>/dev/null || true ;;
  *)
    sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
