#!/usr/bin/env bash
# The real browser of the dashboard and docs-site tests: Debian's Chromium (apt) and playwright-core (npm,
# pinned by tests/browser/package-lock.json, installed into a cache folder, never a downloaded browser).
#   scripts/browser-setup.sh      install what is missing; prints the folder holding node_modules/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BROWSER_HARNESS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bitcoin-pipeline/browser-harness}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser-setup: installing Debian's chromium" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >&2
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "browser-setup: installing Debian's npm" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
fi

# Reinstall only when the lock file changed.
lock="$root/tests/browser/package-lock.json"
mkdir -p "$dir"
if ! cmp -s "$lock" "$dir/package-lock.json" || [ ! -d "$dir/node_modules/playwright-core" ]; then
  cp "$root/tests/browser/package.json" "$lock" "$dir/"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi
echo "$dir"
