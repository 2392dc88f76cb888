//! CoinGecko's `/coins/{id}` document, flattened into `coingecko_coin_snapshots` (one typed column per KPI:
//! metadata, market data in the quote currency, community and developer data), and `/coins/{id}/tickers`
//! (`coingecko_tickers`, 100 per page).
use std::sync::Arc;

use serde_json::{Map, Value};

use super::Section;
use crate::provider::Provider;
use crate::record::{boolean, int, num, text, timestamp, Record};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

fn object(body: &Value) -> Result<&Map<String, Value>, String> {
    body.as_object()
        .ok_or_else(|| "expected a JSON object".to_string())
}

/// `coingecko_coin_snapshots`: `/coins/{id}`, flattened to one typed column per KPI.
pub struct CoinSnapshots {
    pub config: Arc<Section>,
}

static SNAPSHOTS: StreamSpec = StreamSpec {
    name: "coingecko_coin_snapshots",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../../schemas/coingecko_coin_snapshots.json"),
    cursor_field: Some("last_updated"),
    primary_key: &["id", "last_updated"],
};

impl Stream for CoinSnapshots {
    fn spec(&self) -> &StreamSpec {
        &SNAPSHOTS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new(format!("/coins/{}", self.config.coin_id))
            .param("localization", "false")
            .param("tickers", "false")
            .param("market_data", "true")
            .param("community_data", "true")
            .param("developer_data", "true")
            .param("sparkline", "false");
        Slice::single("last_updated", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let coin = object(body)?;
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
        r.insert("id", text(coin.get("id")));
        r.insert("last_updated", Value::String(last_updated));
        r.insert(
            "vs_currency",
            Value::String(self.config.vs_currency.clone()),
        );
        for key in ["symbol", "name", "hashing_algorithm", "genesis_date"] {
            r.insert(key, text(coin.get(key)));
        }
        r.insert("market_cap_rank", int(coin.get("market_cap_rank")));
        r.insert(
            "block_time_in_minutes",
            num(coin.get("block_time_in_minutes")),
        );
        r.insert("description", text(body.pointer("/description/en")));
        r.insert("homepage_url", first_url(body.pointer("/links/homepage")));
        r.insert("whitepaper_url", text(body.pointer("/links/whitepaper")));
        r.insert(
            "blockchain_sites",
            urls(body.pointer("/links/blockchain_site")),
        );
        r.insert("subreddit_url", text(body.pointer("/links/subreddit_url")));
        r.insert(
            "twitter_screen_name",
            text(body.pointer("/links/twitter_screen_name")),
        );
        r.insert(
            "github_repos",
            urls(body.pointer("/links/repos_url/github")),
        );
        r.insert("logo_url", text(body.pointer("/image/large")));
        market_fields(&mut r, body.get("market_data"), &self.config.vs_currency);
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
            "code_additions_4_weeks",
            int(body.pointer("/developer_data/code_additions_deletions_4_weeks/additions")),
        );
        r.insert(
            "code_deletions_4_weeks",
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
        r.insert(key, num(m.get(key).and_then(|v| v.get(cur))));
    }
    for key in ["ath_date", "atl_date"] {
        r.insert(key, timestamp(m.get(key).and_then(|v| v.get(cur))));
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
        r.insert(key, num(m.get(key)));
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

/// `coingecko_tickers`: `/coins/{id}/tickers?page=N` (100 per page), full refresh.
pub struct Tickers {
    pub config: Arc<Section>,
}

static TICKERS: StreamSpec = StreamSpec {
    name: "coingecko_tickers",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../../schemas/coingecko_tickers.json"),
    cursor_field: None,
    primary_key: &["exchange_id", "base", "target"],
};

impl Stream for Tickers {
    fn spec(&self) -> &StreamSpec {
        &TICKERS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new(format!("/coins/{}/tickers", self.config.coin_id))
            .param("depth", "true")
            .param("page", 1);
        Slice::single("", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
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
        if tickers.len() < 100 || n >= self.config.tickers_max_pages {
            return Ok(None);
        }
        let mut next = page.request.clone();
        next.query.retain(|(k, _)| k != "page");
        Ok(Some(next.param("page", n + 1)))
    }
}

fn ticker(t: &Value) -> Record {
    let mut r = Record::new();
    r.insert("exchange_id", text(t.pointer("/market/identifier")));
    r.insert("exchange_name", text(t.pointer("/market/name")));
    for key in [
        "base",
        "target",
        "coin_id",
        "target_coin_id",
        "trust_score",
        "trade_url",
    ] {
        r.insert(key, text(t.get(key)));
    }
    for key in [
        "last",
        "volume",
        "bid_ask_spread_percentage",
        "cost_to_move_up_usd",
        "cost_to_move_down_usd",
    ] {
        r.insert(key, num(t.get(key)));
    }
    r.insert("converted_last_usd", num(t.pointer("/converted_last/usd")));
    r.insert("converted_last_btc", num(t.pointer("/converted_last/btc")));
    r.insert(
        "converted_volume_usd",
        num(t.pointer("/converted_volume/usd")),
    );
    r.insert(
        "converted_volume_btc",
        num(t.pointer("/converted_volume/btc")),
    );
    for key in ["timestamp", "last_traded_at", "last_fetch_at"] {
        r.insert(key, timestamp(t.get(key)));
    }
    r.insert("is_anomaly", boolean(t.get("is_anomaly")));
    r.insert("is_stale", boolean(t.get("is_stale")));
    r
}
