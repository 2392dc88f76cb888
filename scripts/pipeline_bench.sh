#!/usr/bin/env bash
# Benchmark (not a test: it asserts nothing). 1) `transform sync` records/s into DuckDB: the replay server
# generates a long synthetic history (connector/bench/history_routes.json: a point every 400 s since 2013-04-28,
# ~1,070,000 records for the default 5,000 "hourly" days, all of CoinGecko's), source-bitcoin reads it, transform sync loads it; the connector alone (stdout to
# /dev/null) is timed too, since both run at once and the slower one bounds the sync; then the peer, PyAirbyte
# (scripts/pyairbyte_peer.py: the same executable, config and stream read into PyAirbyte's DuckDB cache), when
# its venv exists (~/.cache/bitcoin-pipeline/pyairbyte-venv). 2) each phase of the offline pipeline
# (scripts/pipeline.sh). Usage: scripts/pipeline_bench.sh [HOURLY_DAYS] [--opt] [--sync-only]
#   --opt builds source-bitcoin and transform with `--profile bench` (optimised; never in CI); without it, the
#   usual dev build is measured. --sync-only skips part 2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
days="${1:-5000}"
. scripts/dev-env.sh
profile=(); bin="$CARGO_TARGET_DIR/debug"; phases=yes
for a in "${@:2}"; do
  case "$a" in
    --opt) profile=(--profile bench); bin="$CARGO_TARGET_DIR/release" ;;
    --sync-only) phases=no ;;
    *) echo "usage: $0 [HOURLY_DAYS] [--opt] [--sync-only]" >&2; exit 2 ;;
  esac
done
cargo build -q -p transform -p source-bitcoin -p replay-server --no-default-features "${profile[@]}"
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
/usr/bin/time -v -o "$work/read_time.txt" "$bin/source-bitcoin" read --config "$work/config.json" --catalog "$work/catalog.json" 2>/dev/null > /dev/null
t1="$(date +%s.%N)"
export TRANSFORM_DUCKDB_PATH="$work/bench.duckdb"
/usr/bin/time -v -o "$work/time.txt" "$bin/transform" sync --source "$bin/source-bitcoin" --config "$work/config.json" \
  --streams coingecko_market_chart 2>/dev/null | tail -1 | tee "$work/sync.out"
t2="$(date +%s.%N)"
records="$(sed -n 's/.*Synced \([0-9]*\) records.*/\1/p' "$work/sync.out")"
rss_kb="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"
cpu_of() { awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$1"; }
cpu="$(cpu_of "$work/time.txt")"
read_cpu="$(cpu_of "$work/read_time.txt")"
python3 - "$records" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$cpu" "$rss_kb" "$read_cpu" <<'PY'
import sys
n, read, sync, cpu, rss, read_cpu = int(sys.argv[1]), *map(float, sys.argv[2:5]), int(sys.argv[5]), float(sys.argv[6])
loader = max(cpu - read_cpu, 1e-9)
print(f"records                    {n:,}")
print(f"connector alone (> null)   {read:.2f} s  -> {n / read:,.0f} records/s ({read_cpu:.2f} CPU-s)")
print(f"transform sync (end to end){sync:.2f} s  -> {n / sync:,.0f} records/s")
print(f"transform sync CPU         {cpu:.2f} s  (source included; loader alone ~{loader:.2f} s -> {n / loader:,.0f} records per CPU-second)")
print(f"transform sync peak RSS    {rss / 1024:.1f} MiB")
# Summary lines for scripts/bench.sh.
for value, unit in [(n / sync, "records/s_end_to_end"), (n / loader, "records/CPU-s_loader_alone"), (rss / 1024, "MiB_peak_RSS"), (n / read, "records/s_connector_alone")]:
    print(f"BENCH name=sync_{n}_records ours={value:.6g} peer= unit={unit}")
PY
peer_venv="$HOME/.cache/bitcoin-pipeline/pyairbyte-venv"
if [ -x "$peer_venv/bin/python" ]; then
  t3="$(date +%s.%N)"
  (cd "$work" && /usr/bin/time -v -o "$work/peer_time.txt" "$peer_venv/bin/python" "$root/scripts/pyairbyte_peer.py" \
    "$bin/source-bitcoin" "$work/config.json" coingecko_market_chart "$work/peer.duckdb" > "$work/peer.out" 2> "$work/peer.err") || true
  t4="$(date +%s.%N)"
  peer_n="$(sed -n 's/^records \([0-9]*\)$/\1/p' "$work/peer.out")"
  if [ -n "$peer_n" ]; then
    peer_rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/peer_time.txt")"
    peer_cpu="$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/peer_time.txt")"
    python3 - "$peer_n" "$(secs "$t3" "$t4")" "$peer_cpu" "$peer_rss" "$cpu" "$read_cpu" "$records" "$rss_kb" <<'PY'
import sys
n, wall, cpu, rss, ours, read_cpu = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
ours_n, ours_rss = int(sys.argv[7]), int(sys.argv[8])
print(f"PyAirbyte records          {n:,}")
print(f"PyAirbyte (end to end)     {wall:.2f} s  -> {n / wall:,.0f} records/s")
print(f"PyAirbyte CPU              {cpu:.2f} s  (source included; loader alone ~{max(cpu - read_cpu, 1e-9):.2f} s)")
print(f"PyAirbyte peak RSS         {rss / 1024:.1f} MiB")
print(f"CPU-s, PyAirbyte / ours    {cpu / ours:.1f}x (both with the source)")
# The side-by-side lines for scripts/bench.sh (per record, so different history lengths compare).
print(f"BENCH name=sync_vs_pyairbyte ours={ours / ours_n * 1e6:.4g} peer={cpu / n * 1e6:.4g} unit=µs_CPU/record_with_source")
print(f"BENCH name=sync_vs_pyairbyte ours={ours_rss / 1024:.4g} peer={rss / 1024:.4g} unit=MiB_peak_RSS")
PY
  else
    echo "PyAirbyte peer failed (see its stderr below)"; tail -5 "$work/peer.err"
  fi
fi
kill "$server_pid" 2>/dev/null || true
server_pid=""
[ "$phases" = yes ] || exit 0
echo
echo "Offline pipeline phases (scripts/pipeline.sh):"
env -u TRANSFORM_DUCKDB_PATH scripts/pipeline.sh 2>/dev/null | sed -n '/^Phase timings/,$p'
