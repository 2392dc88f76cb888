//! Redirects, followed by hand so that each hop decides what goes along: the provider's secret headers (its
//! keys, marked sensitive) are sent only to the origin of its configured base URL, never to another host,
//! port or scheme a redirect points to; at most [`MAX_REDIRECTS`] hops.
use reqwest::header::{HeaderMap, LOCATION};

use super::failure::Failure;
use super::{describe_reqwest, HttpClient, Slot};
use crate::error::Error;
use crate::request::Request;

impl HttpClient {
    /// Sends one GET and follows its redirects; leaving the provider's origin with a key is logged (WARN).
    pub(super) async fn send(
        &self,
        slot: &Slot,
        req: &Request,
        url: &str,
        path: &str,
    ) -> Result<reqwest::Response, Failure> {
        let provider = slot.api.provider().name();
        let transport = |message: String| {
            Failure::retry(Error::Transport {
                provider,
                path: path.to_string(),
                message,
            })
        };
        // A redirect that cannot be followed is the provider's (or a proxy's) doing: not retried.
        let refused = |status: u16, message: String| {
            Failure::fatal(Error::Http {
                provider,
                path: path.to_string(),
                status,
                message,
            })
        };
        let home = reqwest::Url::parse(&slot.api.site().base_url).map(|u| u.origin());
        let mut url = reqwest::Url::parse(url).map_err(|e| transport(format!("bad URL: {e}")))?;
        let mut status = 0;
        for hop in 0..=MAX_REDIRECTS {
            let at_home = home.as_ref().is_ok_and(|o| *o == url.origin());
            let headers = if at_home {
                slot.headers.clone()
            } else {
                public(&slot.headers)
            };
            let mut builder = self.client.get(url.clone()).headers(headers);
            if hop == 0 {
                builder = builder.query(&req.query);
            }
            let response = builder
                .send()
                .await
                .map_err(|e| transport(describe_reqwest(&e)))?;
            status = response.status().as_u16();
            let Some(next) = redirect_target(&response) else {
                return Ok(response);
            };
            let next = next.map_err(|m| refused(status, m))?;
            let leaves = at_home && home.as_ref().is_ok_and(|o| *o != next.origin());
            if leaves && slot.headers.iter().any(|(_, v)| v.is_sensitive()) {
                let line = format!(
                    "{provider} {path}: redirected to another origin ({}); the provider's API key is not sent there",
                    next.origin().ascii_serialization()
                );
                self.out
                    .log("WARN", &line)
                    .map_err(|e| Failure::fatal(Error::Output(e)))?;
            }
            url = next;
        }
        Err(refused(
            status,
            format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)"),
        ))
    }
}

/// Redirects followed per request, at most.
const MAX_REDIRECTS: usize = 5;

/// Where a redirect answer points (`None`: not a redirect); an error for a `Location` that is not http(s).
fn redirect_target(response: &reqwest::Response) -> Option<Result<reqwest::Url, String>> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?;
    let next = location
        .to_str()
        .ok()
        .and_then(|l| response.url().join(l).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    Some(next.ok_or_else(|| "a redirect to an unusable Location (not an http(s) URL)".to_string()))
}

/// The headers without the sensitive ones (the keys), for hops away from the provider's origin.
fn public(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for (name, value) in headers.iter().filter(|(_, v)| !v.is_sensitive()) {
        kept.append(name.clone(), value.clone());
    }
    kept
}
