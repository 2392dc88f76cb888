#!/usr/bin/env bash
# Writes the seed inputs of the connector's targets into fuzz/corpus/<target>/ from the repository's own
# fixtures (sample config and catalogs, state shapes, recorded responses ≤ 16 KiB with their statuses).
# Run once before the first fuzzing; `scripts/fuzz.sh` then grows and minimizes each corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
mkdir -p "$c/connector_config" "$c/connector_catalog" "$c/connector_state" "$c/connector_http_body"
seed() { printf '%s' "$2" > "$c/$1/seed-$3"; }
cp airbyte-spec/sample_config.json "$c/connector_config/seed-sample_config.json"
seed connector_config '{}' empty
seed connector_config '{"start_date": "2009-01-03T00:00:00+01:00", "http": {"max_attempts": 20, "max_response_bytes": 1024}}' http
seed connector_config '{"coingecko_api_key": "a\r\nb", "coingecko_api_plan": "pro", "github_token": " t "}' keys
seed connector_config '{"rate_limits": {"github": 0.01}, "base_urls": {"reddit": "http://127.0.0.1:1/x/"}, "blockchain_charts": ["hash-rate"]}' sites
seed connector_config '{"github_repositories": ["a/b"], "reddit_subreddits": ["Bitcoin"], "coinmarketcap_history_page_size": 1}' lists
for f in airbyte-spec/configured_catalog*.json; do cp "$f" "$c/connector_catalog/seed-$(basename "$f")"; done
seed connector_catalog '{"streams":[{"stream":{"name":"nope"},"sync_mode":"sideways"},{"stream":{"name":"mempool_blocks"},"sync_mode":"incremental"},{"stream":{"name":"mempool_blocks"}}]}' errors
cp airbyte-spec/abnormal_state.json "$c/connector_state/seed-abnormal_state.json"
seed connector_state '{"mempool_blocks": {"height": 5}, "blockchain_charts": {"hash-rate": "2024-01-01", "open_period": {"hash-rate": "9f2c"}}}' legacy
seed connector_state '[{"type":"GLOBAL","global":{"stream_states":[{"stream_descriptor":{"name":"coingecko_ohlc"},"stream_state":{"timestamp":"2024-01-01T00:00:00.5Z"}}]}}]' global
seed connector_state '[{"type":"LEGACY","data":{"x":{"h":-5}}},null,{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":null}}]' shapes
for f in $(find tests/recorded -name '*.json' -size -16k | grep -v /pipeline/ | sort); do
  name="$(echo "$f" | sed 's|tests/recorded/||; s|/|_|g')"
  status=200
  case "$name" in *error_[0-9][0-9][0-9]_*) status="$(echo "$name" | sed 's/.*error_\([0-9]\{3\}\)_.*/\1/')" ;; esac
  { printf '%s\n' "$status"; cat "$f"; } > "$c/connector_http_body/seed-$name"
done
printf '502\n<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>x</body></html>' > "$c/connector_http_body/seed-html"
printf '429 99999999999999999999\n{"status":{"error_code":0,"error_message":"slow"}}' > "$c/connector_http_body/seed-retry"
printf '200\n{"prices":[[1,2],[3' > "$c/connector_http_body/seed-truncated"
ls "$c"/* | wc -l
