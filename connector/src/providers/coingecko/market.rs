//! CoinGecko's market chart (daily history + hourly recent), OHLC candles and the global market (BTC
//! dominance). CoinGecko picks the granularity from the window length (≤ 90 days hourly, more daily, 1 day from now
//! 5-minutely), so windows are widened to force the granularity each partition stores.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::chart::{self, Chart};
use super::chart_scan;
use super::Section;
use crate::provider::Provider;
use crate::record::{from_unix_millis, from_unix_seconds, int, num, time_value, Field, Record};
use crate::request::{Page, Request};
use crate::state::{Cursor, StreamState};
use crate::stream::{windows, Built, Ctx, PageRecords, Slice, Stream, StreamSpec};

const DAY: i64 = 86_400;

/// `coingecko_market_chart`: `/coins/{id}/market_chart/range`, partitions `daily` and `hourly`.
pub struct MarketChart {
    pub config: Arc<Section>,
}

static MARKET_CHART: StreamSpec = StreamSpec {
    name: "coingecko_market_chart",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../../schemas/coingecko_market_chart.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["granularity", "timestamp"],
};

impl MarketChart {
    /// Windows of at most `max_days`, each widened to at least `min_days` so CoinGecko keeps the granularity.
    fn family(
        &self,
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
                    Request::new(format!("/coins/{}/market_chart/range", self.config.coin_id))
                        .param("vs_currency", &self.config.vs_currency)
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
        let start = cx.start_date;
        let mut slices = self.family(
            cx,
            "daily",
            state.time("daily").unwrap_or(start).max(start),
            365,
            91,
        );
        let hourly_days = i64::from(self.config.market_chart_hourly_days);
        if hourly_days > 0 {
            let recent = (cx.now - chrono::Duration::days(hourly_days)).max(start);
            slices.extend(self.family(
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
        state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let (mut records, next) = self.page_records(cx, page, state)?;
        out.extend((0..records.len()).filter_map(|i| records.take(i)));
        Ok(next)
    }

    fn page_records(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
    ) -> Result<(Box<dyn PageRecords>, Option<Request>), String> {
        let from_to = |key| {
            page.request
                .get_param(key)
                .and_then(|t| t.parse::<i64>().ok())
        };
        let granularity = match (from_to("from"), from_to("to")) {
            (Some(from), Some(to)) if to - from > 90 * DAY => "daily",
            _ => "hourly",
        };
        // The common shape by hand, else the plain shape by serde; anything else through the JSON tree (the
        // same records each way).
        let bytes = page.bytes();
        let records: Box<dyn PageRecords> = match chart_scan::read(bytes)
            .map_or_else(|| serde_json::from_slice::<Chart>(bytes), Ok)
        {
            Ok(chart) => Box::new(ChartRecords::new(chart, &self.config, granularity)),
            Err(_) => {
                let mut out = Vec::new();
                self.tree_points(page.json(), granularity, &mut out)?;
                Box::new(Built(out))
            }
        };
        Ok((records, None))
    }
}

/// The records of a chart read without a JSON tree, built one at a time from its points: the page's texts
/// shared, times kept as times.
struct ChartRecords {
    chart: Chart,
    coin: Field,
    currency: Field,
    granularity: Field,
}

impl ChartRecords {
    fn new(chart: Chart, config: &Section, granularity: &str) -> ChartRecords {
        let text = |s: &str| Field::text(&Arc::from(s));
        ChartRecords {
            chart,
            coin: text(&config.coin_id),
            currency: text(&config.vs_currency),
            granularity: text(granularity),
        }
    }

    fn build(&self, i: usize) -> Option<Record> {
        let chart = &self.chart;
        let point = chart.prices.get(i)?;
        let (ms, ts) = chart::time(point)?;
        let mut r = Record::with_capacity(7);
        r.insert("coin_id", self.coin.clone());
        r.insert("vs_currency", self.currency.clone());
        r.insert("granularity", self.granularity.clone());
        r.insert("timestamp", Field::Time(ts));
        r.insert("price", chart::number(point.value()));
        r.insert(
            "market_cap",
            chart::number(chart::value_at(&chart.market_caps, i, ms)),
        );
        r.insert(
            "total_volume",
            chart::number(chart::value_at(&chart.total_volumes, i, ms)),
        );
        Some(r)
    }
}

impl PageRecords for ChartRecords {
    fn len(&self) -> usize {
        self.chart.prices.len()
    }

    fn cursor(&self, i: usize, field: &str) -> Option<Cursor> {
        match field {
            "timestamp" => chart::time(self.chart.prices.get(i)?).map(|(_, t)| Cursor::Time(t)),
            _ => self.build(i)?.field(field).and_then(Cursor::from_field),
        }
    }

    fn take(&mut self, i: usize) -> Option<Record> {
        self.build(i)
    }
}

impl MarketChart {
    /// The records of a chart of any other shape, read from its JSON tree.
    fn tree_points(
        &self,
        body: &Value,
        granularity: &str,
        out: &mut Vec<Record>,
    ) -> Result<(), String> {
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
        for (i, point) in prices.iter().enumerate() {
            let ts_value = point.get(0).ok_or("a price point is not [ms, value]")?;
            let Some(ts) = from_unix_millis(ts_value) else {
                continue;
            };
            let ms = ts.timestamp_millis();
            let mut r = Record::new();
            r.insert("coin_id", Value::String(self.config.coin_id.clone()));
            r.insert(
                "vs_currency",
                Value::String(self.config.vs_currency.clone()),
            );
            r.insert("granularity", Value::String(granularity.into()));
            r.insert("timestamp", time_value(ts));
            r.insert("price", num(point.get(1)));
            r.insert("market_cap", num(value_at(caps, i, ms)));
            r.insert("total_volume", num(value_at(volumes, i, ms)));
            out.push(r);
        }
        Ok(())
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
pub struct Ohlc {
    pub config: Arc<Section>,
}

static OHLC: StreamSpec = StreamSpec {
    name: "coingecko_ohlc",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../../schemas/coingecko_ohlc.json"),
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
            .unwrap_or(cx.start_date)
            .max(cx.start_date);
        let needed = (cx.now - from).num_days() + 1;
        // The only `days` values the endpoint accepts; keyless access ends at 365.
        let days = [1, 7, 14, 30, 90, 180, 365]
            .into_iter()
            .find(|d| *d >= needed)
            .unwrap_or(365);
        let request = Request::new(format!("/coins/{}/ohlc", self.config.coin_id))
            .param("vs_currency", &self.config.vs_currency)
            .param("days", days);
        Slice::single("timestamp", request)
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let candles = body
            .as_array()
            .ok_or("expected an array of [ms, open, high, low, close]")?;
        for candle in candles {
            let Some(ts) = candle.get(0).and_then(from_unix_millis) else {
                return Err(format!("bad candle {candle}"));
            };
            let mut r = Record::new();
            r.insert("coin_id", Value::String(self.config.coin_id.clone()));
            r.insert(
                "vs_currency",
                Value::String(self.config.vs_currency.clone()),
            );
            r.insert("timestamp", time_value(ts));
            for (i, key) in ["open", "high", "low", "close"].into_iter().enumerate() {
                r.insert(key, num(candle.get(i + 1)));
            }
            out.push(r);
        }
        Ok(None)
    }
}

/// `coingecko_global`: `/global`, the whole market and BTC dominance.
pub struct Global {
    pub config: Arc<Section>,
}

static GLOBAL: StreamSpec = StreamSpec {
    name: "coingecko_global",
    provider: Provider::CoinGecko,
    schema: include_str!("../../../../schemas/coingecko_global.json"),
    cursor_field: Some("updated_at"),
    primary_key: &["updated_at"],
};

impl Stream for Global {
    fn spec(&self) -> &StreamSpec {
        &GLOBAL
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        Slice::single("updated_at", Request::new("/global"))
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let data = body.get("data").ok_or("no `data` object")?;
        let updated = data
            .get("updated_at")
            .and_then(from_unix_seconds)
            .ok_or("no `data.updated_at`")?;
        let cur = self.config.vs_currency.as_str();
        let mut r = Record::new();
        r.insert("updated_at", time_value(updated));
        for key in [
            "active_cryptocurrencies",
            "markets",
            "ongoing_icos",
            "ended_icos",
        ] {
            r.insert(key, int(data.get(key)));
        }
        r.insert("vs_currency", Value::String(cur.to_string()));
        r.insert(
            "total_market_cap",
            num(data.get("total_market_cap").and_then(|m| m.get(cur))),
        );
        r.insert(
            "total_volume",
            num(data.get("total_volume").and_then(|m| m.get(cur))),
        );
        r.insert(
            "btc_dominance",
            num(data.pointer("/market_cap_percentage/btc")),
        );
        r.insert(
            "eth_dominance",
            num(data.pointer("/market_cap_percentage/eth")),
        );
        r.insert(
            "market_cap_change_percentage_24h_usd",
            num(data.get("market_cap_change_percentage_24h_usd")),
        );
        out.push(r);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::CursorOrder;
    use chrono::TimeZone;

    /// A long page out of order — times shuffled, repeated, one series missing points, one null, one
    /// point outside chrono's range — written lazily, record by record in cursor order, gives the bytes the
    /// eager way gave: every record built (from the JSON tree), then stably sorted by cursor.
    #[test]
    fn a_long_page_is_written_as_the_eager_sort_wrote_it() {
        let t0 = 1_700_000_000_000_i64;
        let mut times: Vec<i64> = (0..5_000)
            .map(|i| t0 + (i * 7_919 % 5_000) * 3_600_000)
            .collect();
        times.extend([t0 + 3_600_000, t0, t0 + 42 * 3_600_000, 9e18 as i64]);
        // `every`: one point in `every` is left out of the series (0: none).
        let series = |scale: f64, every: usize| -> String {
            let points: Vec<String> = (times.iter().enumerate())
                .filter(|(i, _)| every == 0 || i % every != 3)
                .map(|(i, t)| match i {
                    7 => format!("[{t},null]"),
                    _ => format!("[{t},{}]", scale * (1.0 + (i % 997) as f64 / 1000.0)),
                })
                .collect();
            format!("[{}]", points.join(","))
        };
        let body = format!(
            r#"{{"prices":{},"market_caps":{},"total_volumes":{}}}"#,
            series(50_000.0, 0),
            series(1e12, 11),
            series(3e10, 0)
        );
        let request = Request::new("/coins/bitcoin/market_chart/range")
            .param("from", 0)
            .param("to", 86_400);
        let page = Page::new(request, 200, None, body.into_bytes());
        let stream = MarketChart {
            config: Arc::new(Section::default()),
        };
        let cx = Ctx {
            start_date: Utc.timestamp_opt(0, 0).unwrap(),
            now: Utc::now(),
        };
        let (mut lazy, _) = stream
            .page_records(&cx, &page, &StreamState::default())
            .unwrap();
        let mut eager = Vec::new();
        stream
            .tree_points(page.json(), "hourly", &mut eager)
            .unwrap();
        let mut keyed: Vec<(Cursor, Record)> = eager
            .into_iter()
            .filter_map(|r| Some((r.field("timestamp").and_then(Cursor::from_field)?, r)))
            .collect();
        keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let (mut want, mut got) = (Vec::new(), Vec::new());
        for (_, r) in &keyed {
            r.write_json(&mut want);
            want.push(b'\n');
        }
        let mut order = CursorOrder::new(lazy.as_ref(), "timestamp");
        while let Some((_, i)) = order.next(lazy.as_ref(), "timestamp") {
            lazy.take(i).unwrap().write_json(&mut got);
            got.push(b'\n');
        }
        assert_eq!(keyed.len(), 5_003);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }
}
