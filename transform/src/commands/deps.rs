//! `transform deps`: resolve packages.yml (or dependencies.yml) into package-lock.yml when the lock
//! is missing, stale (its `sha1_hash` differs) or `--upgrade` is given, then install what the lock
//! pins into `packages-install-path`, replacing what was there. Messages are dbt's. No profile is read.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::cli::DepsArgs;
use crate::error::{Error, Result};
use crate::events::Level;
use crate::output::printer;
use crate::packages::fetch::Fetcher;
use crate::packages::resolve::{Pinned, Resolved, Resolver};
use crate::packages::{install, lock, parse_list, read_package_files, render_deep, spec, Render, LOCK_FILE};
use crate::project::dbt_project::{read_yaml, DbtProject};
use crate::project::render::YamlRenderer;

/// The run's downloads folder: `DBT_DOWNLOADS_DIR` (kept), else a temporary one (removed at the end).
fn downloads() -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    match std::env::var("DBT_DOWNLOADS_DIR").ok().filter(|d| !d.is_empty()) {
        Some(d) => {
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
            Ok((PathBuf::from(d), None))
        }
        None => {
            let t = tempfile::Builder::new().prefix("transform-downloads-").tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            Ok((t.path().to_path_buf(), Some(t)))
        }
    }
}

pub fn run(a: DepsArgs) -> Result<i32> {
    let root = a.common.project_dir.canonicalize().map_err(|e| Error::io(&a.common.project_dir, e))?;
    let vars = crate::compile::cli_vars(a.common.vars.as_deref())?;
    let project = DbtProject::load_with(&root, &YamlRenderer::new("dbt_project.yml", &vars, None, false))?;
    let renderer = YamlRenderer::new("packages.yml", &vars, None, true);
    let render = |v: &Json| renderer.render(v);
    let version_check = !a.no_version_check && std::env::var("DBT_VERSION_CHECK").map(|v| v != "false" && v != "0").unwrap_or(true);
    let (specs, file) = read_package_files(&root, &render)?;
    let (dl, _cleanup) = downloads()?;
    let warn = |m: &str| printer().note(Level::Warn, m);
    let mut fetcher = Fetcher::new(&root, &dl, version_check, &render, &warn);
    let lock_path = root.join(LOCK_FILE);
    let hash = spec::sha1_hash(&specs);
    let recorded = read_lock(&lock_path)?;
    if a.upgrade || recorded.as_ref().and_then(lock::recorded_hash) != Some(hash.as_str()) {
        if specs.is_empty() {
            printer().info(&format!("Warning: No packages were found in {file}"));
        } else {
            let resolved = Resolver { fetcher: &mut fetcher }.resolve(&specs, &project.name)?;
            write_lock(&resolved, &hash, &lock_path)?;
        }
    }
    if a.lock {
        return Ok(0);
    }
    let install_dir = root.join(&project.packages_install_path);
    install::reset(&install_dir)?;
    let Some(doc) = read_lock(&lock_path)? else {
        printer().info(&format!("Warning: No packages were found in {file}"));
        return Ok(0);
    };
    let locked = parse_list(LOCK_FILE, &render_deep(&doc, &render as &Render)?, &doc)?;
    let resolved = Resolver { fetcher: &mut fetcher }.resolve_lock(&locked, &project.name)?;
    install_all(&resolved, &install_dir, &mut fetcher)?;
    Ok(0)
}

fn install_all(resolved: &[Resolved], install_dir: &Path, fetcher: &mut Fetcher) -> Result<()> {
    let p = printer();
    let mut upgrades = vec![];
    for r in resolved {
        p.info(&format!("Installing {}", r.pinned.display_name()));
        install::install(r, install_dir, fetcher)?;
        p.info(&format!("Installed from {}", r.pinned.version_text()));
        match &r.pinned {
            Pinned::Hub { package, version, latest } if latest != version => {
                p.info(&format!("Updated version available: {latest}"));
                upgrades.push(format!("'{package}'"));
            }
            Pinned::Hub { .. } => p.info("Up to date!"),
            Pinned::Git { subdirectory: Some(s), .. } => p.info(&format!("and subdirectory {s}")),
            _ => {}
        }
    }
    if !upgrades.is_empty() {
        p.info("");
        p.info(&format!("Updates available for packages: [{}]\nUpdate your versions in packages.yml, then run transform deps", upgrades.join(", ")));
    }
    Ok(())
}

fn write_lock(resolved: &[Resolved], hash: &str, path: &Path) -> Result<()> {
    let entries: Vec<lock::LockEntry> = resolved
        .iter()
        .map(|r| {
            let mut e = r.pinned.lock_entry();
            e.insert("name".into(), Json::String(r.meta.name.clone()));
            e
        })
        .collect();
    std::fs::write(path, lock::render(&entries, hash)).map_err(|e| Error::io(path, e))?;
    printer().info(&format!("Updating lock file in file path: {}", path.display()));
    Ok(())
}

fn read_lock(path: &Path) -> Result<Option<Json>> {
    if !path.is_file() {
        return Ok(None);
    }
    read_yaml(path, LOCK_FILE).map(Some)
}
