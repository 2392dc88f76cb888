//! What `spec` prints: the config's JSON Schema as the Airbyte UI renders it (titles, order, secrets marked
//! `airbyte_secret`, no `anyOf/allOf/$ref`). `config.rs` parses the same fields; `airbyte-spec/spec.json` is a
//! copy that a test keeps identical.
use serde_json::{json, Value};

use crate::config::BLOCKCHAIN_CHARTS;

/// The `connectionSpecification` and the rest of the Airbyte SPEC payload.
pub fn spec() -> Value {
    let rate = |title: &str, default: f64, order: u32| {
        json!({"type": "number", "title": title,
        "description": format!("Requests per minute to {title} (default {default}). Rate-limit headers and 429 answers are honoured too."),
        "default": default, "minimum": 0.01, "order": order})
    };
    let base = |title: &str, default: &str, order: u32| {
        json!({"type": "string", "title": title,
        "description": format!("Base URL of the {title} API (default {default}). For proxies, sandboxes and replay tests."),
        "examples": [default], "order": order})
    };
    json!({
        "documentationUrl": "https://github.com/bitcoin-pipeline/bitcoin-pipeline/blob/main/connector/README.md",
        "supportsIncremental": true,
        "supported_destination_sync_modes": ["append", "append_dedup", "overwrite"],
        "connectionSpecification": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Bitcoin Source Spec",
            "type": "object",
            "required": [],
            "additionalProperties": true,
            "properties": {
                "start_date": {"type": "string", "title": "Start date", "order": 0,
                    "description": "UTC date (YYYY-MM-DD) or RFC 3339 timestamp from which incremental streams start. Default: one year ago (the keyless CoinGecko limit).",
                    "pattern": "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
                    "examples": ["2025-01-01"]},
                "coin_id": {"type": "string", "title": "CoinGecko coin id", "default": "bitcoin", "order": 1,
                    "description": "CoinGecko id of the coin to read."},
                "vs_currency": {"type": "string", "title": "Quote currency", "default": "usd", "order": 2,
                    "description": "Currency that CoinGecko prices, market caps and volumes are quoted in."},
                "coingecko_api_key": {"type": "string", "title": "CoinGecko API key", "airbyte_secret": true, "order": 3,
                    "description": "Optional CoinGecko Demo or Pro key, sent as a header. Leave empty for keyless access."},
                "coingecko_api_plan": {"type": "string", "title": "CoinGecko plan", "enum": ["demo", "pro"], "default": "demo", "order": 4,
                    "description": "demo: api.coingecko.com with x-cg-demo-api-key; pro: pro-api.coingecko.com with x-cg-pro-api-key."},
                "blockchain_charts": {"type": "array", "title": "blockchain.com charts", "order": 5,
                    "items": {"type": "string"}, "default": BLOCKCHAIN_CHARTS,
                    "description": "blockchain.com chart names read by the blockchain_charts stream."},
                "market_chart_hourly_days": {"type": "integer", "title": "Hourly market chart days", "default": 30, "minimum": 0, "order": 6,
                    "description": "How many recent days coingecko_market_chart also reads at hourly granularity (daily points cover all of history)."},
                "mempool_blocks_backfill": {"type": "integer", "title": "mempool.space blocks backfill", "default": 144, "minimum": 1, "order": 7,
                    "description": "On a first sync, how many of the most recent blocks mempool_blocks reads."},
                "tickers_max_pages": {"type": "integer", "title": "Ticker pages", "default": 5, "minimum": 1, "order": 8,
                    "description": "Maximum pages of 100 tickers that coingecko_tickers reads."},
                "coinmarketcap_api_key": {"type": "string", "title": "CoinMarketCap API key", "airbyte_secret": true, "order": 9,
                    "description": "Optional CoinMarketCap Pro API key (sent as the X-CMC_PRO_API_KEY header). The cmc_* streams are read only when it is set. Every call costs credits; the connector logs them."},
                "coinmarketcap_id": {"type": "integer", "title": "CoinMarketCap id", "default": 1, "minimum": 1, "order": 10,
                    "description": "CoinMarketCap id of the coin (1 = Bitcoin)."},
                "coinmarketcap_history_page_size": {"type": "integer", "title": "CoinMarketCap history page size", "default": 10000, "minimum": 1, "maximum": 10000, "order": 11,
                    "description": "Points per call of the historical endpoints (count). The maximum, 10000, makes a backfill cost the fewest calls."},
                "coinmarketcap_hourly_days": {"type": "integer", "title": "CoinMarketCap hourly days", "default": 30, "minimum": 0, "order": 12,
                    "description": "Recent days cmc_ohlcv_historical also reads hourly (0 = daily only)."},
                "coinmarketcap_market_pairs_page_size": {"type": "integer", "title": "CoinMarketCap market pairs page size", "default": 5000, "minimum": 1, "maximum": 5000, "order": 13,
                    "description": "Market pairs per call (limit; 1 credit per 100 pairs)."},
                "coinmarketcap_market_pairs_max_pages": {"type": "integer", "title": "CoinMarketCap market pairs pages", "default": 1, "minimum": 1, "order": 14,
                    "description": "Maximum pages cmc_market_pairs reads."},
                "github_token": {"type": "string", "title": "GitHub token", "airbyte_secret": true, "order": 15,
                    "description": "Optional GitHub token (5,000 requests/hour instead of 60 keyless)."},
                "github_repositories": {"type": "array", "title": "GitHub repositories", "order": 16,
                    "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"}, "default": ["bitcoin/bitcoin"],
                    "description": "Repositories (owner/name) the github_* streams read."},
                "reddit_subreddits": {"type": "array", "title": "Subreddits", "order": 17,
                    "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}, "default": ["Bitcoin"],
                    "description": "Subreddits (without r/) reddit_subreddit_snapshots reads."},
                "rate_limits": {"type": "object", "title": "Rate limits", "order": 18,
                    "description": "Requests per minute per provider.",
                    "properties": {
                        "coingecko": rate("CoinGecko", 10.0, 0),
                        "blockchain_com": rate("blockchain.com", 30.0, 1),
                        "mempool_space": rate("mempool.space", 60.0, 2),
                        "coinmarketcap": rate("CoinMarketCap", 30.0, 3),
                        "github": rate("GitHub", 60.0, 4),
                        "reddit": rate("Reddit", 10.0, 5)}},
                "http": {"type": "object", "title": "HTTP retries (advanced)", "order": 19,
                    "description": "Retry policy for 429, 5xx, timeouts and connection errors.",
                    "properties": {
                        "max_attempts": {"type": "integer", "title": "Max attempts", "default": 5, "minimum": 1, "maximum": 20, "order": 0,
                            "description": "Attempts per request before the stream fails."},
                        "backoff_base_seconds": {"type": "number", "title": "Backoff base (s)", "default": 1, "minimum": 0.001, "maximum": 86400, "order": 1,
                            "description": "First retry delay; doubles per attempt, with jitter."},
                        "request_timeout_seconds": {"type": "number", "title": "Request timeout (s)", "default": 30, "minimum": 0.001, "maximum": 86400, "order": 2,
                            "description": "Timeout of one HTTP request."},
                        "max_retry_wait_seconds": {"type": "number", "title": "Max Retry-After wait (s)", "default": 300, "minimum": 0.001, "maximum": 86400, "order": 3,
                            "description": "Longest Retry-After the connector sleeps for; longer waits fail the stream."}}},
                "base_urls": {"type": "object", "title": "Base URLs (advanced)", "order": 20,
                    "description": "Override each provider's base URL (for CoinMarketCap's sandbox: https://sandbox-api.coinmarketcap.com).",
                    "properties": {
                        "coingecko": base("CoinGecko", "https://api.coingecko.com/api/v3", 0),
                        "coinmarketcap": base("CoinMarketCap", "https://pro-api.coinmarketcap.com", 1),
                        "blockchain_com": base("blockchain.com", "https://api.blockchain.info", 2),
                        "mempool_space": base("mempool.space", "https://mempool.space/api", 3),
                        "github": base("GitHub", "https://api.github.com", 4),
                        "reddit": base("Reddit", "https://www.reddit.com", 5)}}
            }
        }
    })
}
