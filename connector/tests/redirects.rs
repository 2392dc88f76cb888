//! Redirects over real HTTP between two loopback origins (two replay servers on different ports): the
//! configured origin answers every request with a 302 to the other, which serves the recorded responses. The
//! keys (CoinGecko, CoinMarketCap, the GitHub token) reach the configured origin and never the other; a
//! redirect within the origin keeps them; a redirect loop ends after the cap with an error naming the path.
mod common;

use common::{catalog, config, read, run, start, CMC_KEY, GITHUB_TOKEN, KEY};
use replay_server::{ReplayServer, RoutesFile};
use serde_json::{json, Value};

fn serve(routes: Value) -> ReplayServer {
    let routes: RoutesFile = serde_json::from_value(routes).expect("routes");
    ReplayServer::serve(routes, 0).expect("replay server")
}

/// A config with every key set, every provider's base URL on `front`.
fn keyed_config(front: &ReplayServer) -> Value {
    let mut cfg = config(front);
    cfg["coinmarketcap_api_key"] = json!(CMC_KEY);
    cfg["github_token"] = json!(GITHUB_TOKEN);
    cfg
}

/// Every header value of every request `server` received, joined.
fn headers_seen(server: &ReplayServer) -> String {
    server
        .requests()
        .iter()
        .flat_map(|r| r.headers.iter().map(|(k, v)| format!("{k}: {v}\n")))
        .collect()
}

#[test]
fn keys_are_not_sent_to_another_origin_a_redirect_points_to() {
    let data = start("all_providers.json");
    let front = serve(
        json!({"routes": [{"path": "/*", "responses": [{"status": 302, "redirect": data.url()}]}]}),
    );
    let cfg = keyed_config(&front);

    let check = run(
        &["check", "--config", "{config.json}"],
        &[("config.json", cfg.to_string())],
    );
    let status = &check.of_type("CONNECTION_STATUS")[0]["connectionStatus"];
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    let streams = [
        "coingecko_global",
        "cmc_global_metrics",
        "github_repository_snapshots",
    ];
    let read = read(&cfg, &catalog(&streams, "incremental"), None);
    assert_eq!(read.code, 0, "stderr: {}", read.stderr);
    for stream in streams {
        assert!(!read.records(stream).is_empty(), "{stream}: no records");
    }
    for run in [&check, &read] {
        run.assert_no_secret();
        assert!(
            run.logs()
                .iter()
                .any(|l| l.contains("redirected to another origin")
                    && l.contains("API key is not sent there")),
            "the dropped key is logged: {:?}",
            run.logs()
        );
    }

    let at_front = headers_seen(&front);
    assert!(at_front.contains(&format!("x-cg-demo-api-key: {KEY}")));
    assert!(at_front.contains(&format!("x-cmc_pro_api_key: {CMC_KEY}")));
    assert!(at_front.contains(&format!("authorization: Bearer {GITHUB_TOKEN}")));
    let at_data = headers_seen(&data);
    assert!(!data.requests().is_empty());
    for secret in [KEY, CMC_KEY, GITHUB_TOKEN] {
        assert!(
            !at_data.contains(secret),
            "a key reached the other origin:\n{at_data}"
        );
    }
    assert!(
        !at_data.contains("x-cg-demo-api-key")
            && !at_data.contains("x-cmc_pro_api_key")
            && !at_data.contains("authorization"),
        "{at_data}"
    );
}

#[test]
fn a_redirect_within_the_origin_keeps_the_key_and_a_loop_is_capped() {
    let global =
        std::fs::read_to_string(common::repo_root().join("tests/recorded/coingecko/global.json"))
            .expect("recorded global");
    // Relative `Location`s: `/moved` + the request's path (the same origin), and the request's own path (a loop).
    let front = serve(json!({"routes": [
        {"path": "/coingecko/api/v3/global", "responses": [{"status": 301, "redirect": "/moved"}]},
        {"path": "/moved/coingecko/api/v3/global", "responses": [{"body_text": global}]},
        {"path": "/blockchain/stats", "responses": [{"status": 302, "redirect": ""}]}]}));
    let run = read(
        &keyed_config(&front),
        &catalog(&["coingecko_global", "blockchain_stats"], "incremental"),
        None,
    );
    run.assert_no_secret();
    assert_eq!(
        run.records("coingecko_global").len(),
        1,
        "stderr: {}",
        run.stderr
    );
    let moved: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| r.path == "/moved/coingecko/api/v3/global")
        .collect();
    assert_eq!(moved.len(), 1);
    assert!(
        moved[0]
            .headers
            .contains(&("x-cg-demo-api-key".to_string(), KEY.to_string())),
        "a same-origin redirect keeps the key"
    );

    assert_eq!(run.code, 1);
    assert_eq!(
        run.statuses("blockchain_stats").last().map(String::as_str),
        Some("INCOMPLETE")
    );
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("blockchain.com /blockchain/stats")
            && message.contains("HTTP 302")
            && message.contains("more than 5 redirects"),
        "{message}"
    );
    assert_eq!(errors[0]["failure_type"], "system_error");
    let hops = front
        .requests()
        .iter()
        .filter(|r| r.path == "/blockchain/stats")
        .count();
    assert_eq!(hops, 6, "the first request and five redirects, not retried");
}
