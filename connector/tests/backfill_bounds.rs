//! Backfills are bounded by where the data starts: a `start_date` before the Bitcoin genesis block (2009-01-03)
//! is a config error naming the field, before any request; each provider starts at its own first data
//! (CoinGecko and CoinMarketCap in 2013); a state cursor that is no block height is an error naming the
//! stream and the value, not tens of thousands of requests.
mod common;

use common::{calls, catalog, config, read, run, start};
use serde_json::json;

#[test]
fn a_start_date_before_genesis_is_refused_naming_the_field() {
    let server = start("full.json");
    let mut cfg = config(&server);
    cfg["start_date"] = json!("0001-01-01");
    let check = run(
        &["check", "--config", "{config.json}"],
        &[("config.json", cfg.to_string())],
    );
    let status = &check.of_type("CONNECTION_STATUS")[0]["connectionStatus"];
    assert_eq!(status["status"], "FAILED");
    let message = status["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`start_date`") && message.contains("2009-01-03"),
        "{message}"
    );

    let run = read(&cfg, &catalog(&["blockchain_charts"], "incremental"), None);
    assert_eq!(run.code, 1);
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["failure_type"], "config_error");
    assert!(errors[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("`start_date`") && m.contains("genesis")));
    assert!(
        server.requests().is_empty(),
        "no request before the config is valid"
    );
}

#[test]
fn every_provider_starts_at_its_first_data() {
    let server = start("full.json");
    let mut cfg = config(&server);
    cfg["start_date"] = json!("2009-01-03");
    cfg["blockchain_charts"] = json!(["hash-rate"]);
    cfg["market_chart_hourly_days"] = json!(0);
    let run = read(
        &cfg,
        &catalog(
            &["blockchain_charts", "coingecko_market_chart"],
            "incremental",
        ),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let charts = calls(&server, "/charts/hash-rate");
    let since = chrono::Utc::now().signed_duration_since(common::date("2009-01-03"));
    assert_eq!(
        charts.len() as i64,
        since.num_seconds().div_euclid(365 * 86_400) + 1,
        "one request per 365 days since 2009, not since year 1"
    );
    let chart = calls(&server, "/market_chart/range");
    let first_from = chart
        .iter()
        .filter_map(|r| r.query.iter().find(|(k, _)| k == "from"))
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .min();
    assert_eq!(
        first_from,
        Some(common::date("2013-04-28").timestamp()),
        "CoinGecko's Bitcoin history starts on 2013-04-28"
    );
}

#[test]
fn a_negative_block_height_in_the_state_is_an_error_naming_stream_and_value() {
    let server = start("full.json");
    let state = json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "mempool_blocks"},
        "stream_state": {"height": -5}}}]);
    let run = read(
        &config(&server),
        &catalog(&["mempool_blocks", "blockchain_stats"], "incremental"),
        Some(&state),
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.statuses("mempool_blocks").last().map(String::as_str),
        Some("INCOMPLETE")
    );
    assert_eq!(
        run.statuses("blockchain_stats").last().map(String::as_str),
        Some("COMPLETE")
    );
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["stream_descriptor"]["name"], "mempool_blocks");
    assert_eq!(errors[0]["failure_type"], "config_error");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("mempool_blocks") && message.contains("\"height\" = -5"),
        "{message}"
    );
    assert!(
        calls(&server, "/v1/blocks").is_empty()
            && !server
                .requests()
                .iter()
                .any(|r| r.path.contains("/v1/blocks/")),
        "no block page is requested"
    );
}
