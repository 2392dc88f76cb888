//! Snapshots (dbt's SCD2 tables) run twice on changed data, on DuckDB and on the BigQuery emulator:
//! a `{% snapshot %}` block with the timestamp strategy, one with the check strategy on a list key
//! with `hard_deletes: new_record`, and a YAML snapshot with `check_cols: all`, renamed meta columns,
//! `dbt_valid_to_current` and `invalidate`. The rows are snapshotted (insta) with the run's own
//! clock replaced by `<now>`; both warehouses keep the same versions.

mod bigquery_emulator;
mod common;

use common::Fixture;

const SNAPSHOTS: &str = r#"
{% snapshot items_ts %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', target_schema=target.schema ~ '_snapshots') }}
select * from {{ ref('stg_items') }}
{% endsnapshot %}

{% snapshot items_check %}
{{ config(unique_key=['id', 'kind'], strategy='check', check_cols=['name', 'price'], hard_deletes='new_record') }}
select * from {{ ref('stg_items') }}
{% endsnapshot %}
"#;

const YAML_SNAPSHOT: &str = r#"
snapshots:
  - name: items_yaml
    relation: ref('stg_items')
    description: every column checked
    config:
      unique_key: id
      strategy: check
      check_cols: all
      hard_deletes: invalidate
      snapshot_meta_column_names: {dbt_valid_from: valid_from, dbt_valid_to: valid_to}
      dbt_valid_to_current: "cast('9999-12-31' as timestamp)"
    columns:
      - name: id
        data_tests: [not_null]
"#;

const FIRST: &str = "id,kind,name,price,updated_at\n1,a,apple,15,2024-01-01 00:00:00\n2,b,banana,5,2024-01-01 00:00:00\n3,c,cherry,30,2024-01-01 00:00:00\n";
/// 1 renamed (newer updated_at), 2 deleted, 3 unchanged, 4 new.
const SECOND: &str = "id,kind,name,price,updated_at\n1,a,apricot,15,2024-02-01 00:00:00\n3,c,cherry,30,2024-01-01 00:00:00\n4,d,date,90,2024-02-01 00:00:00\n";

fn project() -> Fixture {
    let f = Fixture::new();
    f.write("seeds/raw_items.csv", FIRST);
    f.write(
        "models/staging/stg_items.sql",
        "select cast(id as int) as id, kind, name, cast(price as int) as price, cast(updated_at as timestamp) as updated_at\nfrom {{ ref('raw_items') }}\n",
    );
    f.write("snapshots/items.sql", SNAPSHOTS);
    f.write("snapshots/items.yml", YAML_SNAPSHOT);
    f
}

/// The columns of each snapshot, cast to text in the warehouse's SQL (`string`: its string type).
fn queries(schema: &str, snap_schema: &str, string: &str) -> Vec<(&'static str, String)> {
    let t = |c: &str| format!("cast({c} as {string})");
    // The scd id last: `render` recognises it there.
    let meta = |from: &str, to: &str| format!("{}, {}, {}, {}", t(from), t(to), t("dbt_updated_at"), t("dbt_scd_id"));
    vec![
        ("items_ts", format!("select id, name, {} from {snap_schema}.items_ts order by 1, 3", meta("dbt_valid_from", "dbt_valid_to"))),
        (
            "items_check",
            format!("select id, kind, name, price, dbt_is_deleted, {} from {schema}.items_check order by 1, 5, 6", meta("dbt_valid_from", "dbt_valid_to")),
        ),
        ("items_yaml", format!("select id, name, {} from {schema}.items_yaml order by 1, 3", meta("valid_from", "valid_to"))),
    ]
}

/// A value from this run's clock (the fixture's data is from 2024; 9999 is `dbt_valid_to_current`).
fn normalize(v: String) -> String {
    let year: u32 = v.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    match year {
        2025..9000 => "<now>".into(),
        0 => v,
        // BigQuery writes `2024-01-01T00:00:00`, DuckDB `2024-01-01 00:00:00`.
        _ => v.trim_end_matches("+00").replacen('T', " ", 1),
    }
}

/// Rows as text; a scd id hashed from the clock (check strategy, deletions) is `<hash of now>`.
fn render(rows: Vec<Vec<String>>) -> String {
    rows.into_iter()
        .map(|r| {
            let has_now = r.iter().any(|v| normalize(v.clone()) == "<now>");
            let mut cells: Vec<String> = r.into_iter().map(normalize).collect();
            if let (true, Some(scd)) = (has_now, cells.last_mut()) {
                *scd = "<hash of now>".into();
            }
            cells.join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds, changes the data, snapshots again; returns the rendered tables after each run.
fn two_runs(f: &Fixture, query: &dyn Fn(&str) -> Vec<Vec<String>>, schema: &str, snap_schema: &str, string: &str) -> String {
    let mut out = String::new();
    for (run, data) in [(1, FIRST), (2, SECOND)] {
        f.write("seeds/raw_items.csv", data);
        let o = if run == 1 { f.expect(&["build"], 0) } else { f.expect(&["build", "-s", "raw_items+"], 0) };
        assert!(o.stdout.contains("OK snapshotted"), "{}", o.stdout);
        for (name, sql) in queries(schema, snap_schema, string) {
            out.push_str(&format!("## run {run}: {name}\n{}\n\n", render(query(&sql))));
        }
    }
    out
}

#[test]
fn snapshots_keep_history_on_duckdb() {
    let f = project();
    let query = |sql: &str| f.query(sql).into_iter().map(|r| r.into_iter().map(duck_text).collect()).collect();
    let all = two_runs(&f, &query, "main", "main_snapshots", "varchar");
    // The dbt_scd_ids are those dbt-duckdb computes for the same rows (md5 of `id|updated_at`).
    insta::assert_snapshot!("scd2_rows_duckdb", all);
    // Hard deletes are ignored by default: banana stays current in items_ts, closed in items_check.
    assert_eq!(f.count("select count(*) from main_snapshots.items_ts where dbt_valid_to is null"), 4);
    assert_eq!(f.count("select count(*) from main.items_check where dbt_valid_to is null and dbt_is_deleted = 'True'"), 1);
    // As in dbt, selecting the snapshots selects their tests too (eager indirect selection).
    let ls = f.expect(&["ls", "-s", "resource_type:snapshot", "--output", "name"], 0);
    assert_eq!(ls.stdout.lines().collect::<Vec<_>>(), vec!["items_check", "items_ts", "items_yaml", "not_null_items_yaml_id"]);
}

/// DuckDB values as `Fixture::query` prints them (`Text("x")`, `Int(1)`, `Null`) → plain text.
fn duck_text(v: String) -> String {
    let inner = v.split_once('(').map(|(_, r)| r.trim_end_matches(')').trim_matches('"').to_string());
    match v.as_str() {
        "Null" => "NULL".into(),
        _ => inner.unwrap_or(v),
    }
}

#[test]
fn snapshots_keep_history_on_the_bigquery_emulator() {
    let Some(emu) = bigquery_emulator::Emulator::start() else { return };
    let f = project();
    f.write("profiles.yml", &emu.profile("jaffle", "main"));
    let bq = emu.connect("main");
    let query = |sql: &str| {
        let sql = sql.replace(" main.", " `test-project`.main.").replace(" main_snapshots.", " `test-project`.main_snapshots.");
        let rows = transform::warehouse::Warehouse::query(&bq, &sql, 1000).unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.rows
            .into_iter()
            .map(|r| r.into_iter().map(|v| v.as_str().map(String::from).unwrap_or_else(|| if v.is_null() { "NULL".into() } else { v.to_string() })).collect())
            .collect()
    };
    let all = two_runs(&f, &query, "main", "main_snapshots", "string");
    // The same versions as on DuckDB; the ids differ only because BigQuery's text of a timestamp does.
    insta::assert_snapshot!("scd2_rows_bigquery", all);
}
