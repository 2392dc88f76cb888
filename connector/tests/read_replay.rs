//! Full and incremental reads of every stream over real HTTP against the loopback replay server
//! (`tests/scenarios/full.json`, then `later.json` with newer and overlapping data).
mod common;

use std::collections::HashSet;

use common::{catalog, config, read, start, ALL_STREAMS, KEY};
use serde_json::Value;

fn schema(stream: &str) -> Value {
    let path = common::repo_root()
        .join("schemas")
        .join(format!("{stream}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON")
}

fn schema_validator(stream: &str) -> jsonschema::Validator {
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema(stream))
        .expect("valid draft-07 schema")
}

fn primary_key(stream: &str) -> Vec<&'static str> {
    match stream {
        "coingecko_coin_snapshots" => vec!["id", "last_updated"],
        "coingecko_market_chart" => vec!["granularity", "timestamp"],
        "coingecko_tickers" => vec!["exchange_id", "base", "target"],
        "coingecko_global" => vec!["updated_at"],
        "blockchain_charts" => vec!["chart", "timestamp"],
        "mempool_difficulty_adjustments" | "mempool_blocks" => vec!["height"],
        "cmc_ohlcv_historical" => vec!["id", "time_period", "time_open"],
        "github_commit_activity" => vec!["repository", "week"],
        _ => vec!["timestamp"],
    }
}

fn assert_unique_keys(stream: &str, records: &[&Value]) {
    let mut seen = HashSet::new();
    for r in records {
        let key: Vec<String> = primary_key(stream)
            .iter()
            .map(|k| r[*k].to_string())
            .collect();
        assert!(
            seen.insert(key.clone()),
            "{stream}: duplicate primary key {key:?}"
        );
    }
}

#[test]
fn full_read_of_every_stream_emits_valid_records_and_states() {
    let server = start("full.json");
    let run = read(
        &config(&server),
        &catalog(&ALL_STREAMS, "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let expected = [
        ("coingecko_coin_snapshots", 1),
        ("coingecko_market_chart", 14),
        ("coingecko_ohlc", 5),
        ("coingecko_tickers", 103),
        ("coingecko_global", 1),
        ("blockchain_charts", 42),
        ("blockchain_stats", 1),
        ("mempool_hashrate", 6),
        ("mempool_difficulty_adjustments", 3),
        ("mempool_blocks", 30),
    ];
    for (stream, count) in expected {
        let records = run.records(stream);
        assert_eq!(records.len(), count, "{stream}");
        let validator = schema_validator(stream);
        let declared = schema(stream)["properties"]
            .as_object()
            .cloned()
            .expect("properties");
        for r in &records {
            let undeclared: Vec<&String> = r
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| !declared.contains_key(*k))
                .collect();
            assert!(
                undeclared.is_empty(),
                "{stream}: fields {undeclared:?} are not in its schema"
            );
            let errors: Vec<String> = validator
                .iter_errors(r)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{stream}: {errors:?} in {r}");
        }
        assert_unique_keys(stream, &records);
        assert_eq!(
            run.statuses(stream),
            ["STARTED", "RUNNING", "COMPLETE"],
            "{stream}"
        );
        let states = run.states(stream);
        assert!(!states.is_empty(), "{stream}: no STATE");
        let counted: f64 = states
            .iter()
            .map(|s| {
                s["state"]["sourceStats"]["recordCount"]
                    .as_f64()
                    .expect("float count")
            })
            .sum();
        assert_eq!(
            counted as usize, count,
            "{stream}: recordCount does not add up"
        );
        for pair in states.windows(2) {
            assert_ne!(
                pair[0]["state"]["stream"]["stream_state"],
                pair[1]["state"]["stream"]["stream_state"],
                "{stream}: repeated state"
            );
        }
    }
    for m in run.of_type("RECORD") {
        assert!(
            m["record"]["emitted_at"].is_i64(),
            "emitted_at must be an integer: {m}"
        );
    }
    run.assert_no_secret();
}

#[test]
fn api_key_travels_in_a_header_and_never_in_output() {
    let server = start("full.json");
    let run = read(
        &config(&server),
        &catalog(&["coingecko_global", "blockchain_stats"], "full_refresh"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let requests = server.requests();
    let coingecko: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with("/coingecko"))
        .collect();
    assert!(!coingecko.is_empty());
    for r in &coingecko {
        assert!(
            r.headers
                .iter()
                .any(|(k, v)| k == "x-cg-demo-api-key" && v == KEY),
            "no key header on {}",
            r.path
        );
    }
    for r in &requests {
        assert!(!r.target.contains(KEY), "key in a URL: {}", r.target);
        if r.path.starts_with("/blockchain") {
            assert!(
                r.headers.iter().all(|(_, v)| v != KEY),
                "CoinGecko key sent to blockchain.com"
            );
        }
    }
    run.assert_no_secret();
}

/// The cursor of a record and the state partition it advances.
fn cursor_of(stream: &str, r: &Value) -> (String, Value) {
    match stream {
        "coingecko_market_chart" => (
            r["granularity"].as_str().unwrap().to_string(),
            r["timestamp"].clone(),
        ),
        "blockchain_charts" => (
            r["chart"].as_str().unwrap().to_string(),
            r["timestamp"].clone(),
        ),
        "coingecko_coin_snapshots" => ("last_updated".into(), r["last_updated"].clone()),
        "coingecko_global" => ("updated_at".into(), r["updated_at"].clone()),
        "mempool_blocks" => ("height".into(), r["height"].clone()),
        _ => ("timestamp".into(), r["timestamp"].clone()),
    }
}

fn newer(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_i64() > y.as_i64(),
        (Value::String(x), Value::String(y)) => {
            chrono::DateTime::parse_from_rfc3339(x).unwrap()
                > chrono::DateTime::parse_from_rfc3339(y).unwrap()
        }
        _ => panic!("incomparable cursors {a} {b}"),
    }
}

#[test]
fn incremental_reread_emits_only_newer_or_changed_open_period_records() {
    let first_server = start("full.json");
    let incremental: Vec<&str> = ALL_STREAMS
        .iter()
        .copied()
        .filter(|s| !matches!(*s, "coingecko_tickers" | "blockchain_stats"))
        .collect();
    let first = read(
        &config(&first_server),
        &catalog(&incremental, "incremental"),
        None,
    );
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let state = first.final_state();

    // Same upstream data: nothing new, and every stream still reports a state.
    let same = read(
        &config(&first_server),
        &catalog(&incremental, "incremental"),
        Some(&state),
    );
    assert_eq!(same.code, 0, "stderr: {}", same.stderr);
    assert_eq!(
        same.of_type("RECORD").len(),
        0,
        "re-read of unchanged data emitted records"
    );
    for stream in &incremental {
        assert_eq!(
            same.states(stream).len(),
            1,
            "{stream}: one state even when empty"
        );
    }

    // Newer upstream data that overlaps the old: exactly the new records.
    let later_server = start("later.json");
    let later = read(
        &config(&later_server),
        &catalog(&incremental, "incremental"),
        Some(&state),
    );
    assert_eq!(later.code, 0, "stderr: {}", later.stderr);
    let expected = [
        ("coingecko_coin_snapshots", 1),
        ("coingecko_market_chart", 4),
        ("coingecko_ohlc", 1),
        ("coingecko_global", 1),
        ("blockchain_charts", 2),
        ("mempool_hashrate", 2),
        ("mempool_difficulty_adjustments", 0),
        ("mempool_blocks", 6),
    ];
    for (stream, count) in expected {
        let records = later.records(stream);
        assert_eq!(records.len(), count, "{stream}");
        assert_unique_keys(stream, &records);
        let old = first
            .states(stream)
            .last()
            .map(|s| s["state"]["stream"]["stream_state"].clone())
            .unwrap();
        for r in records {
            let (partition, cursor) = cursor_of(stream, r);
            // Only the record at the old cursor may come again (its period was still open), and only changed.
            let reopened =
                cursor == old[&partition] && !first.records(stream).iter().any(|f| *f == r);
            assert!(
                newer(&cursor, &old[&partition]) || reopened,
                "{stream}: {cursor} is not newer than the state {}",
                old[&partition]
            );
        }
    }
    let reopened = later.records("mempool_hashrate")[0].clone();
    assert_eq!(reopened["timestamp"], "2026-11-20T00:00:00Z");
    assert_eq!(reopened["avg_hashrate"], 1.11e21);
    // Every stream's state changed with its records, so no state repeats with records in between.
    for stream in &incremental {
        let states = later.states(stream);
        for pair in states.windows(2) {
            assert_ne!(
                pair[0]["state"]["stream"]["stream_state"],
                pair[1]["state"]["stream"]["stream_state"]
            );
        }
    }
}

#[test]
fn legacy_state_shape_is_used_like_a_stream_list() {
    let server = start("full.json");
    let streams = ["mempool_hashrate", "blockchain_charts"];
    let first = read(&config(&server), &catalog(&streams, "incremental"), None);
    let legacy: serde_json::Map<String, Value> = first
        .final_state()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stream"]["stream_descriptor"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                s["stream"]["stream_state"].clone(),
            )
        })
        .collect();
    let again = read(
        &config(&server),
        &catalog(&streams, "incremental"),
        Some(&Value::Object(legacy)),
    );
    assert_eq!(again.code, 0, "stderr: {}", again.stderr);
    assert_eq!(again.of_type("RECORD").len(), 0);
}

#[test]
fn abnormal_state_yields_zero_records() {
    let server = start("full.json");
    let path = common::repo_root().join("airbyte-spec/abnormal_state.json");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("abnormal_state.json"))
            .expect("JSON");
    let incremental: Vec<&str> = ALL_STREAMS
        .iter()
        .copied()
        .filter(|s| !matches!(*s, "coingecko_tickers" | "blockchain_stats"))
        .collect();
    let run = read(
        &config(&server),
        &catalog(&incremental, "incremental"),
        Some(&state),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.of_type("RECORD").len(), 0);
    for stream in &incremental {
        assert_eq!(run.states(stream).len(), 1, "{stream}");
    }
}

#[test]
fn full_refresh_only_streams_accept_incremental_and_read_in_full() {
    let server = start("full.json");
    let run = read(
        &config(&server),
        &catalog(&["coingecko_tickers", "blockchain_stats"], "incremental"),
        Some(&Value::Array(vec![])),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.records("coingecko_tickers").len(), 103);
    assert_eq!(run.records("blockchain_stats").len(), 1);
    assert_eq!(run.states("coingecko_tickers").len(), 1);
}

#[test]
fn long_pages_are_checkpointed_at_least_every_10000_records() {
    // Two days of 10-second points in one page: 17,280 records that must not wait for the page end.
    let server = start("dense_history.json");
    let mut cfg = config(&server);
    cfg["market_chart_hourly_days"] = serde_json::json!(2);
    let run = read(
        &cfg,
        &catalog(&["coingecko_market_chart"], "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let mut since_state = 0;
    let mut hourly_states = Vec::new();
    for m in &run.messages {
        match m["type"].as_str() {
            Some("RECORD") => since_state += 1,
            Some("STATE") => {
                assert!(
                    since_state <= 10_000,
                    "{since_state} records without a checkpoint"
                );
                assert_eq!(
                    m["state"]["sourceStats"]["recordCount"].as_f64(),
                    Some(since_state as f64)
                );
                since_state = 0;
                hourly_states.push(m["state"]["stream"]["stream_state"]["hourly"].clone());
            }
            _ => {}
        }
    }
    assert_eq!(since_state, 0, "records after the last state");
    let hourly = run
        .records("coingecko_market_chart")
        .into_iter()
        .filter(|r| r["granularity"] == "hourly")
        .count();
    assert!(hourly > 17_000, "{hourly}");
    let distinct: HashSet<String> = hourly_states
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .collect();
    assert!(
        distinct.len() >= 2,
        "the hourly cursor must advance mid-page: {distinct:?}"
    );
}

/// The CoinMarketCap, GitHub and Reddit streams the pipeline scenario also serves.
const PIPELINE_EXTRA_STREAMS: [&str; 10] = [
    "cmc_quotes_latest",
    "cmc_info",
    "cmc_ohlcv_historical",
    "cmc_quotes_historical",
    "cmc_market_pairs",
    "cmc_global_metrics",
    "github_repository_snapshots",
    "github_commit_activity",
    "github_releases",
    "reddit_subreddit_snapshots",
];

/// The config the offline pipeline uses with `tests/scenarios/pipeline.json` (see tests/README.md).
fn pipeline_config(server: &replay_server::ReplayServer) -> Value {
    let mut cfg = config(server);
    cfg["start_date"] = serde_json::json!("2025-09-01");
    cfg["market_chart_hourly_days"] = serde_json::json!(0);
    // A fake key: the offline pipeline covers CoinMarketCap too (rank, dominance, history cross-checks).
    cfg["coinmarketcap_api_key"] = serde_json::json!(common::CMC_KEY);
    cfg
}

#[test]
fn pipeline_scenario_has_a_long_daily_history_for_indicators() {
    let server = start("pipeline.json");
    let mut streams = ALL_STREAMS.to_vec();
    streams.extend(PIPELINE_EXTRA_STREAMS);
    let run = read(
        &pipeline_config(&server),
        &catalog(&streams, "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.assert_no_secret();
    for stream in PIPELINE_EXTRA_STREAMS {
        let records = run.records(stream);
        assert!(!records.is_empty(), "{stream}: no records");
        common::assert_valid_records(stream, &records);
    }
    let expected = [
        ("cmc_ohlcv_historical", 420),
        ("cmc_quotes_historical", 420),
        ("github_commit_activity", 52),
        ("coingecko_market_chart", 420),
        ("coingecko_ohlc", 91),
        ("blockchain_charts", 6 * 420),
        ("mempool_hashrate", 420),
        ("mempool_difficulty_adjustments", 30),
    ];
    for (stream, count) in expected {
        let records = run.records(stream);
        assert_eq!(records.len(), count, "{stream}");
        let validator = schema_validator(stream);
        assert!(
            records.iter().all(|r| validator.is_valid(r)),
            "{stream}: a record fails its schema"
        );
        assert_unique_keys(stream, &records);
    }
    assert!(run
        .records("coingecko_market_chart")
        .iter()
        .all(|r| r["granularity"] == "daily"));
}

#[test]
fn pro_plan_sends_the_pro_key_header() {
    let server = start("full.json");
    let mut cfg = config(&server);
    cfg["coingecko_api_plan"] = serde_json::json!("pro");
    let run = read(&cfg, &catalog(&["coingecko_global"], "incremental"), None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let global = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/global"))
        .unwrap();
    assert!(global
        .headers
        .iter()
        .any(|(k, v)| k == "x-cg-pro-api-key" && v == KEY));
    assert!(!global.headers.iter().any(|(k, _)| k == "x-cg-demo-api-key"));
    run.assert_no_secret();
}
