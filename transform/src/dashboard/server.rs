//! The dashboard's HTTP routes (axum): the page and its assets, the panel list with each panel's SQL
//! and models, each panel's data as columnar JSON or CSV (served from the snapshot, never querying),
//! the data version for polling, and server-sent `refresh` events. The browser names panels only.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{Stream, StreamExt};

use super::live::Live;
use crate::web::{self, security::Guard};

pub fn router(live: Arc<Live>, guard: Guard) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/favicon.ico", get(|h: HeaderMap| async move { web::asset("favicon.svg", &h) }))
        .route("/assets/{name}", get(|Path(name): Path<String>, h: HeaderMap| async move { web::asset(&name, &h) }))
        .route("/api/dashboard", get(meta))
        .route("/api/version", get(version))
        .route("/api/events", get(events))
        .route("/api/panels/{file}", get(panel))
        .layer(axum::middleware::from_fn_with_state(guard, web::security::layer))
        .with_state(live)
}

async fn page() -> Response {
    match web::assets::echarts() {
        Ok(_) => Html(web::assets::DASHBOARD_PAGE).into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn meta(State(live): State<Arc<Live>>, h: HeaderMap) -> Response {
    let (plain, gz) = live.meta_bytes();
    web::body("application/json", plain, Some(gz), &h)
}

async fn version(State(live): State<Arc<Live>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")], format!("{{\"version\":{}}}", live.current().version)).into_response()
}

/// `NAME` → the columnar JSON; `NAME.csv` → the CSV download.
async fn panel(State(live): State<Arc<Live>>, Path(file): Path<String>, h: HeaderMap) -> Response {
    let (name, csv) = match file.strip_suffix(".csv") {
        Some(n) => (n, true),
        None => (file.as_str(), false),
    };
    let snap = live.current();
    let Some(data) = snap.panels.get(name) else {
        return web::json_error(StatusCode::NOT_FOUND, &format!("no panel `{name}` in dashboard `{}`", live.dashboard.name));
    };
    if csv {
        let mut res = web::body("text/csv; charset=utf-8", data.csv.clone(), None, &h);
        let disposition = format!("attachment; filename=\"{name}.csv\"");
        if let Ok(v) = header::HeaderValue::from_str(&disposition) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        return res;
    }
    web::body("application/json", data.json.clone(), Some(data.json_gz.clone()), &h)
}

async fn events(State(live): State<Arc<Live>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = tokio_stream::wrappers::WatchStream::new(live.events.subscribe())
        .map(|v| Ok(Event::default().event("refresh").data(format!("{{\"version\":{v}}}"))));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
