#!/usr/bin/env bash
# Benchmark, not a test (it asserts nothing): `source-bitcoin read` against its peer, Airbyte's Python CDK
# (`airbyte-cdk` from PyPI, an `HttpStream` in connector/bench/cdk_peer.py), on the same loopback replay of a
# synthetic CoinGecko `market_chart` history: POINTS points in the 90-day "hourly" windows (one an hour for
# the default 100,000; denser past CoinGecko's ~119,000 hours since 2013-04-28) plus the daily history. Each
# reads from its own fresh replay server, stdout into `wc -l`. Prints one table: records, requests, CPU
# (user + sys of the reader alone), µs of CPU per record, records per CPU-second, wall time, peak RSS, and
# the ratio ours/peer; then `BENCH name=… ours=… peer=… unit=…` lines for scripts/bench.sh.
# Usage: connector/bench/vs_cdk.sh [POINTS] [--no-peer]
# The connector is built with `--profile bench` (optimised; never used by CI); the CDK lives in a cached
# venv, ~/.cache/bitcoin-pipeline/cdk-venv (created on first use, ~1 min).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. scripts/dev-env.sh
points="${1:-100000}"
peer=yes
[ "${2:-}" = "--no-peer" ] && peer=no
cargo build -q --profile bench -p source-bitcoin -p replay-server
bin="$CARGO_TARGET_DIR/release"
venv="$HOME/.cache/bitcoin-pipeline/cdk-venv"
if [ "$peer" = yes ] && ! "$venv/bin/python" -c 'import airbyte_cdk' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q airbyte-cdk==7.39.1
fi
work="$(mktemp -d)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# Hourly days and the step between points that give POINTS points in the "hourly" windows.
read -r days step < <(python3 - "$points" <<'PY'
import datetime, sys
points = int(sys.argv[1])
available = (datetime.date.today() - datetime.date(2013, 4, 28)).days - 1
days = min(available, -(-points // 24))
print(days, max(1, round(days * 86400 / points)))
PY
)
cat > "$work/routes.json" <<JSON
{"routes": [{"path": "/coingecko/api/v3/coins/bitcoin/market_chart/range",
  "responses": [{"generate": {"kind": "market_chart_range", "step_seconds": $step}}]}]}
JSON
cat > "$work/catalog.json" <<JSON
{"streams": [{"stream": {"name": "coingecko_market_chart", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
  "sync_mode": "incremental", "destination_sync_mode": "append"}]}
JSON

# serve: starts a fresh replay server and sets `url` (not in a `$(...)` subshell, so `server_pid` stays here).
serve() {
  rm -f "$work/server.out"
  "$bin/replay-server" "$work/routes.json" --port 0 > "$work/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  url="$(sed -n 's/^listening on //p' "$work/server.out")"
  [ -n "$url" ] || { echo "replay server did not start" >&2; exit 1; }
}
stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# run NAME URL COMMAND...: the command's stdout counted, its own CPU/RSS from /usr/bin/time, requests served.
run() {
  local name=$1 url=$2; shift 2
  /usr/bin/time -v -o "$work/$name.time" "$@" 2> "$work/$name.err" | grep -c '"type":"RECORD"' > "$work/$name.records" || true
  python3 -c 'import json, sys, urllib.request; print(sum(1 for r in json.load(urllib.request.urlopen(sys.argv[1] + "/__requests")) if r["path"] != "/__requests"))' "$url" > "$work/$name.requests"
}

serve
cat > "$work/ours.json" <<JSON
{"start_date": "2013-04-28", "market_chart_hourly_days": $days, "rate_limits": {"coingecko": 1000000000},
 "base_urls": {"coingecko": "$url/coingecko/api/v3"}}
JSON
run ours "$url" "$bin/source-bitcoin" read --config "$work/ours.json" --catalog "$work/catalog.json"
stop
if [ "$peer" = yes ]; then
  serve
  cat > "$work/peer.json" <<JSON
{"base_url": "$url/coingecko/api/v3", "start_date": "2013-04-28", "hourly_days": $days}
JSON
  run peer "$url" "$venv/bin/python" connector/bench/cdk_peer.py read --config "$work/peer.json" --catalog "$work/catalog.json"
  stop
fi

python3 - "$work" "$points" "$step" "$peer" <<'PY'
import os, sys
work, points, step, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "yes"
def figures(name):
    t = dict(l.strip().split(": ", 1) for l in open(os.path.join(work, name + ".time")) if ": " in l)
    wall = sum(float(p) * 60 ** i for i, p in enumerate(reversed(t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))))
    cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
    records = int(open(os.path.join(work, name + ".records")).read() or 0)
    requests = int(open(os.path.join(work, name + ".requests")).read() or 0)
    return {"records": records, "requests": requests, "cpu": cpu, "us": cpu * 1e6 / max(records, 1),
            "rate": records / cpu if cpu else 0, "wall": wall, "rss": int(t["Maximum resident set size (kbytes)"]) / 1024}
ours = figures("ours")
other = figures("peer") if peer else None
rows = [("records", "records", "{:,.0f}"), ("requests", "requests", "{:,.0f}"), ("CPU (user+sys), s", "cpu", "{:.2f}"),
        ("CPU per record, µs", "us", "{:.2f}"), ("records per CPU-second", "rate", "{:,.0f}"),
        ("wall time, s", "wall", "{:.2f}"), ("peak RSS, MiB", "rss", "{:.1f}")]
print(f"market_chart replay: {points:,} points in the hourly windows (one every {step} s) + the daily history")
print(f"| {'measure':<24} | {'source-bitcoin':>15} | {'CDK peer':>15} | {'ours / peer':>11} |")
print(f"|{'-' * 26}|{'-' * 17}|{'-' * 17}|{'-' * 13}|")
for label, key, fmt in rows:
    mine = fmt.format(ours[key])
    theirs = fmt.format(other[key]) if other else "-"
    ratio = f"{ours[key] / other[key]:.2f}" if other and other[key] else "-"
    print(f"| {label:<24} | {mine:>15} | {theirs:>15} | {ratio:>11} |")
for key, unit in [("us", "µs_CPU/record"), ("rate", "records/CPU-s"), ("rss", "MiB_peak_RSS"), ("requests", "requests")]:
    theirs = f"{other[key]:.6g}" if other else ""
    print(f"BENCH name=connector_{points}_points ours={ours[key]:.6g} peer={theirs} unit={unit}")
PY
