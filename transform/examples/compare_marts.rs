//! Compares the marts and reports of two targets of one profile row for row (the BigQuery parity
//! check of scripts/bigquery-parity.sh): every table of the given schemas on the first target, read
//! from both ordered by all columns; floats equal within 1e-9 relative. Wall-clock columns (a build
//! time, a snapshot stamped when the source was read) are named with `--ignore TABLE.COLUMN`.
//!
//!   cargo run -p transform --no-default-features --example compare_marts -- \
//!     PROFILES_DIR PROFILE TARGET_A TARGET_B SCHEMA... [--ignore TABLE.COLUMN]...

use std::path::Path;

use serde_json::Value as Json;
use transform::project::profiles::load_target;
use transform::warehouse::adapters::connect;
use transform::warehouse::Warehouse;

fn same(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

fn tables(wh: &dyn Warehouse, schema: &str) -> anyhow::Result<Vec<String>> {
    let sql = format!("select table_name from information_schema.tables where table_schema = '{schema}' order by 1");
    Ok(wh.query(&sql, 100_000)?.rows.iter().filter_map(|r| r[0].as_str().map(String::from)).collect())
}

/// Differences between the two targets' copies of one table (empty when equal).
fn compare(a: &dyn Warehouse, b: &dyn Warehouse, schema: &str, table: &str, ignore: &[String]) -> anyhow::Result<Vec<String>> {
    let rel = |wh: &dyn Warehouse| format!("{}.{}", wh.quote(schema), wh.quote(table));
    let cols = a.query(&format!("select * from {} limit 0", rel(a)), 0)?.columns;
    let order: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
    let read = |wh: &dyn Warehouse| wh.query(&format!("select * from {} order by {}", rel(wh), order.join(", ")), 10_000_000);
    let (ra, rb) = (read(a)?, read(b)?);
    let mut diffs = vec![];
    if ra.rows.len() != rb.rows.len() {
        diffs.push(format!("{} rows vs {}", ra.rows.len(), rb.rows.len()));
    }
    for (i, (x, y)) in ra.rows.iter().zip(&rb.rows).enumerate() {
        for (c, name) in cols.iter().enumerate() {
            let ignored = ignore.contains(&format!("{table}.{name}"));
            if !ignored && !same(&x[c], &y[c]) && diffs.len() < 5 {
                diffs.push(format!("row {i} column {name}: {} vs {}", x[c], y[c]));
            }
        }
    }
    Ok(diffs)
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = vec![];
    let mut ignore: Vec<String> = vec![];
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ignore" => ignore.push(it.next().ok_or_else(|| anyhow::anyhow!("--ignore needs TABLE.COLUMN"))?),
            _ => args.push(a),
        }
    }
    let [dir, profile, ta, tb, schemas @ ..] = args.as_slice() else {
        anyhow::bail!("usage: compare_marts PROFILES_DIR PROFILE TARGET_A TARGET_B SCHEMA...");
    };
    let path = Path::new(dir).join("profiles.yml");
    let a = connect(&load_target(&path, profile, Some(ta), None, &Default::default())?, Path::new("."))?;
    let b = connect(&load_target(&path, profile, Some(tb), None, &Default::default())?, Path::new("."))?;
    let (mut checked, mut failed) = (0, 0);
    for schema in schemas {
        for table in tables(a.as_ref(), schema)? {
            let diffs = compare(a.as_ref(), b.as_ref(), schema, &table, &ignore)?;
            checked += 1;
            if diffs.is_empty() {
                println!("same     {schema}.{table}");
            } else {
                failed += 1;
                println!("DIFFERS  {schema}.{table}: {}", diffs.join("; "));
            }
        }
    }
    println!("{checked} tables compared, {failed} differ");
    anyhow::ensure!(checked > 0 && failed == 0, "the targets differ");
    Ok(())
}
