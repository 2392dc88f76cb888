#!/usr/bin/env bash
# Prints the folder holding the public dbt packages the tests install as `local:` packages (dbt_utils,
# dbt_date, audit_helper): $TRANSFORM_TEST_DBT_PACKAGES when set, else the first `shared/dbt-packages` found
# walking up from the repository root. Prints nothing (exit 1) when there is none.
set -euo pipefail
if [ -n "${TRANSFORM_TEST_DBT_PACKAGES:-}" ]; then
  [ -d "$TRANSFORM_TEST_DBT_PACKAGES/dbt_utils" ] && { echo "$TRANSFORM_TEST_DBT_PACKAGES"; exit 0; }
  echo "TRANSFORM_TEST_DBT_PACKAGES=$TRANSFORM_TEST_DBT_PACKAGES has no dbt_utils/" >&2; exit 1
fi
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
while [ "$dir" != "/" ]; do
  [ -d "$dir/shared/dbt-packages/dbt_utils" ] && { echo "$dir/shared/dbt-packages"; exit 0; }
  dir="$(dirname "$dir")"
done
exit 1
