//! The headers each provider gets: `Accept` (GitHub's own media type), one descriptive `User-Agent` (Reddit
//! refuses generic ones) and the secrets, marked sensitive: CoinGecko's and CoinMarketCap's key headers and
//! GitHub's bearer token.
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};

use super::Provider;
use crate::config::Config;
use crate::error::{Error, Result};

pub(super) fn provider_headers(config: &Config, provider: Provider) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    let accept = match provider {
        Provider::GitHub => "application/vnd.github+json",
        _ => "application/json",
    };
    headers.insert(ACCEPT, HeaderValue::from_static(accept));
    // Reddit refuses generic agents; every provider gets the same descriptive one.
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!(
            "source-bitcoin/",
            env!("CARGO_PKG_VERSION"),
            " (Airbyte source; +https://github.com/bitcoin-pipeline)"
        )),
    );
    let secret =
        |field: &str, name: &'static str, value: String| -> Result<(&'static str, HeaderValue)> {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                Error::config(field, "contains characters not allowed in an HTTP header")
            })?;
            value.set_sensitive(true);
            Ok((name, value))
        };
    let auth = match provider {
        Provider::CoinGecko => config.coingecko_api_key.clone().map(|key| {
            let name = if config.coingecko_pro {
                "x-cg-pro-api-key"
            } else {
                "x-cg-demo-api-key"
            };
            secret("coingecko_api_key", name, key)
        }),
        Provider::CoinMarketCap => config
            .coinmarketcap_api_key
            .clone()
            .map(|key| secret("coinmarketcap_api_key", "x-cmc_pro_api_key", key)),
        Provider::GitHub => {
            headers.insert(
                "x-github-api-version",
                HeaderValue::from_static("2022-11-28"),
            );
            config
                .github_token
                .clone()
                .map(|t| secret("github_token", "authorization", format!("Bearer {t}")))
        }
        _ => None,
    };
    if let Some(auth) = auth {
        let (name, value) = auth?;
        headers.insert(name, value);
    }
    Ok(headers)
}
