//! The `Api` trait: all the connector asks of one provider, implemented once per folder under `providers/`.
//! The HTTP client asks where the provider is and how fast it may be called, its headers, what its own error
//! codes mean and what an answer cost; `check` asks for a probe; the reader for its streams and whether the
//! config lets them be read. [`Entry`] is what the registry knows of a provider before any config is read.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::provider::Provider;
use crate::request::{Page, Request};
use crate::settings::{Document, Properties, Site};
use crate::stream::Stream;

pub trait Api: Send + Sync {
    fn provider(&self) -> Provider;

    /// Base URL and requests per minute.
    fn site(&self) -> &Site;

    /// The provider's own headers (keys, media type), over the connector's `Accept` and `User-Agent`.
    fn headers(&self) -> Result<HeaderMap> {
        Ok(HeaderMap::new())
    }

    /// Its streams, in catalog order.
    fn streams(&self) -> Vec<Box<dyn Stream>>;

    /// The day its data starts: no stream of it asks for anything older, whatever `start_date` says.
    fn first_data(&self) -> DateTime<Utc> {
        crate::record::GENESIS
    }

    /// The config field that must be set before its streams can be read (CoinMarketCap's key).
    fn missing(&self) -> Option<&'static str> {
        None
    }

    /// The one cheap request `check` sends; `None`: nothing to check with this config.
    fn probe(&self) -> Option<Request>;

    /// What `check` reports from the probe's answer (plan, quota).
    fn probe_note(&self, _body: &Value) -> Option<String> {
        None
    }

    /// True when the error code of a non-2xx answer's envelope, not its HTTP status, says what happened.
    fn codes_in_errors(&self) -> bool {
        false
    }

    /// What one of the provider's own error codes means (`path` is the URL path); `None`: the generic
    /// reading (code 429 is retried, any other is not).
    fn error_code(&self, _code: i64, _path: &str, _body: &Value) -> Option<CodeVerdict> {
        None
    }

    /// Bookkeeping of a successful answer (CoinMarketCap's credits): a line for the log.
    fn answered(&self, _page: &Page, _path: &str, _stream: Option<&str>) -> Option<String> {
        None
    }

    /// What one stream's calls cost, for its final log line ("3 CoinMarketCap credits").
    fn usage(&self, _stream: &str) -> Option<String> {
        None
    }
}

/// The meaning of a provider's error code.
pub struct CodeVerdict {
    pub retryable: bool,
    /// How long to wait before retrying when the answer has no `Retry-After`.
    pub wait: Option<Duration>,
    /// Appended to the provider's message: what to do about it.
    pub hint: String,
    /// The HTTP status to report instead of the answer's (429 for a rate limit, whatever carried it).
    pub status: Option<u16>,
}

/// A provider as the registry (`providers/mod.rs`) knows it before a config is read.
pub struct Entry {
    pub provider: Provider,
    /// The defaults of `base_urls.<key>` and `rate_limits.<key>`, as `spec` shows them.
    pub base_url: &'static str,
    pub per_minute: f64,
    /// Its fields in `spec`.
    pub properties: fn() -> Properties,
    /// Reads its section of the config.
    pub load: fn(&mut Document) -> Result<Arc<dyn Api>>,
}

impl Entry {
    /// Its `base_urls` and `rate_limits` entries (`url`: the default base URL for this config).
    pub fn site(&self, doc: &Document, url: &str) -> Result<Site> {
        Site::read(doc, self.provider, url, self.per_minute)
    }
}

/// A field of a probe's answer as text for `check`'s note (`?` when absent).
pub fn note_field(body: &Value, pointer: &str) -> String {
    match body.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".to_string(),
    }
}

/// A header carrying a secret from config field `field`: marked sensitive, so it is never logged.
pub fn secret_header(field: &str, value: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config(field, "contains characters not allowed in an HTTP header"))?;
    value.set_sensitive(true);
    Ok(value)
}
