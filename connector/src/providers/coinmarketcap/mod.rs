//! CoinMarketCap Pro API, read only when `coinmarketcap_api_key` is set. Credits are money: history is read in
//! windows of `coinmarketcap_history_page_size` periods and pairs in pages of up to 5,000, and every call's
//! credits (`status.credit_count`) are logged and added up per stream. This file: the config section, the key
//! header, the error codes (`status.error_code`, which speak for an answer whatever its HTTP status), the
//! credits and the probe (`/v1/key/info`, free); the streams are in `latest.rs` and `history.rs`.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{note_field, secret_header, Api, CodeVerdict, Entry};
use crate::error::Result;
use crate::provider::Provider;
use crate::record::day;
use crate::request::{Page, Request};
use crate::settings::{properties, secret, Document, Site};
use crate::stream::Stream;

mod history;
mod latest;

pub const ENTRY: Entry = Entry {
    provider: Provider::CoinMarketCap,
    base_url: "https://pro-api.coinmarketcap.com",
    per_minute: 30.0,
    properties: properties::<Section>,
    load,
};

/// CoinMarketCap's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// Optional CoinMarketCap Pro API key (sent as the X-CMC_PRO_API_KEY header). The cmc_* streams are read
    /// only when it is set. Every call costs credits; the connector logs them.
    #[schemars(title = "CoinMarketCap API key", extend("airbyte_secret" = true))]
    pub coinmarketcap_api_key: Option<String>,
    /// CoinMarketCap id of the coin (1 = Bitcoin).
    #[schemars(title = "CoinMarketCap id", range(min = 1))]
    pub coinmarketcap_id: u32,
    /// Points per call of the historical endpoints (count). The maximum, 10000, makes a backfill cost the
    /// fewest calls.
    #[schemars(
        title = "CoinMarketCap history page size",
        range(min = 1, max = 10_000)
    )]
    pub coinmarketcap_history_page_size: u32,
    /// Recent days cmc_ohlcv_historical also reads hourly (0 = daily only).
    #[schemars(title = "CoinMarketCap hourly days", range(min = 0, max = 100_000))]
    pub coinmarketcap_hourly_days: u32,
    /// Market pairs per call (limit; 1 credit per 100 pairs).
    #[schemars(
        title = "CoinMarketCap market pairs page size",
        range(min = 1, max = 5000)
    )]
    pub coinmarketcap_market_pairs_page_size: u32,
    /// Maximum pages cmc_market_pairs reads.
    #[schemars(title = "CoinMarketCap market pairs pages", range(min = 1, max = 1000))]
    pub coinmarketcap_market_pairs_max_pages: u32,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            coinmarketcap_api_key: None,
            coinmarketcap_id: 1,
            coinmarketcap_history_page_size: 10_000,
            coinmarketcap_hourly_days: 30,
            coinmarketcap_market_pairs_page_size: 5_000,
            coinmarketcap_market_pairs_max_pages: 1,
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let mut s: Section = doc.section()?;
    s.coinmarketcap_api_key = secret("coinmarketcap_api_key", s.coinmarketcap_api_key)?;
    Ok(Arc::new(CoinMarketCap {
        site: ENTRY.site(doc, ENTRY.base_url)?,
        config: Arc::new(s),
        credits: Mutex::new(Vec::new()),
    }))
}

struct CoinMarketCap {
    config: Arc<Section>,
    site: Site,
    /// Credits (`status.credit_count`) spent per stream (`""` outside a stream).
    credits: Mutex<Vec<(String, u64)>>,
}

impl CoinMarketCap {
    /// Adds a call's credits to its stream's; returns the stream's total.
    fn spend(&self, stream: &str, used: u64) -> u64 {
        let mut credits = self.credits.lock().unwrap_or_else(|p| p.into_inner());
        match credits.iter_mut().find(|(s, _)| s == stream) {
            Some((_, c)) => {
                *c += used;
                *c
            }
            None => {
                credits.push((stream.to_string(), used));
                used
            }
        }
    }
}

impl Api for CoinMarketCap {
    fn provider(&self) -> Provider {
        Provider::CoinMarketCap
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.config.coinmarketcap_api_key {
            headers.insert(
                "x-cmc_pro_api_key",
                secret_header("coinmarketcap_api_key", key)?,
            );
        }
        Ok(headers)
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        let config = || Arc::clone(&self.config);
        vec![
            Box::new(latest::QuotesLatest { config: config() }),
            Box::new(latest::Info { config: config() }),
            Box::new(history::OhlcvHistorical { config: config() }),
            Box::new(history::QuotesHistorical { config: config() }),
            Box::new(latest::MarketPairs { config: config() }),
            Box::new(latest::GlobalMetrics),
        ]
    }

    fn missing(&self) -> Option<&'static str> {
        self.config
            .coinmarketcap_api_key
            .is_none()
            .then_some("coinmarketcap_api_key")
    }

    /// CoinMarketCap's Bitcoin history starts on 2013-04-28 (a later coin's later still).
    fn first_data(&self) -> DateTime<Utc> {
        day(2013, 4, 28)
    }

    fn probe(&self) -> Option<Request> {
        self.config
            .coinmarketcap_api_key
            .as_ref()
            .map(|_| Request::new("/v1/key/info"))
    }

    /// The plan's limits and the credits left.
    fn probe_note(&self, body: &Value) -> Option<String> {
        let n = |p| note_field(body, p);
        Some(format!(
            "CoinMarketCap plan: {} credits/month ({} left this month, {} left today), {} requests/minute; monthly reset {}",
            n("/data/plan/credit_limit_monthly"),
            n("/data/usage/current_month/credits_left"),
            n("/data/usage/current_day/credits_left"),
            n("/data/plan/rate_limit_minute"),
            n("/data/plan/credit_limit_monthly_reset_timestamp"),
        ))
    }

    fn codes_in_errors(&self) -> bool {
        true
    }

    /// 1008/1011 (per-minute/IP limits) wait for the next minute window; 1009/1010 (daily/monthly credits)
    /// stop at once rather than sleep for a day; 1006 names the plan the endpoint needs. All four rate and
    /// credit limits are reported as 429s.
    fn error_code(&self, code: i64, path: &str, body: &Value) -> Option<CodeVerdict> {
        let verdict = |retryable, wait, hint: &str, status| CodeVerdict {
            retryable,
            wait,
            hint: hint.to_string(),
            status,
        };
        Some(match code {
            1008 | 1011 => verdict(true, Some(minute_window(body)), "", Some(429)),
            1009 => verdict(false, None, "; the daily credit limit is used up: the stream stops instead of waiting for the daily reset", Some(429)),
            1010 => verdict(false, None, "; the monthly credit limit is used up: the stream stops instead of waiting for the monthly reset", Some(429)),
            1006 => verdict(false, None, &plan_hint(path), None),
            _ => return None,
        })
    }

    /// Logs and adds up the credits one call used (credits are money: every one is accounted).
    fn answered(&self, page: &Page, path: &str, stream: Option<&str>) -> Option<String> {
        let used = page
            .json()
            .pointer("/status/credit_count")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let total = self.spend(stream.unwrap_or(""), used);
        Some(format!(
            "CoinMarketCap {path}: {used} credits (stream total {total})"
        ))
    }

    fn usage(&self, stream: &str) -> Option<String> {
        let credits = self.credits.lock().unwrap_or_else(|p| p.into_inner());
        let used = credits
            .iter()
            .find(|(s, _)| s == stream)
            .map_or(0, |(_, c)| *c);
        Some(format!("{used} CoinMarketCap credits"))
    }
}

/// What a plan-gated endpoint (403, code 1006) needs, for the error message.
fn plan_hint(path: &str) -> String {
    let plan = if path.contains("ohlcv/historical") {
        "the CoinMarketCap Startup plan or higher"
    } else if path.contains("quotes/historical") {
        "the CoinMarketCap Hobbyist plan or higher"
    } else if path.contains("market-pairs") {
        "the CoinMarketCap Standard plan or higher"
    } else {
        "a higher CoinMarketCap plan"
    };
    format!(
        "; this endpoint needs {plan} (pro.coinmarketcap.com/api/pricing): upgrade the key's plan or deselect the stream"
    )
}

/// The per-minute limit resets every minute: the wait until the next minute of the server's clock
/// (`status.timestamp`), or a whole minute when the body does not say.
fn minute_window(body: &Value) -> Duration {
    let at = body
        .pointer("/status/timestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    match at {
        Some(at) => {
            let into_minute = at.timestamp_millis().rem_euclid(60_000);
            Duration::from_millis((60_000 - into_minute) as u64)
        }
        None => Duration::from_secs(60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_hint_names_the_plan() {
        assert!(plan_hint("/v2/cryptocurrency/ohlcv/historical").contains("Startup"));
        assert!(plan_hint("/v2/cryptocurrency/market-pairs/latest").contains("Standard"));
    }

    #[test]
    fn the_minute_window_ends_at_the_next_minute_of_the_server() {
        let body = serde_json::json!({"status": {"timestamp": "2026-01-01T00:00:59.250Z"}});
        assert_eq!(minute_window(&body), Duration::from_millis(750));
        assert_eq!(
            minute_window(&serde_json::json!({})),
            Duration::from_secs(60)
        );
    }
}
