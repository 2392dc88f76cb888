//! The one HTTP client every stream uses: per-provider pacing, bounded retries with exponential backoff and
//! jitter (429, 5xx, timeouts, connection errors, unreadable bodies) honouring `Retry-After`, a provider held
//! while its `X-RateLimit-Remaining` is 0; errors name the provider, the URL path (never the query, where a key
//! could be) and the status. It gets its policy (`policy.rs`) and the providers' [`Api`]s, which say what
//! differs per provider. One answer is judged in `answer.rs`, failures classified in `failure.rs`.
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};
use tokio::sync::Mutex;

use crate::api::Api;
use crate::error::{Error, Result};
use crate::protocol::{now_ms, Output};
use crate::provider::Provider;
use crate::request::{Page, Request};

mod answer;
mod failure;
mod inspect;
mod policy;
mod redirect;
mod scan;

use answer::Answer;
use failure::Failure;
use inspect::rate_limit_exhausted;
pub use policy::{HttpPolicy, HttpSection};

struct Slot {
    api: Arc<dyn Api>,
    headers: HeaderMap,
    interval: Duration,
    next_allowed: Mutex<Option<Instant>>,
}

pub struct HttpClient {
    client: reqwest::Client,
    policy: HttpPolicy,
    slots: Vec<Slot>,
    out: Output,
}

impl HttpClient {
    pub fn new(policy: &HttpPolicy, apis: &[Arc<dyn Api>], out: Output) -> Result<HttpClient> {
        // Redirects are followed by `send`, which decides per hop whether the provider's keys may go along.
        let client = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config("http", format!("cannot build the HTTP client: {e}")))?;
        let slots = apis
            .iter()
            .map(|api| {
                Ok(Slot {
                    api: Arc::clone(api),
                    headers: headers(api.as_ref())?,
                    interval: Duration::from_secs_f64(60.0 / api.site().per_minute),
                    next_allowed: Mutex::new(None),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(HttpClient {
            client,
            policy: policy.clone(),
            slots,
            out,
        })
    }

    fn slot(&self, provider: Provider) -> Result<&Slot> {
        self.slots
            .iter()
            .find(|s| s.api.provider() == provider)
            .ok_or_else(|| Error::config("base_urls", format!("no client for {}", provider.name())))
    }

    /// GETs a JSON document, retrying transient failures. `stream`, when reading one, is named in the
    /// RATE_LIMITED traces sent while waiting.
    pub async fn get(
        &self,
        provider: Provider,
        req: &Request,
        stream: Option<&str>,
    ) -> Result<Page> {
        let slot = self.slot(provider)?;
        let mut attempt = 1;
        loop {
            self.pace(slot, req, stream).await?;
            let failure = match self.attempt(slot, req).await {
                Ok(page) => {
                    let path = self.path_of(provider, req);
                    if let Some(line) = slot.api.answered(&page, &path, stream) {
                        self.out.log("INFO", &line)?;
                    }
                    return Ok(page);
                }
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= self.policy.max_attempts {
                return Err(failure.error);
            }
            let wait = failure.retry_after.unwrap_or_else(|| self.backoff(attempt));
            if wait > self.policy.max_retry_wait {
                return Err(too_long(failure, wait, self.policy.max_retry_wait));
            }
            if let (Some(stream), Some(_)) = (stream, failure.retry_after) {
                self.out
                    .rate_limited(stream, now_ms() + wait.as_millis() as i64)?;
            }
            self.out.log(
                "WARN",
                &format!(
                    "{} (attempt {attempt} of {}); retrying in {:.1} s",
                    failure.error,
                    self.policy.max_attempts,
                    wait.as_secs_f64()
                ),
            )?;
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The URL path a request goes to (base path included, query excluded), as errors name it.
    pub fn path_of(&self, provider: Provider, req: &Request) -> String {
        let base = self
            .slot(provider)
            .map_or("", |s| s.api.site().base_url.as_str());
        url_path(&format!("{base}{}", req.path))
    }

    /// Spaces requests to one provider by its configured interval.
    async fn pace(&self, slot: &Slot, req: &Request, stream: Option<&str>) -> Result<()> {
        let mut next = slot.next_allowed.lock().await;
        let now = Instant::now();
        if let Some(at) = *next {
            if at > now {
                let wait = at - now;
                if wait > self.policy.max_retry_wait {
                    return Err(Error::Transport {
                        provider: slot.api.provider().name(),
                        path: url_path(&format!("{}{}", slot.api.site().base_url, req.path)),
                        message: format!(
                            "the rate limit is exhausted for {:.0} s more, longer than http.max_retry_wait_seconds; try again later",
                            wait.as_secs_f64()
                        ),
                    });
                }
                if let Some(stream) = stream.filter(|_| wait >= Duration::from_secs(1)) {
                    self.out
                        .rate_limited(stream, now_ms() + wait.as_millis() as i64)?;
                }
                tokio::time::sleep(wait).await;
            }
        }
        *next = Some(Instant::now() + slot.interval);
        Ok(())
    }

    /// Exponential backoff with full jitter in [base·2ⁿ⁻¹/2, base·2ⁿ⁻¹·3/2).
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.policy.backoff_base.as_secs_f64()
            * 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
        let jitter = (RandomState::new().hash_one(Instant::now()) % 1000) as f64 / 1000.0;
        Duration::from_secs_f64(exp * (0.5 + jitter)).min(self.policy.max_retry_wait)
    }

    async fn attempt(&self, slot: &Slot, req: &Request) -> Result<Page, Failure> {
        let api = slot.api.as_ref();
        let url = format!("{}{}", api.site().base_url, req.path);
        let path = url_path(&url);
        let response = self.send(slot, req, &url, &path).await?;
        let answer = Answer::read(response, self.policy.max_response_bytes, api, &path).await?;
        answer.judge(api, &path)?;
        if let Some(reset) = rate_limit_exhausted(&answer.headers) {
            // The next request would be refused: hold the provider until the window resets.
            let mut next = slot.next_allowed.lock().await;
            let at = Instant::now() + reset;
            *next = Some(next.map_or(at, |n| n.max(at)));
        }
        let link = answer.link();
        // A 204 has no body, whatever came with it.
        let body = if answer.status == 204 {
            Vec::new()
        } else {
            answer.body
        };
        Ok(Page::new(req.clone(), answer.status, link, body))
    }
}

/// Judges one answer as `get` would (status, headers, body: the JSON or the error), without a connection:
/// for the fuzz targets (`crate::fuzzing`).
pub(crate) fn judge(
    api: &dyn Api,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
) -> Result<serde_json::Value> {
    let answer = Answer {
        status,
        headers,
        body,
    };
    answer.judge(api, "/fuzz").map_err(|f| f.error)?;
    Ok(Page::new(Request::new("/fuzz"), status, None, answer.body)
        .json()
        .clone())
}

/// A failure whose wait is longer than the policy allows: its error, saying what was asked and the limit.
fn too_long(failure: Failure, wait: Duration, max: Duration) -> Error {
    let length = if wait.as_secs_f64() < 1e12 {
        format!("a wait of {:.0} s", wait.as_secs_f64())
    } else {
        "an endless wait".to_string()
    };
    let asked = match failure.asked {
        Some(header) => format!("{header} ({length})"),
        None => length,
    };
    failure.error.noted(&format!(
        "{asked} exceeds http.max_retry_wait_seconds ({} s): not waiting; try again later or raise the limit",
        max.as_secs_f64()
    ))
}

/// The connector's `Accept` and `User-Agent` (Reddit refuses generic agents: every provider gets the same
/// descriptive one), overridden and extended by the provider's own headers.
fn headers(api: &dyn Api) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!(
            "source-bitcoin/",
            env!("CARGO_PKG_VERSION"),
            " (Airbyte source; +https://github.com/bitcoin-pipeline)"
        )),
    );
    headers.extend(api.headers()?);
    Ok(headers)
}

/// The path of a URL, without scheme, host or query.
fn url_path(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| "(invalid URL)".to_string())
}

/// reqwest's message without the URL it embeds (which would include the query).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_drops_the_query() {
        assert_eq!(url_path("http://h:1/api/v3/x?key=secret"), "/api/v3/x");
    }
}
