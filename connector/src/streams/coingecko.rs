//! CoinGecko (`/api/v3`): coin snapshots, market chart (daily history + hourly recent), OHLC candles, tickers
//! and the global market (BTC dominance). Keyless by default; a Demo or Pro key goes in a header (http.rs).
//! CoinGecko picks the granularity from the window length (≤ 90 days hourly, more daily, 1 day from now
//! 5-minutely), so windows are widened to force the granularity each partition stores.
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{
    boolean, from_unix_millis, from_unix_seconds, int, num, text, time_value, timestamp, windows,
    Ctx, Page, Record, Slice, Stream, StreamSpec,
};
use crate::http::{Provider, Request};
use crate::state::StreamState;

const DAY: i64 = 86_400;

pub fn streams() -> Vec<Box<dyn Stream>> {
    vec![
        Box::new(CoinSnapshots),
        Box::new(MarketChart),
        Box::new(Ohlc),
        Box::new(Tickers),
        Box::new(Global),
    ]
}

fn object(body: &Value) -> Result<&Map<String, Value>, String> {
    body.as_object()
        .ok_or_else(|| "expected a JSON object".to_string())
}

/// `coingecko_coin_snapshots`: `/coins/{id}`, flattened to one typed column per KPI.
pub struct CoinSnapshots;

static SNAPSHOTS: StreamSpec = StreamSpec {
    name: "coingecko_coin_snapshots",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../schemas/coingecko_coin_snapshots.json"),
    cursor_field: Some("last_updated"),
    primary_key: &["id", "last_updated"],
};

impl Stream for CoinSnapshots {
    fn spec(&self) -> &StreamSpec {
        &SNAPSHOTS
    }

    fn slices(&self, cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new(format!("/coins/{}", cx.config.coin_id))
            .param("localization", "false")
            .param("tickers", "false")
            .param("market_data", "true")
            .param("community_data", "true")
            .param("developer_data", "true")
            .param("sparkline", "false");
        vec![Slice {
            partition: "last_updated".into(),
            request,
        }]
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = &page.body;
        let coin = object(&body)?;
        let last_updated = timestamp(coin.get("last_updated"))
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                timestamp(body.pointer("/market_data/last_updated"))
                    .as_str()
                    .map(str::to_string)
            })
            .ok_or("no last_updated in the coin document")?;
        let mut r = Record::new();
        r.insert("id".into(), text(coin.get("id")));
        r.insert("last_updated".into(), Value::String(last_updated));
        r.insert(
            "vs_currency".into(),
            Value::String(cx.config.vs_currency.clone()),
        );
        for key in ["symbol", "name", "hashing_algorithm", "genesis_date"] {
            r.insert(key.into(), text(coin.get(key)));
        }
        r.insert("market_cap_rank".into(), int(coin.get("market_cap_rank")));
        r.insert(
            "block_time_in_minutes".into(),
            num(coin.get("block_time_in_minutes")),
        );
        r.insert("description".into(), text(body.pointer("/description/en")));
        r.insert(
            "homepage_url".into(),
            first_url(body.pointer("/links/homepage")),
        );
        r.insert(
            "whitepaper_url".into(),
            text(body.pointer("/links/whitepaper")),
        );
        r.insert(
            "blockchain_sites".into(),
            urls(body.pointer("/links/blockchain_site")),
        );
        r.insert(
            "subreddit_url".into(),
            text(body.pointer("/links/subreddit_url")),
        );
        r.insert(
            "twitter_screen_name".into(),
            text(body.pointer("/links/twitter_screen_name")),
        );
        r.insert(
            "github_repos".into(),
            urls(body.pointer("/links/repos_url/github")),
        );
        r.insert("logo_url".into(), text(body.pointer("/image/large")));
        market_fields(&mut r, body.get("market_data"), &cx.config.vs_currency);
        section(
            &mut r,
            body.get("community_data"),
            &[
                "facebook_likes",
                "twitter_followers",
                "reddit_subscribers",
                "reddit_accounts_active_48h",
                "telegram_channel_user_count",
            ],
            &["reddit_average_posts_48h", "reddit_average_comments_48h"],
        );
        section(
            &mut r,
            body.get("developer_data"),
            &[
                "forks",
                "stars",
                "subscribers",
                "total_issues",
                "closed_issues",
                "pull_requests_merged",
                "pull_request_contributors",
                "commit_count_4_weeks",
            ],
            &[],
        );
        r.insert(
            "code_additions_4_weeks".into(),
            int(body.pointer("/developer_data/code_additions_deletions_4_weeks/additions")),
        );
        r.insert(
            "code_deletions_4_weeks".into(),
            int(body.pointer("/developer_data/code_additions_deletions_4_weeks/deletions")),
        );
        out.push(r);
        Ok(None)
    }
}

fn market_fields(r: &mut Record, market: Option<&Value>, cur: &str) {
    let empty = Value::Null;
    let m = market.unwrap_or(&empty);
    for key in [
        "current_price",
        "market_cap",
        "fully_diluted_valuation",
        "total_volume",
        "high_24h",
        "low_24h",
        "ath",
        "atl",
    ] {
        r.insert(key.into(), num(m.get(key).and_then(|v| v.get(cur))));
    }
    for key in ["ath_date", "atl_date"] {
        r.insert(key.into(), timestamp(m.get(key).and_then(|v| v.get(cur))));
    }
    for key in [
        "price_change_24h",
        "price_change_percentage_24h",
        "price_change_percentage_7d",
        "price_change_percentage_14d",
        "price_change_percentage_30d",
        "price_change_percentage_60d",
        "price_change_percentage_200d",
        "price_change_percentage_1y",
        "market_cap_change_24h",
        "market_cap_change_percentage_24h",
        "circulating_supply",
        "total_supply",
        "max_supply",
    ] {
        r.insert(key.into(), num(m.get(key)));
    }
}

/// Copies integer and decimal fields of a nested section (community, developer data) to top-level columns.
fn section(
    r: &mut Record,
    section: Option<&Value>,
    ints: &[&'static str],
    decimals: &[&'static str],
) {
    for key in ints {
        r.insert(key, int(section.and_then(|s| s.get(*key))));
    }
    for key in decimals {
        r.insert(key, num(section.and_then(|s| s.get(*key))));
    }
}

fn urls(v: Option<&Value>) -> Value {
    let list = v
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect()
        })
        .unwrap_or_default();
    Value::Array(list)
}

fn first_url(v: Option<&Value>) -> Value {
    urls(v)
        .as_array()
        .and_then(|a| a.first().cloned())
        .unwrap_or(Value::Null)
}

/// `coingecko_market_chart`: `/coins/{id}/market_chart/range`, partitions `daily` and `hourly`.
pub struct MarketChart;

static MARKET_CHART: StreamSpec = StreamSpec {
    name: "coingecko_market_chart",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../schemas/coingecko_market_chart.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["granularity", "timestamp"],
};

impl MarketChart {
    /// Windows of at most `max_days`, each widened to at least `min_days` so CoinGecko keeps the granularity.
    fn family(
        cx: &Ctx,
        partition: &str,
        from: DateTime<Utc>,
        max_days: i64,
        min_days: i64,
    ) -> Vec<Slice> {
        let max = Duration::from_secs((max_days * DAY) as u64);
        windows(from, cx.now, max)
            .into_iter()
            .map(|(start, end)| {
                let start = start.min(end - chrono::Duration::days(min_days));
                let request =
                    Request::new(format!("/coins/{}/market_chart/range", cx.config.coin_id))
                        .param("vs_currency", &cx.config.vs_currency)
                        .param("from", start.timestamp())
                        .param("to", end.timestamp());
                Slice {
                    partition: partition.to_string(),
                    request,
                }
            })
            .collect()
    }
}

impl Stream for MarketChart {
    fn spec(&self) -> &StreamSpec {
        &MARKET_CHART
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let start = cx.config.start_date;
        let mut slices = Self::family(
            cx,
            "daily",
            state.time("daily").unwrap_or(start).max(start),
            365,
            91,
        );
        let hourly_days = i64::from(cx.config.market_chart_hourly_days);
        if hourly_days > 0 {
            let recent = (cx.now - chrono::Duration::days(hourly_days)).max(start);
            slices.extend(Self::family(
                cx,
                "hourly",
                state.time("hourly").unwrap_or(recent).max(recent),
                90,
                2,
            ));
        }
        slices
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = &page.body;
        let series = |key: &str| {
            body.get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        let prices = body
            .get("prices")
            .and_then(Value::as_array)
            .ok_or("no `prices` array")?;
        let (caps, volumes) = (series("market_caps"), series("total_volumes"));
        let granularity = if page
            .request
            .get_param("to")
            .and_then(|t| t.parse::<i64>().ok())
            .zip(
                page.request
                    .get_param("from")
                    .and_then(|f| f.parse::<i64>().ok()),
            )
            .is_some_and(|(to, from)| to - from > 90 * DAY)
        {
            "daily"
        } else {
            "hourly"
        };
        for (i, point) in prices.iter().enumerate() {
            let ts_value = point.get(0).ok_or("a price point is not [ms, value]")?;
            let Some(ts) = from_unix_millis(ts_value) else {
                continue;
            };
            let ms = ts.timestamp_millis();
            let mut r = Record::new();
            r.insert("coin_id".into(), Value::String(cx.config.coin_id.clone()));
            r.insert(
                "vs_currency".into(),
                Value::String(cx.config.vs_currency.clone()),
            );
            r.insert("granularity".into(), Value::String(granularity.into()));
            r.insert("timestamp".into(), time_value(ts));
            r.insert("price".into(), num(point.get(1)));
            r.insert("market_cap".into(), num(value_at(caps, i, ms)));
            r.insert("total_volume".into(), num(value_at(volumes, i, ms)));
            out.push(r);
        }
        Ok(None)
    }
}

/// The value of the point at `ms`: usually at the same index, else searched for.
fn value_at(series: &[Value], i: usize, ms: i64) -> Option<&Value> {
    let matches = |p: &&Value| {
        p.get(0)
            .and_then(from_unix_millis)
            .map(|t| t.timestamp_millis())
            == Some(ms)
    };
    series
        .get(i)
        .filter(matches)
        .or_else(|| series.iter().find(matches))
        .and_then(|p| p.get(1))
}

/// `coingecko_ohlc`: `/coins/{id}/ohlc?days=N`, candles keyed by their close time.
pub struct Ohlc;

static OHLC: StreamSpec = StreamSpec {
    name: "coingecko_ohlc",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../schemas/coingecko_ohlc.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["timestamp"],
};

impl Stream for Ohlc {
    fn spec(&self) -> &StreamSpec {
        &OHLC
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let from = state
            .time("timestamp")
            .unwrap_or(cx.config.start_date)
            .max(cx.config.start_date);
        let needed = (cx.now - from).num_days() + 1;
        // The only `days` values the endpoint accepts; keyless access ends at 365.
        let days = [1, 7, 14, 30, 90, 180, 365]
            .into_iter()
            .find(|d| *d >= needed)
            .unwrap_or(365);
        let request = Request::new(format!("/coins/{}/ohlc", cx.config.coin_id))
            .param("vs_currency", &cx.config.vs_currency)
            .param("days", days);
        vec![Slice {
            partition: "timestamp".into(),
            request,
        }]
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = &page.body;
        let candles = body
            .as_array()
            .ok_or("expected an array of [ms, open, high, low, close]")?;
        for candle in candles {
            let Some(ts) = candle.get(0).and_then(from_unix_millis) else {
                return Err(format!("bad candle {candle}"));
            };
            let mut r = Record::new();
            r.insert("coin_id".into(), Value::String(cx.config.coin_id.clone()));
            r.insert(
                "vs_currency".into(),
                Value::String(cx.config.vs_currency.clone()),
            );
            r.insert("timestamp".into(), time_value(ts));
            for (i, key) in ["open", "high", "low", "close"].into_iter().enumerate() {
                r.insert(key.into(), num(candle.get(i + 1)));
            }
            out.push(r);
        }
        Ok(None)
    }
}

/// `coingecko_tickers`: `/coins/{id}/tickers?page=N` (100 per page), full refresh.
pub struct Tickers;

static TICKERS: StreamSpec = StreamSpec {
    name: "coingecko_tickers",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../schemas/coingecko_tickers.json"),
    cursor_field: None,
    primary_key: &["exchange_id", "base", "target"],
};

impl Stream for Tickers {
    fn spec(&self) -> &StreamSpec {
        &TICKERS
    }

    fn slices(&self, cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new(format!("/coins/{}/tickers", cx.config.coin_id))
            .param("depth", "true")
            .param("page", 1);
        vec![Slice {
            partition: String::new(),
            request,
        }]
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = &page.body;
        let tickers = body
            .get("tickers")
            .and_then(Value::as_array)
            .ok_or("no `tickers` array")?;
        // A ticker without exchange, base or target has no primary key: it cannot be deduplicated, so it is dropped.
        out.extend(tickers.iter().map(ticker).filter(|r| {
            ["exchange_id", "base", "target"]
                .iter()
                .all(|k| r.get(k).is_some_and(Value::is_string))
        }));
        let n: u32 = page
            .request
            .get_param("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        if tickers.len() < 100 || n >= cx.config.tickers_max_pages {
            return Ok(None);
        }
        let mut next = page.request.clone();
        next.query.retain(|(k, _)| k != "page");
        Ok(Some(next.param("page", n + 1)))
    }
}

fn ticker(t: &Value) -> Record {
    let mut r = Record::new();
    r.insert("exchange_id".into(), text(t.pointer("/market/identifier")));
    r.insert("exchange_name".into(), text(t.pointer("/market/name")));
    for key in [
        "base",
        "target",
        "coin_id",
        "target_coin_id",
        "trust_score",
        "trade_url",
    ] {
        r.insert(key.into(), text(t.get(key)));
    }
    for key in [
        "last",
        "volume",
        "bid_ask_spread_percentage",
        "cost_to_move_up_usd",
        "cost_to_move_down_usd",
    ] {
        r.insert(key.into(), num(t.get(key)));
    }
    r.insert(
        "converted_last_usd".into(),
        num(t.pointer("/converted_last/usd")),
    );
    r.insert(
        "converted_last_btc".into(),
        num(t.pointer("/converted_last/btc")),
    );
    r.insert(
        "converted_volume_usd".into(),
        num(t.pointer("/converted_volume/usd")),
    );
    r.insert(
        "converted_volume_btc".into(),
        num(t.pointer("/converted_volume/btc")),
    );
    for key in ["timestamp", "last_traded_at", "last_fetch_at"] {
        r.insert(key.into(), timestamp(t.get(key)));
    }
    r.insert("is_anomaly".into(), boolean(t.get("is_anomaly")));
    r.insert("is_stale".into(), boolean(t.get("is_stale")));
    r
}

/// `coingecko_global`: `/global`, the whole market and BTC dominance.
pub struct Global;

static GLOBAL: StreamSpec = StreamSpec {
    name: "coingecko_global",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../schemas/coingecko_global.json"),
    cursor_field: Some("updated_at"),
    primary_key: &["updated_at"],
};

impl Stream for Global {
    fn spec(&self) -> &StreamSpec {
        &GLOBAL
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        vec![Slice {
            partition: "updated_at".into(),
            request: Request::new("/global"),
        }]
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = &page.body;
        let data = body.get("data").ok_or("no `data` object")?;
        let updated = data
            .get("updated_at")
            .and_then(from_unix_seconds)
            .ok_or("no `data.updated_at`")?;
        let cur = cx.config.vs_currency.as_str();
        let mut r = Record::new();
        r.insert("updated_at".into(), time_value(updated));
        for key in [
            "active_cryptocurrencies",
            "markets",
            "ongoing_icos",
            "ended_icos",
        ] {
            r.insert(key.into(), int(data.get(key)));
        }
        r.insert("vs_currency".into(), Value::String(cur.to_string()));
        r.insert(
            "total_market_cap".into(),
            num(data.get("total_market_cap").and_then(|m| m.get(cur))),
        );
        r.insert(
            "total_volume".into(),
            num(data.get("total_volume").and_then(|m| m.get(cur))),
        );
        r.insert(
            "btc_dominance".into(),
            num(data.pointer("/market_cap_percentage/btc")),
        );
        r.insert(
            "eth_dominance".into(),
            num(data.pointer("/market_cap_percentage/eth")),
        );
        r.insert(
            "market_cap_change_percentage_24h_usd".into(),
            num(data.get("market_cap_change_percentage_24h_usd")),
        );
        out.push(r);
        Ok(None)
    }
}
