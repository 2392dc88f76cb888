#!/usr/bin/env bash
# Every benchmark of the repo in one go (benchmarks, not tests: nothing is asserted), then ONE table of their
# `BENCH name=… ours=… peer=… unit=…` summary lines: benchmark | ours | peer | ours/peer | unit.
#   scripts/bench.sh [--quick] [connector] [sync] [parse] [scale] [dashboard]     (no names: all of them)
#   connector  connector/bench/vs_cdk.sh: source-bitcoin vs Airbyte's Python CDK (100k points; 1M, 10M alone)
#   sync       scripts/pipeline_bench.sh: transform sync into DuckDB, records/s, beside PyAirbyte when its venv exists
#   parse      transform/examples/bench: parse / compile of generated 1,000- and 10,000-model projects
#   scale      scripts/scale_bench.sh: the Bitcoin project on 15 years of history, full then one new day
#   dashboard  scripts/dashboard_bench.sh: dashboard latency and throughput (needs wrk)
# --quick runs each at a small size (minutes, not the better part of an hour). Everything is built with
# `--profile bench` (optimised, never used by CI) except `sync`, whose script builds the dev profile with
# `--opt` (opt-level 3 for our crates). Each script's own output is shown as it runs and kept for the table.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
all=(connector sync parse scale dashboard)
quick=no
names=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=yes ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    connector | sync | parse | scale | dashboard) names+=("$arg") ;;
    *) echo "bench.sh: unknown benchmark or option '$arg' (benchmarks: ${all[*]}; option: --quick)" >&2; exit 2 ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
. scripts/dev-env.sh
export BENCH_PROFILE=bench
wants() { [[ " ${names[*]} " == *" $1 "* ]]; }

cargo build -q --profile bench -p source-bitcoin -p replay-server
if wants parse || wants scale || wants dashboard; then
  cargo build -q --profile bench -p transform --no-default-features --bin transform --example bench
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
# run NAME COMMAND...: shows the command's output and keeps it for the table; a failure is reported, not fatal.
run() {
  local name=$1; shift
  echo "== $name: $*" >&2
  if ! "$@" 2>&1 | tee -a "$work/$name.log" >&2; then
    failed+=("$name")
  fi
}

if [ "$quick" = yes ]; then
  sizes_connector=(100000) sync_days=500 parse_models=(1000) scale_args=(1 30 2000) dashboard_secs=2
else
  sizes_connector=(100000 1000000 10000000) sync_days=5000 parse_models=(1000 10000) scale_args=() dashboard_secs=10
fi
for name in "${names[@]}"; do
  case "$name" in
    connector)
      for points in "${sizes_connector[@]}"; do
        # The CDK peer only at 100k points: it reads ~20x slower.
        peer=(); [ "$points" -gt 100000 ] && peer=(--no-peer)
        run connector connector/bench/vs_cdk.sh "$points" "${peer[@]}"
      done ;;
    sync) run sync scripts/pipeline_bench.sh "$sync_days" --opt ;;
    parse) run parse "$CARGO_TARGET_DIR/release/examples/bench" "${parse_models[@]}" ;;
    scale) run scale scripts/scale_bench.sh "${scale_args[@]}" ;;
    dashboard) run dashboard scripts/dashboard_bench.sh "$dashboard_secs" ;;
  esac
done

echo
echo "Benchmarks ($([ "$quick" = yes ] && echo quick || echo full) sizes; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
for name in "${names[@]}"; do cat "$work/$name.log" 2>/dev/null; done | grep '^BENCH ' > "$work/summary" || true
python3 - "$work/summary" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    rows.append((fields.get("name", "?"), fields.get("ours", ""), fields.get("peer", ""), fields.get("unit", "")))
def ratio(ours, peer):
    try:
        return f"{float(ours) / float(peer):.2f}"
    except (ValueError, ZeroDivisionError):
        return ""
width = max([len(r[0]) for r in rows] + [9])
print(f"| {'benchmark':<{width}} | {'ours':>12} | {'peer':>12} | {'ours/peer':>9} | unit")
print(f"|{'-' * (width + 2)}|{'-' * 14}|{'-' * 14}|{'-' * 11}|------")
for name, ours, peer, unit in rows:
    print(f"| {name:<{width}} | {ours:>12} | {peer:>12} | {ratio(ours, peer):>9} | {unit.replace('_', ' ')}")
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench.sh: failed: ${failed[*]} (their output is above)" >&2
  exit 1
fi
