//! How a failed answer is classified: retried or not, after how long, and with which message. HTTP errors of
//! every provider, and the error envelopes (`status.error_code`, `{"error": 429}`) that may come with HTTP
//! 200. A provider's own codes (CoinMarketCap's) are read by its [`Api`].
use std::time::Duration;

use serde_json::Value;

use super::inspect::{envelope_error, error_message};
use crate::api::Api;
use crate::error::Error;

/// Why one attempt failed, and whether another attempt may help.
pub(super) struct Failure {
    pub error: Error,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
    /// The header that asked for `retry_after`, as sent (`Retry-After: 259200`), for messages.
    pub asked: Option<String>,
}

impl Failure {
    /// A failure another attempt may cure (a timeout, a truncated body, a 202).
    pub fn retry(error: Error) -> Failure {
        Failure {
            error,
            retryable: true,
            retry_after: None,
            asked: None,
        }
    }

    /// A failure no other attempt can cure.
    pub fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retryable: false,
            retry_after: None,
            asked: None,
        }
    }
}

/// A non-2xx answer. 429, 408, 5xx and a 403 with an exhausted rate limit (GitHub) are retried; a provider
/// whose error codes speak for its answers decides for itself (see `envelope_failure`).
pub(super) fn http_failure(
    api: &dyn Api,
    path: String,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Failure {
    if api.codes_in_errors() {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            if let Some((Some(code), message)) = envelope_error(&value) {
                return envelope_failure(
                    api,
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
            provider: api.provider().name(),
            path,
            status,
            message: error_message(body),
        },
        retryable,
        retry_after,
        asked: None,
    }
}

/// An error envelope (`status.error_code`, `{"error": 429}`…), with HTTP 200 or not. The provider reads its
/// own codes ([`Api::error_code`]); otherwise code 429 is retried and reported as a 429, any other is not.
#[allow(clippy::too_many_arguments)]
pub(super) fn envelope_failure(
    api: &dyn Api,
    path: String,
    status: u16,
    code: Option<i64>,
    message: String,
    body: &Value,
    retry_after: Option<Duration>,
) -> Failure {
    let verdict = code.and_then(|c| api.error_code(c, &path, body));
    let (retryable, retry_after, hint, reported) = match verdict {
        Some(v) => (
            v.retryable,
            retry_after.or(v.wait).filter(|_| v.retryable),
            v.hint,
            v.status.unwrap_or(status),
        ),
        // A 429 is a 429 whatever status carried it, so Airbyte classifies it as transient.
        None if code == Some(429) => (true, retry_after, String::new(), 429),
        None => (false, retry_after, String::new(), status),
    };
    let code_note = code.map(|c| format!(" (code {c})")).unwrap_or_default();
    let shown = if status == 200 {
        format!("error in a 200 response{code_note}: {message}{hint}")
    } else {
        format!("{message}{code_note}{hint}")
    };
    Failure {
        error: Error::Http {
            provider: api.provider().name(),
            path,
            status: reported,
            message: shown,
        },
        retryable,
        retry_after,
        asked: None,
    }
}
