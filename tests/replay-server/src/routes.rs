//! The routes file: which recorded response answers which request, in what order, with which faults.
//!
//! ```json
//! {"routes": [{"path": "/coingecko/api/v3/global", "query": {"page": "2"},
//!              "responses": [{"status": 429, "headers": {"Retry-After": "1"}, "body": {"error": "slow"}},
//!                            {"body_file": "../recorded/coingecko/global.json"}]}]}
//! ```
//! A route matches on the exact path (or a prefix, for a path ending in `*`) and on every listed query parameter. Its responses are served in order;
//! the last one repeats. A response has `status` (default 200), `headers`, one body (`body` JSON, `body_text`,
//! `body_file` relative to the routes file, or `generate`), and faults: `delay_ms` before answering and
//! `truncate_at` (send only that many body bytes while announcing the full length).
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct RoutesFile {
    pub routes: Vec<Route>,
}

#[derive(Debug, Deserialize)]
pub struct Route {
    /// Exact path to match; or, when it ends with `*`, a path prefix.
    pub path: String,
    #[serde(default)]
    pub query: serde_json::Map<String, Value>,
    pub responses: Vec<Response>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Response {
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    pub body: Option<Value>,
    pub body_text: Option<String>,
    pub body_file: Option<PathBuf>,
    pub generate: Option<Generate>,
    #[serde(default)]
    pub delay_ms: u64,
    pub truncate_at: Option<usize>,
}

/// A synthetic body computed from the request, for long histories (benchmarks).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Generate {
    /// CoinGecko `market_chart/range` over `[from, to]` (query, Unix seconds), by CoinGecko's own rule:
    /// daily points for windows over 90 days, else hourly, or one every `step_seconds` when set.
    MarketChartRange { step_seconds: Option<i64> },
}

fn ok() -> u16 {
    200
}

impl RoutesFile {
    /// Loads a routes file and inlines every `body_file`, so serving never touches the disk.
    pub fn load(path: &Path) -> Result<RoutesFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut file: RoutesFile =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for response in file.routes.iter_mut().flat_map(|r| r.responses.iter_mut()) {
            if let Some(rel) = response.body_file.take() {
                let body_path = dir.join(&rel);
                let body = std::fs::read_to_string(&body_path)
                    .map_err(|e| format!("{}: {e}", body_path.display()))?;
                response.body_text = Some(body);
            }
        }
        Ok(file)
    }

    /// The index of the route answering `path` with `query`.
    pub fn find(&self, path: &str, query: &[(String, String)]) -> Option<usize> {
        self.routes.iter().position(|r| {
            path_matches(&r.path, path)
                && r.query.iter().all(|(k, v)| {
                    let want = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    query.iter().any(|(qk, qv)| qk == k && *qv == want)
                })
        })
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

impl Response {
    /// The body bytes for a request with this query.
    pub fn body_bytes(&self, query: &[(String, String)]) -> Vec<u8> {
        if let Some(generate) = &self.generate {
            return generate.render(query);
        }
        if let Some(text) = &self.body_text {
            return text.clone().into_bytes();
        }
        self.body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default()
    }
}

impl Generate {
    fn render(&self, query: &[(String, String)]) -> Vec<u8> {
        let Generate::MarketChartRange { step_seconds } = self;
        let get = |k: &str| {
            query
                .iter()
                .find(|(q, _)| q == k)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let (from, to) = (get("from"), get("to"));
        let step = if to - from > 90 * 86_400 {
            86_400
        } else {
            step_seconds.unwrap_or(3_600).max(1)
        };
        let first = (from + step - 1).div_euclid(step) * step;
        let points: Vec<i64> = (0..)
            .map(|i| first + i * step)
            .take_while(|t| *t <= to)
            .collect();
        let mut out = String::with_capacity(points.len() * 100 + 64);
        for (name, scale) in [
            ("prices", 50_000.0),
            ("market_caps", 1.0e12),
            ("total_volumes", 3.0e10),
        ] {
            out.push_str(if out.is_empty() { "{\"" } else { ",\"" });
            out.push_str(name);
            out.push_str("\":[");
            for (i, t) in points.iter().enumerate() {
                let value = scale * (1.0 + ((t / step) % 1000) as f64 / 1000.0);
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}[{},{value}]", t * 1000);
            }
            out.push(']');
        }
        out.push('}');
        out.into_bytes()
    }
}
