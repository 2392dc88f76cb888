#!/usr/bin/env bash
# Fuzz one target for a set time, then minimize its corpus (an edge set cover): scripts/fuzz.sh TARGET SECONDS
#   TARGET: a [[bin]] of fuzz/Cargo.toml (connector_config, connector_catalog, connector_state,
#           connector_http_body, …); `scripts/fuzz.sh list` lists them.
# libFuzzer through cargo-fuzz on the stable toolchain (RUSTC_BOOTSTRAP=1), without a sanitizer (the code is
# safe Rust: the checks are panics, hangs, memory blow-ups and the targets' own assertions). The corpus is
# fuzz/corpus/TARGET/ (committed, kept small by a set-cover merge after each run); crashes land in fuzz/artifacts/TARGET/ and
# each one becomes a regression test (each crate's tests/fuzz_corpus.rs replays every corpus file in CI).
# Prints one line: TARGET, seconds, executions, execs/s, corpus files and bytes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/bitcoin-pipeline/target-fuzz}"
# The transform targets link the prebuilt libduckdb.so (dev-env.sh keeps the CARGO_TARGET_DIR above).
. "$root/scripts/dev-env.sh"
export RUSTC_BOOTSTRAP=1
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
if [ "${1:-}" = list ]; then cargo fuzz list; exit 0; fi
target="${1:?usage: scripts/fuzz.sh TARGET SECONDS}"
secs="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
mkdir -p "corpus/$target" "artifacts/$target"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
  -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "$log" >&2
status=${PIPESTATUS[0]}
set -e
# The merge renames every file to its SHA-1: keep the named ones (seed-*, crash-*: tests read them by name)
# and drop their hash-named copies.
keep="$(mktemp -d)"
trap 'rm -rf "$log" "$keep"' EXIT
find "corpus/$target" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'crash-*' \) -exec cp {} "$keep/" \;
# Minimize: the smallest set of files covering every edge (set-cover merge without hit counters; plain
# `cargo fuzz cmin` keeps one file per counter bucket, thousands for the message parser).
bin="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release/$target"
min="$keep/min"
mkdir "$min"
"$bin" -set_cover_merge=1 -use_counters=0 "$min" "corpus/$target" >/dev/null 2>&1
find "corpus/$target" -maxdepth 1 -type f -delete
cp "$min"/* "corpus/$target/"
rm -rf "$min"
for f in "$keep"/*; do
  [ -e "$f" ] || continue
  cp "$f" "corpus/$target/"
  rm -f "corpus/$target/$(sha1sum "$f" | cut -d' ' -f1)"
done
# Mutations grow secret-field values (`github_token`, `*_api_key`) into key-shaped strings; a committed corpus
# must not look like it holds credentials, so such values are cut to "x" (the file renamed to its new SHA-1).
python3 - "corpus/$target" <<'PY'
import hashlib, os, re, sys
secret = re.compile(rb'("[a-z_]*(?:token|key)"\s*:\s*")([^"]{16,})(")')
for name in os.listdir(sys.argv[1]):
    path = os.path.join(sys.argv[1], name)
    data = open(path, "rb").read()
    cut = secret.sub(lambda m: m.group(1) + b"x" + m.group(3), data)
    if cut != data:
        os.remove(path)
        named = name.startswith(("seed-", "crash-"))
        open(os.path.join(sys.argv[1], name if named else hashlib.sha1(cut).hexdigest()), "wb").write(cut)
PY
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
files="$(find "corpus/$target" -type f | wc -l)"
bytes="$(du -sb "corpus/$target" | cut -f1)"
echo "$target: ${secs} s, ${runs:-?} executions, ${rate:-?} execs/s, corpus $files files / $bytes bytes, exit $status"
exit "$status"
