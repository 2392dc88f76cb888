#!/usr/bin/env bash
# Writes the seed inputs of the transform targets into fuzz/corpus/transform_*/ from the repository's own
# fixtures (the jaffle test project, its selectors) and hand-made source output. Run once before the first
# fuzzing; `scripts/fuzz.sh` then grows and minimizes each corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
mkdir -p "$c/transform_sync_message" "$c/transform_project" "$c/transform_select"
seed() { printf '%s' "$2" > "$c/$1/seed-$3"; }

# Source output: the fuzz tables are `all` (i f b s t j a: every column type) and `other` (id, name).
rec() { printf '{"type":"RECORD","record":{"stream":"%s","data":%s,"emitted_at":1767225600000}}\n' "$1" "$2"; }
{
  rec all '{"i":1,"f":2.5,"b":true,"s":"x","t":"2026-01-01T00:00:00Z","j":{"k":[1]},"a":[1,2]}'
  rec all '{"i":"7","f":"1e3","b":null,"s":12,"t":"2026-01-01","j":null,"a":"no"}'
  printf '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"all"},"stream_state":{"c":1}}}}\n'
  rec other '{"id":9223372036854775808,"name":"\u00e9\"q"}'
  printf '{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"stream_descriptor":{"name":"other"},"status":"COMPLETE"}}}\n'
  printf '{"type":"LOG","log":{"level":"WARN","message":"careful"}}\n'
} > "$c/transform_sync_message/seed-streams"
{
  printf 'Traceback (most recent call last):\n{not json\n{"type":"RECORD"}\n'
  rec all '[1,2]'
  rec nope '{"x":1}'
  rec all '{"i":1e400,"f":-0,"i":2,"\u0073":"escaped key"}'
  printf '{"type":"STATE","state":{"type":"GLOBAL","global":{"stream_states":[]}}}\n'
  printf '{"type":"TRACE","trace":{"type":"ERROR","error":{"message":"boom","failure_type":"system_error"}}}\n\n\r\n'
  printf '\xff\xfe{"type":"STATE"}\n'
} > "$c/transform_sync_message/seed-hostile"

# Projects: the fixture's files, each after a `--- <path>` line.
{
  for f in $(cd transform/tests/fixtures/jaffle && find models macros tests -type f | sort); do
    printf -- '--- %s\n' "$f"; cat "transform/tests/fixtures/jaffle/$f"; printf '\n'
  done
  printf -- '--- seeds/raw_orders.csv\n'; cat transform/tests/fixtures/jaffle/seeds/raw_orders.csv
} > "$c/transform_project/seed-jaffle"
seed transform_project "{{ config(materialized='table', alias='x') }}
select {{ var('v', 1) }} as a, '{{ this }}' as b
--- models/schema.yml
version: 2
models:
  - name: m
    columns:
      - name: a
        tests: [unique, not_null, {accepted_values: {values: [1, 2]}}]
" small
seed transform_project "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}{{ twice(ref('n')) }}
--- models/n.sql
{{ config(schema='s', tags=['t']) }}select 1
--- dbt_project.yml
name: fuzz
profile: fuzz
models:
  fuzz:
    +materialized: view
vars: {v: 2}
" macros

# Selectors: the first line is --select, the second --exclude.
n=0
for s in "orders" "+orders" "orders+" "2+orders+1" "@stg_orders" "tag:staging" "path:models/marts" "models/staging" \
         "config.materialized:table" "source:jaffle_raw.*" "test_type:generic" "resource_type:seed" "stg_*,tag:staging" \
         "@@@+++" "foo:bar" "+" "orders," "fqn:jaffle.marts.*"; do
  n=$((n + 1)); seed transform_select "$s" "$n"
done
seed transform_select "orders customers
tag:marts" exclude
ls "$c"/transform_* | wc -l
