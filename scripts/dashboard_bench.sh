#!/usr/bin/env bash
# Benchmark (not a test) of `transform dashboard serve` on 15 years of daily and 90 days of hourly BTC
# history in DuckDB (tests/scenarios/dashboard_bench.json: a generated CoinGecko series — CoinMarketCap off, its
# generated series would disagree with CoinGecko's past the spread test —
# replayed over loopback, synced and built by the real pipeline). Reports per panel endpoint the p50/p95
# latency and the requests/s the server holds under wrk on loopback (2 threads, 32 connections, 10 s each; with
# `Accept-Encoding: gzip` as browsers send it, and the largest panel once more without),
# then the page's time to all panels drawn in headless Chromium (median of 3 loads).
#   scripts/dashboard_bench.sh [SECONDS_PER_ENDPOINT]
# Needs wrk (apt-get install wrk) and the browser harness (scripts/browser-setup.sh). Loopback only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-10}"
. scripts/dev-env.sh
command -v wrk >/dev/null || { echo "dashboard_bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
# BENCH_PROFILE=bench (as scripts/bench.sh sets) measures the optimised build; the default is the dev build.
profile="${BENCH_PROFILE:-dev}"
cargo build -q --profile "$profile" -p transform -p source-bitcoin -p replay-server --no-default-features
bin="$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo release)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_and_read() { # $1 = log file, $2 = pattern before the URL; prints the URL
  for _ in $(seq 600); do
    url="$(grep -o "$2http://[0-9.:]*" "$1" 2>/dev/null | head -1 | sed "s|^$2||")"
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  echo "did not start: $(cat "$1")" >&2; return 1
}

"$bin/replay-server" tests/scenarios/dashboard_bench.json --port 0 > "$work/replay.out" 2>&1 &
pids+=($!)
replay="$(start_and_read "$work/replay.out" 'listening on ')"
start="$(date -u -d '-15 years' +%Y-%m-%d)"
cat > "$work/config.json" <<JSON
{"start_date": "$start", "market_chart_hourly_days": 90, "coinmarketcap_hourly_days": 90, "mempool_blocks_backfill": 30,
 "rate_limits": {"coingecko": 60000, "blockchain_com": 60000, "mempool_space": 60000,
                 "coinmarketcap": 60000, "github": 60000, "reddit": 60000},
 "base_urls": {"coingecko": "$replay/coingecko/api/v3", "blockchain_com": "$replay/blockchain",
               "mempool_space": "$replay/mempool/api", "coinmarketcap": "$replay/cmc",
               "github": "$replay/github", "reddit": "$replay/reddit"}}
JSON
export TRANSFORM_DUCKDB_PATH="$work/bench.duckdb"
t0=$(date +%s.%N)
"$bin/transform" sync --source "$bin/source-bitcoin" --config "$work/config.json" > "$work/sync.log" 2>&1 || true
"$bin/transform" build > "$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
t1=$(date +%s.%N)
days="$("$bin/transform" show --inline "select count(*) from main_marts.fct_price_ohlcv where granularity = 'day'" | sed -n 3p | tr -d '| ')"
hours="$("$bin/transform" show --inline "select count(*) from main_marts.fct_price_ohlcv where granularity = 'hour'" | sed -n 3p | tr -d '| ')"
printf 'warehouse: %s daily and %s hourly candles (sync + build %.1f s)\n' "$days" "$hours" "$(echo "$t1 - $t0" | bc)"

"$bin/transform" dashboard serve --port 0 > "$work/serve.out" 2>&1 &
pids+=($!)
url="$(start_and_read "$work/serve.out" ' at ')/"
cat > "$work/p95.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.2f %.2f %.0f %d %d\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.requests / (summary.duration / 1e6), summary.errors.status + summary.errors.connect + summary.errors.read, summary.bytes / math.max(summary.requests, 1)))
end
LUA
printf '\n%-22s %9s %9s %10s %9s %7s\n' endpoint p50_ms p95_ms req/s bytes errors
panels="$(curl -s "${url}api/dashboard" | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["panels"]))')"
measure() { # $1 = label, $2 = path, rest = wrk options
  local label=$1 path=$2; shift 2
  line="$(wrk -t2 -c32 -d"${secs}s" -s "$work/p95.lua" "$@" "${url}${path}" | grep '^RESULT')"
  read -r _ p50 p95 rps errs bytes <<<"$line"
  printf '%-22s %9s %9s %10s %9s %7s\n' "$label" "$p50" "$p95" "$rps" "$bytes" "$errs"
  echo "BENCH name=dashboard_${label// /_} ours=$p95 peer= unit=ms_p95" >> "$work/summary"
  echo "BENCH name=dashboard_${label// /_} ours=$rps peer= unit=requests/s" >> "$work/summary"
}
for p in $panels; do
  measure "$p" "api/panels/$p" -H 'Accept-Encoding: gzip'
done
measure "price (no gzip)" "api/panels/price"
measure "api/dashboard" "api/dashboard" -H 'Accept-Encoding: gzip'

if harness="$(scripts/browser-setup.sh 2>/dev/null)" && [ -n "$harness" ]; then
  times=()
  for i in 1 2 3; do
    ms="$(BROWSER_HARNESS_DIR="$harness" node tests/browser/dashboard.mjs "$url" "$work/shot$i.png" | sed -n 's/^READY //p' | python3 -c 'import json,sys; print(json.load(sys.stdin)["drawn_ms"])')"
    times+=("$ms")
  done
  drawn="$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)"
  printf '\npage: all panels drawn in %s ms (3 loads: %s)\n' "$drawn" "${times[*]}"
  echo "BENCH name=dashboard_page_drawn ours=$drawn peer= unit=ms_median" >> "$work/summary"
fi
# Summary lines for scripts/bench.sh.
cat "$work/summary"
