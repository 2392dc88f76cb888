//! dbt packages with transform's own fixture packages (tests/fixtures/packages): `transform deps` from
//! a local path, a git repository (file://, a tag, a subdirectory) and a package hub served on
//! loopback from a recorded index; package-lock.yml as dbt writes it (dbt 1.10's sha1_hash values);
//! package macros, dispatch search orders and root overrides, package tests, models and seeds with
//! their own configs, vars scoped per package, and Jinja in dbt_project.yml and profiles.yml.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Fixture;

fn app() -> Fixture {
    Fixture::copy("packages", "app")
}

/// The output's lines without their `HH:MM:SS ` prefixes.
fn lines(text: &str) -> String {
    text.lines().map(|l| if l.get(2..3) == Some(":") && l.get(8..9) == Some(" ") { &l[9..] } else { l }).collect::<Vec<_>>().join("\n")
}

/// Serves the files under `dir` over HTTP on a loopback port; the URL has no trailing slash.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).map(|n| n > 2).unwrap_or(false) {
                header.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            let reply = match std::fs::read(dir.join(&path)) {
                Ok(body) => [format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes(), body].concat(),
                Err(_) => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            };
            let _ = stream.write_all(&reply);
        }
    });
    format!("http://{addr}")
}

fn sh(dir: &Path, args: &[&str]) {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .status()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .success();
    assert!(ok, "{args:?} failed in {}", dir.display());
}

/// The recorded hub index with its tarball URLs pointing at a loopback server, and the tarballs
/// packed from the fixture packages (each version the same files, in `<name>-<version>/`).
fn hub(f: &Fixture) -> String {
    let root = f.dir.path().join("hub");
    let url = serve(root.clone());
    for file in ["api/v1/acme/tiny_hub.json", "api/v1/acme/tiny_base.json", "api/v1/dbt-labs/dbt_utils.json"] {
        let p = root.join(file);
        let text = std::fs::read_to_string(&p).expect("index file").replace("HUB_URL", &url);
        std::fs::write(p, text).expect("write index");
    }
    for (name, versions) in [("tiny_hub", &["0.9.0", "1.0.0", "1.1.0", "1.2.0-rc1", "2.0.0"][..]), ("tiny_base", &["0.1.0", "0.1.1", "0.2.0"][..])] {
        let out = root.join("tarballs/acme").join(name);
        std::fs::create_dir_all(&out).expect("mkdir tarballs");
        for v in versions {
            let tar = out.join(format!("{v}.tar.gz"));
            let file = std::fs::File::create(&tar).expect("create tarball");
            let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
            builder.append_dir_all(format!("{name}-{v}"), f.dir.path().join(name)).expect("pack");
            builder.into_inner().expect("finish tar").finish().expect("finish gzip");
        }
    }
    format!("{url}/")
}

/// A git repository holding tiny_dates at its top and in `packages/tiny_dates`, tagged v1.0.0, with
/// one more commit after the tag. Returns (file:// URL, the tagged commit).
fn git_repo(f: &Fixture) -> (String, String) {
    let repo = f.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("packages")).expect("mkdir repo");
    let src = f.dir.path().join("tiny_dates");
    sh(&repo, &["cp", "-r", &src.to_string_lossy(), "packages/"]);
    sh(&repo, &["cp", "-r", &format!("{}/.", src.display()), "."]);
    sh(&repo, &["git", "init", "-q", "-b", "main"]);
    sh(&repo, &["git", "add", "-A"]);
    sh(&repo, &["git", "commit", "-qm", "tiny_dates 1.0.0"]);
    sh(&repo, &["git", "tag", "v1.0.0"]);
    let sha = String::from_utf8(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&repo).output().expect("rev-parse").stdout).expect("utf8");
    std::fs::write(repo.join("NEWS"), "after the tag\n").expect("write");
    sh(&repo, &["git", "add", "-A"]);
    sh(&repo, &["git", "commit", "-qm", "later"]);
    (format!("file://{}", repo.display()), sha.trim().to_string())
}

#[test]
fn local_package_installs_like_dbt_and_builds_with_its_own_configs() {
    let f = app();
    let o = f.expect(&["deps"], 0);
    assert!(lines(&o.stdout).contains("Installing ../tiny_utils\nInstalled from <local @ ../tiny_utils>"), "{}", o.stdout);
    // Byte for byte what dbt 1.10 wrote for this packages.yml.
    assert_eq!(f.read("package-lock.yml"), "packages:\n  - local: ../tiny_utils\n    name: tiny_utils\nsha1_hash: 008a14db20b0ff5fcd05806fe4db9c08d07a02e1\n");
    assert!(std::fs::symlink_metadata(f.path("dbt_packages/tiny_utils")).expect("installed").file_type().is_symlink());

    let o = f.expect(&["build"], 0);
    assert!(o.stdout.contains("ERROR=0"), "{}", o.stdout);
    // The rows dbt-duckdb built from the same project: package macros, the root's dispatch
    // overrides (shout, whisper), vars scoped per package, Jinja in a dbt_project.yml var.
    let orders = f.query("select order_id::int, amount, amount_label, shouted, whispered, doubled::int, root_multiplier, app_label, greeting from main.app_orders order by 1");
    assert_eq!(orders[0], ["Int(2)", "Double(12.5)", "Text(\"12.5 USD\")", "Text(\"app: HI\")", "Text(\"app whispers hi\")", "Int(4)", "Text(\"unset in pkg_app\")", "Text(\"app-dev\")", "Text(\"no greeting in pkg_app\")"]);
    assert_eq!(orders.len(), 3);
    // The package's model: its own materialization and schema, its own var default, the root's scoped var.
    assert_eq!(f.query("select code, greeting, weighted::int from main_tiny.tiny_lookup order by 1")[2], ["Text(\"03\")", "Text(\"hello from tiny_utils\")", "Int(30)"]);
    assert_eq!(f.count("select count(*) from information_schema.tables where table_schema = 'main_tiny' and table_name = 'tiny_lookup' and table_type = 'BASE TABLE'"), 1);
    // The package's seed: the root's `+schema`, the package's `+column_types` (codes keep their zeros).
    assert_eq!(f.query("select code from main_tiny_seeds.tiny_codes order by 1")[0], ["Text(\"01\")"]);
    // A test from the package on a root model, and the package's own tests.
    let statuses = f.statuses();
    let status = |prefix: &str| statuses.iter().find(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v.as_str());
    assert_eq!(status("test.pkg_app.tiny_utils_is_even_app_orders_doubled."), Some("pass"), "{statuses:?}");
    assert_eq!(status("test.tiny_utils.not_null_tiny_lookup_code."), Some("pass"), "{statuses:?}");
    assert_eq!(status("model.tiny_utils.tiny_lookup"), Some("success"));
    // The package's unit test read the package's fixtures, not the root project's of the same name.
    assert_eq!(status("unit_test.tiny_utils.tiny_lookup.tiny_lookup_weights_codes"), Some("pass"), "{statuses:?}");
    // `+enabled: "{{ var('load_optional', false) }}"` is false: the optional model is not built.
    assert!(!statuses.contains_key("model.pkg_app.app_optional"), "{statuses:?}");
    let manifest: serde_json::Value = serde_json::from_str(&f.read("target/manifest.json")).expect("manifest");
    let node = &manifest["nodes"]["model.tiny_utils.tiny_lookup"];
    assert_eq!(node["package_name"], "tiny_utils");
    assert_eq!(node["original_file_path"], "models/tiny_lookup.sql");
    assert_eq!(node["config"]["tags"], serde_json::json!(["from_tiny", "configured_by_root"]));
    assert!(f.path("target/compiled/tiny_utils/models/tiny_lookup.sql").exists());
}

#[test]
fn project_jinja_sees_vars_from_the_command_line() {
    let f = app();
    f.expect(&["deps"], 0);
    f.expect(&["run", "--vars", "{load_optional: true}", "-s", "app_optional"], 0);
    assert_eq!(f.count("select count(*) from main.app_optional"), 1);
}

#[test]
fn packages_that_are_not_installed_are_dbts_error() {
    let f = app();
    let o = f.expect(&["build"], 2);
    assert!(
        o.stderr.contains("dbt found 1 package(s) specified in packages.yml, but only 0 package(s) installed in dbt_packages. Run \"transform deps\" to install package dependencies."),
        "{}",
        o.stderr
    );
}

#[test]
fn macros_and_vars_of_a_package_are_its_own() {
    let f = app();
    f.expect(&["deps"], 0);
    // A package macro needs its prefix from the root project, as in dbt.
    f.write("models/bare.sql", "select {{ cents_to_dollars('1') }} as x\n");
    let o = f.expect(&["compile", "-s", "bare"], 2);
    assert!(o.stderr.contains("cents_to_dollars"), "{}", o.stderr);
    // A package macro reading a var reads the calling node's vars (the root's), where it is unset.
    f.write("models/bare.sql", "select {{ tiny_utils.times_multiplier('1') }} as x\n");
    let o = f.expect(&["compile", "-s", "bare"], 2);
    assert!(o.stderr.contains("required var `tiny_multiplier` not found"), "{}", o.stderr);
}

#[test]
fn git_packages_pin_the_commit_and_install_a_subdirectory() {
    let f = app();
    let (url, sha) = git_repo(&f);
    f.write("packages.yml", &format!("packages:\n  - local: ../tiny_utils\n  - git: \"{url}\"\n    revision: v1.0.0\n    subdirectory: packages/tiny_dates\n"));
    let o = f.expect(&["deps"], 0);
    assert!(lines(&o.stdout).contains(&format!("Installed from revision {sha}\nand subdirectory packages/tiny_dates")), "{}", o.stdout);
    let lock = f.read("package-lock.yml");
    let want = format!("  - git: {url}\n    name: tiny_dates\n    revision: {sha}\n    subdirectory: packages/tiny_dates\n");
    assert!(lock.contains(&want), "{lock}");
    f.write("models/month_starts.sql", "select {{ tiny_dates.first_of_month(\"cast('2024-02-17' as date)\") }} as m\n");
    f.expect(&["run", "-s", "month_starts"], 0);
    assert_eq!(f.query("select cast(m as varchar) from main.month_starts"), [["Text(\"2024-02-01\")"]]);

    // Without a revision dbt warns and takes HEAD, the newest commit.
    f.write("packages.yml", &format!("packages:\n  - local: ../tiny_utils\n  - git: \"{url}\"\n"));
    let o = f.expect(&["deps"], 0);
    assert!(o.all().contains("is not pinned, using HEAD (default branch)"), "{}", o.all());
    assert!(f.path("dbt_packages/tiny_dates/NEWS").exists());
    // A revision that does not exist names it.
    f.write("packages.yml", &format!("packages:\n  - git: \"{url}\"\n    revision: v9.9.9\n"));
    let o = f.expect(&["deps"], 2);
    assert!(o.stderr.contains("revision v9.9.9"), "{}", o.stderr);
}

#[test]
fn hub_packages_resolve_version_ranges_like_dbt() {
    let f = app();
    let url = hub(&f);
    let env = [("DBT_PACKAGE_HUB_URL", url.as_str())];
    f.write("packages.yml", "packages:\n  - local: ../tiny_utils\n  - package: acme/tiny_hub\n    version: [\">=1.0.0\", \"<3.0.0\"]\n");
    let o = f.run_env(&["deps"], &env);
    assert_eq!(o.code, 0, "{}", o.all());
    // dbt 1.10's lock for the same packages.yml and index: 2.0.0 needs dbt >= 9, 1.2.0-rc1 is a
    // prerelease, so 1.1.0; its own dependency `acme/tiny_base` [>=0.1.0, <0.2.0] gives 0.1.1.
    assert_eq!(
        f.read("package-lock.yml"),
        "packages:\n  - local: ../tiny_utils\n    name: tiny_utils\n  - name: tiny_hub\n    package: acme/tiny_hub\n    version: 1.1.0\n  - name: tiny_base\n    package: acme/tiny_base\n    version: 0.1.1\nsha1_hash: 3e62cc41020ae3b671f82d56642705449bd7261f\n"
    );
    assert!(lines(&o.stdout).contains("Installing acme/tiny_base\nInstalled from version 0.1.1\nUpdated version available: 0.2.0"), "{}", o.stdout);
    f.write("models/hub_says.sql", "select {{ tiny_hub.hub_greeting() }} as said\n");
    let o = f.run_env(&["run", "-s", "hub_says"], &env);
    assert_eq!(o.code, 0, "{}", o.all());
    assert_eq!(f.query("select said from main.hub_says"), [["Text(\"hub says base\")"]]);

    // The lock is reused while packages.yml is unchanged: nothing is re-resolved.
    let o = f.run_env(&["deps"], &env);
    assert!(o.code == 0 && !o.stdout.contains("Updating lock file"), "{}", o.all());

    // Asking for prereleases.
    f.write("packages.yml", "packages: [{package: acme/tiny_hub, version: \">=1.0.0\", install_prerelease: true}]\n");
    let o = f.run_env(&["deps"], &env);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(f.read("package-lock.yml").contains("version: 1.2.0-rc1\n"), "{}", f.read("package-lock.yml"));
    assert!(f.read("package-lock.yml").ends_with("sha1_hash: 030d38eadc6b4b6426ed477e0e5c485af06edc59\n"));

    // A tarball package: downloaded, its one top folder installed under the given name.
    f.write("packages.yml", &format!("packages:\n  - tarball: \"{url}tarballs/acme/tiny_base/0.1.0.tar.gz\"\n    name: tiny_base\n"));
    let o = f.run_env(&["deps"], &env);
    assert_eq!(o.code, 0, "{}", o.all());
    assert!(f.path("dbt_packages/tiny_base/macros/base_word.sql").exists());
    assert!(f.read("package-lock.yml").contains(&format!("  - name: tiny_base\n    tarball: {url}tarballs/acme/tiny_base/0.1.0.tar.gz\n")), "{}", f.read("package-lock.yml"));

    // dbt's errors.
    f.write("packages.yml", "packages: [{package: acme/tiny_hub, version: [\">=3.0.0\"]}]\n");
    let o = f.run_env(&["deps"], &env);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("Could not find a matching compatible version for package acme/tiny_hub\n  Requested range: >=3.0.0\n  Compatible versions: ['0.9.0', '1.0.0', '1.1.0']"), "{}", o.stderr);
    f.write("packages.yml", "packages: [{package: acme/nope, version: 1.0.0}]\n");
    let o = f.run_env(&["deps"], &env);
    assert!(o.code == 2 && o.stderr.contains("Package acme/nope was not found in the package index"), "{}", o.stderr);
}

#[test]
fn dependencies_yml_is_read_as_written() {
    let f = app();
    std::fs::remove_file(f.path("packages.yml")).expect("remove packages.yml");
    f.write("dependencies.yml", "packages:\n  - local: ../tiny_utils\n");
    f.expect(&["deps"], 0);
    f.expect(&["build", "-s", "tiny_utils"], 0);
    f.write("packages.yml", "packages:\n  - local: ../tiny_utils\n");
    let o = f.expect(&["deps"], 2);
    assert!(o.stderr.contains("The 'packages' key cannot be specified in both packages.yml and dependencies.yml"), "{}", o.stderr);
}

#[test]
fn a_project_macro_takes_over_dbts_own() {
    let f = Fixture::new();
    f.write("macros/over.sql", "{% macro duckdb__date_trunc(datepart, date) %}date_trunc('{{ datepart }}', {{ date }}) /* mine */{% endmacro %}\n");
    f.write("models/truncated.sql", "select {{ dbt.date_trunc('month', \"date '2024-03-09'\") }} as m, {{ date_trunc('day', \"date '2024-03-09'\") }} as d\n");
    f.expect(&["compile", "-s", "truncated"], 0);
    let sql = f.read("target/compiled/jaffle/models/truncated.sql");
    assert_eq!(sql.matches("/* mine */").count(), 2, "{sql}");
}
