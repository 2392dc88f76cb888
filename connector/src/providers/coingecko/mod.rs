//! CoinGecko (`/api/v3`): keyless by default; a Demo or Pro key goes in a header, and the Pro plan has its
//! own host. This file: the config section, the headers and the probe; the streams are in `market.rs`
//! (market chart, OHLC candles, the global market) and `coins.rs` (the coin document, tickers).
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{secret_header, Api, Entry};
use crate::error::Result;
use crate::provider::Provider;
use crate::record::day;
use crate::request::Request;
use crate::settings::{identifier, properties, secret, Document, Site};
use crate::stream::Stream;

mod chart;
mod chart_scan;
mod coins;
mod market;

const PRO_BASE_URL: &str = "https://pro-api.coingecko.com/api/v3";

pub const ENTRY: Entry = Entry {
    provider: Provider::CoinGecko,
    base_url: "https://api.coingecko.com/api/v3",
    per_minute: 10.0,
    properties: properties::<Section>,
    load,
};

/// CoinGecko's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// CoinGecko id of the coin to read.
    #[schemars(title = "CoinGecko coin id")]
    pub coin_id: String,
    /// Currency that CoinGecko prices, market caps and volumes are quoted in.
    #[schemars(title = "Quote currency")]
    pub vs_currency: String,
    /// Optional CoinGecko Demo or Pro key, sent as a header. Leave empty for keyless access.
    #[schemars(title = "CoinGecko API key", extend("airbyte_secret" = true))]
    pub coingecko_api_key: Option<String>,
    /// demo: api.coingecko.com with x-cg-demo-api-key; pro: pro-api.coingecko.com with x-cg-pro-api-key.
    #[schemars(title = "CoinGecko plan")]
    pub coingecko_api_plan: Plan,
    /// How many recent days coingecko_market_chart also reads at hourly granularity (daily points cover
    /// all of history).
    #[schemars(title = "Hourly market chart days", range(min = 0, max = 100_000))]
    pub market_chart_hourly_days: u32,
    /// Maximum pages of 100 tickers that coingecko_tickers reads.
    #[schemars(title = "Ticker pages", range(min = 1, max = 1000))]
    pub tickers_max_pages: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    #[default]
    Demo,
    Pro,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            coin_id: "bitcoin".into(),
            vs_currency: "usd".into(),
            coingecko_api_key: None,
            coingecko_api_plan: Plan::Demo,
            market_chart_hourly_days: 30,
            tickers_max_pages: 5,
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let mut s: Section = doc.section()?;
    s.coin_id = identifier("coin_id", &s.coin_id)?;
    s.vs_currency = identifier("vs_currency", &s.vs_currency)?.to_lowercase();
    s.coingecko_api_key = secret("coingecko_api_key", s.coingecko_api_key)?;
    let url = match s.coingecko_api_plan {
        Plan::Demo => ENTRY.base_url,
        Plan::Pro => PRO_BASE_URL,
    };
    Ok(Arc::new(CoinGecko {
        site: ENTRY.site(doc, url)?,
        config: Arc::new(s),
    }))
}

struct CoinGecko {
    config: Arc<Section>,
    site: Site,
}

impl Api for CoinGecko {
    fn provider(&self) -> Provider {
        Provider::CoinGecko
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.config.coingecko_api_key {
            let name = match self.config.coingecko_api_plan {
                Plan::Demo => "x-cg-demo-api-key",
                Plan::Pro => "x-cg-pro-api-key",
            };
            headers.insert(name, secret_header("coingecko_api_key", key)?);
        }
        Ok(headers)
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        let config = || Arc::clone(&self.config);
        vec![
            Box::new(coins::CoinSnapshots { config: config() }),
            Box::new(market::MarketChart { config: config() }),
            Box::new(market::Ohlc { config: config() }),
            Box::new(coins::Tickers { config: config() }),
            Box::new(market::Global { config: config() }),
        ]
    }

    /// CoinGecko's Bitcoin history starts on 2013-04-28 (a later coin's later still).
    fn first_data(&self) -> DateTime<Utc> {
        day(2013, 4, 28)
    }

    fn probe(&self) -> Option<Request> {
        Some(Request::new("/ping"))
    }
}
