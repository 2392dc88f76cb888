//! Safe defaults of the local servers: every response carries a Content-Security-Policy of `'self'`
//! (no inline script or style, no other host) and nosniff/no-referrer/no-framing headers; requests to a
//! loopback bind must name a loopback Host (no DNS rebinding); with `--auth-token`, every request must
//! carry the token (Bearer header, the cookie set by `?token=`, or `?token=` itself).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                       font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const COOKIE: &str = "transform_token";

#[derive(Clone, Default)]
pub struct Guard {
    token: Option<Arc<str>>,
    loopback_only: bool,
}

impl Guard {
    pub fn new(token: Option<String>, bind_host: &str) -> Guard {
        let loopback_only = bind_host.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(bind_host == "localhost");
        Guard { token: token.filter(|t| !t.is_empty()).map(Arc::from), loopback_only }
    }
}

/// Compares without stopping at the first differing byte (the token's length is not secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn loopback_host(req: &Request) -> bool {
    let Some(host) = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()) else { return true };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn query_token(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    url_pairs(q).find(|(k, _)| k == "token").map(|(_, v)| v)
}

fn url_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        let dec = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        Some((dec(k), dec(v)))
    })
}

fn presented(req: &Request, token: &str) -> bool {
    let t = token.as_bytes();
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let cookie = req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        c.trim().strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')).map(str::to_string)
    });
    bearer.is_some_and(|b| same(b.as_bytes(), t)) || cookie.is_some_and(|c| same(c.as_bytes(), t))
}

/// The path and query without `token=…`, where `?token=` logins are redirected (so it leaves the URL bar).
fn without_token(req: &Request) -> String {
    let rest: Vec<String> = req.uri().query().map(|q| q.split('&').filter(|kv| !kv.starts_with("token=")).map(str::to_string).collect()).unwrap_or_default();
    match rest.is_empty() {
        true => req.uri().path().to_string(),
        false => format!("{}?{}", req.uri().path(), rest.join("&")),
    }
}

pub async fn layer(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    if guard.loopback_only && !loopback_host(&req) {
        return with_headers((StatusCode::MISDIRECTED_REQUEST, "this server answers loopback host names only").into_response());
    }
    if let Some(token) = guard.token.as_deref() {
        if !presented(&req, token) {
            if query_token(&req).is_some_and(|q| same(q.as_bytes(), token.as_bytes())) {
                let mut res = Redirect::to(&without_token(&req)).into_response();
                let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    res.headers_mut().insert(header::SET_COOKIE, v);
                }
                return with_headers(res);
            }
            let msg = "this server needs its token: open the URL with ?token=… once, or send Authorization: Bearer …";
            return with_headers((StatusCode::UNAUTHORIZED, msg).into_response());
        }
    }
    with_headers(next.run(req).await)
}

fn with_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }

    #[test]
    fn token_is_stripped_from_the_redirect() {
        let req = Request::builder().uri("/?price.range=1Y&token=s3&x=1").body(axum::body::Body::empty()).expect("request");
        assert_eq!(without_token(&req), "/?price.range=1Y&x=1");
        assert_eq!(query_token(&req).as_deref(), Some("s3"));
    }

    #[test]
    fn only_loopback_host_names_pass() {
        let req = |h: &str| Request::builder().uri("/").header("host", h).body(axum::body::Body::empty()).expect("request");
        assert!(loopback_host(&req("127.0.0.1:8080")));
        assert!(loopback_host(&req("localhost:8080")));
        assert!(loopback_host(&req("[::1]:8080")));
        assert!(!loopback_host(&req("evil.example:8080")));
    }
}
