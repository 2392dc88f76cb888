//! How a failed answer is classified: retried or not, after how long, and with which message. HTTP errors of
//! every provider, and the error envelopes (`status.error_code`, `{"error": 429}`) that may come with HTTP 200;
//! CoinMarketCap's own codes (minute/IP limits wait, daily/monthly credit limits stop, plan-gated endpoints
//! name the plan they need).
use std::time::Duration;

use serde_json::Value;

use super::inspect::{envelope_error, error_message, minute_window};
use super::Provider;
use crate::error::Error;

/// Why one attempt failed, and whether another attempt may help.
pub(super) struct Failure {
    pub error: Error,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

/// A non-2xx answer. 429, 408, 5xx and a 403 with an exhausted rate limit (GitHub) are retried;
/// CoinMarketCap's codes decide for themselves (see `envelope_failure`).
pub(super) fn http_failure(
    provider: Provider,
    path: String,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Failure {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some((Some(code), message)) = envelope_error(&value) {
            if provider == Provider::CoinMarketCap {
                return envelope_failure(
                    provider,
                    path,
                    status,
                    Some(code),
                    message,
                    &value,
                    retry_after,
                );
            }
        }
    }
    let retryable =
        status == 429 || status == 408 || status >= 500 || (status == 403 && retry_after.is_some());
    Failure {
        error: Error::Http {
            provider: provider.name(),
            path,
            status,
            message: error_message(body),
        },
        retryable,
        retry_after,
    }
}

/// An error envelope (`status.error_code`, `{"error": 429}`…), with HTTP 200 or not. CoinMarketCap:
/// 1008/1011 (per-minute/IP limits) wait for the next minute window; 1009/1010 (daily/monthly credits)
/// stop at once rather than sleep for a day; 1006 names the plan the endpoint needs.
#[allow(clippy::too_many_arguments)]
pub(super) fn envelope_failure(
    provider: Provider,
    path: String,
    status: u16,
    code: Option<i64>,
    message: String,
    body: &Value,
    retry_after: Option<Duration>,
) -> Failure {
    let cmc = provider == Provider::CoinMarketCap;
    let (retryable, retry_after, hint) = match code {
        Some(1008 | 1011) if cmc => (true, retry_after.or_else(|| Some(minute_window(body))), String::new()),
        Some(1009) if cmc => (false, None, "; the daily credit limit is used up: the stream stops instead of waiting for the daily reset".to_string()),
        Some(1010) if cmc => (false, None, "; the monthly credit limit is used up: the stream stops instead of waiting for the monthly reset".to_string()),
        Some(1006) if cmc => (false, None, crate::streams::coinmarketcap::plan_hint(&path)),
        Some(429) => (true, retry_after, String::new()),
        _ => (false, retry_after, String::new()),
    };
    let shown = if status == 200 {
        format!(
            "error in a 200 response{}: {message}{hint}",
            code.map(|c| format!(" (code {c})")).unwrap_or_default()
        )
    } else {
        format!(
            "{message}{}{hint}",
            code.map(|c| format!(" (code {c})")).unwrap_or_default()
        )
    };
    // A CoinMarketCap 429 is a 429 whatever status carried it, so Airbyte classifies it as transient.
    let status = match code {
        Some(1008..=1011) if cmc => 429,
        Some(429) => 429,
        _ => status,
    };
    Failure {
        error: Error::Http {
            provider: provider.name(),
            path,
            status,
            message: shown,
        },
        retryable,
        retry_after,
    }
}
