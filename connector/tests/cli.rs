//! The command line and the protocol edges: spec/discover snapshots, `airbyte-spec/spec.json` equality,
//! `check`, and bad input files of every kind (never a panic; a TRACE ERROR or FAILED status naming the culprit).
mod common;

use common::{catalog, config, read, run, start};
use serde_json::{json, Value};

fn only_message(run: &common::Run) -> &Value {
    assert_eq!(run.messages.len(), 1, "stdout: {}", run.stdout);
    &run.messages[0]
}

#[test]
fn spec_matches_snapshot_and_airbyte_spec_file() {
    let spec = run(&["spec"], &[]);
    assert_eq!(spec.code, 0);
    let message = only_message(&spec);
    insta::assert_json_snapshot!("spec", message);
    let file = common::repo_root().join("airbyte-spec/spec.json");
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("airbyte-spec/spec.json"))
            .expect("JSON");
    assert_eq!(
        on_disk, message["spec"],
        "airbyte-spec/spec.json differs from `spec`: regenerate it"
    );
    let text = message["spec"].to_string();
    assert!(!text.contains("anyOf") && !text.contains("allOf") && !text.contains("$ref"));
}

#[test]
fn discover_matches_snapshot_with_empty_config() {
    let discover = run(
        &["discover", "--config", "{c.json}", "--debug"],
        &[("c.json", "{}".into())],
    );
    assert_eq!(discover.code, 0, "{}", discover.stderr);
    insta::assert_json_snapshot!("discover", only_message(&discover));
}

#[test]
fn check_succeeds_against_reachable_providers() {
    let server = start("full.json");
    let check = run(
        &["check", "--config", "{c.json}"],
        &[("c.json", config(&server).to_string())],
    );
    assert_eq!(check.code, 0);
    assert_eq!(
        only_message(&check)["connectionStatus"]["status"],
        "SUCCEEDED",
        "{}",
        check.stderr
    );
}

#[test]
fn check_names_the_bad_field_and_the_failing_provider() {
    let bad = run(
        &["check", "--config", "{c.json}"],
        &[("c.json", r#"{"rate_limits": {"coingecko": -1}}"#.into())],
    );
    assert_eq!(bad.code, 0, "check exits 0 whatever the verdict");
    let status = &only_message(&bad)["connectionStatus"];
    assert_eq!(status["status"], "FAILED");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("rate_limits.coingecko"),
        "{status}"
    );

    let server = start("faults/401.json");
    let check = run(
        &["check", "--config", "{c.json}"],
        &[("c.json", config(&server).to_string())],
    );
    let status = &only_message(&check)["connectionStatus"];
    assert_eq!(status["status"], "FAILED");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains("CoinGecko is unreachable") && message.contains("HTTP 404"),
        "{message}"
    );
    assert!(
        message.contains("mempool.space is unreachable") && !message.contains("blockchain.com"),
        "{message}"
    );
}

/// A `read` whose inputs are broken: one TRACE ERROR (config_error) naming the file, exit 1, no panic.
fn assert_input_rejected(run: &common::Run, culprit: &str) {
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert_eq!(errors[0]["failure_type"], "config_error");
    assert!(
        errors[0]["message"].as_str().unwrap().contains(culprit),
        "{} lacks {culprit}",
        errors[0]
    );
}

#[test]
fn malformed_input_files_are_rejected_by_name() {
    let good_catalog = catalog(&["blockchain_stats"], "full_refresh").to_string();
    let cases = [
        (
            "{\"start_date\": ",
            good_catalog.clone(),
            "[]".to_string(),
            "invalid config",
        ),
        (
            "{\"start_date\": \"soon\"}",
            good_catalog.clone(),
            "[]".to_string(),
            "start_date",
        ),
        (
            "{}",
            "{\"streams\": [{}]}".to_string(),
            "[]".to_string(),
            "catalog",
        ),
        ("{}", "not json".to_string(), "[]".to_string(), "catalog"),
        (
            "{}",
            good_catalog.clone(),
            "[{\"type\": \"STREAM\"".to_string(),
            "state",
        ),
        ("{}", good_catalog.clone(), "42".to_string(), "state"),
        (
            "{}",
            good_catalog,
            r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"x"},"stream_state":[1]}}]"#
                .to_string(),
            "stream_state",
        ),
    ];
    for (config_text, catalog_text, state_text, culprit) in cases {
        let r = run(
            &[
                "read",
                "--config",
                "{c.json}",
                "--catalog",
                "{cat.json}",
                "--state",
                "{s.json}",
            ],
            &[
                ("c.json", config_text.to_string()),
                ("cat.json", catalog_text),
                ("s.json", state_text),
            ],
        );
        assert_input_rejected(&r, culprit);
    }
    let missing = run(
        &[
            "read",
            "--config",
            "/nonexistent/config.json",
            "--catalog",
            "/nonexistent/c.json",
        ],
        &[],
    );
    assert_input_rejected(&missing, "/nonexistent/config.json");
}

#[test]
fn unknown_stream_and_bad_sync_mode_are_reported_while_others_run() {
    let server = start("full.json");
    let mut cat = catalog(&["blockchain_stats", "no_such_stream"], "full_refresh");
    cat["streams"]
        .as_array_mut()
        .unwrap()
        .push(json!({"stream": {"name": "coingecko_global"}, "sync_mode": "sometimes"}));
    let r = read(&config(&server), &cat, Some(&Value::Null));
    assert_eq!(r.code, 1);
    assert_eq!(r.records("blockchain_stats").len(), 1);
    let messages: Vec<String> = r
        .errors()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("no_such_stream") && messages[1].contains("sometimes"),
        "{messages:?}"
    );
}

#[test]
fn state_with_a_bad_cursor_fails_only_that_stream() {
    let server = start("full.json");
    let state = json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "mempool_hashrate"},
        "stream_state": {"timestamp": "yesterday-ish", "unknown": true}}}]);
    let r = read(
        &config(&server),
        &catalog(&["mempool_hashrate", "blockchain_stats"], "incremental"),
        Some(&state),
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.records("blockchain_stats").len(), 1);
    assert_eq!(
        r.statuses("mempool_hashrate").last().map(String::as_str),
        Some("INCOMPLETE")
    );
    assert!(r.errors()[0]["message"]
        .as_str()
        .unwrap()
        .contains("yesterday-ish"));
}

#[test]
fn extreme_cursor_values_do_not_panic() {
    let server = start("full.json");
    let state = json!({
        "mempool_blocks": {"height": i64::MAX},
        "coingecko_market_chart": {"daily": "9999-12-31T23:59:59Z", "hourly": "0001-01-01T00:00:00Z"},
        "blockchain_charts": {"hash-rate": "9999-12-31T23:59:59.999999999Z"},
        "mempool_hashrate": {"timestamp": 5}});
    let streams = [
        "mempool_blocks",
        "coingecko_market_chart",
        "blockchain_charts",
        "mempool_hashrate",
    ];
    let r = read(
        &config(&server),
        &catalog(&streams, "incremental"),
        Some(&state),
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(r.records("mempool_blocks").len(), 0);
    assert_eq!(
        r.records("coingecko_market_chart")
            .iter()
            .filter(|x| x["granularity"] == "daily")
            .count(),
        0
    );
    for stream in streams {
        assert!(!r.states(stream).is_empty(), "{stream}: {}", r.stdout);
    }
    // A height where a time belongs is not comparable: the stream starts over and replaces it.
    assert_eq!(r.records("mempool_hashrate").len(), 6);
    let last = r
        .states("mempool_hashrate")
        .last()
        .map(|s| s["state"]["stream"]["stream_state"]["timestamp"].clone());
    assert_eq!(last, Some(json!("2026-11-20T00:00:00Z")));
}
