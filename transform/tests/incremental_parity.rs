//! Incremental builds equal full rebuilds, on DuckDB: the synthetic scenario (tests/scenarios/scale.json, every
//! provider, on a shorter history than the benchmark's) is synced and built, the replay clock moves one day on,
//! an incremental sync + `build` follows; a copy of that warehouse is rebuilt with `--full-refresh` from the same
//! raw data, and every staging, intermediate, mart and report table must match row for row (floats within 1e-9
//! relative: the indicators' recursion continued from stored state differs from the closed form only by
//! rounding). The incremental SQL filters with constants (what lets BigQuery prune partitions).

mod pipeline_harness;

use duckdb::types::Value;
use pipeline_harness::{open, Project, Replay};

const DAY_BEFORE: &str = "2026-11-19T06:00:00Z";
const NEW_DAY: &str = "2026-11-20T06:00:00Z";

fn config(replay: &Replay) -> serde_json::Value {
    let mut c = replay.config("2025-06-01", true);
    let o = c.as_object_mut().expect("object");
    o.insert("market_chart_hourly_days".into(), 30.into());
    o.insert("coinmarketcap_hourly_days".into(), 30.into());
    c
}

/// Every table of the staging, intermediate, marts and reporting schemas.
fn tables(conn: &duckdb::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_schema in ('main_staging', 'main_intermediate', 'main_marts', 'main_reporting') \
             and table_type = 'BASE TABLE' order by 1",
        )
        .expect("prepare");
    stmt.query_map([], |r| r.get(0)).expect("query").map(|r| r.expect("row")).collect()
}

/// A table's column names and rows, ordered by every column (keys come first).
fn rows(conn: &duckdb::Connection, table: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let mut stmt = conn.prepare(&format!("select * from {table} order by all")).expect("prepare");
    let mut out = Vec::new();
    let mut rows = stmt.query([]).expect("query");
    while let Some(row) = rows.next().expect("row") {
        let n = row.as_ref().column_count();
        out.push((0..n).map(|i| row.get::<_, Value>(i).expect("value")).collect());
    }
    let names = stmt.column_names();
    (names, out)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

#[test]
fn one_new_day_incrementally_equals_a_full_refresh() {
    let project = Project::new();
    let db = project.db();
    let before = Replay::start_at("scale.json", DAY_BEFORE);
    let sync = project.sync(&db, &project.write_config("before.json", &config(&before)), &[], &[]);
    assert_eq!(sync.code, 0, "first sync:\n{}", sync.all);
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "full build:\n{}", build.all);
    drop(before);

    let after = Replay::start_at("scale.json", NEW_DAY);
    let sync = project.sync(&db, &project.write_config("after.json", &config(&after)), &[], &[]);
    assert_eq!(sync.code, 0, "incremental sync:\n{}", sync.all);
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "incremental build:\n{}", build.all);
    let compiled = |path: &str| std::fs::read_to_string(project.dir.path().join("target/compiled/bitcoin/models").join(path)).expect(path);
    let indicators = compiled("reporting/rpt_price_indicators_daily.sql");
    assert!(indicators.contains("stored.day_number"), "the second build continued from the stored state:\n{indicators}");
    // Watermarks are constants: staging reads the raw rows extracted since its newest, the rest their window.
    let blocks = compiled("staging/stg_mempool__blocks.sql");
    assert!(blocks.contains("where _airbyte_extracted_at >= cast('"), "{blocks}");
    for path in ["intermediate/int_onchain_daily.sql", "marts/fct_onchain_daily.sql", "marts/fct_price_ohlcv.sql", "reporting/rpt_price_indicators_daily.sql"] {
        let sql = compiled(path);
        assert!(sql.contains("cast('2026-11-"), "{path} filters on a constant day:\n{sql}");
        assert!(!sql.contains("(select max("), "{path} has no watermark subquery:\n{sql}");
    }
    let indicator_days: i64 = open(&db)
        .query_row("select count(*) from main_reporting.rpt_price_indicators_daily where date_day = date '2026-11-20'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(indicator_days, 1, "the new day reached the indicators");

    let rebuilt = project.dir.path().join("target/rebuilt.duckdb");
    std::fs::copy(&db, &rebuilt).expect("copy warehouse");
    let full = project.transform_db(&rebuilt, &["build", "--full-refresh"], &[]);
    assert_eq!(full.code, 0, "full refresh:\n{}", full.all);

    let (inc, reb) = (open(&db), open(&rebuilt));
    let names = tables(&inc);
    assert!(names.len() >= 23, "staging, intermediate, marts and reports: {names:?}");
    assert_eq!(names, tables(&reb));
    for table in &names {
        let ((cols, a), (_, b)) = (rows(&inc, table), rows(&reb, table));
        assert_eq!(a.len(), b.len(), "{table}: {} rows incrementally, {} rebuilt", a.len(), b.len());
        for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
            for (c, name) in cols.iter().enumerate() {
                // The report's build time is the only wall-clock column.
                if name == "generated_at" {
                    continue;
                }
                assert!(same(&ra[c], &rb[c]), "{table} row {i} column {name}: {:?} incrementally, {:?} rebuilt", ra[c], rb[c]);
            }
        }
    }
}
