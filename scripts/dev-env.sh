# Source this file (`. scripts/dev-env.sh`) to build and run against the prebuilt DuckDB in one shared target dir:
#   cargo build --workspace --no-default-features
# It exports CARGO_TARGET_DIR, DUCKDB_LIB_DIR and LD_LIBRARY_PATH (the binaries load libduckdb.so at run time).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bitcoin-pipeline/target}"
DUCKDB_LIB_DIR="$("$root/scripts/prebuilt-duckdb.sh")"
export DUCKDB_LIB_DIR
export LD_LIBRARY_PATH="$DUCKDB_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
