//! Adapter behaviours, written against the `Warehouse` trait so every adapter runs the same
//! checks: one inner module per warehouse (`mod duckdb` here; BigQuery's emulator adds its own).

mod bigquery_emulator;

use std::path::Path;
use std::sync::Arc;

use transform::project::profiles::Target;
use transform::project::{Config, RelationName};
use transform::warehouse::{self, IncrementalPlan, RelationKind, Warehouse};

fn rel(wh: &dyn Warehouse, name: &str) -> RelationName {
    RelationName { database: wh.database().into(), schema: wh.schema().into(), identifier: name.into() }
}

fn count(wh: &dyn Warehouse, sql: &str) -> i64 {
    wh.query(sql, 1).expect("query").rows[0][0].as_i64().expect("integer")
}

/// The behaviours every adapter must have.
fn relation_kinds_and_columns(wh: &dyn Warehouse) {
    let t = rel(wh, "kinds");
    assert_eq!(wh.relation_kind(&t).expect("kind"), None);
    wh.build_table(&t, "select 1 as id, 'a' as name", &Config::default()).expect("table");
    assert_eq!(wh.relation_kind(&t).expect("kind"), Some(RelationKind::Table));
    let cols: Vec<String> = wh.columns(&t).expect("columns").into_iter().map(|c| c.name).collect();
    assert_eq!(cols, vec!["id", "name"]);
    let v = rel(wh, "kinds_view");
    wh.execute(&wh.create_view_sql(&wh.render_relation(&v), "select 1 as id", &Config::default())).expect("view");
    assert_eq!(wh.relation_kind(&v).expect("kind"), Some(RelationKind::View));
}

fn failed_table_build_keeps_old_table(wh: &dyn Warehouse) {
    let t = rel(wh, "swap");
    wh.build_table(&t, "select 1 as id union all select 2", &Config::default()).expect("first build");
    assert!(wh.build_table(&t, "select no_such_column", &Config::default()).is_err());
    assert_eq!(count(wh, &format!("select count(*) from {}", wh.render_relation(&t))), 2);
}

fn merge_updates_and_inserts(wh: &dyn Warehouse) {
    let (t, s) = (rel(wh, "merge_target"), rel(wh, "merge_source"));
    wh.build_table(&t, "select 1 as id, 'old' as v union all select 2, 'keep'", &Config::default()).expect("target");
    wh.build_table(&s, "select 1 as id, 'new' as v union all select 3, 'added'", &Config::default()).expect("source");
    let cols = vec![wh.quote("id"), wh.quote("v")];
    let (target, tmp) = (wh.render_relation(&t), wh.render_relation(&s));
    let plan = IncrementalPlan {
        strategy: "merge",
        target: &target,
        tmp: &tmp,
        unique_key: &["id".to_string()],
        columns: &cols,
        update_columns: &cols,
        predicates: &[],
        config: &Config::default(),
    };
    for stmt in wh.incremental_sql(&plan).expect("merge sql") {
        wh.execute(&stmt).expect("merge");
    }
    assert_eq!(count(wh, &format!("select count(*) from {target}")), 3);
    assert_eq!(count(wh, &format!("select count(*) from {target} where v = 'new'")), 1);
}

fn seeds_load_with_type_overrides(wh: &dyn Warehouse, dir: &Path) {
    let csv = dir.join("seed.csv");
    std::fs::write(&csv, "id;code\n1;007\n2;010\n").expect("csv");
    let cfg = serde_json::json!({"column_types": {"code": "VARCHAR"}, "delimiter": ";"});
    let types = Config(cfg.as_object().cloned().unwrap_or_default());
    let t = rel(wh, "seeded");
    assert_eq!(wh.load_seed(&t, &csv, &types).expect("seed"), 2);
    let rows = wh.query(&format!("select code from {} order by id", wh.render_relation(&t)), 10).expect("rows");
    assert_eq!(rows.rows[0][0], "007", "column_types keep leading zeros; the delimiter is honoured");
}

mod duckdb {
    use super::*;

    fn open(dir: &Path) -> Arc<dyn Warehouse> {
        let fields = serde_json::json!({"type": "duckdb", "path": dir.join("w.duckdb").to_string_lossy()});
        let target = Target {
            profile_name: "p".into(),
            name: "dev".into(),
            adapter_type: "duckdb".into(),
            threads: 1,
            fields: fields.as_object().cloned().unwrap_or_default(),
            profiles_file: dir.join("profiles.yml"),
        };
        warehouse::adapters::connect(&target, dir).expect("connect")
    }

    #[test]
    fn relation_kinds_and_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        super::relation_kinds_and_columns(open(dir.path()).as_ref());
    }

    #[test]
    fn failed_table_build_keeps_old_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        super::failed_table_build_keeps_old_table(open(dir.path()).as_ref());
    }

    #[test]
    fn merge_updates_and_inserts() {
        let dir = tempfile::tempdir().expect("tempdir");
        super::merge_updates_and_inserts(open(dir.path()).as_ref());
    }

    #[test]
    fn seeds_load_with_type_overrides() {
        let dir = tempfile::tempdir().expect("tempdir");
        super::seeds_load_with_type_overrides(open(dir.path()).as_ref(), dir.path());
    }
}

mod bigquery {
    use super::bigquery_emulator::Emulator;
    use super::Warehouse;

    /// One emulator for all behaviours (starting one takes seconds).
    #[test]
    fn adapter_behaviours() {
        let Some(emu) = Emulator::start() else { return };
        let bq = emu.connect("behaviours");
        bq.create_schema(bq.database(), bq.schema()).expect("dataset");
        let wh: &dyn super::Warehouse = &bq;
        super::relation_kinds_and_columns(wh);
        super::failed_table_build_keeps_old_table(wh);
        super::merge_updates_and_inserts(wh);
        let dir = tempfile::tempdir().expect("tempdir");
        super::seeds_load_with_type_overrides(wh, dir.path());
    }
}
