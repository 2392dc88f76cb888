//! CoinMarketCap history (`ohlcv/historical`, `quotes/historical`). Credits
//! are money: each call asks for `coinmarketcap_history_page_size` periods (`count`, max 10,000), and the
//! slices are windows of exactly that many periods, so a backfill of N periods costs ceil(N / page size) calls.
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::Value;

use super::latest::{asset, common, usd, USD};
use super::Section;
use crate::provider::Provider;
use crate::record::{num, timestamp, Record};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

/// Windows of `page` periods covering every period start in `[from, now]`: ceil(N / page) slices for N
/// periods. `request(start, last)` builds the call for the periods starting at `start` up to `last`.
fn history_slices(
    cx: &Ctx,
    config: &Section,
    partition: &str,
    from: DateTime<Utc>,
    period: Duration,
    request: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Request,
) -> Vec<Slice> {
    let from = from.duration_trunc(period).unwrap_or(from);
    if from > cx.now {
        return Vec::new();
    }
    let page = i64::from(config.coinmarketcap_history_page_size);
    let periods = ((cx.now - from).num_seconds() / period.num_seconds()).max(0) + 1;
    (0..(periods + page - 1) / page)
        .map(|k| {
            let start = from + period * (k * page) as i32;
            let last =
                (start + period * (page - 1) as i32).min(from + period * (periods - 1) as i32);
            Slice {
                partition: partition.to_string(),
                request: request(start, last),
            }
        })
        .collect()
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn since(state: &StreamState, partition: &str, floor: DateTime<Utc>) -> DateTime<Utc> {
    state.time(partition).unwrap_or(floor).max(floor)
}

/// `cmc_ohlcv_historical`: `/v2/cryptocurrency/ohlcv/historical`, partitions `daily` (since `start_date`)
/// and `hourly` (the last `coinmarketcap_hourly_days`). `time_start` is exclusive, hence one second early.
pub struct OhlcvHistorical {
    pub config: Arc<Section>,
}

static OHLCV: StreamSpec = StreamSpec {
    name: "cmc_ohlcv_historical",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_ohlcv_historical.json"),
    cursor_field: Some("time_open"),
    primary_key: &["id", "time_period", "time_open"],
};

impl Stream for OhlcvHistorical {
    fn spec(&self) -> &StreamSpec {
        &OHLCV
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let config = &self.config;
        let families = [
            ("daily", Duration::days(1), cx.start_date),
            (
                "hourly",
                Duration::hours(1),
                cx.now - Duration::days(i64::from(config.coinmarketcap_hourly_days)),
            ),
        ];
        let mut slices = Vec::new();
        for (partition, period, floor) in families {
            if partition == "hourly" && config.coinmarketcap_hourly_days == 0 {
                continue;
            }
            let from = since(state, partition, floor.max(cx.start_date));
            slices.extend(history_slices(
                cx,
                config,
                partition,
                from,
                period,
                |start, last| {
                    Request::new("/v2/cryptocurrency/ohlcv/historical")
                        .param("id", config.coinmarketcap_id)
                        .param("time_period", partition)
                        .param("interval", partition)
                        .param("time_start", iso(start - Duration::seconds(1)))
                        .param("time_end", iso(last))
                        .param("count", config.coinmarketcap_history_page_size)
                        .param("convert", USD)
                },
            ));
        }
        slices
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let coin = asset(page.json(), self.config.coinmarketcap_id)?;
        let quotes = coin
            .get("quotes")
            .and_then(Value::as_array)
            .ok_or("no `quotes` array")?;
        let period = page.request.get_param("time_period").unwrap_or("daily");
        for q in quotes {
            let quote = usd(q).ok_or_else(|| format!("a candle without quote.USD: {q}"))?;
            let mut r = Record::new();
            common(&mut r, coin, &self.config);
            r.insert("time_period", Value::String(period.to_string()));
            for key in ["time_open", "time_close", "time_high", "time_low"] {
                r.insert(key, timestamp(q.get(key)));
            }
            for key in ["open", "high", "low", "close", "volume", "market_cap"] {
                r.insert(key, num(quote.get(key)));
            }
            r.insert("timestamp", timestamp(quote.get("timestamp")));
            out.push(r);
        }
        Ok(None)
    }
}

/// `cmc_quotes_historical`: `/v2/cryptocurrency/quotes/historical`, one quote a day since `start_date`.
pub struct QuotesHistorical {
    pub config: Arc<Section>,
}

static QUOTES_HISTORICAL: StreamSpec = StreamSpec {
    name: "cmc_quotes_historical",
    provider: Provider::CoinMarketCap,
    schema: include_str!("../../../../schemas/cmc_quotes_historical.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["id", "timestamp"],
};

impl Stream for QuotesHistorical {
    fn spec(&self) -> &StreamSpec {
        &QUOTES_HISTORICAL
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let config = &self.config;
        let from = since(state, "timestamp", cx.start_date);
        history_slices(
            cx,
            config,
            "timestamp",
            from,
            Duration::days(1),
            |start, last| {
                Request::new("/v2/cryptocurrency/quotes/historical")
                    .param("id", config.coinmarketcap_id)
                    .param("interval", "daily")
                    .param("time_start", iso(start))
                    .param(
                        "time_end",
                        iso(last + Duration::days(1) - Duration::seconds(1)),
                    )
                    .param("count", config.coinmarketcap_history_page_size)
                    .param("convert", USD)
            },
        )
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let coin = asset(page.json(), self.config.coinmarketcap_id)?;
        let quotes = coin
            .get("quotes")
            .and_then(Value::as_array)
            .ok_or("no `quotes` array")?;
        for q in quotes {
            let quote = usd(q).ok_or_else(|| format!("a quote without quote.USD: {q}"))?;
            let mut r = Record::new();
            common(&mut r, coin, &self.config);
            let at = timestamp(q.get("timestamp"));
            r.insert(
                "timestamp",
                if at.is_null() {
                    timestamp(quote.get("timestamp"))
                } else {
                    at
                },
            );
            for key in [
                "price",
                "volume_24h",
                "market_cap",
                "circulating_supply",
                "total_supply",
            ] {
                r.insert(key, num(quote.get(key)));
            }
            out.push(r);
        }
        Ok(None)
    }
}
