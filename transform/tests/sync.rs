//! `transform sync` on the real binaries: a crash between a batch's rows and its state (and after a
//! commit) loses and doubles nothing; a re-sync without new data adds no rows; one with new data
//! adds exactly the records the source emits from the saved state, and the incremental marts merge
//! them (equal to a full rebuild); source errors make sync exit 1 after committing what states
//! cover and nothing after them; lines that are not messages are logged and skipped; a stream
//! without states waits in staging and commits at its end.

mod bigquery_emulator;
mod pipeline_harness;

use std::path::Path;
use std::process::Command;

use pipeline_harness::{differing_rows, open, raw_counts, repo_root, sibling_bin, Project, Replay};
use serde_json::Value as Json;

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

/// An executable standing in for the source: `spec`/`discover` pass through to source-bitcoin;
/// `read` pipes its output through `filter` (a shell pipeline stage), keeping a copy in `seen.jsonl`.
fn wrapped_source(project: &Project, name: &str, filter: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let real = sibling_bin("source-bitcoin");
    let seen = project.dir.path().join(format!("{name}.seen.jsonl"));
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = read ]; then\n  \"{}\" \"$@\" | {filter} | tee \"{}\"\n  exit 3\nfi\nexec \"{}\" \"$@\"\n",
        real.display(),
        seen.display(),
        real.display()
    );
    let path = project.dir.path().join(name);
    std::fs::write(&path, script.replace("exit 3", if filter.contains("exit") { "exit 3" } else { "exit 0" })).expect("write wrapper");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn sync_with(project: &Project, db: &Path, source: &Path, config: &Path, extra: &[&str]) -> pipeline_harness::Out {
    let mut args = vec!["sync", "--source", source.to_str().expect("utf-8"), "--config", config.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    project.transform_db(db, &args, &[])
}

#[test]
fn lines_that_are_not_messages_are_logged_counted_and_skipped() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let mut c = replay.config("2025-09-01", false);
    c["coinmarketcap_api_key"] = "sekrit-cmc-key-123".into();
    let config = project.write_config("config.json", &c);
    let streams = ["--streams", "coingecko_market_chart,blockchain_stats", "--batch-size", "50"];
    let clean = project.dir.path().join("target/clean.duckdb");
    assert_eq!(project.sync(&clean, &config, &streams, &[]).code, 0);
    let noisy = "awk 'NR==40 {print \"Traceback (most recent call last): key sekrit-cmc-key-123 \" sprintf(\"%300s\", \"x\")} NR==41 {print \"{not json\"} NR==42 {print \"{\\\"type\\\":\\\"RECORD\\\"}\"} {print}'";
    let source = wrapped_source(&project, "noisy", noisy);
    let db = project.db();
    let out = sync_with(&project, &db, &source, &config, &streams);
    assert_eq!(out.code, 0, "the platform carries on past such lines:\n{}", out.all);
    assert_eq!(raw_counts(&db), raw_counts(&clean), "no record lost");
    for line in [40, 42, 44] {
        // Each inserted line shifts the next: the three land on output lines 40, 42 and 44.
        assert!(out.all.contains(&format!("source output line {line} is not an Airbyte message")), "line {line} is logged:\n{}", out.all);
    }
    assert!(out.all.contains("3 lines of the source's output were not Airbyte messages"), "{}", out.all);
    assert!(out.all.contains("after a record of stream `coingecko_market_chart`"), "{}", out.all);
    assert!(!out.all.contains("sekrit-cmc-key-123"), "the spec's secret is redacted:\n{}", out.all);
    assert!(!out.all.contains(&" ".repeat(250)), "long lines are truncated");
}

/// Records per stream that the states (or stream-complete statuses) in `lines` cover.
fn covered(lines: &str) -> std::collections::BTreeMap<String, i64> {
    let (mut pending, mut done) = (std::collections::BTreeMap::<String, i64>::new(), std::collections::BTreeMap::new());
    let mut settle = |pending: &mut std::collections::BTreeMap<String, i64>, stream: Option<&str>| {
        for (s, n) in pending.iter_mut().filter(|(s, _)| stream.is_none_or(|x| x == s.as_str())) {
            *done.entry(s.clone()).or_insert(0) += std::mem::take(n);
        }
    };
    for m in lines.lines().filter_map(|l| serde_json::from_str::<Json>(l).ok()) {
        match m["type"].as_str() {
            Some("RECORD") => *pending.entry(m["record"]["stream"].as_str().expect("stream").to_string()).or_insert(0) += 1,
            Some("STATE") if m["state"]["type"] == "STREAM" => settle(&mut pending, m["state"]["stream"]["stream_descriptor"]["name"].as_str()),
            Some("STATE") => settle(&mut pending, None),
            Some("TRACE") if m["trace"]["stream_status"]["status"] == "COMPLETE" => {
                settle(&mut pending, m["trace"]["stream_status"]["stream_descriptor"]["name"].as_str())
            }
            _ => {}
        }
    }
    done.into_iter().filter(|(_, n)| *n > 0).collect()
}

#[test]
fn a_source_crashing_after_a_state_leaves_exactly_the_covered_records() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    let clean = project.dir.path().join("target/clean.duckdb");
    assert_eq!(project.sync(&clean, &config, &["--batch-size", "200"], &[]).code, 0);
    // After the 5th STATE, six more records, then the source dies.
    let crash = "awk 'after && /\"type\":\"RECORD\"/ {n++} {print} /\"type\":\"STATE\"/ {s++; if (s == 5) after = 1} n == 6 {exit}'";
    let source = wrapped_source(&project, "crashing", crash);
    let db = project.db();
    let out = sync_with(&project, &db, &source, &config, &["--batch-size", "200"]);
    assert_eq!(out.code, 1, "{}", out.all);
    let seen = std::fs::read_to_string(project.dir.path().join("crashing.seen.jsonl")).expect("seen");
    let want = covered(&seen);
    let got: std::collections::BTreeMap<String, i64> = raw_counts(&db).into_iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(got, want, "exactly the records the saved states cover, none of the six after the last one");
    assert!(out.all.contains("6 records after them were not"), "{}", out.all);

    let rerun = project.sync(&db, &config, &["--batch-size", "200"], &[]);
    assert_eq!(rerun.code, 0, "{}", rerun.all);
    assert_eq!(raw_counts(&db), raw_counts(&clean), "after the re-run every record is there once");
    for (table, _) in raw_counts(&clean) {
        assert_eq!(differing_rows(&db, &clean, &table), 0, "raw.{table} equals an uninterrupted sync's");
    }
}

#[test]
fn a_stream_without_states_waits_in_staging_and_commits_at_its_end() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    let streams = ["--streams", "coingecko_market_chart,blockchain_stats", "--batch-size", "20"];
    let clean = project.dir.path().join("target/clean.duckdb");
    assert_eq!(project.sync(&clean, &config, &streams, &[]).code, 0);
    let pending_tables = |db: &Path| pipeline_harness::scalar_i64(&open(db), "select count(*) from information_schema.tables where table_name like '%sync_pending'");

    // No STATE at all: 420 records wait (past 4 x 20 of them in a staging table) for stream-complete.
    let stateless = wrapped_source(&project, "stateless", "grep -v '\"type\":\"STATE\"'");
    let db = project.db();
    let out = sync_with(&project, &db, &stateless, &config, &streams);
    assert_eq!(out.code, 0, "{}", out.all);
    assert_eq!(raw_counts(&db), raw_counts(&clean));
    assert!(out.all.contains("they wait in coingecko_market_chart__sync_pending"), "{}", out.all);
    assert_eq!(pending_tables(&db), 0, "staging tables are dropped at the end");

    // The same source dying before the stream completes commits none of that stream.
    let dying = wrapped_source(&project, "dying", "grep -v '\"type\":\"STATE\"' | awk '/coingecko_market_chart/ {n++} n == 300 {exit} {print}'");
    let db2 = project.dir.path().join("target/dying.duckdb");
    let out = sync_with(&project, &db2, &dying, &config, &streams);
    assert_eq!(out.code, 1, "{}", out.all);
    let counts: std::collections::BTreeMap<String, i64> = raw_counts(&db2).into_iter().collect();
    assert_eq!(counts.get("coingecko_market_chart"), Some(&0), "{counts:?}");
    assert_eq!(pending_tables(&db2), 0);
}

/// The raw rows and the saved state through the BigQuery adapter (GoogleSQL literals: backslash
/// escapes, `parse_json`, `to_json_string`), against the local emulator.
#[test]
fn rows_and_state_round_trip_on_bigquery() {
    use transform::sync::{raw_tables::RawTable, rows::TableRows, state_store::StateStore};
    use transform::warehouse::{append::RowBatch, Warehouse};
    let Some(emu) = bigquery_emulator::Emulator::start() else { return };
    let bq = emu.connect("raw");
    let project = bigquery_emulator::PROJECT;
    bq.create_schema(project, "raw").expect("dataset");
    let rel = transform::project::RelationName { database: project.into(), schema: "raw".into(), identifier: "things".into() };
    let t = RawTable::new(rel, &serde_json::json!({"properties": {"name": {"type": "string"}, "n": {"type": "integer"}, "extra": {"type": "object"}}}));
    t.ensure(&bq).expect("create the raw table");
    // Partitioned and clustered as Airbyte's BigQuery destination does, so new extractions prune.
    let meta = bq.table(&t.rel).expect("tables.get").expect("the raw table exists");
    let part = meta.time_partitioning.expect("the raw table is partitioned");
    assert_eq!((part.field.as_deref(), part.r#type.as_str()), (Some("_airbyte_extracted_at"), "DAY"));
    assert_eq!(meta.clustering.and_then(|c| c.fields), Some(vec!["_airbyte_extracted_at".to_string()]));
    let store = StateStore::open(&bq, project, "raw").expect("state table");
    let mut rows = TableRows::new(&t);
    let data = serde_json::value::RawValue::from_string(r#"{"name": "it's a \"quote\" \\ here", "n": 7, "extra": {"k": [1, "x'y"]}}"#.into()).expect("raw");
    rows.push(&t, &data, 1_700_000_000_000, 1, &RawTable::clean_meta(1)).expect("row");
    let batch = RowBatch { rel: t.rel.clone(), columns: t.column_names(), data: rows.finish(&t) };
    let state = serde_json::json!({"type": "STREAM", "stream": {"stream_descriptor": {"name": "things"}, "stream_state": {"cursor": "it's \"q\" \\"}}});
    bq.append_rows(&[batch], &[store.save_sql(&bq, "things", &state)]).expect("append with the state save");
    assert_eq!(store.load(&bq).expect("load state"), vec![state], "the state reads back as saved");
    let got = bq.query("select name, n, to_json_string(extra) from `test-project`.`raw`.`things`", 10).expect("query");
    assert_eq!(got.rows, vec![vec![Json::from("it's a \"quote\" \\ here"), Json::from(7), Json::from(r#"{"k":[1,"x'y"]}"#)]]);
}
