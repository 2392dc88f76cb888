//! The connector config: what `spec` advertises and what `check`/`discover`/`read` accept. `{}` is a valid
//! config (keyless providers, one year of history). Parsing reports the exact field path on a type error
//! (serde_path_to_error); unknown fields are ignored, as the Airbyte protocol asks.
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::provider::Provider;
use crate::record::parse_date;

pub const BLOCKCHAIN_CHARTS: [&str; 6] = [
    "n-transactions",
    "n-unique-addresses",
    "estimated-transaction-volume-usd",
    "output-volume",
    "hash-rate",
    "difficulty",
];

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    start_date: Option<String>,
    coin_id: Option<String>,
    vs_currency: Option<String>,
    coingecko_api_key: Option<String>,
    coingecko_api_plan: Option<String>,
    blockchain_charts: Option<Vec<String>>,
    market_chart_hourly_days: Option<u32>,
    mempool_blocks_backfill: Option<u32>,
    tickers_max_pages: Option<u32>,
    coinmarketcap_api_key: Option<String>,
    coinmarketcap_id: Option<u32>,
    coinmarketcap_history_page_size: Option<u32>,
    coinmarketcap_hourly_days: Option<u32>,
    coinmarketcap_market_pairs_page_size: Option<u32>,
    coinmarketcap_market_pairs_max_pages: Option<u32>,
    github_token: Option<String>,
    github_repositories: Option<Vec<String>>,
    reddit_subreddits: Option<Vec<String>>,
    #[serde(default)]
    rate_limits: Option<RawRates>,
    #[serde(default)]
    http: Option<RawHttp>,
    #[serde(default)]
    base_urls: Option<RawBaseUrls>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRates {
    coingecko: Option<f64>,
    coinmarketcap: Option<f64>,
    blockchain_com: Option<f64>,
    mempool_space: Option<f64>,
    github: Option<f64>,
    reddit: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct RawHttp {
    max_attempts: Option<u32>,
    backoff_base_seconds: Option<f64>,
    request_timeout_seconds: Option<f64>,
    max_retry_wait_seconds: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawBaseUrls {
    coingecko: Option<String>,
    coinmarketcap: Option<String>,
    blockchain_com: Option<String>,
    mempool_space: Option<String>,
    github: Option<String>,
    reddit: Option<String>,
}

/// Retry and timeout policy of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub request_timeout: Duration,
    pub max_retry_wait: Duration,
}

/// The checked config every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    pub start_date: DateTime<Utc>,
    pub coin_id: String,
    pub vs_currency: String,
    pub coingecko_api_key: Option<String>,
    pub coingecko_pro: bool,
    pub blockchain_charts: Vec<String>,
    pub market_chart_hourly_days: u32,
    pub mempool_blocks_backfill: u32,
    pub tickers_max_pages: u32,
    /// CoinMarketCap streams are read only with a key.
    pub coinmarketcap_api_key: Option<String>,
    pub coinmarketcap_id: u32,
    /// `count` of the historical endpoints (max 10,000 points per call: fewest calls, fewest credits).
    pub coinmarketcap_history_page_size: u32,
    pub coinmarketcap_hourly_days: u32,
    /// `limit` of market-pairs/latest (max 5,000).
    pub coinmarketcap_market_pairs_page_size: u32,
    pub coinmarketcap_market_pairs_max_pages: u32,
    pub github_token: Option<String>,
    /// `owner/name` of each repository the GitHub streams read.
    pub github_repositories: Vec<String>,
    pub reddit_subreddits: Vec<String>,
    /// Requests per minute, per provider.
    pub rate_limits: Vec<(Provider, f64)>,
    pub http: HttpPolicy,
    /// Base URL per provider, without a trailing slash.
    pub base_urls: Vec<(Provider, String)>,
}

impl Config {
    /// Parses and checks a config document; the error names the offending field.
    pub fn from_json(text: &str) -> Result<Config> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: Option<RawConfig> = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            Error::config(
                if field == "." { "(root)".into() } else { field },
                e.inner(),
            )
        })?;
        Config::check(raw.unwrap_or_default())
    }

    /// Every API key, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        [
            &self.coingecko_api_key,
            &self.coinmarketcap_api_key,
            &self.github_token,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    pub fn base_url(&self, provider: Provider) -> &str {
        self.base_urls
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, u)| u.as_str())
            .unwrap_or("")
    }

    pub fn rate_limit(&self, provider: Provider) -> f64 {
        self.rate_limits
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, r)| *r)
            .unwrap_or(60.0)
    }

    fn check(raw: RawConfig) -> Result<Config> {
        let start_date = match raw
            .start_date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(text) => parse_date(text).ok_or_else(|| {
                Error::config(
                    "start_date",
                    format!("{text:?} is not a date: use YYYY-MM-DD or an RFC 3339 timestamp"),
                )
            })?,
            None => Utc::now() - chrono::Duration::days(365),
        };
        let coingecko_pro = match raw.coingecko_api_plan.as_deref().unwrap_or("demo") {
            "demo" => false,
            "pro" => true,
            other => {
                return Err(Error::config(
                    "coingecko_api_plan",
                    format!("{other:?} is not one of demo, pro"),
                ))
            }
        };
        let secret = |k: Option<String>| k.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        let coingecko_api_key = secret(raw.coingecko_api_key);
        let blockchain_charts = check_charts(raw.blockchain_charts)?;
        Ok(Config {
            start_date,
            coin_id: non_empty("coin_id", raw.coin_id, "bitcoin")?,
            vs_currency: non_empty("vs_currency", raw.vs_currency, "usd")?.to_lowercase(),
            coingecko_api_key,
            coingecko_pro,
            blockchain_charts,
            market_chart_hourly_days: in_range(
                "market_chart_hourly_days",
                raw.market_chart_hourly_days,
                30,
                0,
                100_000,
            )?,
            mempool_blocks_backfill: in_range(
                "mempool_blocks_backfill",
                raw.mempool_blocks_backfill,
                144,
                1,
                100_000,
            )?,
            tickers_max_pages: in_range("tickers_max_pages", raw.tickers_max_pages, 5, 1, 1000)?,
            coinmarketcap_api_key: secret(raw.coinmarketcap_api_key),
            coinmarketcap_id: in_range("coinmarketcap_id", raw.coinmarketcap_id, 1, 1, u32::MAX)?,
            coinmarketcap_history_page_size: in_range(
                "coinmarketcap_history_page_size",
                raw.coinmarketcap_history_page_size,
                10_000,
                1,
                10_000,
            )?,
            coinmarketcap_hourly_days: in_range(
                "coinmarketcap_hourly_days",
                raw.coinmarketcap_hourly_days,
                30,
                0,
                100_000,
            )?,
            coinmarketcap_market_pairs_page_size: in_range(
                "coinmarketcap_market_pairs_page_size",
                raw.coinmarketcap_market_pairs_page_size,
                5_000,
                1,
                5_000,
            )?,
            coinmarketcap_market_pairs_max_pages: in_range(
                "coinmarketcap_market_pairs_max_pages",
                raw.coinmarketcap_market_pairs_max_pages,
                1,
                1,
                1000,
            )?,
            github_token: secret(raw.github_token),
            github_repositories: check_names(
                "github_repositories",
                raw.github_repositories,
                "bitcoin/bitcoin",
                true,
            )?,
            reddit_subreddits: check_names(
                "reddit_subreddits",
                raw.reddit_subreddits,
                "Bitcoin",
                false,
            )?,
            rate_limits: check_rates(raw.rate_limits.unwrap_or_default())?,
            http: check_http(raw.http.unwrap_or_default())?,
            base_urls: check_base_urls(raw.base_urls.unwrap_or_default(), coingecko_pro)?,
        })
    }
}

fn non_empty(field: &str, value: Option<String>, default: &str) -> Result<String> {
    match value.map(|v| v.trim().to_string()) {
        None => Ok(default.to_string()),
        Some(v) if v.is_empty() || v.contains(['/', '?', '#', '&']) => Err(Error::config(
            field,
            format!("{v:?} must be a plain, non-empty identifier"),
        )),
        Some(v) => Ok(v),
    }
}

fn in_range(field: &str, value: Option<u32>, default: u32, min: u32, max: u32) -> Result<u32> {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        return Err(Error::config(
            field,
            format!("{v} is outside {min}..={max}"),
        ));
    }
    Ok(v)
}

/// A number in `[min, max]`; the bounds keep every derived `Duration` representable.
fn bounded(field: &str, value: Option<f64>, default: f64, min: f64, max: f64) -> Result<f64> {
    let v = value.unwrap_or(default);
    if !(v.is_finite() && v >= min && v <= max) {
        return Err(Error::config(
            field,
            format!("{v} is outside {min}..={max}"),
        ));
    }
    Ok(v)
}

fn check_charts(charts: Option<Vec<String>>) -> Result<Vec<String>> {
    let charts =
        charts.unwrap_or_else(|| BLOCKCHAIN_CHARTS.iter().map(|c| c.to_string()).collect());
    for chart in &charts {
        if chart.is_empty() || !chart.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::config(
                "blockchain_charts",
                format!("{chart:?} is not a chart name like \"hash-rate\""),
            ));
        }
    }
    Ok(charts)
}

/// Repository (`owner/name`) or subreddit names: plain identifiers that are safe in a URL path.
fn check_names(
    field: &str,
    names: Option<Vec<String>>,
    default: &str,
    repo: bool,
) -> Result<Vec<String>> {
    let names = names.unwrap_or_else(|| vec![default.to_string()]);
    for name in &names {
        let plain = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        let ok = if repo {
            name.split_once('/')
                .is_some_and(|(o, r)| plain(o) && plain(r))
        } else {
            plain(name)
        };
        if !ok {
            let want = if repo {
                "an owner/name like \"bitcoin/bitcoin\""
            } else {
                "a subreddit name like \"Bitcoin\""
            };
            return Err(Error::config(field, format!("{name:?} is not {want}")));
        }
    }
    Ok(names)
}

fn check_rates(raw: RawRates) -> Result<Vec<(Provider, f64)>> {
    let rate = |name: &str, v: Option<f64>, d: f64| {
        bounded(&format!("rate_limits.{name}"), v, d, 0.01, 1e9)
    };
    Ok(vec![
        (
            Provider::CoinMarketCap,
            rate("coinmarketcap", raw.coinmarketcap, 30.0)?,
        ),
        (Provider::GitHub, rate("github", raw.github, 60.0)?),
        (Provider::Reddit, rate("reddit", raw.reddit, 10.0)?),
        (
            Provider::CoinGecko,
            bounded("rate_limits.coingecko", raw.coingecko, 10.0, 0.01, 1e9)?,
        ),
        (
            Provider::BlockchainCom,
            bounded(
                "rate_limits.blockchain_com",
                raw.blockchain_com,
                30.0,
                0.01,
                1e9,
            )?,
        ),
        (
            Provider::MempoolSpace,
            bounded(
                "rate_limits.mempool_space",
                raw.mempool_space,
                60.0,
                0.01,
                1e9,
            )?,
        ),
    ])
}

fn check_http(raw: RawHttp) -> Result<HttpPolicy> {
    let max_attempts = in_range("http.max_attempts", raw.max_attempts, 5, 1, 20)?;
    let secs = |field: &str, v: Option<f64>, d: f64| {
        bounded(field, v, d, 0.001, 86_400.0).map(Duration::from_secs_f64)
    };
    Ok(HttpPolicy {
        max_attempts,
        backoff_base: secs("http.backoff_base_seconds", raw.backoff_base_seconds, 1.0)?,
        request_timeout: secs(
            "http.request_timeout_seconds",
            raw.request_timeout_seconds,
            30.0,
        )?,
        max_retry_wait: secs(
            "http.max_retry_wait_seconds",
            raw.max_retry_wait_seconds,
            300.0,
        )?,
    })
}

fn check_base_urls(raw: RawBaseUrls, coingecko_pro: bool) -> Result<Vec<(Provider, String)>> {
    let coingecko_default = if coingecko_pro {
        "https://pro-api.coingecko.com/api/v3"
    } else {
        "https://api.coingecko.com/api/v3"
    };
    let entries = [
        (
            Provider::CoinGecko,
            "coingecko",
            raw.coingecko,
            coingecko_default,
        ),
        (
            Provider::BlockchainCom,
            "blockchain_com",
            raw.blockchain_com,
            "https://api.blockchain.info",
        ),
        (
            Provider::MempoolSpace,
            "mempool_space",
            raw.mempool_space,
            "https://mempool.space/api",
        ),
        (
            Provider::CoinMarketCap,
            "coinmarketcap",
            raw.coinmarketcap,
            "https://pro-api.coinmarketcap.com",
        ),
        (
            Provider::GitHub,
            "github",
            raw.github,
            "https://api.github.com",
        ),
        (
            Provider::Reddit,
            "reddit",
            raw.reddit,
            "https://www.reddit.com",
        ),
    ];
    entries
        .into_iter()
        .map(|(provider, name, value, default)| {
            let url = value.unwrap_or_else(|| default.to_string());
            check_url(name, &url)?;
            Ok((provider, url.trim_end_matches('/').to_string()))
        })
        .collect()
}

fn check_url(name: &str, url: &str) -> Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => Ok(()),
        _ => Err(Error::config(
            format!("base_urls.{name}"),
            format!("{url:?} is not an http(s) URL without a query"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_and_null_are_valid_configs() {
        for text in ["{}", "null", r#"{"unknown_field": 1, "http": null}"#] {
            let config = Config::from_json(text).unwrap();
            assert_eq!(config.coin_id, "bitcoin");
            assert_eq!(config.blockchain_charts.len(), 6);
            assert_eq!(config.github_repositories, ["bitcoin/bitcoin"]);
            assert_eq!(config.reddit_subreddits, ["Bitcoin"]);
            assert!(config.coinmarketcap_api_key.is_none());
        }
        for (text, field) in [
            (
                r#"{"github_repositories": ["bitcoin"]}"#,
                "github_repositories",
            ),
            (
                r#"{"reddit_subreddits": ["r/Bitcoin"]}"#,
                "reddit_subreddits",
            ),
            (
                r#"{"coinmarketcap_history_page_size": 10001}"#,
                "coinmarketcap_history_page_size",
            ),
        ] {
            let err = Config::from_json(text).unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }

    #[test]
    fn type_error_names_the_field_path() {
        let err = Config::from_json(r#"{"http": {"max_attempts": "five"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.max_attempts"), "{err}");
        let err = Config::from_json(r#"{"rate_limits": {"coingecko": 1e-300}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate_limits.coingecko"), "{err}");
        let err = Config::from_json(r#"{"http": {"request_timeout_seconds": 1e300}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.request_timeout_seconds"), "{err}");
        let err = Config::from_json(r#"{"start_date": "yesterday"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("start_date"), "{err}");
        let err = Config::from_json(r#"{"base_urls": {"mempool_space": "ftp://x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_urls.mempool_space"), "{err}");
        let err = Config::from_json("[1,").unwrap_err().to_string();
        assert!(err.contains("invalid config"), "{err}");
    }
}
