//! One HTTP answer, read (at most `http.max_response_bytes` of body) and judged: its JSON body, or why the
//! attempt failed — a body too large, an error status, GitHub's 202 "still computing", a body that is not JSON
//! (an HTML page, a truncated document), or an error envelope that came with HTTP 200.
use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;

use super::describe_reqwest;
use super::failure::{self, Failure};
use super::inspect::{envelope_error, error_message, looks_like_html, retry_after, wait_header};
use crate::api::Api;
use crate::error::Error;

pub(super) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// Reads the body as it arrives, at most `limit` bytes (after decompression): a larger body — announced
    /// by its `Content-Length` or counted — fails without another byte being kept. Not retried: the same
    /// request would get the same answer.
    pub async fn read(
        mut response: reqwest::Response,
        limit: u64,
        api: &dyn Api,
        path: &str,
    ) -> Result<Answer, Failure> {
        let too_large = |seen: String| {
            Failure::fatal(Error::Shape {
                provider: api.provider().name(),
                path: path.to_string(),
                message: format!(
                    "the body is larger than http.max_response_bytes ({limit} bytes; {seen}): not read further"
                ),
            })
        };
        if let Some(announced) = response.content_length().filter(|n| *n > limit) {
            return Err(too_large(format!("Content-Length {announced}")));
        }
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            Failure::retry(Error::Transport {
                provider: api.provider().name(),
                path: path.to_string(),
                message: format!("reading the body: {}", describe_reqwest(&e)),
            })
        })? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large(format!(
                    "{} bytes read",
                    body.len() + chunk.len()
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// The `Link` header (RFC 8288), for paging.
    pub fn link(&self) -> Option<String> {
        let link = self.headers.get(LINK)?.to_str().ok()?;
        Some(link.to_string())
    }

    /// The JSON body (`null` for 204 and for an empty body), or the failure this answer is (with the header
    /// that asked for its wait, if any).
    pub fn judge(&self, api: &dyn Api, path: &str) -> Result<Value, Failure> {
        self.judge_body(api, path).map_err(|mut failure| {
            failure.asked = failure.retry_after.and_then(|_| wait_header(&self.headers));
            failure
        })
    }

    fn judge_body(&self, api: &dyn Api, path: &str) -> Result<Value, Failure> {
        let (status, body) = (self.status, &self.body);
        let retry_after = retry_after(&self.headers);
        if !(200..300).contains(&status) {
            return Err(failure::http_failure(
                api,
                path.to_string(),
                status,
                body,
                retry_after,
            ));
        }
        let provider = api.provider().name();
        if status == 202 {
            // GitHub's statistics endpoints answer 202 while they compute: poll again, with backoff.
            let message = "the statistics are still being computed (HTTP 202 Accepted)";
            return Err(Failure::retry(Error::Http {
                provider,
                path: path.to_string(),
                status,
                message: message.into(),
            }));
        }
        let value: Value = if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(body).map_err(|e| {
                let message = if looks_like_html(body) {
                    format!("an HTML page instead of JSON: {}", error_message(body))
                } else {
                    format!("malformed or truncated JSON ({} bytes): {e}", body.len())
                };
                Failure::retry(Error::Shape {
                    provider,
                    path: path.to_string(),
                    message,
                })
            })?
        };
        if let Some((code, message)) = envelope_error(&value) {
            return Err(failure::envelope_failure(
                api,
                path.to_string(),
                status,
                code,
                message,
                &value,
                retry_after,
            ));
        }
        Ok(value)
    }
}
