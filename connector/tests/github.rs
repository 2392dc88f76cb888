//! GitHub over loopback (`tests/scenarios/github*.json`): repository snapshots with the contributor count
//! from `Link rel="last"`, commit activity after a 202 "being computed", a 204 empty repository, releases
//! across three `Link` pages, incremental re-reads, the token header, and `X-RateLimit-*` waits.
mod common;

use common::{assert_valid_records, calls, catalog, config, read, start, GITHUB_TOKEN};
use replay_server::ReplayServer;
use serde_json::{json, Value};

const GH_STREAMS: [&str; 3] = [
    "github_repository_snapshots",
    "github_commit_activity",
    "github_releases",
];

fn gh_config(server: &ReplayServer) -> Value {
    let mut cfg = config(server);
    cfg["github_token"] = json!(GITHUB_TOKEN);
    cfg["github_repositories"] = json!(["bitcoin/bitcoin", "bitcoin-core/gui"]);
    cfg["start_date"] = json!("2025-01-01");
    cfg
}

#[test]
fn every_stream_reads_valid_records_across_202_204_and_link_pages() {
    let server = start("github.json");
    let run = read(
        &gh_config(&server),
        &catalog(&GH_STREAMS, "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.assert_no_secret();
    for (stream, count) in [
        ("github_repository_snapshots", 2),
        ("github_commit_activity", 52),
        ("github_releases", 5),
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
    let snapshots = run.records("github_repository_snapshots");
    assert_eq!(snapshots[0]["full_name"], "bitcoin/bitcoin");
    assert_eq!(snapshots[0]["stargazers_count"], 88123);
    assert_eq!(
        snapshots[0]["contributors_count"], 1187,
        "from the Link rel=\"last\" page"
    );
    assert_eq!(
        snapshots[1]["contributors_count"], 1,
        "no Link header: one page"
    );
    assert_eq!(snapshots[1]["open_issues_count"], Value::Null);
    // 202 "being computed", then 200: polled, with the wait logged.
    assert_eq!(
        calls(&server, "bitcoin/bitcoin/stats/commit_activity").len(),
        2
    );
    assert!(run.stderr.contains("HTTP 202"), "{}", run.stderr);
    // 204 for the empty repository: no weeks, no error.
    assert_eq!(
        calls(&server, "bitcoin-core/gui/stats/commit_activity").len(),
        1
    );
    // Releases: page 1 names the last page; pages are then read 3, 2, 1 so the cursor only moves forward.
    let pages: Vec<String> = calls(&server, "bitcoin/bitcoin/releases")
        .iter()
        .map(|r| r.query.iter().find(|(k, _)| k == "page").unwrap().1.clone())
        .collect();
    assert_eq!(pages, ["1", "3", "2", "1"]);
    let tags: Vec<&str> = run
        .records("github_releases")
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["v28.1", "v29.0", "v29.1", "v30.0rc1", "v29.2"],
        "the draft has no published_at"
    );
    // The token and GitHub's headers on every request.
    for r in server.requests() {
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("authorization"),
            Some(format!("Bearer {GITHUB_TOKEN}")),
            "{}",
            r.path
        );
        assert_eq!(
            header("accept").as_deref(),
            Some("application/vnd.github+json")
        );
        assert_eq!(
            header("x-github-api-version").as_deref(),
            Some("2022-11-28")
        );
        assert!(header("user-agent").unwrap().starts_with("source-bitcoin/"));
    }
}

#[test]
fn incremental_reread_has_no_duplicates_and_no_gaps() {
    let server = start("github.json");
    let streams = ["github_commit_activity", "github_releases"];
    let first = read(&gh_config(&server), &catalog(&streams, "incremental"), None);
    assert_eq!(first.code, 0, "stderr: {}", first.stderr);
    let state = first.final_state();
    let before = calls(&server, "bitcoin/bitcoin/releases").len();
    let same = read(
        &gh_config(&server),
        &catalog(&streams, "incremental"),
        Some(&state),
    );
    assert_eq!(
        same.of_type("RECORD").len(),
        0,
        "unchanged data re-read emitted records"
    );
    assert_eq!(
        calls(&server, "bitcoin/bitcoin/releases").len() - before,
        1,
        "page 1 reaches back to the cursor: the older pages are not read again"
    );

    let later_server = start("github_later.json");
    let later = read(
        &gh_config(&later_server),
        &catalog(&streams, "incremental"),
        Some(&state),
    );
    assert_eq!(later.code, 0, "stderr: {}", later.stderr);
    let weeks = later.records("github_commit_activity");
    assert_eq!(
        weeks.len(),
        2,
        "the still-open week (changed) and the new one"
    );
    let last_week = first.records("github_commit_activity").last().unwrap()["week"].clone();
    assert_eq!(weeks[0]["week"], last_week);
    assert_eq!(
        weeks[0]["total"].as_i64().unwrap(),
        first.records("github_commit_activity").last().unwrap()["total"]
            .as_i64()
            .unwrap()
            + 5
    );
    assert_eq!(later.records("github_releases").len(), 0);
}

#[test]
fn exhausted_rate_limit_waits_for_the_reset_and_says_so() {
    let server = start("github_rate_limits.json");
    let mut cfg = gh_config(&server);
    cfg["github_repositories"] = json!(["bitcoin/bitcoin"]);
    let run = read(
        &cfg,
        &catalog(&["github_repository_snapshots"], "incremental"),
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.records("github_repository_snapshots").len(), 1);
    // Remaining 0 on the repository answer: the next call waits for the reset; the 403 "rate limit
    // exceeded" with Remaining 0 is retried after its reset.
    assert!(
        run.rate_limited("github_repository_snapshots") >= 2,
        "{:?}",
        run.messages
    );
    assert_eq!(calls(&server, "/contributors").len(), 2);
    assert!(
        run.stderr.contains("HTTP 403") && run.stderr.contains("API rate limit exceeded"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reset_beyond_the_maximum_wait_fails_the_stream_clearly() {
    let server = start("github_exhausted.json");
    let mut cfg = gh_config(&server);
    cfg["github_repositories"] = json!(["bitcoin/bitcoin"]);
    let run = read(
        &cfg,
        &catalog(
            &["github_repository_snapshots", "github_releases"],
            "incremental",
        ),
        None,
    );
    run.assert_no_secret();
    assert_eq!(run.code, 1);
    let errors = run.errors();
    assert_eq!(
        errors.len(),
        2,
        "both streams need the exhausted quota: {errors:?}"
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("GitHub /github/repos/bitcoin/bitcoin/contributors"),
        "{message}"
    );
    assert!(
        message.contains("rate limit is exhausted")
            && message.contains("http.max_retry_wait_seconds"),
        "{message}"
    );
    assert_eq!(
        calls(&server, "/contributors").len(),
        0,
        "no request is sent into an exhausted quota"
    );
}

#[test]
fn a_missing_repository_is_named_in_the_error() {
    let server = start("github.json");
    let mut cfg = gh_config(&server);
    cfg["github_repositories"] = json!(["bitcoin/missing", "bitcoin/bitcoin"]);
    let run = read(
        &cfg,
        &catalog(&["github_repository_snapshots"], "incremental"),
        None,
    );
    assert_eq!(run.code, 1);
    let message = run.errors()[0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("/github/repos/bitcoin/missing: HTTP 404: Not Found"),
        "{message}"
    );
    run.assert_no_secret();
}

#[test]
fn statistics_still_computing_after_every_poll_fail_as_transient() {
    let server = start("github.json");
    let mut cfg = gh_config(&server);
    cfg["github_repositories"] = json!(["bitcoin/slowstats"]);
    let run = read(
        &cfg,
        &catalog(&["github_commit_activity"], "incremental"),
        None,
    );
    assert_eq!(run.code, 1);
    let errors = run.errors();
    assert_eq!(errors[0]["failure_type"], "transient_error");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 202") && message.contains("still being computed"),
        "{message}"
    );
    assert_eq!(
        calls(&server, "/stats/commit_activity").len(),
        3,
        "bounded by http.max_attempts"
    );
}
