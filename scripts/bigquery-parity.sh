#!/usr/bin/env bash
# The Bitcoin project on BigQuery, checked against DuckDB: the same raw data (recorded API responses replayed
# over loopback, as in scripts/pipeline.sh) is synced into DuckDB and into a local BigQuery emulator, the whole
# project is built on both, and every mart and report table must be equal row for row
# (transform/examples/compare_marts.rs; floats within 1e-9 relative). Two wall-clock columns are not compared:
# the report's build time and the Reddit snapshot's time, which the connector stamps when it reads.
#   scripts/bigquery-parity.sh        needs `scripts/bigquery-emulator.sh setup` done once (scripts/test.sh does it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/dev-env.sh
cargo build -q -p transform -p source-bitcoin -p replay-server --no-default-features
bin="$CARGO_TARGET_DIR/debug"
work="$(mktemp -d)"
emu_pid="" server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$emu_pid" ] && scripts/bigquery-emulator.sh stop "$emu_pid"
  rm -rf "$work"
}
trap cleanup EXIT

# DuckDB side: the offline pipeline (sync + build + tests).
export TRANSFORM_DUCKDB_PATH="$work/duck.duckdb"
scripts/pipeline.sh > "$work/pipeline.log" 2>&1 || { tail -30 "$work/pipeline.log"; exit 1; }
echo "DuckDB: $(grep -o 'Done\. PASS=[^ ]* .*' "$work/pipeline.log" | tail -1)"

# BigQuery side: an emulator on a free port, the same replayed responses synced, the same project built.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
emu_pid=$(scripts/bigquery-emulator.sh start "$port" parity-project)
cat > "$work/profiles.yml" <<YAML
bitcoin:
  target: bq
  outputs:
    dev:
      type: duckdb
      path: $TRANSFORM_DUCKDB_PATH
      schema: main
    bq:
      type: bigquery
      project: parity-project
      dataset: main
      location: US
      threads: 2
      api_base_url: http://127.0.0.1:$port/bigquery/v2
YAML
"$bin/replay-server" tests/scenarios/pipeline.json --port 0 > "$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/server.out" 2>/dev/null && break; sleep 0.05; done
url="$(sed -n 's/^listening on //p' "$work/server.out")"
[ -n "$url" ] || { echo "replay server did not start: $(cat "$work/server.out")" >&2; exit 1; }
# The same source config as scripts/pipeline.sh's offline mode.
cat > "$work/config.json" <<JSON
{"start_date": "2025-09-01", "market_chart_hourly_days": 0, "mempool_blocks_backfill": 30,
 "coinmarketcap_api_key": "replay-placeholder",
 "rate_limits": {"coingecko": 60000, "blockchain_com": 60000, "mempool_space": 60000,
                 "coinmarketcap": 60000, "github": 60000, "reddit": 60000},
 "base_urls": {"coingecko": "$url/coingecko/api/v3", "blockchain_com": "$url/blockchain",
               "mempool_space": "$url/mempool/api", "coinmarketcap": "$url/cmc",
               "github": "$url/github", "reddit": "$url/reddit"}}
JSON
"$bin/transform" sync --profiles-dir "$work" --target bq --source "$bin/source-bitcoin" --config "$work/config.json"
"$bin/transform" build --profiles-dir "$work" --target bq > "$work/bq_build.log" 2>&1 || { grep -v ' OK \| PASS ' "$work/bq_build.log" | tail -40; exit 1; }
echo "BigQuery: $(grep -o 'Done\. PASS=[^ ]* .*' "$work/bq_build.log" | tail -1)"

cargo run -q -p transform --no-default-features --example compare_marts -- "$work" bitcoin dev bq main_marts main_reporting \
  --ignore rpt_bitcoin_kpis.generated_at --ignore fct_social_daily.snapshot_at
