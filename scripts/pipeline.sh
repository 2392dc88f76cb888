#!/usr/bin/env bash
# The whole pipeline in one command: source-bitcoin → `transform sync` → `transform build` (models + data
# tests) into an embedded DuckDB file, then the headline KPIs from rpt_bitcoin_kpis as a small table.
#
#   scripts/pipeline.sh          offline: recorded API responses (tests/scenarios/pipeline.json, 420 days)
#                                replayed over loopback; no internet, no keys. DB: target/pipeline_offline.duckdb
#                                (recreated each run).
#   scripts/pipeline.sh --live   the real APIs (CoinGecko, blockchain.com, mempool.space, GitHub, Reddit;
#                                CoinMarketCap too when CMC_API_KEY is set; GITHUB_TOKEN is used when set).
#                                DB: target/bitcoin.duckdb, synced incrementally run after run.
# TRANSFORM_DUCKDB_PATH overrides the database file. Each phase's wall time is printed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="offline"
case "${1:-}" in
  --live) mode="live" ;;
  "") ;;
  *) echo "usage: scripts/pipeline.sh [--live]" >&2; exit 2 ;;
esac

now() { date +%s.%N; }
declare -a phases=()
phase() { phases+=("$(printf '%-11s %7.2f s' "$1" "$(echo "$3 - $2" | bc)")"); }

t0="$(now)"
. scripts/dev-env.sh
cargo build -q -p transform -p source-bitcoin -p replay-server --no-default-features
bin="$CARGO_TARGET_DIR/debug"
work="$(mktemp -d)"
chmod 700 "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
t1="$(now)"; phase compile "$t0" "$t1"

if [ "$mode" = offline ]; then
  export TRANSFORM_DUCKDB_PATH="${TRANSFORM_DUCKDB_PATH:-target/pipeline_offline.duckdb}"
  rm -f "$TRANSFORM_DUCKDB_PATH" "$TRANSFORM_DUCKDB_PATH.wal"
  "$bin/replay-server" tests/scenarios/pipeline.json --port 0 > "$work/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  url="$(sed -n 's/^listening on //p' "$work/server.out")"
  [ -n "$url" ] || { echo "replay server did not start: $(cat "$work/server.out")" >&2; exit 1; }
  # The replay server answers CoinMarketCap without checking the key: a placeholder turns those streams on.
  cat > "$work/config.json" <<JSON
{"start_date": "2025-09-01", "market_chart_hourly_days": 0, "mempool_blocks_backfill": 30,
 "coinmarketcap_api_key": "replay-placeholder",
 "rate_limits": {"coingecko": 60000, "blockchain_com": 60000, "mempool_space": 60000,
                 "coinmarketcap": 60000, "github": 60000, "reddit": 60000},
 "base_urls": {"coingecko": "$url/coingecko/api/v3", "blockchain_com": "$url/blockchain",
               "mempool_space": "$url/mempool/api", "coinmarketcap": "$url/cmc",
               "github": "$url/github", "reddit": "$url/reddit"}}
JSON
else
  export TRANSFORM_DUCKDB_PATH="${TRANSFORM_DUCKDB_PATH:-target/bitcoin.duckdb}"
  # Keys go into the config file only (mode 600 in a private temp dir, deleted on exit), never the command line.
  CMC_API_KEY="${CMC_API_KEY:-}" GITHUB_TOKEN="${GITHUB_TOKEN:-}" START="$(date -u -d '-364 days' +%Y-%m-%d)" \
    python3 -c '
import json, os
c = {"start_date": os.environ["START"]}
if os.environ["CMC_API_KEY"]: c["coinmarketcap_api_key"] = os.environ["CMC_API_KEY"]
if os.environ["GITHUB_TOKEN"]: c["github_token"] = os.environ["GITHUB_TOKEN"]
print(json.dumps(c))' > "$work/config.json"
  chmod 600 "$work/config.json"
fi

t2="$(now)"
sync_rc=0
"$bin/transform" sync --source "$bin/source-bitcoin" --config "$work/config.json" || sync_rc=$?
t3="$(now)"; phase sync "$t2" "$t3"
[ "$sync_rc" -le 1 ] || exit "$sync_rc"

build_rc=0
"$bin/transform" build || build_rc=$?
t4="$(now)"; phase build+test "$t3" "$t4"

"$bin/transform" show --log-format text --inline "
select kpi, latest from (
  select 1 o, 'price (USD)' kpi, format('{:,.2f}', price_usd) latest from main_reporting.rpt_bitcoin_kpis union all
  select 2, '24 h change (USD)', format('{:+.2f}', price_change_24h_usd) from main_reporting.rpt_bitcoin_kpis union all
  select 3, '24 h change (%)', format('{:+.2f}', price_change_pct_24h) from main_reporting.rpt_bitcoin_kpis union all
  select 4, 'market cap (USD)', format('{:,.0f}', market_cap_usd) from main_reporting.rpt_bitcoin_kpis union all
  select 5, '24 h volume (USD)', format('{:,.0f}', volume_24h_usd) from main_reporting.rpt_bitcoin_kpis union all
  select 6, 'BTC dominance (%)', format('{:.2f}', btc_dominance_pct) from main_reporting.rpt_bitcoin_kpis union all
  select 7, 'hash rate (EH/s)', format('{:,.1f}', hash_rate_ehs) from main_reporting.rpt_bitcoin_kpis union all
  select 8, 'difficulty', format('{:,.0f}', difficulty) from main_reporting.rpt_bitcoin_kpis union all
  select 9, 'RSI-14 (Wilder)', format('{:.1f}', rsi_14) from main_reporting.rpt_bitcoin_kpis union all
  select 10, 'SMA-200 (USD)', format('{:,.2f}', sma_200_usd) from main_reporting.rpt_bitcoin_kpis union all
  select 11, 'transactions (24 h)', format('{:,}', cast(transaction_count_24h as bigint)) from main_reporting.rpt_bitcoin_kpis union all
  select 12, 'as of', cast(indicators_as_of as varchar) from main_reporting.rpt_bitcoin_kpis
) order by o"
t5="$(now)"; phase kpis "$t4" "$t5"
phase total "$t0" "$t5"
printf '%s\n' "" "Phase timings ($mode, database $TRANSFORM_DUCKDB_PATH):" "${phases[@]}"
[ "$sync_rc" -eq 0 ] || echo "transform sync reported source errors (exit $sync_rc); the KPIs use what was read." >&2
printf '%s\n' "" "The dashboard of this database (dashboards/bitcoin.yml), then open http://127.0.0.1:8080/ :" \
  "  TRANSFORM_DUCKDB_PATH=$TRANSFORM_DUCKDB_PATH $bin/transform dashboard serve"
[ "$mode" = live ] && printf '%s\n' "  (add --sync-every 5m --source $bin/source-bitcoin --config CONFIG.json to keep it syncing)"
exit "$build_rc"
