//! What the two local web servers (`dashboard serve`, `docs serve`) share: the embedded assets, the
//! security layer (CSP `'self'`, an optional token, loopback Host checks), gzip, binding and serving
//! with a clean stop on Ctrl-C. Handlers live with their site (`dashboard/server.rs`, `docs/site.rs`).

pub mod assets;
pub mod gzip;
pub mod security;

pub use gzip::{accepts_gzip, gzip};

use std::net::SocketAddr;

use axum::body::Body;
use bytes::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};

/// A body with its type, gzip-encoded when the client accepts it and a compressed copy exists.
pub fn body(content_type: &str, plain: Bytes, gz: Option<Bytes>, headers: &HeaderMap) -> Response {
    let mut res = match gz.filter(|_| accepts_gzip(headers)) {
        Some(z) => {
            let mut r = Response::new(Body::from(z));
            r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        None => Response::new(Body::from(plain)),
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// An embedded asset (`assets/<name>`), or 404; a missing charting library is a 503 saying how to get it.
pub fn asset(name: &str, headers: &HeaderMap) -> Response {
    match assets::get(name) {
        Some(a) => body(a.content_type, Bytes::from_static(a.body), assets::gzipped(name).map(Bytes::from_static), headers),
        None if name == "echarts.min.js" => {
            (StatusCode::SERVICE_UNAVAILABLE, assets::echarts().err().unwrap_or_default()).into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no asset {name}")).into_response(),
    }
}

pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], serde_json::json!({ "error": message }).to_string()).into_response()
}

/// Binds `host:port` (port 0 = any free port) and returns the listener with its real address.
pub async fn bind(host: &str, port: u16) -> Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| Error::Usage(format!("cannot listen on {host}:{port}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Error::Usage(format!("cannot read the bound address: {e}")))?;
    Ok((listener, addr))
}

/// Serves until Ctrl-C (or SIGTERM), then finishes the open requests.
pub async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await
        .map_err(|e| Error::Usage(format!("the web server stopped: {e}")))
}

async fn stopped() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The URL to print: loopback binds print `127.0.0.1`, wildcard binds the hint to use this host's name.
pub fn url_of(addr: SocketAddr) -> String {
    match addr.ip().is_unspecified() {
        true => format!("http://localhost:{}/", addr.port()),
        false => format!("http://{addr}/"),
    }
}
