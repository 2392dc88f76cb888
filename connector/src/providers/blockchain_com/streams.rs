//! blockchain.com's streams: daily on-chain charts (`/charts/{name}`, one state partition per chart, windows
//! of a year) and the `/stats` snapshot. Units are the provider's: hash rate in TH/s (charts) and GH/s
//! (stats), BTC amounts of `/stats` in satoshis; the schemas say so per field.
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::Section;
use crate::provider::Provider;
use crate::record::{from_unix_millis, from_unix_seconds, int, num, text, time_value, Record};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{windows, Ctx, Slice, Stream, StreamSpec};

/// `blockchain_charts`: every configured chart, incremental per chart.
pub struct Charts {
    pub config: Arc<Section>,
}

static CHARTS: StreamSpec = StreamSpec {
    name: "blockchain_charts",
    provider: Provider::BlockchainCom,
    schema: include_str!("../../../../schemas/blockchain_charts.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["chart", "timestamp"],
};

impl Stream for Charts {
    fn spec(&self) -> &StreamSpec {
        &CHARTS
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let year = Duration::from_secs(365 * 86_400);
        self.config
            .blockchain_charts
            .iter()
            .flat_map(|chart| {
                let from = state
                    .time(chart)
                    .unwrap_or(cx.start_date)
                    .max(cx.start_date);
                windows(from, cx.now, year)
                    .into_iter()
                    .map(move |(start, end)| {
                        let days = (end - start).num_days() + 1;
                        let request = Request::new(format!("/charts/{chart}"))
                            .param("start", start.format("%Y-%m-%d"))
                            .param("timespan", format!("{days}days"))
                            .param("format", "json")
                            .param("sampled", "false");
                        Slice {
                            partition: chart.clone(),
                            request,
                        }
                    })
            })
            .collect()
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let chart = page.request.path.trim_start_matches("/charts/").to_string();
        if let Some(status) = body
            .get("status")
            .and_then(Value::as_str)
            .filter(|s| *s != "ok")
        {
            return Err(format!("chart status {status:?}"));
        }
        let values = body
            .get("values")
            .and_then(Value::as_array)
            .ok_or("no `values` array")?;
        let unit = text(body.get("unit"));
        for point in values {
            let Some(ts) = point.get("x").and_then(from_unix_seconds) else {
                return Err(format!("bad point {point}"));
            };
            let mut r = Record::new();
            r.insert("chart", Value::String(chart.clone()));
            r.insert("timestamp", time_value(ts));
            r.insert("value", num(point.get("y")));
            r.insert("unit", unit.clone());
            out.push(r);
        }
        Ok(None)
    }
}

/// `blockchain_stats`: the `/stats` snapshot, full refresh.
pub struct Stats;

static STATS: StreamSpec = StreamSpec {
    name: "blockchain_stats",
    provider: Provider::BlockchainCom,
    schema: include_str!("../../../../schemas/blockchain_stats.json"),
    cursor_field: None,
    primary_key: &["timestamp"],
};

const STAT_DECIMALS: [&str; 12] = [
    "market_price_usd",
    "hash_rate",
    "minutes_between_blocks",
    "estimated_transaction_volume_usd",
    "miners_revenue_usd",
    "difficulty",
    "miners_revenue_btc",
    "trade_volume_btc",
    "trade_volume_usd",
    "total_fees_btc",
    "estimated_btc_sent",
    "total_btc_sent",
];
const STAT_INTEGERS: [&str; 7] = [
    "n_btc_mined",
    "n_tx",
    "n_blocks_mined",
    "totalbc",
    "n_blocks_total",
    "blocks_size",
    "nextretarget",
];

impl Stream for Stats {
    fn spec(&self) -> &StreamSpec {
        &STATS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        Slice::single("", Request::new("/stats"))
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let ts = body
            .get("timestamp")
            .and_then(from_unix_millis)
            .ok_or("no `timestamp` (epoch ms)")?;
        let mut r = Record::new();
        r.insert("timestamp", time_value(ts));
        for key in STAT_DECIMALS {
            r.insert(key, num(body.get(key)));
        }
        for key in STAT_INTEGERS {
            r.insert(key, int(body.get(key)));
        }
        out.push(r);
        Ok(None)
    }
}
