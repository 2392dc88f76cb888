//! The dashboard and the docs site in a real browser (Debian's headless Chromium driven by
//! playwright-core, see tests/browser/ and scripts/browser-setup.sh), on a warehouse built by the
//! offline pipeline (replay server → sync → build): every panel drawn with as many points as its SQL
//! returns, no console error, no request to another host, the log switch and a range button change
//! the drawing, a new sync + build while the page is open updates the KPI strip; the docs site lists
//! a model's columns and tests and its lineage shows parents and children.

mod pipeline_harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use pipeline_harness::{open, repo_root, Project, Replay};
use serde_json::Value as Json;

/// The folder holding playwright-core (scripts/browser-setup.sh installs it and Chromium).
fn harness() -> PathBuf {
    if let Some(dir) = std::env::var_os("BROWSER_HARNESS_DIR") {
        return PathBuf::from(dir);
    }
    let out = Command::new(repo_root().join("scripts/browser-setup.sh")).output().expect("run scripts/browser-setup.sh");
    assert!(out.status.success(), "browser setup failed: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A `transform` server (dashboard or docs) on a free port; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(project: &Project, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_transform"))
            .args(args)
            .args(["--port", "0"])
            .current_dir(project.dir.path())
            .env("TRANSFORM_DUCKDB_PATH", project.db())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start transform server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = loop {
            let line = lines.next().expect("server said nothing").expect("read");
            if let Some(rest) = line.split(" at http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().expect("url"));
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, url }
    }

    fn get(&self, path: &str) -> Json {
        let addr = self.url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        let body = text.split_once("\r\n\r\n").expect("http response").1;
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node driver script of tests/browser/, with stdin kept for the "go on" line.
struct Driver {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Driver {
    fn start(script: &str, args: &[&str]) -> Driver {
        let mut child = Command::new("node")
            .arg(repo_root().join("tests/browser").join(script))
            .args(args)
            .env("BROWSER_HARNESS_DIR", harness())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node (Node.js is needed for the browser tests)");
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        Driver { child, out }
    }

    /// The JSON of the next `TAG {...}` line.
    fn expect(&mut self, tag: &str) -> Json {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.out.read_line(&mut line).expect("read driver") > 0, "the browser driver ended before {tag}");
            if let Some(json) = line.strip_prefix(&format!("{tag} ")) {
                return serde_json::from_str(json).expect("driver JSON");
            }
        }
    }

    fn go_on(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(b"go\n").and_then(|_| stdin.flush()).expect("tell the driver to go on");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_clean(problems: &Json) {
    for k in ["console", "exceptions", "foreign", "failed"] {
        assert_eq!(problems[k], Json::Array(vec![]), "browser {k}: {problems}");
    }
}

/// Rows each panel's SQL returns, counted here on the same DuckDB file.
fn counted(db: &Path, sql: &str) -> i64 {
    open(db).query_row(&format!("select count(*) from ({sql}) as p"), [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}: {sql}"))
}

fn kpi_price(db: &Path) -> f64 {
    open(db).query_row("select price_usd from main_reporting.rpt_bitcoin_kpis", [], |r| r.get(0)).expect("kpi row")
}

fn screenshot(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    dir.join(name).to_string_lossy().into_owned()
}

/// pipeline.json with CoinGecko's coin snapshot a day later (a new price).
fn later_scenario(dir: &Path) -> PathBuf {
    let root = repo_root().join("tests/scenarios");
    let mut routes: Json = serde_json::from_str(&std::fs::read_to_string(root.join("pipeline.json")).expect("read")).expect("json");
    for r in routes["routes"].as_array_mut().expect("routes") {
        let coin = r["path"] == "/coingecko/api/v3/coins/bitcoin";
        for resp in r["responses"].as_array_mut().into_iter().flatten() {
            if let Some(f) = resp["body_file"].as_str() {
                let file = if coin { "../recorded/coingecko/coins_bitcoin_later.json" } else { f };
                resp["body_file"] = Json::from(root.join(file).to_string_lossy().into_owned());
            }
        }
    }
    let path = dir.join("later.json");
    std::fs::write(&path, routes.to_string()).expect("write scenario");
    path
}

fn built_project() -> (Replay, Project) {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    let sync = project.sync(&project.db(), &config, &[], &[]);
    assert_eq!(sync.code, 0, "sync failed:\n{}", sync.all);
    let build = project.transform(&["build"]);
    assert_eq!(build.code, 0, "build failed:\n{}", build.all);
    (replay, project)
}

#[test]
fn dashboard_draws_every_panel_and_follows_a_new_build() {
    let (_replay, project) = built_project();
    let server = Server::start(&project, &["dashboard", "serve", "--watch-every", "300ms"]);
    let meta = server.get("/api/dashboard");
    let mut driver = Driver::start("dashboard.mjs", &[&server.url, &screenshot("dashboard.png"), "--wait-update"]);
    let ready = driver.expect("READY");
    assert_clean(&ready["problems"]);

    let sources = project.transform(&["ls", "--resource-type", "source"]).all.lines().filter(|l| l.starts_with("source:")).count();
    for (p, drawn) in meta["panels"].as_array().expect("panels").iter().zip(ready["panels"].as_array().expect("drawn")) {
        let name = p["name"].as_str().expect("name");
        assert_eq!(drawn["name"], p["name"]);
        assert_eq!(drawn["error"], Json::Null, "panel {name} shows an error");
        let want = match p["sql"].as_str() {
            Some(sql) => counted(&project.db(), sql),
            None => sources as i64,
        };
        assert_eq!(drawn["points"].as_str().and_then(|s| s.parse::<i64>().ok()), Some(want), "panel {name}: drawn vs its SQL's rows");
    }

    let i = &ready["interaction"];
    assert_eq!((i["before"]["scale"].as_str(), i["log"]["scale"].as_str()), (Some("linear"), Some("log")));
    assert_ne!(i["before"]["pixels"], i["log"]["pixels"], "the log switch changed nothing on the canvas");
    assert!(i["log"]["url"].as_str().is_some_and(|u| u.contains("price.log=1")), "log state not in the URL: {i}");
    assert_eq!(i["range"]["range"], "1M");
    let visible = |k: &str| i[k]["visible"].as_str().and_then(|v| v.parse::<i64>().ok()).expect("visible points");
    assert!(visible("range") < visible("log"), "1M shows fewer points than 1Y: {i}");
    assert_ne!(i["log"]["pixels"], i["range"]["pixels"], "the range button changed nothing on the canvas");
    let dialog = &ready["dialog"];
    assert_eq!(dialog["open"], true, "{dialog}");
    let price_sql = meta["panels"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "price")).map(|p| p["sql"].clone()).expect("price panel");
    assert_eq!(dialog["sql"], price_sql, "the dialog shows the SQL that runs");
    assert!(dialog["models"].as_array().is_some_and(|m| m.iter().any(|x| x == "fct_price_ohlcv") && m.iter().any(|x| x == "rpt_price_indicators_daily")), "{dialog}");
    let price = kpi_price(&project.db());
    assert_eq!(ready["kpis"]["price_usd"].as_str().and_then(|v| v.parse::<f64>().ok()), Some(price));

    // A new sync and build while the page is open: the KPI strip follows within a few seconds.
    let later = Replay::start_file(&later_scenario(project.dir.path()));
    let config = project.write_config("later.json", &later.config("2025-09-01", false));
    assert_eq!(project.sync(&project.db(), &config, &[], &[]).code, 0);
    assert_eq!(project.transform(&["build"]).code, 0);
    let new_price = kpi_price(&project.db());
    assert_ne!(new_price, price, "the later scenario must change the price");
    driver.go_on();
    let updated = driver.expect("UPDATED");
    assert_eq!(updated["error"], Json::Null, "{updated}");
    assert_eq!(updated["kpis"]["price_usd"].as_str().and_then(|v| v.parse::<f64>().ok()), Some(new_price), "{updated}");
    assert_clean(&driver.expect("DONE"));

    // The static export, opened from disk: the same panels, drawn with the inlined data.
    let site = project.dir.path().join("site");
    let export = project.transform(&["dashboard", "export", &site.to_string_lossy()]);
    assert_eq!(export.code, 0, "{}", export.all);
    let file_url = format!("file://{}/index.html", site.display());
    let mut driver = Driver::start("dashboard.mjs", &[&file_url, &screenshot("dashboard-export.png")]);
    let shown = driver.expect("READY");
    assert_clean(&shown["problems"]);
    let live_points: Vec<&Json> = ready["panels"].as_array().expect("panels").iter().map(|p| &p["name"]).collect();
    let static_points: Vec<&Json> = shown["panels"].as_array().expect("panels").iter().map(|p| &p["name"]).collect();
    assert_eq!(live_points, static_points);
    for p in shown["panels"].as_array().expect("panels") {
        assert_eq!(p["error"], Json::Null, "{p}");
        assert!(p["points"].as_str().is_some(), "exported panel {} not drawn", p["name"]);
    }
    assert_eq!(shown["kpis"]["price_usd"].as_str().and_then(|v| v.parse::<f64>().ok()), Some(new_price));
    assert_clean(&driver.expect("DONE"));
}

/// `--sync-every`: the server itself syncs and builds a fresh project, and its panels follow.
#[test]
fn sync_every_fills_an_empty_warehouse() {
    let replay = Replay::start("pipeline.json");
    let project = Project::new();
    let config = project.write_config("config.json", &replay.config("2025-09-01", false));
    // The first snapshot needs tables: an empty build of the views gives the server something to read.
    let seedless = project.transform(&["run", "-s", "dim_source"]);
    assert_eq!(seedless.code, 0, "{}", seedless.all);
    let source = pipeline_harness::sibling_bin("source-bitcoin");
    let server = Server::start(&project, &["dashboard", "serve", "--watch-every", "300ms", "--sync-every", "1h",
        "--source", &source.to_string_lossy(), "--config", &config.to_string_lossy()]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    loop {
        let kpis = server.get("/api/panels/kpis");
        if kpis["rows"] == 1 && kpis["error"].is_null() {
            assert_eq!(kpis["data"][1][0].as_f64(), Some(kpi_price(&project.db())), "{kpis}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sync loop never filled the KPI panel: {kpis}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let results: Json = serde_json::from_str(&std::fs::read_to_string(project.dir.path().join("target/run_results.json")).expect("run_results")).expect("json");
    assert_eq!(results["args"]["which"], "build", "the loop ran `transform build`");
}

#[test]
fn docs_site_shows_columns_tests_and_lineage() {
    let (_replay, project) = built_project();
    let gen = project.transform(&["docs", "generate"]);
    assert_eq!(gen.code, 0, "{}", gen.all);
    let server = Server::start(&project, &["docs", "serve"]);
    let model = "model.bitcoin.fct_price_ohlcv";
    let manifest: Json = server.get("/manifest.json");
    let catalog: Json = server.get("/catalog.json");
    let mut driver = Driver::start("docs.mjs", &[&server.url, model, &screenshot("docs.png")]);
    let page = driver.expect("PAGE");
    let columns: Vec<&str> = page["columns"].as_array().expect("columns").iter().filter_map(|c| c["name"].as_str()).collect();
    let in_catalog: Vec<&str> = catalog["nodes"][model]["columns"].as_object().expect("catalog columns").keys().map(String::as_str).collect();
    for c in &in_catalog {
        assert!(columns.contains(c), "column {c} missing from the page: {columns:?}");
    }
    let typed = page["columns"].as_array().expect("columns").iter().find(|c| c["name"] == "close_usd").expect("close_usd");
    assert_eq!(typed["type"], catalog["nodes"][model]["columns"]["close_usd"]["type"]);
    assert!(typed["tests"].as_array().is_some_and(|t| t.iter().any(|x| x == "not_null")), "{typed}");
    let tests: Vec<&str> = manifest["nodes"].as_object().expect("nodes").iter()
        .filter(|(_, n)| n["attached_node"] == model).map(|(id, _)| id.as_str()).collect();
    assert!(!tests.is_empty());
    for t in &tests {
        assert!(page["tests"].as_array().expect("tests").iter().any(|x| x == t), "test {t} not listed");
    }
    let role = |r: &str| -> Vec<String> {
        let mut v: Vec<String> = page["lineage"].as_array().expect("lineage").iter().filter(|n| n["role"] == r).filter_map(|n| n["id"].as_str().map(String::from)).collect();
        v.sort();
        v
    };
    let non_test = |ids: &Json| -> Vec<String> {
        let mut v: Vec<String> = ids.as_array().expect("ids").iter().filter_map(Json::as_str).filter(|i| !i.starts_with("test.")).map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(role("parent"), non_test(&manifest["parent_map"][model]));
    assert_eq!(role("child"), non_test(&manifest["child_map"][model]));
    assert!(!role("child").is_empty() && !role("parent").is_empty());
    let nav = driver.expect("NAVIGATED");
    assert_eq!(nav["node"], Json::from(role("parent")[0].clone()));
    assert_clean(&driver.expect("DONE"));
}
