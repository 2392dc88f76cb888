#!/usr/bin/env bash
# Benchmark (not a test: it asserts nothing). 1) `transform sync` records/s into DuckDB: the replay server
# generates a long synthetic history (connector/bench/history_routes.json: a point every 400 s since 2013-04-28,
# ~1,070,000 records for the default 5,000 "hourly" days, all of CoinGecko's), source-bitcoin reads it, transform sync loads it; the connector alone (stdout to
# /dev/null) is timed too, since both run at once and the slower one bounds the sync. 2) each phase of the
# offline pipeline (scripts/pipeline.sh). Usage: scripts/pipeline_bench.sh [HOURLY_DAYS] [--opt]
#   --opt builds source-bitcoin and transform at opt-level 3 (dependencies are optimised by the dev profile
#   anyway); without it, the usual dev build is measured.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
days="${1:-5000}"
. scripts/dev-env.sh
opt=()
if [ "${2:-}" = "--opt" ]; then
  opt=(--config "profile.dev.package.source-bitcoin.opt-level=3" --config "profile.dev.package.transform.opt-level=3")
fi
cargo build -q -p transform -p source-bitcoin -p replay-server --no-default-features "${opt[@]}"
bin="$CARGO_TARGET_DIR/debug"
work="$(mktemp -d)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$bin/replay-server" connector/bench/history_routes.json --port 0 > "$work/server.out" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.05; done
url="$(sed -n 's/^listening on //p' "$work/server.out")"
cat > "$work/config.json" <<JSON
{"start_date": "2009-01-03", "market_chart_hourly_days": $days, "rate_limits": {"coingecko": 1000000000},
 "base_urls": {"coingecko": "$url/coingecko/api/v3"}}
JSON
cat > "$work/catalog.json" <<JSON
{"streams": [{"stream": {"name": "coingecko_market_chart"}, "sync_mode": "incremental", "destination_sync_mode": "append"}]}
JSON

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
t0="$(date +%s.%N)"
"$bin/source-bitcoin" read --config "$work/config.json" --catalog "$work/catalog.json" 2>/dev/null > /dev/null
t1="$(date +%s.%N)"
export TRANSFORM_DUCKDB_PATH="$work/bench.duckdb"
/usr/bin/time -v -o "$work/time.txt" "$bin/transform" sync --source "$bin/source-bitcoin" --config "$work/config.json" \
  --streams coingecko_market_chart 2>/dev/null | tail -1 | tee "$work/sync.out"
t2="$(date +%s.%N)"
records="$(sed -n 's/.*Synced \([0-9]*\) records.*/\1/p' "$work/sync.out")"
rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"
cpu="$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/time.txt")"
python3 - "$records" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$cpu" "$rss_kb" <<'PY'
import sys
n, read, sync, cpu, rss = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5])
print(f"records                    {n:,}")
print(f"connector alone (> null)   {read:.2f} s  -> {n / read:,.0f} records/s")
print(f"transform sync (end to end){sync:.2f} s  -> {n / sync:,.0f} records/s")
print(f"transform sync CPU         {cpu:.2f} s  -> {n / cpu:,.0f} records per CPU-second (loader only)")
print(f"transform sync peak RSS    {rss / 1024:.1f} MiB")
# Summary lines for scripts/bench.sh.
for value, unit in [(n / sync, "records/s_end_to_end"), (n / cpu, "records/CPU-s_loader"), (rss / 1024, "MiB_peak_RSS"), (n / read, "records/s_connector_alone")]:
    print(f"BENCH name=sync_{n}_records ours={value:.6g} peer= unit={unit}")
PY
kill "$server_pid" 2>/dev/null || true
server_pid=""
echo
echo "Offline pipeline phases (scripts/pipeline.sh):"
env -u TRANSFORM_DUCKDB_PATH scripts/pipeline.sh 2>/dev/null | sed -n '/^Phase timings/,$p'
