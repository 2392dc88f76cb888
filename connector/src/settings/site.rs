//! Where each provider is and how fast it may be called: `base_urls.<key>` and `rate_limits.<key>`, two
//! config objects with one entry per provider. Read per provider ([`Site::read`]); described for `spec` from
//! the registry's defaults ([`rate_limits`], [`base_urls`]), with the same bounds.
use serde_json::{json, Value};

use super::{value, within, Document};
use crate::error::{Error, Result};
use crate::provider::Provider;

/// Requests per minute, at least and at most.
const RATE_BOUNDS: (f64, f64) = (0.01, 1e9);

/// What the HTTP client needs to reach one provider.
#[derive(Debug, Clone)]
pub struct Site {
    /// Without a trailing slash.
    pub base_url: String,
    pub per_minute: f64,
}

impl Site {
    /// The provider's entries of `base_urls` and `rate_limits`, or the defaults.
    pub fn read(doc: &Document, provider: Provider, url: &str, per_minute: f64) -> Result<Site> {
        let key = provider.key();
        let field = format!("rate_limits.{key}");
        let rate = value(&field, doc.get(&["rate_limits", key])?)?.unwrap_or(per_minute);
        within(&field, rate, Some(RATE_BOUNDS.0), Some(RATE_BOUNDS.1))?;
        let field = format!("base_urls.{key}");
        let url: String =
            value(&field, doc.get(&["base_urls", key])?)?.unwrap_or_else(|| url.to_string());
        match reqwest::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => {}
            _ => {
                return Err(Error::config(
                    field,
                    format!("{url:?} is not an http(s) URL without a query"),
                ))
            }
        }
        Ok(Site {
            base_url: url.trim_end_matches('/').to_string(),
            per_minute: rate,
        })
    }
}

/// Each provider with its default base URL and requests per minute, in registry order.
pub type Defaults = [(Provider, &'static str, f64)];

/// The `rate_limits` object of `spec`: one property per provider.
pub fn rate_limits(defaults: &Defaults) -> Value {
    let props = defaults.iter().map(|&(p, _, rate)| {
            let title = p.name();
            let schema = json!({"type": "number", "title": title,
                "description": format!("Requests per minute to {title} (default {rate}). Rate-limit headers and 429 answers are honoured too."),
                "default": rate, "minimum": RATE_BOUNDS.0, "maximum": RATE_BOUNDS.1});
            (p.key().to_string(), schema)
        });
    json!({"type": "object", "title": "Rate limits",
            "description": "Requests per minute per provider.",
            "properties": super::numbered(props.collect())})
}

/// The `base_urls` object of `spec`: one property per provider.
pub fn base_urls(defaults: &Defaults) -> Value {
    let props = defaults.iter().map(|&(p, url, _)| {
            let title = p.name();
            let schema = json!({"type": "string", "title": title,
                "description": format!("Base URL of the {title} API (default {url}). For proxies, sandboxes and replay tests."),
                "examples": [url]});
            (p.key().to_string(), schema)
        });
    json!({"type": "object", "title": "Base URLs (advanced)",
            "description": "Override each provider's base URL (for CoinMarketCap's sandbox: https://sandbox-api.coinmarketcap.com).",
            "properties": super::numbered(props.collect())})
}
