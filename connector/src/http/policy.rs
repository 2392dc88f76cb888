//! The client's retry, timeout and body size policy, and the `http` config section it is read from (its bounds, shown by
//! `spec` and checked when the config is read, keep every derived `Duration` representable).
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `http` object of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct HttpSection {
    /// Attempts per request before the stream fails.
    #[schemars(title = "Max attempts", range(min = 1, max = 20))]
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter.
    #[schemars(title = "Backoff base (s)", range(min = 0.001, max = 86400))]
    pub backoff_base_seconds: f64,
    /// Timeout of one HTTP request.
    #[schemars(title = "Request timeout (s)", range(min = 0.001, max = 86400))]
    pub request_timeout_seconds: f64,
    /// Longest Retry-After the connector sleeps for; longer waits fail the stream.
    #[schemars(title = "Max Retry-After wait (s)", range(min = 0.001, max = 86400))]
    pub max_retry_wait_seconds: f64,
    /// Largest response body read (bytes, after decompression); a larger one fails the stream unread.
    #[schemars(
        title = "Max response size (bytes)",
        range(min = 1024, max = 17_179_869_184_u64)
    )]
    pub max_response_bytes: u64,
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection {
            max_attempts: 5,
            backoff_base_seconds: 1.0,
            request_timeout_seconds: 30.0,
            max_retry_wait_seconds: 300.0,
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Retry and timeout policy of the HTTP client.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub request_timeout: Duration,
    pub max_retry_wait: Duration,
    pub max_response_bytes: u64,
}

impl From<&HttpSection> for HttpPolicy {
    /// The section's bounds (checked when it was read) keep every `Duration` representable.
    fn from(s: &HttpSection) -> Self {
        HttpPolicy {
            max_attempts: s.max_attempts,
            backoff_base: Duration::from_secs_f64(s.backoff_base_seconds),
            request_timeout: Duration::from_secs_f64(s.request_timeout_seconds),
            max_retry_wait: Duration::from_secs_f64(s.max_retry_wait_seconds),
            max_response_bytes: s.max_response_bytes,
        }
    }
}
