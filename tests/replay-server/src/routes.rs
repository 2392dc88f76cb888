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
//! `truncate_at` (send only that many body bytes while announcing the full length). A header value
//! `{now+N}` is sent as the Unix time N seconds from now (`X-RateLimit-Reset`). `generate` computes a body
//! from the query: `{"kind": "market_chart_range"}` (CoinGecko) or `{"kind": "cmc_history", "quotes": bool}`
//! (CoinMarketCap OHLCV or quotes history); the `synthetic_*` kinds (synthetic.rs) cover every history
//! endpoint on one price curve and are streamed to the socket; `{"kind": "huge_array", "bytes": N,
//! "announce_length": bool}` streams an N-byte JSON array. `redirect: "http://host:port" | "/prefix" | ""`
//! sends `Location:` that + the request's path and query (with a 3xx `status`).
use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::synthetic;

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
    /// `Location: {redirect}{request target}`: with status 301/302/307/308, a redirect keeping the path and
    /// query, to another server (`http://host:port`), to a prefix on this one (`/moved`), or to itself (`""`).
    pub redirect: Option<String>,
}

/// A synthetic body computed from the request, for long histories (benchmarks).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Generate {
    /// CoinGecko `market_chart/range` over `[from, to]` (query, Unix seconds), by CoinGecko's own rule:
    /// daily points for windows over 90 days, else hourly, or one every `step_seconds` when set.
    MarketChartRange { step_seconds: Option<i64> },
    /// CoinMarketCap `ohlcv/historical` (`quotes: false`) or `quotes/historical` (`quotes: true`) for the
    /// query's `interval` (daily/hourly), `time_start` (exclusive for OHLCV, as CMC documents), `time_end`
    /// (inclusive) and `count`: one candle per period, prices derived from the time.
    CmcHistory { quotes: bool },
    /// A JSON array of `bytes` bytes, streamed in pieces (never held whole: gigabytes are fine), announced
    /// with a `Content-Length` or not (then it ends when the connection closes).
    HugeArray { bytes: u64, announce_length: bool },
    /// The same as `cmc_history` on synthetic.rs's shared price curve, never past the server's clock.
    SyntheticCmc { quotes: bool },
    /// CoinGecko `market_chart/range` (`from`, `to`) on the shared curve.
    SyntheticMarketChart,
    /// CoinGecko `/coins/{id}/ohlc?days=N`.
    SyntheticOhlc,
    /// blockchain.com `/charts/{name}?start=&timespan=Ndays`.
    SyntheticBlockchainChart,
    /// mempool.space `/v1/mining/hashrate[/{period}]`.
    SyntheticHashrate,
    /// mempool.space `/v1/mining/difficulty-adjustments[/{period}]`.
    SyntheticDifficultyAdjustments,
    /// mempool.space `/v1/blocks` (the tip) and `/v1/blocks/{height}`.
    SyntheticBlocks,
}

fn ok() -> u16 {
    200
}

impl Response {
    /// A plain answer with a text body.
    pub fn text(status: u16, body: String) -> Response {
        Response {
            status,
            headers: Default::default(),
            body: None,
            body_text: Some(body),
            body_file: None,
            generate: None,
            delay_ms: 0,
            truncate_at: None,
            redirect: None,
        }
    }
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
    /// The body bytes for a request with this query (a `generate` body is rendered whole: prefer
    /// [`Generate::write`] to stream it).
    pub fn body_bytes(&self, now: i64, path: &str, query: &[(String, String)]) -> Vec<u8> {
        if let Some(generate) = &self.generate {
            let mut out = Vec::new();
            let _ = generate.write(now, path, query, &mut out);
            return out;
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

/// The last path segment as a number or word (`/v1/blocks/930000` → `930000`), when it differs from `after`.
fn tail<'a>(path: &'a str, after: &str) -> Option<&'a str> {
    path.rsplit('/')
        .next()
        .filter(|t| *t != after && !t.is_empty())
}

impl Generate {
    /// Writes the body for a request at `path` with `query`; synthetic series end at `now` (Unix seconds).
    pub fn write(
        &self,
        now: i64,
        path: &str,
        query: &[(String, String)],
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        let num = |k: &str| {
            param(query, k)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        match self {
            Generate::MarketChartRange { step_seconds } => {
                out.write_all(&market_chart_range(*step_seconds, num("from"), num("to")))
            }
            Generate::CmcHistory { quotes } => out.write_all(&cmc_history(*quotes, query)),
            // Written by the server itself (its framing depends on `announce_length`).
            Generate::HugeArray { .. } => Ok(()),
            Generate::SyntheticCmc { quotes } => synthetic_cmc(now, *quotes, query, out),
            Generate::SyntheticMarketChart => {
                synthetic::market_chart(now, num("from"), num("to"), out)
            }
            Generate::SyntheticOhlc => synthetic::ohlc(now, num("days").max(1), out),
            Generate::SyntheticBlockchainChart => {
                let start = param(query, "start").and_then(parse_iso).unwrap_or(0);
                let days = param(query, "timespan")
                    .and_then(|t| t.trim_end_matches("days").parse::<i64>().ok())
                    .unwrap_or(365);
                synthetic::blockchain_chart(now, tail(path, "").unwrap_or(""), start, days, out)
            }
            Generate::SyntheticHashrate => {
                synthetic::mempool_hashrate(now, tail(path, "hashrate").unwrap_or(""), out)
            }
            Generate::SyntheticDifficultyAdjustments => synthetic::difficulty_adjustments(
                now,
                tail(path, "difficulty-adjustments").unwrap_or(""),
                out,
            ),
            Generate::SyntheticBlocks => {
                synthetic::blocks(now, tail(path, "blocks").and_then(|h| h.parse().ok()), out)
            }
        }
    }
}

fn market_chart_range(step_seconds: Option<i64>, from: i64, to: i64) -> Vec<u8> {
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

fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or a plain number of seconds).
pub fn parse_iso(text: &str) -> Option<i64> {
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (
        num(11..13).unwrap_or(0),
        num(14..16).unwrap_or(0),
        num(17..19).unwrap_or(0),
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `YYYY-MM-DDTHH:MM:SS.000Z` of Unix seconds.
pub fn iso(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The candle start times of a CoinMarketCap history request: its `interval` (daily/hourly), `time_start`
/// (exclusive for OHLCV, as CMC documents), `time_end` (inclusive) and `count`.
fn cmc_periods(quotes: bool, query: &[(String, String)]) -> (i64, Vec<i64>) {
    let step = if param(query, "interval") == Some("hourly") {
        3600
    } else {
        86_400
    };
    let start = param(query, "time_start").and_then(parse_iso).unwrap_or(0);
    let end = param(query, "time_end")
        .and_then(parse_iso)
        .unwrap_or(start);
    let count = param(query, "count")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(10);
    let first = if quotes {
        start.div_euclid(step) * step
    } else {
        (start.div_euclid(step) + 1) * step
    };
    let times = (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= end)
        .filter(|t| !quotes || t + step > start)
        .take(count)
        .collect();
    (step, times)
}

fn cmc_envelope_head() -> &'static str {
    r#"{"data":{"id":1,"name":"Bitcoin","symbol":"BTC","quotes":["#
}

fn cmc_envelope_tail(items: usize) -> String {
    let credits = items.div_ceil(100).max(1);
    format!(
        r#"]}},"status":{{"timestamp":"2026-11-20T00:00:00.000Z","error_code":0,"error_message":null,"elapsed":10,"credit_count":{credits},"notice":null}}}}"#
    )
}

fn cmc_history(quotes: bool, query: &[(String, String)]) -> Vec<u8> {
    let (step, times) = cmc_periods(quotes, query);
    let items: Vec<String> = times
        .iter()
        .map(|&t| {
            let price = 50_000.0 * (1.0 + (t / step % 1000) as f64 / 1000.0);
            let close = iso(t + step - 1);
            if quotes {
                format!(
                    r#"{{"timestamp":"{close}","quote":{{"USD":{{"price":{price},"volume_24h":3.1e10,"market_cap":{},"circulating_supply":19800000,"total_supply":19800000,"timestamp":"{close}"}}}}}}"#,
                    price * 1.98e7
                )
            } else {
                format!(
                    r#"{{"time_open":"{}","time_close":"{close}","time_high":"{}","time_low":"{}","quote":{{"USD":{{"open":{price},"high":{},"low":{},"close":{},"volume":2.5e10,"market_cap":{},"timestamp":"{close}"}}}}}}"#,
                    iso(t), iso(t + step / 3), iso(t + step / 2), price * 1.02, price * 0.98, price * 1.01, price * 1.98e7
                )
            }
        })
        .collect();
    format!(
        "{}{}{}",
        cmc_envelope_head(),
        items.join(","),
        cmc_envelope_tail(items.len())
    )
    .into_bytes()
}

/// `cmc_history` on the shared price curve, streamed, and only for periods already closed by the server's clock.
fn synthetic_cmc(
    now: i64,
    quotes: bool,
    query: &[(String, String)],
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let (step, times) = cmc_periods(quotes, query);
    let mut n = 0;
    out.write_all(cmc_envelope_head().as_bytes())?;
    for t in times.into_iter().filter(|t| t + step - 1 <= now) {
        if n > 0 {
            out.write_all(b",")?;
        }
        synthetic::cmc_candle(quotes, t, step, out)?;
        n += 1;
    }
    out.write_all(cmc_envelope_tail(n).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        for secs in [0, 1_700_000_000, 1_767_225_600, 951_782_400] {
            assert_eq!(parse_iso(&iso(secs)), Some(secs), "{}", iso(secs));
        }
        assert_eq!(iso(1_767_225_600), "2026-01-01T00:00:00.000Z");
    }
}
