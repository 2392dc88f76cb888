//! mempool.space's streams: daily network hash rate, difficulty adjustments and blocks. Hash rates are H/s and
//! exceed u64, so they are f64. Periods (`1m`…`3y`, or all) are chosen to cover the cursor; the endpoint returns
//! the whole period, and the reader drops what is not newer than the cursor. Blocks are read upward from the
//! cursor height in pages of 15 (the endpoint's page), so each page is a checkpoint.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Section;
use crate::provider::Provider;
use crate::record::{from_unix_seconds, int, num, text, time_value, Record};
use crate::request::{Page, Request};
use crate::state::{Cursor, StreamState};
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

/// The shortest mining period covering `[from, now]`, as a path suffix (empty = all history).
fn period_suffix(from: DateTime<Utc>, now: DateTime<Utc>) -> &'static str {
    let days = (now - from).num_days() + 2;
    [
        (30, "/1m"),
        (90, "/3m"),
        (180, "/6m"),
        (365, "/1y"),
        (730, "/2y"),
        (1095, "/3y"),
    ]
    .into_iter()
    .find(|(d, _)| *d >= days)
    .map(|(_, p)| p)
    .unwrap_or("")
}

fn since(cx: &Ctx, state: &StreamState, partition: &str) -> DateTime<Utc> {
    state
        .time(partition)
        .unwrap_or(cx.start_date)
        .max(cx.start_date)
}

/// `mempool_hashrate`: `/v1/mining/hashrate/{period}`, one point per day.
pub struct Hashrate;

static HASHRATE: StreamSpec = StreamSpec {
    name: "mempool_hashrate",
    provider: Provider::MempoolSpace,
    schema: include_str!("../../../../schemas/mempool_hashrate.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["timestamp"],
};

impl Stream for Hashrate {
    fn spec(&self) -> &StreamSpec {
        &HASHRATE
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let suffix = period_suffix(since(cx, state, "timestamp"), cx.now);
        Slice::single(
            "timestamp",
            Request::new(format!("/v1/mining/hashrate{suffix}")),
        )
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let points = body
            .get("hashrates")
            .and_then(Value::as_array)
            .ok_or("no `hashrates` array")?;
        for p in points {
            let Some(ts) = p.get("timestamp").and_then(from_unix_seconds) else {
                return Err(format!("bad point {p}"));
            };
            let mut r = Record::new();
            r.insert("timestamp", time_value(ts));
            r.insert("avg_hashrate", num(p.get("avgHashrate")));
            out.push(r);
        }
        Ok(None)
    }
}

/// `mempool_difficulty_adjustments`: `/v1/mining/difficulty-adjustments/{period}`, rows `[time, height, difficulty, ratio]`.
pub struct DifficultyAdjustments;

static DIFFICULTY: StreamSpec = StreamSpec {
    name: "mempool_difficulty_adjustments",
    provider: Provider::MempoolSpace,
    schema: include_str!("../../../../schemas/mempool_difficulty_adjustments.json"),
    cursor_field: Some("timestamp"),
    primary_key: &["height"],
};

impl Stream for DifficultyAdjustments {
    fn spec(&self) -> &StreamSpec {
        &DIFFICULTY
    }

    fn slices(&self, cx: &Ctx, state: &StreamState) -> Vec<Slice> {
        let suffix = period_suffix(since(cx, state, "timestamp"), cx.now);
        Slice::single(
            "timestamp",
            Request::new(format!("/v1/mining/difficulty-adjustments{suffix}")),
        )
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let rows = body
            .as_array()
            .ok_or("expected an array of [time, height, difficulty, adjustment]")?;
        for row in rows {
            let Some(ts) = row.get(0).and_then(from_unix_seconds) else {
                return Err(format!("bad row {row}"));
            };
            let ratio = num(row.get(3));
            let mut r = Record::new();
            r.insert("timestamp", time_value(ts));
            r.insert("height", int(row.get(1)));
            r.insert("difficulty", num(row.get(2)));
            r.insert("adjustment", ratio.clone());
            let change = ratio.as_f64().map(|a| (a - 1.0) * 100.0);
            r.insert("change_percent", num(change.map(Value::from).as_ref()));
            out.push(r);
        }
        Ok(None)
    }
}

/// `mempool_blocks`: `/v1/blocks` to find the tip, then `/v1/blocks/{h}` pages going up from the cursor.
pub struct Blocks {
    pub config: Arc<Section>,
}

static BLOCKS: StreamSpec = StreamSpec {
    name: "mempool_blocks",
    provider: Provider::MempoolSpace,
    schema: include_str!("../../../../schemas/mempool_blocks.json"),
    cursor_field: Some("height"),
    primary_key: &["height"],
};

/// Blocks per page of `/v1/blocks/{startHeight}` (descending from startHeight).
const PAGE: i64 = 15;

impl Stream for Blocks {
    fn spec(&self) -> &StreamSpec {
        &BLOCKS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        Slice::single("height", Request::new("/v1/blocks"))
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let body = page.json();
        let blocks = body.as_array().ok_or("expected an array of blocks")?;
        let Some(tip) = page
            .request
            .memo
            .as_deref()
            .and_then(|m| m.parse::<i64>().ok())
        else {
            // The tip page only tells where the chain ends; pages are then read upward from the cursor.
            let tip = blocks
                .iter()
                .filter_map(|b| b.get("height").and_then(Value::as_i64))
                .max()
                .ok_or("no blocks at the tip")?;
            let cursor = match state.cursor("height") {
                Some(Cursor::Height(h)) => h,
                _ => tip.saturating_sub(i64::from(self.config.mempool_blocks_backfill)),
            };
            return Ok(
                (cursor < tip).then(|| page_request(cursor.saturating_add(PAGE).min(tip), tip))
            );
        };
        for b in blocks {
            out.push(block(b)?);
        }
        let start: i64 = page
            .request
            .path
            .rsplit('/')
            .next()
            .and_then(|h| h.parse().ok())
            .ok_or("bad page path")?;
        Ok((start < tip).then(|| page_request(start.saturating_add(PAGE).min(tip), tip)))
    }
}

fn page_request(start: i64, tip: i64) -> Request {
    Request::new(format!("/v1/blocks/{start}")).memo(tip)
}

fn block(b: &Value) -> Result<Record, String> {
    let ts = b
        .get("timestamp")
        .and_then(from_unix_seconds)
        .ok_or_else(|| format!("block without timestamp: {b}"))?;
    let mut r = Record::new();
    r.insert("height", int(b.get("height")));
    r.insert("id", text(b.get("id")));
    r.insert("timestamp", time_value(ts));
    r.insert(
        "median_time",
        b.get("mediantime")
            .and_then(from_unix_seconds)
            .map(time_value)
            .unwrap_or(Value::Null),
    );
    for key in ["tx_count", "size", "weight"] {
        r.insert(key, int(b.get(key)));
    }
    r.insert("difficulty", num(b.get("difficulty")));
    let extras = b.get("extras");
    let extra = |k: &str| extras.and_then(|e| e.get(k));
    r.insert("total_fees", int(extra("totalFees")));
    r.insert("reward", int(extra("reward")));
    r.insert("median_fee", num(extra("medianFee")));
    r.insert("avg_fee", num(extra("avgFee")));
    r.insert("avg_fee_rate", num(extra("avgFeeRate")));
    r.insert(
        "pool_name",
        text(extras.and_then(|e| e.pointer("/pool/name"))),
    );
    r.insert(
        "pool_slug",
        text(extras.and_then(|e| e.pointer("/pool/slug"))),
    );
    Ok(r)
}
