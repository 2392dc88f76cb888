//! Snapshots (insta) of the SQL that `compile` writes for every model and test of the fixture
//! project, and of the incremental model's SQL once its table exists (`is_incremental()` true).

mod common;

use common::Fixture;

fn compiled_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("compiled dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            compiled_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn compiled_sql_of_every_node() {
    let f = Fixture::new();
    f.expect(&["compile"], 0);
    let root = f.path("target/compiled/jaffle");
    let mut files = vec![];
    compiled_files(&root, &mut files);
    files.sort();
    assert_eq!(files.len(), 19, "6 models (the ephemeral one too, as dbt writes it), 1 singular and 12 generic tests: {files:?}");
    for file in files {
        let rel = file.strip_prefix(&root).expect("under root").to_string_lossy().replace('/', "__");
        let sql = std::fs::read_to_string(&file).expect("read compiled");
        insta::assert_snapshot!(rel, sql);
    }
}

#[test]
fn incremental_sql_once_the_table_exists() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    f.expect(&["compile", "-s", "orders", "--exclude", "test_type:generic"], 0);
    insta::assert_snapshot!("orders_is_incremental", f.read("target/compiled/jaffle/models/marts/orders.sql"));
    f.expect(&["compile", "-s", "orders", "--exclude", "test_type:generic", "--vars", "{min_order_amount: 5}"], 0);
    let sql = f.read("target/compiled/jaffle/models/marts/orders.sql");
    assert!(sql.contains(">= 5"), "{sql}");
}
