//! Fault injection over loopback: each scenario in `tests/scenarios/faults/` makes `/global` misbehave while
//! `blockchain.com /stats` stays healthy, so every test also checks that one failing stream spares the others.
mod common;

use common::{catalog, config, read, start, Run};
use replay_server::ReplayServer;

const STREAMS: [&str; 2] = ["coingecko_global", "blockchain_stats"];

fn run_fault(name: &str) -> (Run, ReplayServer) {
    let server = start(&format!("faults/{name}.json"));
    let mut cfg = config(&server);
    // Short enough for the stalled answer (3 s) to time out, long enough for a loaded CI machine.
    cfg["http"]["request_timeout_seconds"] = serde_json::json!(1.0);
    let run = read(&cfg, &catalog(&STREAMS, "incremental"), None);
    run.assert_no_secret();
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    assert_eq!(
        run.records("blockchain_stats").len(),
        1,
        "the healthy stream must still be read"
    );
    (run, server)
}

fn global_calls(server: &ReplayServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/global"))
        .count()
}

fn assert_recovered(run: &Run, server: &ReplayServer, calls: usize) {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.records("coingecko_global").len(), 1);
    assert_eq!(
        run.statuses("coingecko_global").last().map(String::as_str),
        Some("COMPLETE")
    );
    assert_eq!(global_calls(server), calls);
}

/// The single TRACE ERROR of a failed `coingecko_global`, after checking the stream ended INCOMPLETE.
fn assert_failed(run: &Run) -> serde_json::Value {
    assert_eq!(
        run.code, 1,
        "a failed stream must make the process exit non-zero"
    );
    assert_eq!(
        run.statuses("coingecko_global").last().map(String::as_str),
        Some("INCOMPLETE")
    );
    assert_eq!(
        run.statuses("blockchain_stats").last().map(String::as_str),
        Some("COMPLETE")
    );
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["stream_descriptor"]["name"], "coingecko_global");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("coingecko_global")
            && message.contains("CoinGecko /coingecko/api/v3/global"),
        "{message}"
    );
    errors[0].clone()
}

#[test]
fn http_429_waits_for_retry_after_and_reports_rate_limited() {
    let (run, server) = run_fault("429_retry_after");
    assert_recovered(&run, &server, 2);
    let limited: Vec<_> = run
        .of_type("TRACE")
        .into_iter()
        .filter(|m| m["trace"]["stream_status"]["reasons"][0]["type"] == "RATE_LIMITED")
        .collect();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0]["trace"]["stream_status"]["status"], "RUNNING");
    assert!(
        limited[0]["trace"]["stream_status"]["reasons"][0]["rate_limited"]["quota_reset"].is_i64()
    );
}

#[test]
fn http_500_then_200_is_retried() {
    let (run, server) = run_fault("500_then_200");
    assert_recovered(&run, &server, 2);
    assert!(
        run.stderr.contains("HTTP 500"),
        "the retry is logged: {}",
        run.stderr
    );
}

#[test]
fn a_timeout_is_retried() {
    let (run, server) = run_fault("timeout");
    assert_recovered(&run, &server, 2);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[test]
fn truncated_json_is_retried() {
    let (run, server) = run_fault("truncated_then_ok");
    assert_recovered(&run, &server, 2);
}

#[test]
fn truncated_json_every_time_fails_the_stream_after_bounded_attempts() {
    let (run, server) = run_fault("truncated_always");
    let error = assert_failed(&run);
    assert_eq!(error["failure_type"], "transient_error");
    assert_eq!(global_calls(&server), 3, "max_attempts is 3");
}

#[test]
fn html_error_page_is_reported_with_status_and_title() {
    let (run, server) = run_fault("html_502");
    let error = assert_failed(&run);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 502") && message.contains("502 Bad Gateway | api.coingecko.com"),
        "{message}"
    );
    assert_eq!(error["failure_type"], "transient_error");
    assert_eq!(global_calls(&server), 3);
}

#[test]
fn json_error_with_http_200_is_recognised_and_not_retried() {
    let (run, server) = run_fault("error_in_200");
    let error = assert_failed(&run);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("code 10012") && message.contains("past 365 days"),
        "{message}"
    );
    assert_eq!(global_calls(&server), 1);
}

#[test]
fn http_401_is_a_config_error_not_retried_and_redacted() {
    let (run, server) = run_fault("401");
    let error = assert_failed(&run);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 401") && message.contains("API Key Missing or invalid: ***"),
        "{message}"
    );
    assert_eq!(error["failure_type"], "config_error");
    assert_eq!(global_calls(&server), 1);
}

#[test]
fn refused_connections_are_retried_then_reported_as_transient() {
    let server = start("full.json");
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut cfg = config(&server);
    cfg["base_urls"]["mempool_space"] =
        serde_json::json!(format!("http://127.0.0.1:{closed_port}/api"));
    let run = read(
        &cfg,
        &catalog(&["mempool_hashrate", "blockchain_stats"], "incremental"),
        None,
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.records("blockchain_stats").len(), 1);
    let errors = run.errors();
    assert_eq!(errors.len(), 1);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("mempool.space /api/v1/mining/hashrate")
            && message.contains("connection failed"),
        "{message}"
    );
    assert_eq!(errors[0]["failure_type"], "transient_error");
    assert_eq!(
        run.stderr.matches("retrying").count(),
        2,
        "3 attempts = 2 retries: {}",
        run.stderr
    );
}

#[test]
fn garbage_bodies_never_panic_and_every_stream_ends_with_a_status() {
    let server = start("garbage.json");
    let run = read(
        &config(&server),
        &catalog(&common::ALL_STREAMS, "incremental"),
        None,
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 1);
    for stream in common::ALL_STREAMS {
        let last = run.statuses(stream).last().cloned().unwrap_or_default();
        assert!(
            last == "COMPLETE" || last == "INCOMPLETE",
            "{stream}: {last}"
        );
        if last == "INCOMPLETE" {
            assert!(
                run.errors()
                    .iter()
                    .any(|e| e["stream_descriptor"]["name"] == stream),
                "{stream}: no TRACE ERROR"
            );
        }
    }
    let stats = run
        .errors()
        .into_iter()
        .find(|e| e["stream_descriptor"]["name"] == "blockchain_stats")
        .cloned()
        .unwrap();
    assert!(
        stats["message"]
            .as_str()
            .unwrap()
            .contains("HTML page instead of JSON"),
        "{stats}"
    );
    let global = run
        .errors()
        .into_iter()
        .find(|e| e["stream_descriptor"]["name"] == "coingecko_global")
        .cloned()
        .unwrap();
    assert!(
        global["message"]
            .as_str()
            .unwrap()
            .contains("CoinGecko /coingecko/api/v3/global: unexpected response"),
        "{global}"
    );
    // Tickers without a primary key are dropped rather than emitted half-empty.
    assert_eq!(run.records("coingecko_tickers").len(), 0);
}

#[test]
fn a_sync_that_failed_mid_stream_resumes_after_its_last_checkpoint() {
    // hash-rate (5th of 6 charts) fails: the 4 charts before it are checkpointed, nothing after them is.
    let broken = start("faults/chart_500.json");
    let first = read(
        &config(&broken),
        &catalog(&["blockchain_charts"], "incremental"),
        None,
    );
    assert_eq!(first.code, 1);
    assert_eq!(first.records("blockchain_charts").len(), 4 * 7);
    let state = first.final_state();
    let saved = &state[0]["stream"]["stream_state"];
    assert!(
        saved["n-transactions"].is_string()
            && saved.get("hash-rate").is_none()
            && saved.get("difficulty").is_none(),
        "{saved}"
    );

    let healthy = start("full.json");
    let resumed = read(
        &config(&healthy),
        &catalog(&["blockchain_charts"], "incremental"),
        Some(&state),
    );
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let charts: std::collections::BTreeSet<String> = resumed
        .records("blockchain_charts")
        .iter()
        .map(|r| r["chart"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        charts.into_iter().collect::<Vec<_>>(),
        ["difficulty", "hash-rate"],
        "only the unfinished charts are read again"
    );
    assert_eq!(resumed.records("blockchain_charts").len(), 2 * 7);
}

#[test]
fn a_retry_after_longer_than_the_configured_maximum_fails_at_once() {
    let server = start("faults/429_retry_after.json");
    let mut cfg = config(&server);
    cfg["http"]["max_retry_wait_seconds"] = serde_json::json!(0.5);
    let run = read(&cfg, &catalog(&STREAMS, "incremental"), None);
    let error = assert_failed(&run);
    assert!(
        error["message"].as_str().unwrap().contains("HTTP 429"),
        "{error}"
    );
    assert_eq!(error["failure_type"], "transient_error");
    assert_eq!(
        global_calls(&server),
        1,
        "no sleep-and-retry beyond max_retry_wait_seconds"
    );
}
