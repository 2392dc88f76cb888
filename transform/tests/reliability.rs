//! Careless and hostile inputs to the project commands (issue 10): two nodes on one relation fail at
//! parse with dbt's ambiguous-relation error and nothing is built; `show` changes nothing; selectors
//! that match nothing warn as dbt does and invalid ones exit 2; a file in place of the target dir and
//! a bad `threads:` are one clear error before any node runs.

mod common;

use common::Fixture;

fn tables(f: &Fixture) -> i64 {
    if !f.path("target/dev.duckdb").exists() {
        return 0;
    }
    f.count("select count(*) from information_schema.tables where table_schema not in ('information_schema', 'pg_catalog')")
}

#[test]
fn two_nodes_on_one_relation_fail_at_parse_and_build_nothing() {
    let clashes: [(&str, &str, &[&str]); 4] = [
        ("models/marts/dim_orders.sql", "{{ config(alias='orders') }}\nselect 1 as x\n", &["model.jaffle.orders", "model.jaffle.dim_orders"]),
        // The same relation reached through `schema` + `alias` from another folder.
        ("models/staging/other.sql", "{{ config(schema='marts', alias='customers') }}\nselect 1 as x\n", &["model.jaffle.customers", "model.jaffle.other"]),
        // DuckDB identifiers ignore case: ORDERS and orders are one table.
        ("models/marts/ORDERS.sql", "select 1 as x\n", &["model.jaffle.ORDERS", "model.jaffle.orders"]),
        // A model on a seed's relation.
        ("models/staging/raw_copy.sql", "{{ config(schema='raw', alias='raw_orders') }}\nselect 1 as x\n", &["seed.jaffle.raw_orders", "model.jaffle.raw_copy"]),
    ];
    for (file, sql, culprits) in clashes {
        let f = Fixture::new();
        f.write(file, sql);
        for command in ["parse", "build"] {
            let o = f.expect(&[command], 2);
            let all = o.all();
            assert!(all.contains("dbt found two resources with the database representation"), "{file}: {all}");
            for uid in culprits {
                assert!(all.contains(uid), "{file}: the error names {uid}:\n{all}");
            }
            assert!(!o.stdout.contains(" of "), "{file}: no node ran:\n{all}");
        }
        assert_eq!(tables(&f), 0, "{file}: nothing was built");
    }
}

#[test]
fn show_runs_read_only() {
    let f = Fixture::new();
    f.expect(&["seed"], 0);
    let rows = f.count("select count(*) from main_raw.raw_orders");
    for sql in [
        "drop table main_raw.raw_orders",
        "select 1 as a; drop table main_raw.raw_orders",
        "commit; drop table main_raw.raw_orders",
        "delete from main_raw.raw_orders",
        "create table main_raw.x as select 1 as a",
    ] {
        let o = f.expect(&["show", "--inline", sql], 2);
        assert!(o.stderr.contains("only a query (SELECT) can be shown"), "{sql}: {}", o.all());
    }
    assert_eq!(f.count("select count(*) from main_raw.raw_orders"), rows, "the seed is untouched");
    assert_eq!(f.count("select count(*) from information_schema.tables where table_name = 'x'"), 0);
    // A query that would write (a sequence's next value) fails in the read-only transaction.
    {
        let conn = duckdb::Connection::open(f.path("target/dev.duckdb")).expect("open");
        conn.execute_batch("create sequence main_raw.seq").expect("sequence");
    }
    let o = f.expect(&["show", "--inline", "select nextval('main_raw.seq') as n"], 2);
    assert!(o.stderr.contains("read-only"), "{}", o.all());
    let o = f.expect(&["show", "--inline", "select count(*) as n from main_raw.raw_orders"], 0);
    assert!(o.stdout.contains(&format!("| {rows} |")), "{}", o.stdout);
}

#[test]
fn selectors_matching_nothing_warn_and_invalid_ones_exit_2() {
    let f = Fixture::new();
    let o = f.expect(&["run", "-s", "no_such_model"], 0);
    assert!(o.stdout.contains("The selection criterion 'no_such_model' does not match any enabled nodes"), "{}", o.stdout);
    assert!(o.stdout.contains("Nothing to do. Try checking your model configs and model specification args"), "{}", o.stdout);
    // Each member of the union is judged alone; the exclude list too.
    let o = f.expect(&["ls", "-s", "orders tag:nope", "--exclude", "nothing_here"], 0);
    assert!(o.stdout.contains("'tag:nope' does not match") && o.stdout.contains("'nothing_here' does not match"), "{}", o.stdout);
    assert!(o.stdout.contains("jaffle.marts.orders") && !o.stdout.contains("'orders' does not"), "{}", o.stdout);
    let o = f.expect(&["ls", "-s", "no_such_model"], 0);
    assert!(o.stdout.contains("No nodes selected!"), "{}", o.stdout);
    for bad in ["@@@+++", "@orders+"] {
        let o = f.expect(&["run", "-s", bad], 2);
        assert!(o.stderr.contains(&format!("invalid selector `{bad}`: \"@\" prefix and \"+\" suffix are incompatible")), "{}", o.all());
    }
    let o = f.expect(&["ls", "-s", "colour:red"], 2);
    assert!(o.stderr.contains("unknown method `colour`"), "{}", o.all());
}

#[test]
fn a_file_for_target_dir_and_bad_threads_are_named_before_any_node_runs() {
    let f = Fixture::new();
    f.write("target", "not a directory");
    let o = f.expect(&["build"], 2);
    assert!(o.stderr.contains("target-path `target`") && o.stderr.contains("it is a file, not a directory"), "{}", o.all());
    assert!(!o.stdout.contains("ERROR") && !o.stdout.contains(" of "), "no node ran:\n{}", o.all());
    assert_eq!(o.stderr.matches("not a directory").count(), 1, "one error, said once:\n{}", o.stderr);

    let f = Fixture::new();
    for threads in ["-3", "0", "1.5", "many"] {
        let profiles: Vec<String> = f.read("profiles.yml").lines().map(|l| if l.contains("threads:") { format!("      threads: {threads}") } else { l.to_string() }).collect();
        f.write("profiles.yml", &profiles.join("\n"));
        let o = f.expect(&["run"], 2);
        assert!(o.stderr.contains("at path ['threads']") && o.stderr.contains("not a positive integer"), "{threads}: {}", o.all());
    }
    let o = f.expect(&["run", "--threads", "0"], 2);
    assert!(o.stderr.contains("--threads"), "{}", o.all());
}
