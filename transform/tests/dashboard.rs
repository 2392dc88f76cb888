//! `transform dashboard` and `transform docs generate` on the fixture project, without a browser: the
//! HTTP API (columnar JSON, CSV, SQL and models per panel, security headers, the token, loopback Host),
//! panel file errors, the static export, catalog.json's shape, and on the BigQuery emulator panels that
//! scan only the partitions in range and cost one query per panel per refresh.

mod bigquery_emulator;
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use common::Fixture;
use serde_json::Value as Json;

const SHOP: &str = "version: 1
title: Shop
layers: [marts]
panels:
  - name: headline
    kind: kpi
    sql: select count(*) as orders, sum(amount) as revenue from {{ ref('orders') }}
    items: [{column: orders, label: Orders, format: int}, {column: revenue, format: usd}]
  - name: daily
    kind: timeseries
    model: orders
    select: [order_date, amount]
    order_by: order_date
    x: order_date
    series: [{column: amount, label: Amount, type: bar}]
  - name: top
    kind: table
    sql: select first_name, lifetime_value from {{ ref('customers') }} order by lifetime_value desc
  - name: health
    kind: health
";

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(f: &Fixture, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_transform"))
            .args(["dashboard", "serve", "--port", "0"])
            .args(extra)
            .current_dir(f.dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(l)) if l.contains(" at http://") => break l.split(" at http://").nth(1).and_then(|r| r.split('/').next()).expect("addr").to_string(),
                Some(Ok(_)) => continue,
                _ => {
                    let mut err = String::new();
                    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                    panic!("server did not start: {err}");
                }
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr }
    }

    /// (status, headers text, body) of a GET with extra request headers.
    fn get(&self, path: &str, headers: &[&str]) -> (u16, String, String) {
        let mut s = std::net::TcpStream::connect(&self.addr).expect("connect");
        let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
        let host = if headers.iter().any(|h| h.to_lowercase().starts_with("host:")) { String::new() } else { format!("Host: {}\r\n", self.addr) };
        write!(s, "GET {path} HTTP/1.0\r\n{host}{extra}\r\n").expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        let (head, body) = text.split_once("\r\n\r\n").expect("response");
        let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
        (status, head.to_lowercase(), body.to_string())
    }

    fn json(&self, path: &str) -> Json {
        let (status, _, body) = self.get(path, &[]);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("json")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn built() -> Fixture {
    let f = Fixture::new();
    f.write("dashboards/shop.yml", SHOP);
    f.expect(&["build"], 0);
    f
}

#[test]
fn panels_come_as_columnar_json_csv_and_their_sql() {
    let f = built();
    let s = Server::start(&f, &[]);
    let meta = s.json("/api/dashboard");
    assert_eq!(meta["title"], "Shop");
    let daily = &meta["panels"][1];
    assert_eq!(daily["sql"].as_str().map(|q| q.contains("from \"dev\".\"main_marts\".\"orders\"")), Some(true), "{daily}");
    assert_eq!(daily["models"][0]["unique_id"], "model.jaffle.orders");
    assert_eq!(daily["models"][0]["path"], "models/marts/orders.sql");

    let d = s.json("/api/panels/daily");
    let n = f.count("select count(*) from main_marts.orders");
    assert_eq!(d["rows"].as_i64(), Some(n));
    assert_eq!(d["columns"][0], serde_json::json!({"name": "order_date", "type": "date"}));
    assert_eq!(d["data"][0].as_array().map(Vec::len), Some(n as usize), "one array per column");
    assert!(d["data"][0][0].is_i64(), "dates are epoch ms: {}", d["data"][0][0]);
    assert_eq!(d["as_of_type"], "date");

    let (status, head, csv) = s.get("/api/panels/daily.csv", &[]);
    assert_eq!(status, 200);
    assert!(head.contains("content-disposition: attachment; filename=\"daily.csv\""), "{head}");
    assert_eq!(csv.lines().next(), Some("order_date,amount"));
    assert_eq!(csv.lines().count() as i64, n + 1);
    assert!(csv.lines().nth(1).is_some_and(|l| l.starts_with("2024-")), "{csv}");

    let h = s.json("/api/panels/health");
    assert_eq!(h["rows"].as_i64(), Some(3), "one row per source table: {h}");
    assert_eq!(h["tests"]["summary"]["fail"], 0);
    assert!(h["tests"]["summary"]["pass"].as_i64().is_some_and(|p| p > 0), "{h}");

    let (status, _, body) = s.get("/api/panels/nope", &[]);
    assert_eq!((status, body.contains("no panel `nope`")), (404, true), "{body}");
    let (status, _, _) = s.get("/api/panels/daily?sql=select%201", &[]);
    assert_eq!(status, 200, "query parameters are ignored: the browser cannot send SQL");
}

#[test]
fn pages_carry_the_security_headers_and_the_token_is_required() {
    let f = built();
    let s = Server::start(&f, &["--auth-token", "s3cret-token"]);
    let (status, head, _) = s.get("/api/dashboard", &[]);
    assert_eq!(status, 401);
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    assert_eq!(s.get("/api/dashboard", &["Authorization: Bearer wrong"]).0, 401);
    assert_eq!(s.get("/api/dashboard", &["Authorization: Bearer s3cret-token"]).0, 200);
    let (status, head, _) = s.get("/?token=s3cret-token&daily.range=1M", &[]);
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("location: /?daily.range=1m"), "the token leaves the URL: {head}");
    assert!(head.contains("set-cookie: transform_token=s3cret-token; httponly; samesite=strict"), "{head}");
    assert_eq!(s.get("/", &["Cookie: transform_token=s3cret-token"]).0, 200);
    let (status, head, _) = s.get("/", &["Cookie: transform_token=s3cret-token"]);
    assert_eq!(status, 200);
    for h in ["x-content-type-options: nosniff", "x-frame-options: deny", "referrer-policy: no-referrer", "script-src 'self'", "style-src 'self'"] {
        assert!(head.contains(h), "{h} missing: {head}");
    }
    assert_eq!(s.get("/", &["Host: attacker.example", "Cookie: transform_token=s3cret-token"]).0, 421, "DNS rebinding guard");
}

#[test]
fn panel_files_that_read_raw_tables_or_other_layers_are_rejected() {
    let f = Fixture::new();
    f.write("dashboards/shop.yml", &SHOP.replace("{{ ref('orders') }}", "{{ source('raw', 'orders') }}"));
    let o = f.expect(&["dashboard", "export", "out"], 2);
    assert!(o.stderr.contains("dashboards/shop.yml: panel `headline` reads source('raw', 'orders'): panels read models (layers marts), never raw tables"), "{}", o.stderr);
    f.write("dashboards/shop.yml", &SHOP.replace("model: orders", "model: stg_orders"));
    let o = f.expect(&["dashboard", "export", "out"], 2);
    assert!(o.stderr.contains("panel `daily` reads `stg_orders` (models/staging/stg_orders.sql), outside the dashboard's layers (marts)"), "{}", o.stderr);
    f.write("dashboards/shop.yml", &SHOP.replace("model: orders", "model: ordrs"));
    let o = f.expect(&["dashboard", "export", "out"], 2);
    assert!(o.stderr.contains("panel `daily`") && o.stderr.contains("ordrs"), "{}", o.stderr);
    f.write("dashboards/shop.yml", "version: 1\npanels:\n  - {name: a, kind: pie, sql: select 1}\n");
    let o = f.expect(&["dashboard", "export", "out"], 2);
    assert!(o.stderr.contains("dashboards/shop.yml:3: invalid YAML") && o.stderr.contains("unknown variant `pie`"), "{}", o.stderr);
}

#[test]
fn export_writes_a_page_with_the_data_inlined() {
    let f = built();
    f.expect(&["dashboard", "export", "site"], 0);
    let html = f.read("site/index.html");
    assert!(html.contains("<script id=\"dashboard-data\" type=\"application/json\">"), "data inlined");
    let json = html.split("type=\"application/json\">").nth(1).and_then(|r| r.split("</script>").next()).expect("bundle");
    let bundle: Json = serde_json::from_str(json).expect("bundle is JSON");
    assert_eq!(bundle["panels"]["daily"]["rows"].as_i64(), Some(f.count("select count(*) from main_marts.orders")));
    for a in ["assets/echarts.min.js", "assets/app.js", "assets/dashboard.css", "data/daily.csv", "data/top.csv"] {
        assert!(f.path(&format!("site/{a}")).is_file(), "{a} missing");
    }
}

#[test]
fn docs_generate_writes_dbts_catalog_shape() {
    let f = Fixture::new();
    f.expect(&["build"], 0);
    let o = f.expect(&["docs", "generate"], 0);
    assert!(o.stdout.contains("Catalog written to"), "{}", o.stdout);
    let c: Json = serde_json::from_str(&f.read("target/catalog.json")).expect("catalog");
    let keys = |v: &Json| -> Vec<String> { v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default() };
    assert_eq!(keys(&c), ["metadata", "nodes", "sources", "errors"]);
    assert_eq!(keys(&c["metadata"]), ["dbt_schema_version", "dbt_version", "generated_at", "invocation_id", "invocation_started_at", "env"]);
    assert_eq!(c["errors"], Json::Null);
    let orders = &c["nodes"]["model.jaffle.orders"];
    assert_eq!(keys(orders), ["metadata", "columns", "stats", "unique_id"]);
    assert_eq!(orders["metadata"], serde_json::json!({"type": "BASE TABLE", "schema": "main_marts", "name": "orders", "database": "dev", "comment": null, "owner": null}));
    assert_eq!(orders["columns"]["order_id"], serde_json::json!({"type": "INTEGER", "index": 1, "name": "order_id", "comment": null}));
    assert_eq!(c["nodes"]["model.jaffle.stg_orders"]["metadata"]["type"], "VIEW");
    assert!(c["nodes"]["seed.jaffle.raw_orders"].is_object(), "seeds are in the catalog");
    assert!(c["nodes"].get("model.jaffle.int_order_payments").is_none(), "ephemeral models are not");
    assert_eq!(c["sources"]["source.jaffle.raw.orders"]["columns"]["order_date"]["type"], "DATE");
    assert!(f.path("target/index.html").is_file() && f.path("target/assets/docs.js").is_file());
    let m: Json = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest");
    assert!(m["nodes"]["model.jaffle.orders"].is_object());
    assert!(f.path("target/compiled/jaffle/models/marts/orders.sql").is_file(), "docs generate compiles first");
}

mod bigquery {
    use super::*;
    use crate::bigquery_emulator::Emulator;

    /// Query jobs the emulator ran whose SQL contains `needle`.
    fn jobs(emu: &Emulator, needle: &str) -> usize {
        let url = format!("{}/projects/{}/jobs?maxResults=1000", emu.base_url(), crate::bigquery_emulator::PROJECT);
        let out = Command::new("curl").args(["-sf", &url]).output().expect("curl");
        let v: Json = serde_json::from_slice(&out.stdout).expect("jobs.list");
        v["jobs"].as_array().into_iter().flatten().filter(|j| j["configuration"]["query"]["query"].as_str().is_some_and(|q| q.contains(needle))).count()
    }

    #[test]
    fn panels_scan_partitions_in_range_once_per_refresh() {
        let Some(emu) = Emulator::start() else { return };
        let f = Fixture::new();
        f.write("profiles.yml", &emu.profile("jaffle", "main"));
        f.write(
            "models/marts/orders_by_day.sql",
            "{{ config(materialized='table', partition_by={'field': 'order_date', 'data_type': 'date'}) }}\n\
             select order_date, count(*) as n_orders from {{ ref('stg_orders') }} group by 1\n",
        );
        f.write("dashboards/shop.yml", "version: 1\nlayers: [marts]\npanels:\n  - name: recent\n    kind: timeseries\n    model: orders_by_day\n    \
                 select: [order_date, n_orders]\n    window: {column: order_date, days: 100000}\n    order_by: order_date\n    x: order_date\n    series: [{column: n_orders}]\n");
        f.expect(&["build"], 0);
        let s = Server::start(&f, &["--watch-every", "300ms"]);
        let sql = s.json("/api/dashboard")["panels"][0]["sql"].as_str().expect("sql").to_string();
        assert!(sql.contains("where order_date >= DATE '"), "the window is a constant partition filter: {sql}");
        let data = s.json("/api/panels/recent");
        use transform::warehouse::Warehouse;
        let bq = emu.connect("main");
        let n = bq.query("select count(*) from `test-project`.`main_marts`.`orders_by_day`", 1).expect("count").rows[0][0].as_i64();
        assert_eq!(data["rows"].as_i64(), n, "{data}");
        let needle = "select order_date, n_orders\nfrom `test-project`.`main_marts`.`orders_by_day`";
        let first = jobs(&emu, needle);
        assert_eq!(first, 1, "the first snapshot ran the panel once");
        for _ in 0..20 {
            s.json("/api/panels/recent");
            s.json("/api/dashboard");
        }
        assert_eq!(jobs(&emu, needle), 1, "page requests are served from the cache");
        // A rebuild changes the table's lastModifiedTime: one more query, then the new version.
        let v = s.json("/api/version")["version"].as_i64().expect("version");
        f.expect(&["run", "-s", "orders_by_day"], 0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while s.json("/api/version")["version"].as_i64() == Some(v) {
            assert!(std::time::Instant::now() < deadline, "no refresh after the rebuild");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        assert_eq!(jobs(&emu, needle), 2, "one query for the one panel per refresh");
    }
}
