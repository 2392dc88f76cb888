//! One HTTP answer, read (at most `http.max_response_bytes` of body) and judged: its JSON body, or why the
//! attempt failed — a body too large, an error status, GitHub's 202 "still computing", a body that is not JSON
//! (an HTML page, a truncated document), or an error envelope that came with HTTP 200.
use reqwest::header::{HeaderMap, LINK};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::describe_reqwest;
use super::failure::{self, Failure};
use super::inspect::{envelope_error, error_message, looks_like_html, retry_after, wait_header};
use super::scan;
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

    /// Whether the answer is a page (a 2xx JSON body, or none), or the failure it is (with the header that
    /// asked for its wait, if any).
    pub fn judge(&self, api: &dyn Api, path: &str) -> Result<(), Failure> {
        self.judge_body(api, path).map_err(|mut failure| {
            failure.asked = failure.retry_after.and_then(|_| wait_header(&self.headers));
            failure
        })
    }

    fn judge_body(&self, api: &dyn Api, path: &str) -> Result<(), Failure> {
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
        if status == 204 || body.iter().all(u8::is_ascii_whitespace) || scan::plain(body) {
            return Ok(());
        }
        // The rest — envelopes, HTML, truncated or odd bodies — in one full pass: its syntax checked, the
        // envelope's fields kept, nothing else built.
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
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
        })?;
        let value = Value::Object(envelope.0);
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
        Ok(())
    }
}

/// The top-level fields of a body that an error envelope is made of (`status`, `error`, `message`,
/// `reason`: all that `envelope_error` reads); any other body and every other field is read past without
/// building anything.
struct Envelope(Map<String, Value>);

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Envelope, D::Error> {
        deserializer.deserialize_any(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if matches!(&*key, "status" | "error" | "message" | "reason") {
                kept.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Envelope(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Envelope(Map::new()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Envelope, E> {
        Ok(Envelope(Map::new()))
    }
}
