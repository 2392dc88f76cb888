//! Plain messages for careless inputs and odd answers, over real HTTP: a key with a line break or another
//! control character fails `check` as CONNECTION_STATUS FAILED naming the field (not a TRACE and exit 1); a
//! `Retry-After` longer than `http.max_retry_wait_seconds` says so, with the header and the URL path; an error
//! body with HTTP 200 and `status.error_code` 0 is reported in the provider's words.
mod common;

use common::{catalog, config, read, run, KEY};
use replay_server::{ReplayServer, RoutesFile};
use serde_json::{json, Value};

fn serve(routes: Value) -> ReplayServer {
    let routes: RoutesFile = serde_json::from_value(routes).expect("routes");
    ReplayServer::serve(routes, 0).expect("replay server")
}

fn check(cfg: &Value) -> common::Run {
    run(
        &["check", "--config", "{config.json}"],
        &[("config.json", cfg.to_string())],
    )
}

#[test]
fn a_control_character_in_a_key_fails_check_naming_the_field() {
    let server = common::start("all_providers.json");
    for (field, key) in [
        ("coingecko_api_key", format!("{KEY}\r\nX-Injected: 1")),
        ("coinmarketcap_api_key", "abc\u{1}def".to_string()),
        ("github_token", "ghp_a\u{7f}b".to_string()),
    ] {
        let mut cfg = config(&server);
        cfg[field] = json!(key);
        let run = check(&cfg);
        assert_eq!(run.code, 0, "{field}: stderr {}", run.stderr);
        assert!(run.errors().is_empty(), "{field}: no TRACE: {}", run.stdout);
        let statuses = run.of_type("CONNECTION_STATUS");
        assert_eq!(statuses.len(), 1, "{field}: {}", run.stdout);
        let status = &statuses[0]["connectionStatus"];
        assert_eq!(status["status"], "FAILED", "{field}");
        let message = status["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("invalid config field `{field}`"))
                && message.contains("cannot be sent in an HTTP header"),
            "{message}"
        );
        assert!(!run.stdout.contains("X-Injected") && !run.stdout.contains("abc"));
        run.assert_no_secret();
        // `read` refuses it as a config error before any request.
        let read = read(&cfg, &catalog(&["blockchain_stats"], "full_refresh"), None);
        assert_eq!(read.errors()[0]["failure_type"], "config_error", "{field}");
    }
    let probes = server.requests().len();
    assert_eq!(probes, 0, "nothing is sent with a malformed key");
}

#[test]
fn a_retry_after_beyond_the_limit_says_so_with_the_value_and_the_path() {
    for retry_after in ["259200", "99999999999999999999"] {
        let server = serve(
            json!({"routes": [{"path": "/coingecko/api/v3/global", "responses": [
            {"status": 429, "headers": {"Retry-After": retry_after}, "body": {"status": {"error_code": 429, "error_message": "slow down"}}}]}]}),
        );
        let run = read(
            &config(&server),
            &catalog(&["coingecko_global"], "incremental"),
            None,
        );
        assert_eq!(run.code, 1);
        let errors = run.errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("CoinGecko /coingecko/api/v3/global: HTTP 429")
                && message.contains(&format!("Retry-After: {retry_after}"))
                && message.contains("exceeds http.max_retry_wait_seconds (5 s)"),
            "{message}"
        );
        assert_eq!(errors[0]["failure_type"], "transient_error");
        assert_eq!(server.requests().len(), 1, "not waited for, not retried");
    }
}

#[test]
fn an_error_body_with_code_0_is_reported_in_the_providers_words() {
    let body =
        json!({"status": {"error_code": 0, "error_message": "This API is temporarily disabled"}});
    let server =
        serve(json!({"routes": [{"path": "/blockchain/stats", "responses": [{"body": body}]}]}));
    let run = read(
        &config(&server),
        &catalog(&["blockchain_stats"], "full_refresh"),
        None,
    );
    assert_eq!(run.code, 1);
    let message = run.errors()[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("blockchain.com /blockchain/stats: HTTP 200: error in a 200 response: This API is temporarily disabled"),
        "{message}"
    );
    assert!(!message.contains("no `timestamp`"), "{message}");
}
