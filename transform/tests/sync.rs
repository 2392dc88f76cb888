//! `transform sync` on the real binaries: a crash between a batch's rows and its state (and after a
//! commit) loses and doubles nothing; a re-sync without new data adds no rows; one with new data
//! adds exactly the records the source emits from the saved state, and the incremental marts merge
//! them (equal to a full rebuild); source errors make sync exit 1 after committing what was read.

mod pipeline_harness;

use std::path::Path;
use std::process::Command;

use pipeline_harness::{open, raw_counts, repo_root, sibling_bin, Project, Replay};
use serde_json::Value as Json;

/// Rows of `raw.<table>` (data columns only) in one DB and not the other, both ways.
fn differing_rows(a: &Path, b: &Path, table: &str) -> i64 {
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    conn.execute_batch(&format!(
        "attach '{}' as a (read_only); attach '{}' as b (read_only)",
        a.display(),
        b.display()
    ))
    .expect("attach");
    let cols = "* exclude (_airbyte_raw_id, _airbyte_extracted_at, _airbyte_meta, _airbyte_generation_id)";
    let q = format!(
        "select (select count(*) from (select {cols} from a.raw.\"{table}\" except all select {cols} from b.raw.\"{table}\")) + \
                (select count(*) from (select {cols} from b.raw.\"{table}\" except all select {cols} from a.raw.\"{table}\"))"
    );
    conn.query_row(&q, [], |r| r.get(0)).expect("compare")
}

#[test]
fn a_crash_mid_sync_loses_nothing_and_doubles_nothing() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    let clean = project.dir.path().join("target/clean.duckdb");
    let out = project.sync(&clean, &config, &["--batch-size", "200"], &[]);
    assert_eq!(out.code, 0, "{}", out.all);
    let want = raw_counts(&clean);
    let total: i64 = want.iter().map(|(_, n)| n).sum();

    for fault in ["before_state_save:3", "after_commit:2"] {
        let db = project.dir.path().join(format!("target/crash_{}.duckdb", &fault[..5]));
        let crashed = project.sync(&db, &config, &["--batch-size", "200"], &[("TRANSFORM_SYNC_FAULT", fault)]);
        assert_ne!(crashed.code, 0, "{fault}: the sync should have aborted:\n{}", crashed.all);
        assert!(crashed.all.contains("fault injection"), "{}", crashed.all);
        let partial: i64 = raw_counts(&db).iter().map(|(_, n)| n).sum();
        assert!(partial > 0 && partial < total, "{fault}: {partial} of {total} rows survived the crash");

        let rerun = project.sync(&db, &config, &["--batch-size", "200"], &[]);
        assert_eq!(rerun.code, 0, "{}", rerun.all);
        assert_eq!(raw_counts(&db), want, "{fault}: after the re-run every record is there exactly once");
        for (table, _) in &want {
            assert_eq!(differing_rows(&db, &clean, table), 0, "{fault}: raw.{table} differs from an uninterrupted sync");
        }
    }
}

fn scenario_config(replay: &Replay) -> Json {
    let mut c = replay.config("2026-01-01", false);
    c.as_object_mut().expect("object").remove("market_chart_hourly_days");
    c
}

/// What the source itself emits when read with the state sync saved: records per stream.
fn emitted_from_saved_state(project: &Project, db: &Path, config: &Path) -> std::collections::BTreeMap<String, i64> {
    let conn = open(db);
    let mut stmt = conn.prepare("select cast(state as varchar) from raw._sync_state").expect("prepare");
    let states: Vec<Json> =
        stmt.query_map([], |r| r.get::<_, String>(0)).expect("states").map(|s| serde_json::from_str(&s.expect("row")).expect("json")).collect();
    drop(stmt);
    drop(conn);
    let state = project.write_config("state.json", &Json::from(states));
    let catalog = repo_root().join("airbyte-spec/configured_catalog.json");
    let out = Command::new(sibling_bin("source-bitcoin"))
        .args(["read", "--config"])
        .arg(config)
        .arg("--catalog")
        .arg(&catalog)
        .arg("--state")
        .arg(&state)
        .output()
        .expect("run source");
    let mut counts = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let m: Json = serde_json::from_str(line).expect("message");
        if m["type"] == "RECORD" {
            *counts.entry(m["record"]["stream"].as_str().expect("stream").to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn mart_rows(db: &Path, sql: &str) -> Vec<String> {
    let conn = open(db);
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0)).expect("query").map(|r| r.expect("row")).collect()
}

#[test]
fn resync_adds_nothing_without_new_data_and_exactly_the_new_records_with_it() {
    let full = Replay::start("full.json");
    let project = Project::new();
    let config = project.write_config("full.json", &scenario_config(&full));
    let db = project.db();
    assert_eq!(project.sync(&db, &config, &[], &[]).code, 0);
    let first = raw_counts(&db);
    let again = project.sync(&db, &config, &[], &[]);
    assert_eq!(again.code, 0, "{}", again.all);
    assert_eq!(raw_counts(&db), first, "a second sync with no new upstream data adds no rows");
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "{}", build.all);
    let days_before = mart_rows(&db, "select cast(count(*) as varchar) from main_marts.fct_price_ohlcv");

    let later = Replay::start("later.json");
    let later_config = project.write_config("later.json", &scenario_config(&later));
    let expected = emitted_from_saved_state(&project, &db, &later_config);
    let out = project.sync(&db, &later_config, &[], &[]);
    assert_eq!(out.code, 0, "{}", out.all);
    let overwrite = ["coingecko_tickers", "blockchain_stats"];
    let mut added_any = false;
    for ((table, before), (_, after)) in first.iter().zip(raw_counts(&db)) {
        let emitted = expected.get(table).copied().unwrap_or(0);
        if overwrite.contains(&table.as_str()) {
            assert_eq!(after, emitted, "full-refresh raw.{table} holds exactly the latest read");
        } else {
            assert_eq!(after - before, emitted, "raw.{table} grew by exactly the records the source emitted");
            added_any |= emitted > 0;
        }
    }
    assert!(added_any, "later.json brings new records");

    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "incremental build:\n{}", build.all);
    let rebuilt = project.dir.path().join("target/rebuilt.duckdb");
    std::fs::copy(&db, &rebuilt).expect("copy db");
    let full_refresh = project.transform_db(&rebuilt, &["build", "--full-refresh"], &[]);
    assert_eq!(full_refresh.code, 0, "{}", full_refresh.all);
    let float = regex::Regex::new(r"-?\d+\.\d+(e[-+]?\d+)?").expect("regex");
    for fact in ["fct_price_ohlcv", "fct_onchain_daily", "fct_market_snapshot"] {
        let q = format!("select string_agg(cast(t as varchar), '\n' order by cast(t as varchar)) from main_marts.{fact} t");
        // Floating sums may differ in the last bits (parallel aggregation order): compare 10 significant digits.
        let norm = |rows: Vec<String>| {
            float.replace_all(&rows.concat(), |c: &regex::Captures| format!("{:.9e}", c[0].parse::<f64>().unwrap_or(f64::NAN))).into_owned()
        };
        let (inc, full) = (norm(mart_rows(&db, &q)), norm(mart_rows(&rebuilt, &q)));
        let only_inc: Vec<&str> = inc.lines().filter(|l| !full.lines().any(|f| f == *l)).collect();
        let only_full: Vec<&str> = full.lines().filter(|l| !inc.lines().any(|f| f == *l)).collect();
        assert!(only_inc.is_empty() && only_full.is_empty() && !inc.is_empty(),
            "incremental {fact} differs from its full rebuild:\nonly incremental: {only_inc:#?}\nonly full rebuild: {only_full:#?}");
    }
    let days_after = mart_rows(&db, "select cast(count(*) as varchar) from main_marts.fct_price_ohlcv");
    assert_ne!(days_before, days_after, "the new candles were merged into fct_price_ohlcv");
}

#[test]
fn source_errors_fail_the_sync_after_committing_what_was_read() {
    let replay = Replay::start("faults/401.json");
    let project = Project::new();
    let mut c = replay.config("2026-01-01", false);
    c.as_object_mut().expect("object").remove("market_chart_hourly_days");
    let config = project.write_config("config.json", &c);
    let out = project.sync(&project.db(), &config, &["--streams", "coingecko_global,blockchain_stats"], &[]);
    assert_eq!(out.code, 1, "{}", out.all);
    assert!(out.all.contains("source error"), "{}", out.all);
    let counts = raw_counts(&project.db());
    assert!(counts.iter().any(|(t, n)| t == "blockchain_stats" && *n == 1), "{counts:?}");
}

#[test]
fn a_missing_source_or_unknown_stream_is_named() {
    let project = Project::new();
    let config = project.write_config("config.json", &serde_json::json!({}));
    let out = project.transform_db(&project.db(), &["sync", "--source", "/nonexistent/source", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(out.code, 2);
    assert!(out.all.contains("/nonexistent/source"), "{}", out.all);
    let out = project.sync(&project.db(), &config, &["--streams", "nope"], &[]);
    assert_eq!(out.code, 2);
    assert!(out.all.contains("no stream `nope`"), "{}", out.all);
}

#[test]
fn new_schema_properties_add_columns_and_timestamps_are_naive_utc() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    let db = project.db();
    assert_eq!(project.sync(&db, &config, &["--streams", "coingecko_tickers"], &[]).code, 0);
    {
        // An older table: as if the schema had no `volume` property yet.
        let conn = duckdb::Connection::open(&db).expect("open");
        conn.execute_batch("alter table raw.coingecko_tickers drop column volume").expect("drop column");
    }
    let out = project.sync(&db, &config, &["--streams", "coingecko_tickers"], &[]);
    assert_eq!(out.code, 0, "{}", out.all);
    let conn = open(&db);
    let with_volume = pipeline_harness::scalar_i64(&conn, "select count(volume) from raw.coingecko_tickers");
    assert!(with_volume > 0, "the re-added column is filled");
    let types: Vec<(String, String)> = conn
        .prepare("select column_name, data_type from information_schema.columns where table_schema = 'raw' and table_name = 'coingecko_tickers' and column_name like '\\_airbyte%' escape '\\' order by ordinal_position")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let want = [("_airbyte_raw_id", "VARCHAR"), ("_airbyte_extracted_at", "TIMESTAMP"), ("_airbyte_meta", "JSON"), ("_airbyte_generation_id", "BIGINT")];
    assert_eq!(types, want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
}
