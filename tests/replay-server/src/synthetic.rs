//! Synthetic long histories for benchmarks: every history endpoint the streams read, computed from the
//! request and written point by point to the socket (never held whole in memory). All providers share one
//! smooth price curve of absolute time, so cross-provider checks (close spread, quote spread) hold.
//! Nothing is served past the server's clock (`now`, Unix seconds: the real time unless the server was given
//! one), so moving the clock a day on is "one new day" of data.
use std::io::{self, Write};

use crate::routes::iso;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// Block timing of the synthetic chain: height 930,000 at 2026-11-16 00:00 UTC, one block per 600 s.
const BLOCK_EPOCH: (i64, i64) = (930_000, 1_795_305_600);
const BLOCK_SECONDS: i64 = 600;
const RETARGET: i64 = 2_016;

/// The real time in Unix seconds.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// BTC/USD at Unix second `t`: a slow cycle plus a weekly wobble (moves < 3 % a day, so gains and losses alternate).
pub fn price(t: i64) -> f64 {
    let days = t as f64 / DAY as f64;
    let tau = std::f64::consts::TAU;
    40_000.0 + 15_000.0 * (tau * days / 500.0).sin() + 400.0 * (tau * days / 7.0).sin()
}

/// A slowly growing on-chain quantity (transactions, hash rate...) around `base` at day `t`.
fn growing(base: f64, t: i64) -> f64 {
    let years = (t - 1_262_304_000) as f64 / (365.25 * DAY as f64);
    base * (1.0 + 0.1 * years.max(0.0)) * (1.0 + 0.05 * (t as f64 / DAY as f64 / 3.0).sin())
}

fn point_times(from: i64, to: i64, step: i64, now: i64) -> impl Iterator<Item = i64> {
    let first = (from + step - 1).div_euclid(step) * step;
    let last = to.min(now);
    (0..)
        .map(move |i| first + i * step)
        .take_while(move |t| *t <= last)
}

/// Writes `items` separated by commas.
fn join<I: Iterator<Item = i64>>(
    out: &mut dyn Write,
    items: I,
    mut item: impl FnMut(&mut dyn Write, i64) -> io::Result<()>,
) -> io::Result<()> {
    for (i, t) in items.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        item(out, t)?;
    }
    Ok(())
}

/// A named series of a body and its value at a time.
type Series = (&'static str, fn(i64) -> f64);

/// CoinGecko `market_chart/range`: daily 00:00 points for windows over 90 days, else hourly.
pub fn market_chart(now: i64, from: i64, to: i64, out: &mut dyn Write) -> io::Result<()> {
    let step = if to - from > 90 * DAY { DAY } else { HOUR };
    let series: [Series; 3] = [
        ("prices", price),
        ("market_caps", |t| price(t) * 1.98e7),
        ("total_volumes", |t| growing(2.5e10, t)),
    ];
    out.write_all(b"{")?;
    for (n, (name, value)) in series.iter().enumerate() {
        write!(out, "{}\"{name}\":[", if n == 0 { "" } else { "," })?;
        join(out, point_times(from, to, step, now), |o, t| {
            write!(o, "[{},{}]", t * 1000, value(t))
        })?;
        out.write_all(b"]")?;
    }
    out.write_all(b"}")
}

/// CoinGecko `/ohlc?days=N`: candles keyed by close time, 30 min (1–2 days), 4 h (3–30) or 4 days (31+).
pub fn ohlc(now: i64, days: i64, out: &mut dyn Write) -> io::Result<()> {
    let step = match days {
        ..=2 => 1_800,
        3..=30 => 4 * HOUR,
        _ => 4 * DAY,
    };
    out.write_all(b"[")?;
    join(
        out,
        point_times(now - days * DAY + step, now, step, now),
        |o, t| {
            let (open, close) = (price(t - step), price(t));
            let (hi, lo) = (open.max(close) * 1.01, open.min(close) * 0.99);
            write!(o, "[{},{open},{hi},{lo},{close}]", t * 1000)
        },
    )?;
    out.write_all(b"]")
}

/// blockchain.com `/charts/{name}?start=YYYY-MM-DD&timespan=Ndays`: one point per day.
pub fn blockchain_chart(
    now: i64,
    name: &str,
    start: i64,
    days: i64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (unit, base) = match name {
        "n-transactions" => ("Transactions", 350_000.0),
        "n-unique-addresses" => ("Addresses", 700_000.0),
        "estimated-transaction-volume-usd" => ("USD", 4.0e9),
        "output-volume" => ("BTC", 600_000.0),
        "hash-rate" => ("Hash Rate TH/s", 4.0e8),
        "difficulty" => ("Difficulty", 6.0e13),
        _ => ("Value", 1.0),
    };
    write!(
        out,
        r#"{{"status":"ok","name":"{name}","unit":"{unit}","period":"day","values":["#
    )?;
    join(
        out,
        point_times(start, start + (days - 1) * DAY, DAY, now),
        |o, t| write!(o, r#"{{"x":{t},"y":{}}}"#, growing(base, t)),
    )?;
    out.write_all(b"]}")
}

/// The first day of a mempool.space mining period (`1m`…`3y`; anything else is all history since 2009).
fn period_start(now: i64, period: &str) -> i64 {
    let days = match period {
        "1m" => 30,
        "3m" => 90,
        "6m" => 180,
        "1y" => 365,
        "2y" => 730,
        "3y" => 1095,
        _ => return 1_231_459_200,
    };
    now - days * DAY
}

/// mempool.space `/v1/mining/hashrate/{period}`: daily average hash rate in H/s.
pub fn mempool_hashrate(now: i64, period: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(br#"{"hashrates":["#)?;
    join(
        out,
        point_times(period_start(now, period), now, DAY, now),
        |o, t| {
            write!(
                o,
                r#"{{"timestamp":{t},"avgHashrate":{}}}"#,
                growing(4.0e20, t)
            )
        },
    )?;
    let latest = growing(4.0e20, now);
    write!(
        out,
        r#"],"difficulty":[],"currentHashrate":{latest},"currentDifficulty":{}}}"#,
        growing(6.0e13, now)
    )
}

fn block_time(height: i64) -> i64 {
    BLOCK_EPOCH.1 + (height - BLOCK_EPOCH.0) * BLOCK_SECONDS
}

fn tip_height(now: i64) -> i64 {
    BLOCK_EPOCH.0 + (now - BLOCK_EPOCH.1).div_euclid(BLOCK_SECONDS)
}

/// mempool.space `/v1/mining/difficulty-adjustments/{period}`: `[time, height, difficulty, ratio]`, newest first.
pub fn difficulty_adjustments(now: i64, period: &str, out: &mut dyn Write) -> io::Result<()> {
    let first =
        (BLOCK_EPOCH.0 - (BLOCK_EPOCH.1 - period_start(now, period)) / BLOCK_SECONDS).max(0);
    let heights = (0..)
        .map(|i| (tip_height(now) / RETARGET - i) * RETARGET)
        .take_while(|h| *h >= first.max(RETARGET));
    out.write_all(b"[")?;
    join(out, heights, |o, h| {
        let t = block_time(h);
        let ratio = growing(1.0, t) / growing(1.0, t - 14 * DAY);
        write!(o, "[{t},{h},{},{ratio}]", growing(6.0e13, t))
    })?;
    out.write_all(b"]")
}

/// mempool.space `/v1/blocks[/{start}]`: the 15 blocks at and below `start` (default: the tip).
pub fn blocks(now: i64, start: Option<i64>, out: &mut dyn Write) -> io::Result<()> {
    let top = start.unwrap_or(i64::MAX).min(tip_height(now));
    out.write_all(b"[")?;
    join(out, (0..15).map(|i| top - i).filter(|h| *h >= 0), |o, h| {
        let t = block_time(h);
        let tx = 2_000 + h % 1_500;
        write!(
            o,
            r#"{{"id":"{h:064x}","height":{h},"timestamp":{t},"mediantime":{},"tx_count":{tx},"size":{},"weight":{},"difficulty":{},"extras":{{"totalFees":{},"reward":{},"medianFee":3,"avgFee":{},"avgFeeRate":4,"pool":{{"name":"Synthetic Pool","slug":"synthetic"}}}}}}"#,
            t - 3_000,
            tx * 600,
            tx * 2_000,
            growing(6.0e13, t),
            tx * 1_200,
            312_500_000 + tx * 1_200,
            1_200
        )
    })?;
    out.write_all(b"]")
}

/// CoinMarketCap `ohlcv/historical` or `quotes/historical` on the shared price curve (see routes.rs `cmc_history`).
pub fn cmc_candle(quotes: bool, t: i64, step: i64, out: &mut dyn Write) -> io::Result<()> {
    let close_at = iso(t + step - 1);
    let close = price(t + step - 1);
    if quotes {
        return write!(
            out,
            r#"{{"timestamp":"{close_at}","quote":{{"USD":{{"price":{close},"volume_24h":{},"market_cap":{},"circulating_supply":19800000,"total_supply":19800000,"timestamp":"{close_at}"}}}}}}"#,
            growing(2.5e10, t),
            close * 1.98e7
        );
    }
    let open = price(t);
    write!(
        out,
        r#"{{"time_open":"{}","time_close":"{close_at}","time_high":"{}","time_low":"{}","quote":{{"USD":{{"open":{open},"high":{},"low":{},"close":{close},"volume":{},"market_cap":{},"timestamp":"{close_at}"}}}}}}"#,
        iso(t),
        iso(t + step / 3),
        iso(t + step / 2),
        open.max(close) * 1.005,
        open.min(close) * 0.995,
        growing(2.5e10, t),
        close * 1.98e7
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> serde_json::Value {
        let mut buf = Vec::new();
        f(&mut buf).expect("write");
        serde_json::from_slice(&buf).expect("valid JSON")
    }

    #[test]
    fn bodies_are_valid_json_and_stop_at_the_clock() {
        let now = system_now();
        let chart = text(|o| market_chart(now, now - 400 * DAY, now + 10 * DAY, o));
        let prices = chart["prices"].as_array().expect("prices");
        assert_eq!(prices.len(), 400);
        assert!(prices
            .iter()
            .all(|p| p[0].as_i64().expect("ms") <= now * 1000));
        let hourly = text(|o| market_chart(now, now - 2 * DAY, now, o));
        assert_eq!(hourly["prices"].as_array().expect("prices").len(), 48);
        let adjustments = text(|o| difficulty_adjustments(now, "1y", o));
        let n = adjustments.as_array().expect("array").len();
        assert!((25..=27).contains(&n), "{n} adjustments a year");
        assert_eq!(
            text(|o| blocks(now, None, o))
                .as_array()
                .expect("blocks")
                .len(),
            15
        );
        assert!(
            text(|o| ohlc(now, 365, o))
                .as_array()
                .expect("candles")
                .len()
                >= 90
        );
        assert!(
            text(|o| mempool_hashrate(now, "", o))["hashrates"]
                .as_array()
                .expect("points")
                .len()
                > 6000
        );
        let chart = text(|o| blockchain_chart(now, "hash-rate", now - 10 * DAY, 365, o));
        // Midnights after `start` up to the clock.
        assert_eq!(chart["values"].as_array().expect("values").len(), 10);
    }

    #[test]
    fn prices_move_less_than_three_percent_a_day() {
        for day in 0..6_000 {
            let t = 1_300_000_000 + day * DAY;
            assert!((price(t + DAY) / price(t) - 1.0).abs() < 0.03);
        }
    }
}
