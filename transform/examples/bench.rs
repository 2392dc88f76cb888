//! Benchmark: generates a synthetic dbt project of N models (each `ref()`s earlier ones and uses
//! `{% set %}`, `{% for %}`, `{% if %}`, `var()` and a macro; two generic tests per model) and
//! times `transform parse` and `transform compile` on it, then the per-model `run` overhead
//! beyond DuckDB's own time. Numbers are reported, never asserted.
//!
//!   cargo run -p transform --no-default-features --example bench -- [N ...]      (default: 1000 10000)
//!   cargo run -p transform --no-default-features --example bench -- --generate N DIR

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const MODELS_PER_DIR: usize = 100;

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn model_sql(i: usize) -> String {
    if i == 0 {
        return "select 1 as id, 2 as a, 3 as b".to_string();
    }
    let parents = [i - 1, i / 2];
    format!(
        r#"{{{{ config(materialized='table' if {i} % 10 == 0 else 'view', tags=['group_{g}']) }}}}
{{% set cols = ['a', 'b'] %}}
{{% set threshold = var('threshold', 0) %}}
select
    p0.id,
{{% for c in cols %}}    {{{{ scaled('p0.' ~ c, loop.index) }}}} as {{{{ c }}}},
{{% endfor %}}    p1.a as parent_a
from {{{{ ref('model_{p0}') }}}} p0
join {{{{ ref('model_{p1}') }}}} p1 using (id)
{{% if threshold > 0 %}}where p0.a > {{{{ threshold }}}}{{% endif %}}
"#,
        g = i % 7,
        p0 = parents[0],
        p1 = parents[1],
    )
}

fn schema_yml(dir: usize, n: usize) -> String {
    let mut s = String::from("version: 2\nmodels:\n");
    for i in dir * MODELS_PER_DIR..((dir + 1) * MODELS_PER_DIR).min(n) {
        s.push_str(&format!("  - name: model_{i}\n    columns:\n      - name: id\n        data_tests: [not_null, unique]\n"));
    }
    s
}

/// Writes the synthetic project (with a DuckDB profile) into `dir`.
pub fn generate(n: usize, dir: &Path) {
    write(&dir.join("dbt_project.yml"), "name: synthetic\nprofile: synthetic\nconfig-version: 2\nvars:\n  threshold: 0\n");
    write(&dir.join("profiles.yml"), "synthetic:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/bench.duckdb\n      threads: 1\n");
    write(&dir.join("macros/scaled.sql"), "{% macro scaled(col, factor) -%}\n    ({{ col }} * {{ factor }})\n{%- endmacro %}\n");
    for i in 0..n {
        write(&dir.join(format!("models/d{}/model_{i}.sql", i / MODELS_PER_DIR)), &model_sql(i));
    }
    for d in 0..n.div_ceil(MODELS_PER_DIR) {
        write(&dir.join(format!("models/d{d}/schema.yml")), &schema_yml(d, n));
    }
}

/// Wall seconds, CPU seconds (user + sys of the child) and peak RSS (MiB) of one CLI invocation.
fn time_cli(dir: &Path, args: &[&str]) -> (f64, f64, f64) {
    let bin = std::env::current_exe().ok().and_then(|p| p.parent().and_then(|d| d.parent()).map(|d| d.join("transform"))).expect("transform binary");
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%U %S %M", "-o", "/tmp/transform-bench-time"])
        .arg(&bin)
        .args(args)
        .arg("--project-dir")
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .expect("run transform");
    let wall = start.elapsed().as_secs_f64();
    assert!(status.success(), "transform {args:?} failed");
    let fields: Vec<f64> = std::fs::read_to_string("/tmp/transform-bench-time")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|x| x.parse::<f64>().ok())
        .collect();
    let cpu = fields.iter().take(2).sum();
    let rss_mib = fields.get(2).copied().unwrap_or(0.0) / 1024.0;
    (wall, cpu, rss_mib)
}

/// The fastest of `n` runs (the machine is shared; the minimum is the least disturbed); the largest RSS.
fn best_of(n: usize, mut f: impl FnMut() -> (f64, f64, f64)) -> (f64, f64, f64) {
    (0..n).map(|_| f()).fold((f64::MAX, f64::MAX, 0.0), |(w, c, m), (w2, c2, m2)| (w.min(w2), c.min(c2), m.max(m2)))
}

/// Per-model overhead of `run`: the CLI's time for N trivial views minus DuckDB's own time to
/// create the same N views directly, divided by N.
fn run_overhead(n: usize) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("dbt_project.yml"), "name: overhead\nprofile: overhead\n");
    write(&dir.path().join("profiles.yml"), "overhead:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/o.duckdb\n      threads: 1\n");
    for i in 0..n {
        write(&dir.path().join(format!("models/m_{i}.sql")), "select 1 as id");
    }
    time_cli(dir.path(), &["run"]); // first run creates the views
    let (run_wall, _, _) = best_of(3, || time_cli(dir.path(), &["run"]));
    let (parse_wall, _, _) = best_of(3, || time_cli(dir.path(), &["parse"]));
    let conn = duckdb::Connection::open(dir.path().join("target/raw.duckdb")).expect("duckdb");
    let mut raw = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for i in 0..n {
            conn.execute_batch(&format!("create or replace view \"main\".\"m_{i}\" as (\nselect 1 as id\n)")).expect("view");
        }
        raw = raw.min(start.elapsed().as_secs_f64());
    }
    ((run_wall - raw - parse_wall).max(0.0) / n as f64 * 1000.0, run_wall, raw)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        let n = args.get(1).and_then(|s| s.parse().ok()).expect("--generate N DIR");
        generate(n, Path::new(args.get(2).expect("--generate N DIR")));
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() { vec![1000, 10000] } else { args.iter().filter_map(|a| a.parse().ok()).collect() };
    println!("| models | tests | parse wall (s) | parse CPU (s) | compile wall (s) | compile CPU (s) | parse peak RSS (MiB) | compile peak RSS (MiB) |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        generate(n, dir.path());
        let (pw, pc, pm) = best_of(3, || time_cli(dir.path(), &["parse"]));
        let (cw, cc, cm) = best_of(3, || time_cli(dir.path(), &["compile"]));
        println!("| {n} | {} | {pw:.2} | {pc:.2} | {cw:.2} | {cc:.2} | {pm:.0} | {cm:.0} |", 2 * n);
        summary.push(format!("BENCH name=parse_{n}_models ours={pw:.3} peer= unit=s_wall\nBENCH name=compile_{n}_models ours={cw:.3} peer= unit=s_wall"));
    }
    let (per_model, run_wall, raw) = run_overhead(1000);
    println!("\nrun overhead: {per_model:.2} ms per model (1000 views: run {run_wall:.2} s, DuckDB alone {raw:.2} s, parse subtracted)");
    // Summary lines for scripts/bench.sh.
    println!("{}\nBENCH name=run_overhead_1000_views ours={per_model:.3} peer= unit=ms/model", summary.join("\n"));
}
