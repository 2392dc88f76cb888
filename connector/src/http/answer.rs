//! One HTTP answer, read whole and judged: its JSON body, or why the attempt failed — an error status, GitHub's
//! 202 "still computing", a body that is not JSON (an HTML page, a truncated document), or an error envelope
//! that came with HTTP 200.
use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;

use super::failure::{self, Failure};
use super::inspect::{envelope_error, error_message, looks_like_html, retry_after};
use crate::api::Api;
use crate::error::Error;

pub(super) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Result<Answer, reqwest::Error> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // Without a copy when the buffer is not shared, as it is not here.
        let body = Vec::from(response.bytes().await?);
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

    /// The JSON body (`null` for 204 and for an empty body), or the failure this answer is.
    pub fn judge(&self, api: &dyn Api, path: &str) -> Result<Value, Failure> {
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
