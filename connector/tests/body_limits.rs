//! Response bodies are bounded by `http.max_response_bytes`: a 512 MiB body streamed by the replay server,
//! announced by its `Content-Length` or not, fails only its stream — a TRACE `system_error` naming the stream,
//! the URL path and the limit, then INCOMPLETE — while the connector's peak RSS stays far below the body.
mod common;

use common::{catalog, config, run_measured};
use replay_server::{ReplayServer, RoutesFile};
use serde_json::json;

const HUGE: u64 = 512 * 1024 * 1024;
const LIMIT: u64 = 4 * 1024 * 1024;

fn server(announce_length: bool) -> ReplayServer {
    let stats = std::fs::read_to_string(
        common::repo_root().join("tests/recorded/blockchain_com/stats.json"),
    )
    .expect("recorded stats");
    let routes: RoutesFile = serde_json::from_value(json!({"routes": [
        {"path": "/coingecko/api/v3/global", "responses": [
            {"generate": {"kind": "huge_array", "bytes": HUGE, "announce_length": announce_length}}]},
        {"path": "/blockchain/stats", "responses": [{"body_text": stats}]}]}))
    .expect("routes");
    ReplayServer::serve(routes, 0).expect("replay server")
}

fn read_huge(announce_length: bool) -> (common::Run, u64) {
    let server = server(announce_length);
    let mut cfg = config(&server);
    cfg["http"]["max_response_bytes"] = json!(LIMIT);
    let catalog = catalog(&["coingecko_global", "blockchain_stats"], "incremental");
    let (run, rss_kib) = run_measured(
        &[
            "read",
            "--config",
            "{config.json}",
            "--catalog",
            "{catalog.json}",
        ],
        &[
            ("config.json", cfg.to_string()),
            ("catalog.json", catalog.to_string()),
        ],
    );
    let calls = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/global"))
        .count();
    assert_eq!(calls, 1, "a body too large is not asked for again");
    (run, rss_kib)
}

fn assert_failed_cleanly(run: &common::Run, seen: &str) {
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert_eq!(
        run.statuses("coingecko_global").last().map(String::as_str),
        Some("INCOMPLETE")
    );
    assert_eq!(
        run.statuses("blockchain_stats").last().map(String::as_str),
        Some("COMPLETE"),
        "the other stream still runs"
    );
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["failure_type"], "system_error");
    assert_eq!(errors[0]["stream_descriptor"]["name"], "coingecko_global");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("stream coingecko_global failed")
            && message.contains("CoinGecko /coingecko/api/v3/global")
            && message.contains(&format!("http.max_response_bytes ({LIMIT} bytes"))
            && message.contains(seen),
        "{message}"
    );
}

#[test]
fn a_huge_body_without_a_length_is_counted_and_cut_off_with_little_memory() {
    let (run, rss_kib) = read_huge(false);
    assert_failed_cleanly(&run, "bytes read");
    // 512 MiB offered; the connector keeps at most the 4 MiB limit (plus its own ~20 MiB).
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
}

#[test]
fn a_huge_announced_body_is_refused_before_it_is_read() {
    let (run, rss_kib) = read_huge(true);
    assert_failed_cleanly(&run, &format!("Content-Length {HUGE}"));
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
}
