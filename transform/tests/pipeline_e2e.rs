//! End to end on the real binaries: replay server (pipeline scenario, 420 days) → `transform sync` →
//! `transform build` → every data test passes → the KPI row equals values recomputed here from the
//! recorded responses (docs/kpis.md "definitions": daily closes, SMA, EMA, Wilder RSI, units).

mod pipeline_harness;

use pipeline_harness::{open, repo_root, Project, Replay};
use serde_json::Value as Json;

fn recorded(rel: &str) -> Json {
    let p = repo_root().join("tests/recorded").join(rel);
    serde_json::from_str(&std::fs::read_to_string(&p).expect("read recorded")).expect("recorded JSON")
}

/// Last price of each UTC day, in date order (the CoinGecko rule of docs/kpis.md).
fn daily_closes() -> Vec<f64> {
    let chart = recorded("pipeline/market_chart_range.json");
    let mut by_day = std::collections::BTreeMap::new();
    for p in chart["prices"].as_array().expect("prices") {
        let (ms, price) = (p[0].as_i64().expect("ts"), p[1].as_f64().expect("price"));
        by_day.insert(ms.div_euclid(86_400_000), (ms, price));
    }
    by_day.values().map(|(_, p)| *p).collect()
}

fn sma(c: &[f64], n: usize) -> f64 {
    c[c.len() - n..].iter().sum::<f64>() / n as f64
}

fn ema(c: &[f64], n: usize) -> f64 {
    let a = 2.0 / (n as f64 + 1.0);
    let mut v = c[..n].iter().sum::<f64>() / n as f64;
    for x in &c[n..] {
        v = a * x + (1.0 - a) * v;
    }
    v
}

fn wilder_rsi(c: &[f64]) -> f64 {
    let changes: Vec<f64> = c.windows(2).map(|w| w[1] - w[0]).collect();
    let (mut gain, mut loss) = (0.0, 0.0);
    for ch in &changes[..14] {
        gain += ch.max(0.0) / 14.0;
        loss += (-ch).max(0.0) / 14.0;
    }
    for ch in &changes[14..] {
        gain = (13.0 * gain + ch.max(0.0)) / 14.0;
        loss = (13.0 * loss + (-ch).max(0.0)) / 14.0;
    }
    if loss == 0.0 { if gain == 0.0 { 50.0 } else { 100.0 } } else { 100.0 - 100.0 / (1.0 + gain / loss) }
}

fn assert_close(what: &str, got: f64, want: f64) {
    let tol = 1e-9 * want.abs().max(1.0);
    assert!((got - want).abs() <= tol, "{what}: mart has {got}, recomputed {want}");
}

#[test]
fn replay_sync_build_and_kpis_match_the_recorded_inputs() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));

    let sync = project.sync(&project.db(), &config, &[], &[]);
    assert_eq!(sync.code, 0, "sync failed:\n{}", sync.all);
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "build failed:\n{}", build.all);
    assert!(build.all.contains("ERROR=0 SKIP=0") && !build.all.contains("FAIL "), "{}", build.all);

    let conn = open(&project.db());
    let cols = "price_usd, price_change_24h_usd, price_change_pct_24h, market_cap_usd, btc_dominance_pct, hash_rate_ehs, \
                sma_7_usd, sma_30_usd, sma_50_usd, sma_200_usd, ema_12_usd, ema_26_usd, macd_usd, rsi_14, return_1d_pct, \
                cast(indicators_as_of as varchar)";
    let row: Vec<f64> = conn
        .query_row(&format!("select {cols} from main_reporting.rpt_bitcoin_kpis"), [], |r| {
            (0..15).map(|i| r.get::<_, f64>(i)).collect::<Result<Vec<_>, _>>()
        })
        .expect("one KPI row");
    let as_of: String = conn.query_row("select cast(indicators_as_of as varchar) from main_reporting.rpt_bitcoin_kpis", [], |r| r.get(0)).expect("as of");

    let coin = recorded("coingecko/coins_bitcoin.json");
    let md = &coin["market_data"];
    let global = recorded("coingecko/global.json");
    let hashrates = recorded("pipeline/hashrate.json");
    let last_hash = hashrates["hashrates"].as_array().expect("hashrates").last().expect("a point")["avgHashrate"].as_f64().expect("H/s");
    let c = daily_closes();
    let n = c.len();

    assert_eq!(as_of, "2026-11-20");
    assert_close("price_usd", row[0], md["current_price"]["usd"].as_f64().expect("price"));
    assert_close("price_change_24h_usd", row[1], md["price_change_24h"].as_f64().expect("change"));
    assert_close("price_change_pct_24h", row[2], md["price_change_percentage_24h"].as_f64().expect("pct"));
    assert_close("market_cap_usd", row[3], md["market_cap"]["usd"].as_f64().expect("cap"));
    assert_close("btc_dominance_pct", row[4], global["data"]["market_cap_percentage"]["btc"].as_f64().expect("dominance"));
    assert_close("hash_rate_ehs (H/s ÷ 1e18)", row[5], last_hash / 1e18);
    assert_close("sma_7_usd", row[6], sma(&c, 7));
    assert_close("sma_30_usd", row[7], sma(&c, 30));
    assert_close("sma_50_usd", row[8], sma(&c, 50));
    assert_close("sma_200_usd", row[9], sma(&c, 200));
    assert_close("ema_12_usd", row[10], ema(&c, 12));
    assert_close("ema_26_usd", row[11], ema(&c, 26));
    assert_close("macd_usd", row[12], ema(&c, 12) - ema(&c, 26));
    assert_close("rsi_14", row[13], wilder_rsi(&c));
    assert_close("return_1d_pct", row[14], (c[n - 1] / c[n - 2] - 1.0) * 100.0);
}

#[test]
fn all_providers_pass_every_data_test() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", true));
    let sync = project.sync(&project.db(), &config, &[], &[]);
    assert_eq!(sync.code, 0, "sync failed:\n{}", sync.all);
    assert!(sync.all.contains("cmc_ohlcv_historical: 420 records"), "{}", sync.all);
    assert!(!sync.all.contains("replay-placeholder"), "the API key never reaches the output:\n{}", sync.all);
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "build failed:\n{}", build.all);
    let conn = open(&project.db());
    let cmc: i64 = conn.query_row("select count(*) from main_reporting.rpt_bitcoin_kpis where cmc_rank is not null", [], |r| r.get(0)).expect("kpis");
    assert_eq!(cmc, 1, "CoinMarketCap rank reaches the KPI row");
}
