//! CoinMarketCap over loopback (`tests/scenarios/cmc*.json`): every stream, the key header, credits in the
//! logs, pagination, the call count of a backfill against its minimum, every documented error code (routed
//! by the configured `coinmarketcap_id`), plan-gated 403 1006, 429 1008 waits and 1009/1010 stops.
mod common;

use common::{assert_valid_records, calls, catalog, config, read, run, start, CMC_KEY};
use replay_server::ReplayServer;
use serde_json::{json, Value};

const CMC_STREAMS: [&str; 6] = [
    "cmc_quotes_latest",
    "cmc_info",
    "cmc_ohlcv_historical",
    "cmc_quotes_historical",
    "cmc_market_pairs",
    "cmc_global_metrics",
];

fn cmc_config(server: &ReplayServer) -> Value {
    let mut cfg = config(server);
    cfg["coinmarketcap_api_key"] = json!(CMC_KEY);
    cfg["coinmarketcap_market_pairs_page_size"] = json!(2);
    cfg["coinmarketcap_market_pairs_max_pages"] = json!(10);
    cfg["coinmarketcap_hourly_days"] = json!(2);
    cfg
}

fn days_since(start: chrono::NaiveDate) -> i64 {
    (chrono::Utc::now().date_naive() - start).num_days() + 1
}

#[test]
fn every_stream_reads_valid_records_with_the_key_in_a_header_and_credits_logged() {
    let server = start("cmc.json");
    let run = read(
        &cmc_config(&server),
        &catalog(&CMC_STREAMS, "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.assert_no_secret();
    let daily = days_since(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()) as usize;
    let hours = run
        .records("cmc_ohlcv_historical")
        .iter()
        .filter(|r| r["time_period"] == "hourly")
        .count();
    assert!(
        (48..=49).contains(&hours),
        "two days of hourly candles, the current hour included: {hours}"
    );
    for (stream, count) in [
        ("cmc_quotes_latest", 1),
        ("cmc_info", 1),
        ("cmc_ohlcv_historical", daily + hours),
        ("cmc_quotes_historical", daily),
        ("cmc_market_pairs", 5),
        ("cmc_global_metrics", 1),
    ] {
        let records = run.records(stream);
        assert_eq!(records.len(), count, "{stream}");
        assert_valid_records(stream, &records);
        assert_eq!(
            run.statuses(stream),
            ["STARTED", "RUNNING", "COMPLETE"],
            "{stream}"
        );
    }
    let quote = run.records("cmc_quotes_latest")[0];
    assert_eq!(quote["id"], 1);
    assert_eq!(quote["percent_change_90d"], 12.25);
    assert_eq!(quote["last_updated"], "2026-11-20T15:24:00Z");
    let info = run.records("cmc_info")[0];
    assert_eq!(info["tags"], json!(["mineable", "pow"]));
    assert_eq!(info["urls_explorer"][0], "https://blockchain.info/");
    let pairs = run.records("cmc_market_pairs");
    assert_eq!(pairs[4]["exchange_slug"], "bitso");
    assert_eq!(
        pairs[3]["last_updated"], "2026-11-20T15:23:00Z",
        "falls back to the exchange's time"
    );
    assert_eq!(
        run.records("cmc_global_metrics")[0]["total_volume_24h"],
        1.23e11
    );
    // Every request carries the key in the header, none in the query.
    for r in server.requests() {
        let header = r
            .headers
            .iter()
            .find(|(k, _)| k == "x-cmc_pro_api_key")
            .map(|(_, v)| v.as_str());
        assert_eq!(header, Some(CMC_KEY), "{}", r.path);
        assert!(!r.target.contains(CMC_KEY));
    }
    // Market pairs: 1-based `start`, pages of `limit`, stopping at the short page.
    let starts: Vec<String> = calls(&server, "/market-pairs/latest")
        .iter()
        .map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "start")
                .unwrap()
                .1
                .clone()
        })
        .collect();
    assert_eq!(starts, ["1", "3", "5"]);
    // Credits: one LOG per call, and the total per stream at the end.
    let logs = run.logs();
    let per_call = logs
        .iter()
        .filter(|l| l.starts_with("CoinMarketCap /cmc/") && l.contains(" credits"))
        .count();
    assert_eq!(per_call, server.requests().len());
    assert!(
        logs.contains(&"cmc_market_pairs: 5 records, 3 CoinMarketCap credits"),
        "{logs:?}"
    );
    assert!(
        logs.contains(&"cmc_quotes_latest: 1 records, 1 CoinMarketCap credits"),
        "{logs:?}"
    );
}

#[test]
fn a_backfill_costs_the_minimum_number_of_calls_and_rereads_add_nothing() {
    let server = start("cmc.json");
    let mut cfg = cmc_config(&server);
    let n_days = 23;
    let start_date = chrono::Utc::now().date_naive() - chrono::Duration::days(n_days - 1);
    cfg["start_date"] = json!(start_date.to_string());
    cfg["coinmarketcap_history_page_size"] = json!(5);
    cfg["coinmarketcap_hourly_days"] = json!(0);
    let streams = ["cmc_ohlcv_historical", "cmc_quotes_historical"];
    let first = read(&cfg, &catalog(&streams, "incremental"), None);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let minimum = (n_days as usize).div_ceil(5);
    assert_eq!(
        calls(&server, "/ohlcv/historical").len(),
        minimum,
        "ceil({n_days} / 5) calls"
    );
    assert_eq!(calls(&server, "/quotes/historical").len(), minimum);
    for r in calls(&server, "/historical") {
        assert!(r.query.contains(&("count".to_string(), "5".to_string())));
    }
    for stream in streams {
        let records = first.records(stream);
        assert_eq!(
            records.len(),
            n_days as usize,
            "{stream}: one record per day, no gap, no duplicate"
        );
        let cursor = if stream == "cmc_ohlcv_historical" {
            "time_open"
        } else {
            "timestamp"
        };
        let times: Vec<chrono::DateTime<chrono::Utc>> = records
            .iter()
            .map(|r| r[cursor].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(
            times
                .windows(2)
                .all(|w| w[1] - w[0] == chrono::Duration::days(1)),
            "{stream}: {times:?}"
        );
        assert_eq!(times[0].date_naive(), start_date);
    }
    // The default page size is the endpoint's maximum: a year of days is one call.
    assert_eq!(
        common::read(
            &cmc_config(&server),
            &catalog(&["cmc_quotes_historical"], "full_refresh"),
            None
        )
        .code,
        0
    );
    assert_eq!(calls(&server, "/quotes/historical").len(), minimum + 1);

    let again = read(
        &cfg,
        &catalog(&streams, "incremental"),
        Some(&first.final_state()),
    );
    assert_eq!(again.code, 0, "stderr: {}", again.stderr);
    assert_eq!(
        again.of_type("RECORD").len(),
        0,
        "unchanged history re-read emitted records"
    );
}

#[test]
fn incremental_reread_takes_only_newer_snapshots() {
    let server = start("cmc.json");
    let streams = ["cmc_quotes_latest", "cmc_global_metrics"];
    let first = read(
        &cmc_config(&server),
        &catalog(&streams, "incremental"),
        None,
    );
    let later_server = start("cmc_later.json");
    let cfg = cmc_config(&later_server);
    let same = read(
        &cmc_config(&server),
        &catalog(&streams, "incremental"),
        Some(&first.final_state()),
    );
    assert_eq!(same.of_type("RECORD").len(), 0);
    let later = read(
        &cfg,
        &catalog(&streams, "incremental"),
        Some(&first.final_state()),
    );
    assert_eq!(later.code, 0, "stderr: {}", later.stderr);
    assert_eq!(
        later.records("cmc_quotes_latest")[0]["last_updated"],
        "2026-11-21T15:25:00Z"
    );
    assert_eq!(later.records("cmc_global_metrics").len(), 1);
}

#[test]
fn without_a_key_cmc_streams_are_not_discovered_and_fail_by_config_field() {
    let server = start("cmc.json");
    let cfg = config(&server);
    let discover = run(
        &["discover", "--config", "{c.json}"],
        &[("c.json", cfg.to_string())],
    );
    let names: Vec<&str> = discover.messages[0]["catalog"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("cmc_")), "{names:?}");
    let with_key = run(
        &["discover", "--config", "{c.json}"],
        &[("c.json", cmc_config(&server).to_string())],
    );
    assert_eq!(
        with_key.messages[0]["catalog"]["streams"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    with_key.assert_no_secret();

    let read_run = read(&cfg, &catalog(&["cmc_quotes_latest"], "incremental"), None);
    assert_eq!(read_run.code, 1);
    let errors = read_run.errors();
    assert_eq!(errors[0]["failure_type"], "config_error");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("coinmarketcap_api_key"));
    assert!(server.requests().is_empty());
}

#[test]
fn check_reports_the_plan_and_remaining_credits() {
    let server = start("full.json");
    let mut cfg = cmc_config(&server);
    let cmc = start("cmc.json");
    cfg["base_urls"]["coinmarketcap"] = json!(format!("{}/cmc", cmc.url()));
    let check = run(
        &["check", "--config", "{c.json}"],
        &[("c.json", cfg.to_string())],
    );
    check.assert_no_secret();
    let status = &check.of_type("CONNECTION_STATUS")[0]["connectionStatus"];
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains(
            "10000 credits/month (9588 left this month, 321 left today), 30 requests/minute"
        ),
        "{message}"
    );
    assert_eq!(calls(&cmc, "/v1/key/info").len(), 1);
}

/// Reads `cmc_quotes_latest` with the id whose route answers with the given error code.
fn quotes_with_id(id: u32) -> (common::Run, ReplayServer) {
    let server = start("cmc_errors.json");
    let mut cfg = cmc_config(&server);
    cfg["coinmarketcap_id"] = json!(id);
    let run = read(
        &cfg,
        &catalog(&["cmc_quotes_latest", "cmc_global_metrics"], "incremental"),
        None,
    );
    run.assert_no_secret();
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        run.records("cmc_global_metrics").len(),
        1,
        "the other stream goes on"
    );
    (run, server)
}

#[test]
fn every_documented_error_code_is_reported_by_stream_with_its_message() {
    let cases = [
        (400, 400, "system_error", "Invalid value for \"id\""),
        (1001, 401, "config_error", "This API Key is invalid."),
        (1002, 401, "config_error", "API key missing."),
        (1003, 402, "config_error", "must be activated"),
        (1004, 402, "config_error", "plan has expired"),
        (1005, 403, "config_error", "An API Key is required"),
        (
            1006,
            403,
            "config_error",
            "needs a higher CoinMarketCap plan",
        ),
        (1007, 403, "config_error", "has been disabled"),
        (
            1009,
            429,
            "transient_error",
            "the daily credit limit is used up",
        ),
        (
            1010,
            429,
            "transient_error",
            "the monthly credit limit is used up",
        ),
    ];
    for (code, status, failure, text) in cases {
        let (run, server) = quotes_with_id(code);
        assert_eq!(run.code, 1, "{code}");
        assert_eq!(
            run.statuses("cmc_quotes_latest").last().unwrap(),
            "INCOMPLETE",
            "{code}"
        );
        let errors = run.errors();
        assert_eq!(errors.len(), 1, "{code}: {errors:?}");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("HTTP {status}")),
            "{code}: {message}"
        );
        assert!(
            message.contains(&format!("(code {code})")) && message.contains(text),
            "{code}: {message}"
        );
        assert!(
            message.contains("cmc_quotes_latest")
                && message.contains("/cmc/v2/cryptocurrency/quotes/latest")
        );
        assert_eq!(errors[0]["failure_type"], failure, "{code}");
        assert_eq!(
            calls(&server, "/cryptocurrency/quotes/latest").len(),
            1,
            "{code}: not retried (max_attempts is 3)"
        );
    }
}

#[test]
fn minute_and_ip_rate_limits_wait_for_the_next_minute_and_go_on() {
    // 2008: the 1008 body delivered with HTTP 200.
    for id in [1008, 1011, 2008] {
        let (run, server) = quotes_with_id(id);
        assert_eq!(run.code, 0, "{id}: {}", run.stderr);
        assert_eq!(run.records("cmc_quotes_latest").len(), 1, "{id}");
        assert_eq!(
            calls(&server, "/cryptocurrency/quotes/latest").len(),
            2,
            "{id}"
        );
        assert_eq!(
            run.rate_limited("cmc_quotes_latest"),
            1,
            "{id}: one RATE_LIMITED trace"
        );
        assert!(
            run.stderr.contains("Rate limits reset every minute") || id == 1011,
            "{}",
            run.stderr
        );
    }
}

#[test]
fn data_keyed_by_symbol_picks_the_configured_id() {
    let (run, _server) = quotes_with_id(1);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let quote = run.records("cmc_quotes_latest")[0];
    assert_eq!(quote["id"], 1);
    assert_eq!(quote["price"], 91234.5678);
}

#[test]
fn a_plan_gated_endpoint_ends_its_stream_with_the_plan_needed_and_others_go_on() {
    let server = start("cmc_errors.json");
    let cfg = cmc_config(&server);
    let gated = read(
        &cfg,
        &catalog(
            &["cmc_ohlcv_historical", "cmc_global_metrics"],
            "incremental",
        ),
        None,
    );
    gated.assert_no_secret();
    assert_eq!(gated.code, 1);
    assert_eq!(
        gated.statuses("cmc_ohlcv_historical").last().unwrap(),
        "INCOMPLETE"
    );
    assert_eq!(
        gated.statuses("cmc_global_metrics").last().unwrap(),
        "COMPLETE"
    );
    let errors = gated.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["failure_type"], "config_error");
    assert_eq!(
        errors[0]["stream_descriptor"]["name"],
        "cmc_ohlcv_historical"
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 403") && message.contains("code 1006"),
        "{message}"
    );
    assert!(
        message.contains("needs the CoinMarketCap Startup plan or higher"),
        "{message}"
    );
    assert_eq!(
        calls(&server, "/ohlcv/historical").len(),
        1,
        "a plan error is not retried"
    );
}

#[test]
fn a_key_echoed_in_an_error_body_is_redacted() {
    let (run, _server) = quotes_with_id(1099);
    assert_eq!(run.code, 1);
    let message = run.errors()[0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("This API Key is invalid: ***"),
        "{message}"
    );
}
