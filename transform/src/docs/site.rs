//! `transform docs serve`: the docs site (embedded page and scripts) over the project's
//! `target/manifest.json` and `target/catalog.json`, read at each request so a new `docs generate`
//! shows on reload; compiled SQL from `target/compiled/`. Same safe defaults as the dashboard.

use std::path::{Component, Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::web::{self, security::Guard};

pub fn router(target_dir: PathBuf, guard: Guard) -> Router {
    Router::new()
        .route("/", get(|| async { Html(web::assets::DOCS_PAGE) }))
        .route("/index.html", get(|| async { Html(web::assets::DOCS_PAGE) }))
        .route("/favicon.ico", get(|h: HeaderMap| async move { web::asset("favicon.svg", &h) }))
        .route("/assets/{name}", get(|Path(name): Path<String>, h: HeaderMap| async move { web::asset(&name, &h) }))
        .route("/manifest.json", get(|s: State<Arc<PathBuf>>, h: HeaderMap| async move { artifact(&s, "manifest.json", &h) }))
        .route("/catalog.json", get(|s: State<Arc<PathBuf>>, h: HeaderMap| async move { artifact(&s, "catalog.json", &h) }))
        .route("/compiled/{*path}", get(compiled))
        .layer(axum::middleware::from_fn_with_state(guard, web::security::layer))
        .with_state(Arc::new(target_dir))
}

fn artifact(dir: &FsPath, name: &str, h: &HeaderMap) -> Response {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => {
            let gz = (bytes.len() > 64 * 1024 && web::accepts_gzip(h)).then(|| web::gzip(&bytes));
            web::body("application/json", bytes.into(), gz.map(Into::into), h)
        }
        Err(_) => web::json_error(StatusCode::NOT_FOUND, &format!("no {name} in {}: run `transform docs generate` first", dir.display())),
    }
}

/// A compiled SQL file; the path may not leave target/compiled.
async fn compiled(State(dir): State<Arc<PathBuf>>, Path(path): Path<String>, h: HeaderMap) -> Response {
    let rel = FsPath::new(&path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return (StatusCode::BAD_REQUEST, "bad path").into_response();
    }
    match std::fs::read(dir.join("compiled").join(rel)) {
        Ok(bytes) => web::body("text/plain; charset=utf-8", bytes.into(), None, &h),
        Err(_) => (StatusCode::NOT_FOUND, "not compiled").into_response(),
    }
}
