//! The connector config: what `spec` advertises and what `check`/`discover`/`read` accept, from one
//! definition. The shared fields (`start_date`, `http`) are defined here, each provider's in its folder; the
//! same serde types are parsed and, through `schemars`, printed by `spec` (`airbyte-spec/spec.json` is a copy
//! a test keeps identical). `{}` is a valid config (keyless providers, one year of history); unknown fields
//! are ignored, as the Airbyte protocol asks; errors name the field path.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::Api;
use crate::error::{Error, Result};
use crate::http::{HttpPolicy, HttpSection};
use crate::provider::Provider;
use crate::providers;
use crate::record::{parse_date, GENESIS};
use crate::settings::{numbered, properties, site, Document};
use crate::stream::Stream;

/// The checked config every command works from.
pub struct Config {
    pub start_date: DateTime<Utc>,
    pub http: HttpPolicy,
    /// Every provider, in catalog order.
    pub providers: Vec<Arc<dyn Api>>,
    /// Every configured secret, for redaction.
    pub secrets: Vec<String>,
}

/// Without the secrets, so that no debug print can leak them.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let providers: Vec<_> = self.providers.iter().map(|a| a.provider()).collect();
        f.debug_struct("Config")
            .field("start_date", &self.start_date)
            .field("http", &self.http)
            .field("providers", &providers)
            .finish_non_exhaustive()
    }
}

/// The fields every provider shares.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
struct Shared {
    /// UTC date (YYYY-MM-DD) or RFC 3339 timestamp from which incremental streams start. Default: one year
    /// ago (the keyless CoinGecko limit).
    #[schemars(
        title = "Start date",
        regex(
            pattern = r"^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$"
        ),
        example = "2025-01-01"
    )]
    start_date: Option<String>,
    /// Retries of 429, 5xx, timeouts and connection errors; timeouts; the largest response body.
    #[schemars(title = "HTTP client (advanced)")]
    http: HttpSection,
}

impl Config {
    /// Parses and checks a config document; the error names the offending field.
    pub fn from_json(text: &str) -> Result<Config> {
        let mut doc = Document::parse(text)?;
        let shared: Shared = doc.section()?;
        let start_date = match shared.start_date.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => parse_date(text).ok_or_else(|| {
                Error::config(
                    "start_date",
                    format!("{text:?} is not a date: use YYYY-MM-DD or an RFC 3339 timestamp"),
                )
            })?,
            _ => Utc::now() - chrono::Duration::days(365),
        };
        if start_date < GENESIS {
            return Err(Error::config(
                "start_date",
                format!(
                    "{} is before 2009-01-03, the Bitcoin genesis block: no provider has data earlier; use 2009-01-03 or later",
                    start_date.format("%Y-%m-%d")
                ),
            ));
        }
        let providers = providers::ALL
            .iter()
            .map(|entry| (entry.load)(&mut doc))
            .collect::<Result<Vec<_>>>()?;
        Ok(Config {
            start_date,
            http: HttpPolicy::from(&shared.http),
            providers,
            secrets: doc.into_secrets(),
        })
    }

    /// Where `provider`'s streams start: `start_date`, or the provider's first data if that is later.
    pub fn start_of(&self, provider: Provider) -> DateTime<Utc> {
        let first = self.api(provider).map_or(GENESIS, |a| a.first_data());
        self.start_date.max(first)
    }

    pub fn api(&self, provider: Provider) -> Option<&dyn Api> {
        self.providers
            .iter()
            .find(|a| a.provider() == provider)
            .map(|a| a.as_ref())
    }

    /// Every stream of this connector, in catalog order.
    pub fn streams(&self) -> Vec<Box<dyn Stream>> {
        self.providers.iter().flat_map(|a| a.streams()).collect()
    }

    /// The streams `discover` offers for this config: those of providers the config lets be read
    /// (CoinMarketCap's only with a key).
    pub fn available(&self) -> Vec<Box<dyn Stream>> {
        self.providers
            .iter()
            .filter(|a| a.missing().is_none())
            .flat_map(|a| a.streams())
            .collect()
    }
}

/// What `spec` prints: the config's JSON Schema as the Airbyte UI renders it (titles, order, secrets marked
/// `airbyte_secret`, no `anyOf/allOf/$ref`) and the rest of the Airbyte SPEC payload.
pub fn spec() -> Value {
    let mut shared = properties::<Shared>();
    let http = shared
        .iter()
        .position(|(name, _)| name == "http")
        .map(|i| shared.remove(i));
    let defaults: Vec<_> = providers::ALL
        .iter()
        .map(|e| (e.provider, e.base_url, e.per_minute))
        .collect();
    let mut props = shared;
    props.extend(providers::ALL.iter().flat_map(|e| (e.properties)()));
    props.push(("rate_limits".into(), site::rate_limits(&defaults)));
    props.extend(http);
    props.push(("base_urls".into(), site::base_urls(&defaults)));
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
            "properties": numbered(props),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_and_null_are_valid_configs() {
        for text in ["{}", "null", r#"{"unknown_field": 1, "http": null}"#] {
            let config = Config::from_json(text).unwrap();
            assert_eq!(config.streams().len(), 20);
            assert_eq!(
                config.available().len(),
                14,
                "no CoinMarketCap streams without a key"
            );
            assert_eq!(config.http.max_attempts, 5);
            assert!(config.secrets.is_empty());
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
            (r#"{"coin_id": "a/b"}"#, "coin_id"),
            (r#"{"blockchain_charts": ["x y"]}"#, "blockchain_charts"),
            (r#"[1]"#, "(root)"),
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
        for early in ["0001-01-01", "2009-01-02T23:59:59Z"] {
            let err = Config::from_json(&format!(r#"{{"start_date": "{early}"}}"#))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("invalid config field `start_date`") && err.contains("genesis"),
                "{err}"
            );
        }
        let genesis = Config::from_json(r#"{"start_date": "2009-01-03"}"#).unwrap();
        assert_eq!(genesis.start_of(Provider::BlockchainCom), GENESIS);
        assert_eq!(
            genesis.start_of(Provider::CoinGecko).to_rfc3339(),
            "2013-04-28T00:00:00+00:00",
            "CoinGecko's Bitcoin history starts later"
        );
        let err = Config::from_json(r#"{"base_urls": {"mempool_space": "ftp://x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_urls.mempool_space"), "{err}");
        let err = Config::from_json(r#"{"rate_limits": "fast"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate_limits"), "{err}");
        let err = Config::from_json("[1,").unwrap_err().to_string();
        assert!(err.contains("invalid config"), "{err}");
    }

    #[test]
    fn every_secret_is_kept_for_redaction() {
        let config = Config::from_json(
            r#"{"coingecko_api_key": " a ", "coinmarketcap_api_key": "b", "github_token": "c"}"#,
        )
        .unwrap();
        assert_eq!(config.secrets, ["a", "b", "c"]);
        assert_eq!(config.available().len(), 20);
    }

    #[test]
    fn spec_is_airbyte_shaped_and_parse_enforces_its_bounds() {
        let spec = spec();
        let text = spec.to_string();
        for word in ["$ref", "allOf", "anyOf", "\"format\"", "null"] {
            assert!(!text.contains(word), "{word} in spec");
        }
        let props = spec["connectionSpecification"]["properties"]
            .as_object()
            .unwrap();
        let orders: Vec<_> = props
            .values()
            .map(|p| p["order"].as_u64().unwrap())
            .collect();
        assert_eq!(orders, (0..props.len() as u64).collect::<Vec<_>>());
        // Every advertised maximum is enforced: one above it is refused, naming the field.
        for (name, prop) in props {
            if let Some(max) = prop["maximum"].as_f64() {
                let err = Config::from_json(&format!(r#"{{"{name}": {}}}"#, max + 1.0))
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(err.contains(name.as_str()), "{name}: {err}");
            }
        }
    }
}
