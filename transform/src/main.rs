//! `transform`: the dbt-style CLI (skeleton; see issue "transform: a dbt-compatible CLI in Rust on embedded DuckDB").
fn main() {
    let conn = duckdb::Connection::open_in_memory().expect("duckdb opens in memory");
    let v: String = conn.query_row("select version()", [], |r| r.get(0)).expect("version query");
    println!("duckdb {v}");
}
