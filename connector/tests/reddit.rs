//! Reddit over loopback (`tests/scenarios/reddit.json`, one route per subreddit): a snapshot with a
//! descriptive User-Agent, a 429 body delivered with HTTP 200, an HTTP 429 with `X-Ratelimit-*`, and
//! private, banned, missing and redirected subreddits failing with their name and reason.
mod common;

use common::{assert_valid_records, calls, catalog, config, read, start, Run};
use serde_json::json;

const STREAM: &str = "reddit_subreddit_snapshots";

fn read_subreddits(names: &[&str]) -> (Run, replay_server::ReplayServer) {
    let server = start("reddit.json");
    let mut cfg = config(&server);
    cfg["reddit_subreddits"] = json!(names);
    let run = read(&cfg, &catalog(&[STREAM], "incremental"), None);
    run.assert_no_secret();
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    (run, server)
}

#[test]
fn snapshot_with_descriptive_user_agent_and_a_429_body_in_a_200() {
    let (run, server) = read_subreddits(&["Bitcoin", "BusyOne", "Limited"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let records = run.records(STREAM);
    assert_eq!(records.len(), 3);
    assert_valid_records(STREAM, &records);
    assert_eq!(records[0]["display_name"], "Bitcoin");
    assert_eq!(records[0]["subscribers"], 8123456);
    assert_eq!(
        records[0]["active_user_count"], 3021,
        "accounts_active when active_user_count is null"
    );
    assert_eq!(records[1]["active_user_count"], 12);
    assert_eq!(
        calls(&server, "/r/BusyOne/about.json").len(),
        2,
        "the 429 in a 200 is retried"
    );
    assert!(run.stderr.contains("Too Many Requests"), "{}", run.stderr);
    assert_eq!(calls(&server, "/r/Limited/about.json").len(), 2);
    assert_eq!(
        run.rate_limited(STREAM),
        1,
        "X-Ratelimit-Reset is waited for, with a trace"
    );
    for r in server.requests() {
        let agent = r
            .headers
            .iter()
            .find(|(k, _)| k == "user-agent")
            .map(|(_, v)| v.as_str());
        assert!(
            agent.is_some_and(|a| a.starts_with("source-bitcoin/") && a.contains("Airbyte")),
            "{agent:?}"
        );
    }
    // A second read is a new snapshot (the cursor is the read time).
    let states = run.states(STREAM);
    assert!(states.last().unwrap()["state"]["stream"]["stream_state"]["Bitcoin"].is_string());
}

#[test]
fn private_banned_missing_and_redirected_subreddits_fail_with_their_name() {
    for (name, text) in [
        ("SecretClub", "HTTP 403: Forbidden (reason: private)"),
        ("BannedOne", "HTTP 404: Not Found (reason: banned)"),
        ("NoSuchSub", "HTTP 404: Not Found"),
        ("Redirected", "r/Redirected does not exist or is not public"),
    ] {
        let (run, server) = read_subreddits(&["Bitcoin", name]);
        assert_eq!(run.code, 1, "{name}");
        assert_eq!(
            run.records(STREAM).len(),
            1,
            "{name}: the subreddit before it is kept"
        );
        let errors = run.errors();
        assert_eq!(errors.len(), 1, "{name}");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("/r/{name}/about.json")) && message.contains(text),
            "{message}"
        );
        assert_eq!(
            calls(&server, &format!("/r/{name}/about.json")).len(),
            1,
            "{name}: not retried"
        );
    }
}
