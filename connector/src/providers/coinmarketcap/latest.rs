//! CoinMarketCap's latest quote, metadata, market pairs and global metrics, all in USD. Pairs are read in pages
//! of up to 5,000 (1 credit per 100). `data` may be keyed by id (`"1"`), by symbol (an array under `"BTC"`)
//! or unwrapped: [`asset`] accepts all three.
use std::sync::Arc;

use serde_json::Value;

use super::Section;
use crate::provider::Provider;
use crate::record::{int, num, text, timestamp, Record};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

pub(super) const USD: &str = "USD";

/// The coin's object in `data`, whether keyed by id, keyed by symbol (an array) or unwrapped.
pub fn asset(body: &Value, id: u32) -> Result<&Value, String> {
    let data = body.get("data").ok_or("no `data` in the response")?;
    let is_id = |v: &&Value| v.get("id").and_then(Value::as_u64) == Some(u64::from(id));
    fn pick(v: &Value, is_id: impl Fn(&&Value) -> bool) -> Option<&Value> {
        match v {
            Value::Array(items) => items.iter().find(|i| is_id(i)).or(items.first()),
            Value::Object(_) => Some(v),
            _ => None,
        }
    }
    let pick = |v| pick(v, is_id);
    if data.get("id").is_some()
        || data.get("quotes").is_some()
        || data.get("market_pairs").is_some()
    {
        return Ok(data);
    }
    if let Some(found) = data.get(id.to_string()).and_then(pick) {
        return Ok(found);
    }
    let candidates: Vec<&Value> = match data {
        Value::Object(map) => map.values().filter_map(pick).collect(),
        Value::Array(_) => pick(data).into_iter().collect(),
        _ => Vec::new(),
    };
    candidates
        .iter()
        .copied()
        .find(|v| is_id(v))
        .or(candidates.first().copied())
        .ok_or_else(|| format!("no coin with id {id} in `data`"))
}

pub(super) fn usd(v: &Value) -> Option<&Value> {
    v.pointer("/quote/USD")
}

pub(super) fn common(r: &mut Record, coin: &Value, config: &Section) {
    r.insert(
        "id",
        coin.get("id")
            .map_or(Value::from(config.coinmarketcap_id), |v| int(Some(v))),
    );
    r.insert("symbol", text(coin.get("symbol")));
    r.insert("vs_currency", Value::String(USD.into()));
}

/// `cmc_quotes_latest`: `/v2/cryptocurrency/quotes/latest`, one snapshot per `last_updated`.
pub struct QuotesLatest {
    pub config: Arc<Section>,
}

static QUOTES_LATEST: StreamSpec = StreamSpec {
    name: "cmc_quotes_latest",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_quotes_latest.json"),
    cursor_field: Some("last_updated"),
    primary_key: &["id", "last_updated"],
};

impl Stream for QuotesLatest {
    fn spec(&self) -> &StreamSpec {
        &QUOTES_LATEST
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new("/v2/cryptocurrency/quotes/latest")
            .param("id", self.config.coinmarketcap_id)
            .param("convert", USD);
        Slice::single("last_updated", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let coin = asset(page.json(), self.config.coinmarketcap_id)?;
        let quote = usd(coin).ok_or("no `quote.USD` in the coin")?;
        let mut r = Record::new();
        common(&mut r, coin, &self.config);
        r.insert("name", text(coin.get("name")));
        r.insert("slug", text(coin.get("slug")));
        for key in [
            "price",
            "volume_24h",
            "volume_change_24h",
            "percent_change_1h",
            "percent_change_24h",
            "percent_change_7d",
            "percent_change_30d",
            "percent_change_60d",
            "percent_change_90d",
            "market_cap",
            "fully_diluted_market_cap",
            "market_cap_dominance",
        ] {
            r.insert(key, num(quote.get(key)));
        }
        for key in ["circulating_supply", "total_supply", "max_supply"] {
            r.insert(key, num(coin.get(key)));
        }
        r.insert("cmc_rank", int(coin.get("cmc_rank")));
        r.insert("num_market_pairs", int(coin.get("num_market_pairs")));
        let updated = timestamp(quote.get("last_updated"));
        let updated = if updated.is_null() {
            timestamp(coin.get("last_updated"))
        } else {
            updated
        };
        if updated.is_null() {
            return Err("no `last_updated` in the quote".into());
        }
        r.insert("last_updated", updated);
        out.push(r);
        Ok(None)
    }
}

/// `cmc_info`: `/v2/cryptocurrency/info`, the coin's metadata (full refresh).
pub struct Info {
    pub config: Arc<Section>,
}

static INFO: StreamSpec = StreamSpec {
    name: "cmc_info",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_info.json"),
    cursor_field: None,
    primary_key: &["id"],
};

/// A list of strings from an array of strings or of `{slug, name}` objects (tags changed shape over time).
fn strings(v: Option<&Value>) -> Value {
    let items = v
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    Value::Array(
        items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) if !s.is_empty() => Some(Value::String(s.clone())),
                Value::Object(o) => o.get("slug").or(o.get("name")).cloned(),
                _ => None,
            })
            .collect(),
    )
}

impl Stream for Info {
    fn spec(&self) -> &StreamSpec {
        &INFO
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request =
            Request::new("/v2/cryptocurrency/info").param("id", self.config.coinmarketcap_id);
        Slice::single("id", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let coin = asset(page.json(), self.config.coinmarketcap_id)?;
        let mut r = Record::new();
        r.insert(
            "id",
            coin.get("id")
                .map_or(Value::from(self.config.coinmarketcap_id), |v| int(Some(v))),
        );
        for key in ["name", "symbol", "slug", "category", "logo", "description"] {
            r.insert(key, text(coin.get(key)));
        }
        r.insert("date_added", timestamp(coin.get("date_added")));
        r.insert("date_launched", timestamp(coin.get("date_launched")));
        r.insert("twitter_username", text(coin.get("twitter_username")));
        let urls = coin.get("urls");
        let url = |k: &str| strings(urls.and_then(|u| u.get(k)));
        r.insert("urls_website", url("website"));
        r.insert("urls_explorer", url("explorer"));
        r.insert("urls_source_code", url("source_code"));
        r.insert("urls_reddit", url("reddit"));
        r.insert("urls_twitter", url("twitter"));
        r.insert("urls_technical_doc", url("technical_doc"));
        r.insert("tags", strings(coin.get("tags")));
        out.push(r);
        Ok(None)
    }
}

/// `cmc_market_pairs`: `/v2/cryptocurrency/market-pairs/latest`, pages of `limit` pairs from 1-based `start`.
pub struct MarketPairs {
    pub config: Arc<Section>,
}

static MARKET_PAIRS: StreamSpec = StreamSpec {
    name: "cmc_market_pairs",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_market_pairs.json"),
    cursor_field: None,
    primary_key: &["market_id"],
};

fn pairs_page(config: &Section, start: u64) -> Request {
    Request::new("/v2/cryptocurrency/market-pairs/latest")
        .param("id", config.coinmarketcap_id)
        .param("start", start)
        .param("limit", config.coinmarketcap_market_pairs_page_size)
        .param("convert", USD)
}

impl Stream for MarketPairs {
    fn spec(&self) -> &StreamSpec {
        &MARKET_PAIRS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        Slice::single("market_id", pairs_page(&self.config, 1))
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let coin = asset(page.json(), self.config.coinmarketcap_id)?;
        let pairs = coin
            .get("market_pairs")
            .and_then(Value::as_array)
            .ok_or("no `market_pairs` array")?;
        for p in pairs {
            out.push(pair(p));
        }
        let limit = u64::from(self.config.coinmarketcap_market_pairs_page_size);
        let start: u64 = page
            .request
            .get_param("start")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        let page_no = (start - 1) / limit + 1;
        let more = pairs.len() as u64 >= limit
            && page_no < u64::from(self.config.coinmarketcap_market_pairs_max_pages);
        Ok(more.then(|| pairs_page(&self.config, start + limit)))
    }
}

fn pair(p: &Value) -> Record {
    let mut r = Record::new();
    r.insert("market_id", int(p.get("market_id")));
    for key in ["market_pair", "category", "fee_type"] {
        r.insert(key, text(p.get(key)));
    }
    r.insert("exchange_id", int(p.pointer("/exchange/id")));
    r.insert("exchange_name", text(p.pointer("/exchange/name")));
    r.insert("exchange_slug", text(p.pointer("/exchange/slug")));
    r.insert(
        "market_pair_base_currency_symbol",
        text(p.pointer("/market_pair_base/currency_symbol")),
    );
    r.insert(
        "market_pair_quote_currency_symbol",
        text(p.pointer("/market_pair_quote/currency_symbol")),
    );
    r.insert("price", num(p.pointer("/quote/USD/price")));
    r.insert("volume_24h", num(p.pointer("/quote/USD/volume_24h")));
    r.insert(
        "price_quote",
        num(p.pointer("/quote/exchange_reported/price")),
    );
    r.insert(
        "volume_24h_base",
        num(p.pointer("/quote/exchange_reported/volume_24h_base")),
    );
    r.insert(
        "volume_24h_quote",
        num(p.pointer("/quote/exchange_reported/volume_24h_quote")),
    );
    let updated = timestamp(p.pointer("/quote/USD/last_updated"));
    let updated = if updated.is_null() {
        timestamp(p.pointer("/quote/exchange_reported/last_updated"))
    } else {
        updated
    };
    r.insert("last_updated", updated);
    r
}

/// `cmc_global_metrics`: `/v1/global-metrics/quotes/latest`, BTC dominance and the total market in USD.
pub struct GlobalMetrics;

static GLOBAL_METRICS: StreamSpec = StreamSpec {
    name: "cmc_global_metrics",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_global_metrics.json"),
    cursor_field: Some("last_updated"),
    primary_key: &["last_updated"],
};

impl Stream for GlobalMetrics {
    fn spec(&self) -> &StreamSpec {
        &GLOBAL_METRICS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        let request = Request::new("/v1/global-metrics/quotes/latest").param("convert", USD);
        Slice::single("last_updated", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let data = page.json().get("data").ok_or("no `data` in the response")?;
        let updated = timestamp(data.get("last_updated"));
        if updated.is_null() {
            return Err("no `data.last_updated`".into());
        }
        let quote = usd(data);
        let mut r = Record::new();
        r.insert("last_updated", updated);
        r.insert("vs_currency", Value::String(USD.into()));
        for key in ["btc_dominance", "eth_dominance"] {
            r.insert(key, num(data.get(key)));
        }
        for key in [
            "active_cryptocurrencies",
            "active_exchanges",
            "active_market_pairs",
        ] {
            r.insert(key, int(data.get(key)));
        }
        for key in ["total_market_cap", "total_volume_24h", "altcoin_market_cap"] {
            r.insert(key, num(quote.and_then(|q| q.get(key))));
        }
        out.push(r);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_keyed_by_id_by_symbol_or_unwrapped() {
        let coin = json!({"id": 1, "symbol": "BTC"});
        for body in [
            json!({"data": {"1": coin}}),
            json!({"data": {"BTC": [{"id": 99, "symbol": "BTC"}, coin]}}),
            json!({"data": coin}),
        ] {
            assert_eq!(asset(&body, 1).unwrap()["id"], 1, "{body}");
        }
        assert!(asset(&json!({"data": {}}), 1).is_err());
        assert!(asset(&json!({"status": {}}), 1).is_err());
    }

    #[test]
    fn tags_of_either_shape() {
        let tags = json!(["mineable", {"slug": "pow", "name": "PoW"}, 3, ""]);
        assert_eq!(strings(Some(&tags)), json!(["mineable", "pow"]));
    }
}
