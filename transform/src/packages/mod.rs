//! dbt packages: what `packages.yml`/`dependencies.yml` ask for (`spec`), dbt's version rules
//! (`semver`), the package hub (`hub`), git checkouts (`git`), reading a pinned package (`fetch`),
//! resolution (`resolve`), `package-lock.yml` (`lock`) and installing (`install`). `transform deps`
//! (commands/deps.rs) drives them; project loading reads the installed packages back.

pub mod fetch;
pub mod git;
pub mod hub;
pub mod install;
pub mod lock;
pub mod pinned;
pub mod pyjson;
pub mod resolve;
pub mod semver;
pub mod spec;

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{Error, Result};
pub use spec::PackageSpec;

/// The dbt-core version whose behaviour transform follows: packages' `require-dbt-version` and the
/// hub's `require_dbt_version` are checked against it, and templates see it as `dbt_version`.
pub const DBT_VERSION: &str = "1.10.23";

/// Renders one YAML value the way dbt renders packages.yml (`env_var`, `var` from --vars).
pub type Render<'a> = dyn Fn(&Json) -> Result<Json> + 'a;

pub const PACKAGES_FILE: &str = "packages.yml";
pub const DEPENDENCIES_FILE: &str = "dependencies.yml";
pub const LOCK_FILE: &str = "package-lock.yml";
pub const DEFAULT_INSTALL_PATH: &str = "dbt_packages";
fn load(dir: &Path, file: &str) -> Result<Option<Json>> {
    let path = dir.join(file);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let doc: Json = serde_yaml::from_str(&text).map_err(|e| Error::Yaml {
        file: file.into(),
        line: e.location().map(|l| l.line()).unwrap_or(0),
        message: e.to_string(),
    })?;
    Ok(Some(doc))
}

/// Every string in `v` rendered (dbt's `deep_map_render`).
pub fn render_deep(v: &Json, render: &Render) -> Result<Json> {
    Ok(match v {
        Json::String(_) => render(v)?,
        Json::Array(items) => Json::Array(items.iter().map(|i| render_deep(i, render)).collect::<Result<_>>()?),
        Json::Object(map) => Json::Object(map.iter().map(|(k, i)| Ok((k.clone(), render_deep(i, render)?))).collect::<Result<_>>()?),
        other => other.clone(),
    })
}

/// The packages a project asks for and the file they are in: `dependencies.yml` (not rendered, as in
/// dbt) when it has `packages:`, else `packages.yml` (rendered). Both with `packages:` is an error.
pub fn read_package_files(dir: &Path, render: &Render) -> Result<(Vec<PackageSpec>, &'static str)> {
    let packages = load(dir, PACKAGES_FILE)?;
    let dependencies = load(dir, DEPENDENCIES_FILE)?;
    let has = |d: &Option<Json>, k: &str| d.as_ref().is_some_and(|d| d.get(k).is_some());
    if has(&packages, "packages") && has(&dependencies, "packages") {
        return Err(Error::project(PACKAGES_FILE, "The 'packages' key cannot be specified in both packages.yml and dependencies.yml"));
    }
    if has(&packages, "projects") {
        return Err(Error::project(PACKAGES_FILE, "The 'projects' key cannot be specified in packages.yml"));
    }
    if has(&dependencies, "projects") {
        return Err(Error::project(
            DEPENDENCIES_FILE,
            "`projects:` (cross-project references of dbt Cloud / dbt Mesh) is not supported by transform",
        ));
    }
    let (file, doc, rendered) = match &dependencies {
        Some(d) if d.get("packages").is_some() => (DEPENDENCIES_FILE, d.clone(), d.clone()),
        _ => match packages {
            Some(p) => (PACKAGES_FILE, p.clone(), render_deep(&p, render)?),
            None => return Ok((vec![], PACKAGES_FILE)),
        },
    };
    Ok((parse_list(file, &rendered, &doc)?, file))
}

/// The `packages:` list of a packages file or lock; `unrendered` is the same document before Jinja.
pub fn parse_list(file: &str, rendered: &Json, unrendered: &Json) -> Result<Vec<PackageSpec>> {
    if let Some(extra) = rendered.as_object().and_then(|m| m.keys().find(|k| !["packages", "sha1_hash"].contains(&k.as_str()))) {
        return Err(Error::project(file, format!("unknown top-level key `{extra}` (expected `packages:`)")));
    }
    let items = match rendered.get("packages") {
        None | Some(Json::Null) => return Ok(vec![]),
        Some(Json::Array(items)) => items,
        Some(other) => return Err(Error::project(file, format!("`packages` must be a list, not `{other}`"))),
    };
    let raw = unrendered.get("packages").and_then(Json::as_array);
    items
        .iter()
        .enumerate()
        .map(|(i, item)| PackageSpec::parse(file, i, item, raw.and_then(|r| r.get(i)).unwrap_or(item)))
        .collect()
}

/// The package folders under `install_dir` (dbt skips names starting with `__`), sorted.
pub fn installed(install_dir: &Path) -> Result<Vec<PathBuf>> {
    if !install_dir.is_dir() {
        return Ok(vec![]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(install_dir)
        .map_err(|e| Error::io(install_dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("__")))
        .collect();
    dirs.sort();
    Ok(dirs)
}
