#!/usr/bin/env bash
# Fetches the prebuilt libduckdb.so (DuckDB 1.5.6, the version the `duckdb` crate =1.10506.0 wraps) from the npm
# package @duckdb/node-bindings-linux-x64 into a cache folder and prints that folder. Linking it
# (`--no-default-features` + DUCKDB_LIB_DIR) saves the ~70 CPU-minutes of compiling DuckDB from source.
set -euo pipefail
version="1.5.6-r.1"
dir="${DUCKDB_CACHE_DIR:-$HOME/.cache/bitcoin-pipeline/duckdb-$version}"
if [ ! -f "$dir/libduckdb.so" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    # A machine without Node.js: Debian's npm package is enough to fetch one tarball.
    echo "prebuilt-duckdb: npm not found; installing Debian's npm" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
  fi
  mkdir -p "$dir"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-x64@$version" >/dev/null)
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp"
  cp "$tmp/package/libduckdb.so" "$dir/libduckdb.so"
  rm -rf "$tmp"
fi
echo "$dir"
