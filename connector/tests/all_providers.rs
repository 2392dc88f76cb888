//! All 20 streams at once against `tests/scenarios/all_providers.json` (every provider's recorded
//! responses): the CoinMarketCap catalog of `airbyte-spec/`, and `abnormal_state.json` yielding nothing.
mod common;

use common::{assert_valid_records, catalog, config, read, start, CMC_KEY};
use serde_json::{json, Value};

fn file(rel: &str) -> Value {
    let text = std::fs::read_to_string(common::repo_root().join(rel)).expect(rel);
    serde_json::from_str(&text).expect("JSON")
}

fn full_config(server: &replay_server::ReplayServer) -> Value {
    let mut cfg = config(server);
    cfg["coinmarketcap_api_key"] = json!(CMC_KEY);
    cfg
}

#[test]
fn the_catalog_with_coinmarketcap_reads_every_stream() {
    let server = start("all_providers.json");
    let catalog = file("airbyte-spec/configured_catalog_with_coinmarketcap.json");
    let run = read(&full_config(&server), &catalog, None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.assert_no_secret();
    let names: Vec<&str> = catalog["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 20);
    for name in names {
        let records = run.records(name);
        assert!(!records.is_empty(), "{name}: no records");
        assert_valid_records(name, &records);
        assert_eq!(
            run.statuses(name).last().map(String::as_str),
            Some("COMPLETE"),
            "{name}"
        );
    }
}

#[test]
fn abnormal_state_yields_zero_records_for_every_incremental_stream() {
    let server = start("all_providers.json");
    let state = file("airbyte-spec/abnormal_state.json");
    let incremental: Vec<String> = state
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["stream"]["stream_descriptor"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(incremental.len(), 16, "every stream with a cursor");
    let names: Vec<&str> = incremental.iter().map(String::as_str).collect();
    let run = read(
        &full_config(&server),
        &catalog(&names, "incremental"),
        Some(&state),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.of_type("RECORD").len(), 0);
    for name in names {
        assert_eq!(run.states(name).len(), 1, "{name}");
    }
}
