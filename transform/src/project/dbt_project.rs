//! `dbt_project.yml`: the project's name, paths, vars, `dispatch:` search orders, where packages are
//! installed, and the hierarchical config trees (`models:`, `seeds:`, `snapshots:`, `data_tests:`…). Its strings are
//! rendered first (`render.rs`: `env_var`, `--vars`, `target`), except `vars:` and hooks, which dbt
//! renders later in each node's context. Unknown top-level keys and unknown config keys are errors.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::{suggest, Error, Result};
use crate::packages::semver::{self, Spec};
use super::config::{validate_keys, Config, MODEL_KEYS, SEED_KEYS, SNAPSHOT_KEYS, SOURCE_KEYS, TEST_KEYS, UNIT_TEST_KEYS};
use super::render::YamlRenderer;

const TOP_KEYS: &[&str] = &[
    "name", "profile", "version", "config-version", "model-paths", "seed-paths", "test-paths", "macro-paths",
    "docs-paths", "analysis-paths", "snapshot-paths", "target-path", "clean-targets", "vars", "models", "seeds",
    "data_tests", "tests", "require-dbt-version", "flags", "quoting", "snapshots", "sources", "unit_tests",
    "exposures", "metrics", "semantic-models", "saved-queries", "on-run-start", "on-run-end", "log-path",
    "packages-install-path", "asset-paths", "dbt-cloud", "query-comment", "restrict-access", "source-paths",
    "data-paths", "project-root", "analyses", "dispatch",
];

/// Keys dbt does not render at load: `vars` (rendered when read), run hooks, and model hooks.
fn rendered_later(path: &[String]) -> bool {
    match path.first().map(String::as_str) {
        Some("vars" | "on-run-start" | "on-run-end" | "query-comment") => true,
        Some("models" | "seeds" | "snapshots" | "tests" | "data_tests") => {
            path.iter().any(|k| matches!(k.trim_start_matches(['+', ' ']), "pre-hook" | "post-hook" | "pre_hook" | "post_hook"))
        }
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub struct DbtProject {
    pub name: String,
    pub profile: String,
    pub model_paths: Vec<String>,
    pub seed_paths: Vec<String>,
    pub test_paths: Vec<String>,
    pub macro_paths: Vec<String>,
    pub docs_paths: Vec<String>,
    pub target_path: String,
    pub clean_targets: Vec<String>,
    pub vars: Map<String, Json>,
    pub models: Map<String, Json>,
    pub seeds: Map<String, Json>,
    pub data_tests: Map<String, Json>,
    /// `packages-install-path` (default `dbt_packages`).
    pub packages_install_path: String,
    /// `dispatch:`: a macro namespace and the packages to search for its implementations, in order.
    pub dispatch: Vec<(String, Vec<String>)>,
    pub snapshot_paths: Vec<String>,
    pub analysis_paths: Vec<String>,
    pub snapshots: Map<String, Json>,
    /// `sources:`, `unit_tests:`, `exposures:`, `metrics:`, `semantic-models:`, `saved-queries:`,
    /// `analyses:` config trees, by their dbt_project.yml key.
    pub trees: Map<String, Json>,
    pub on_run_start: Vec<String>,
    pub on_run_end: Vec<String>,
    pub log_path: String,
    /// `quoting:` as written; only the root project's counts (dbt ignores a package's).
    pub quoting: Map<String, Json>,
    /// `flags:` (dbt's behaviour flags, e.g. `require_explicit_package_overrides_for_builtin_materializations`).
    pub flags: Map<String, Json>,
}

/// Parses a YAML file into JSON, mapping syntax errors to file:line.
pub fn read_yaml(path: &Path, rel: &str) -> Result<Json> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_yaml(&text, rel)
}

pub fn parse_yaml(text: &str, rel: &str) -> Result<Json> {
    serde_yaml::from_str::<Json>(text).map_err(|e| Error::Yaml {
        file: rel.into(),
        line: e.location().map(|l| l.line()).unwrap_or(0),
        message: e.to_string(),
    })
}

fn str_list(v: Option<&Json>, default: &[&str]) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => default.iter().map(|s| s.to_string()).collect(),
    }
}

fn object(v: Option<&Json>) -> Map<String, Json> {
    v.and_then(Json::as_object).cloned().unwrap_or_default()
}

fn dispatch_list(v: Option<&Json>, file: &str) -> Result<Vec<(String, Vec<String>)>> {
    let Some(v) = v else { return Ok(vec![]) };
    let bad = || Error::project(file, "`dispatch` must be a list of `{macro_namespace: <package>, search_order: [<package>, ...]}`");
    let mut out = vec![];
    for entry in v.as_array().ok_or_else(bad)? {
        let ns = entry.get("macro_namespace").and_then(Json::as_str).ok_or_else(bad)?;
        let order = entry.get("search_order").and_then(Json::as_array).ok_or_else(bad)?;
        out.push((ns.to_string(), order.iter().filter_map(|p| p.as_str().map(String::from)).collect()));
    }
    Ok(out)
}

/// dbt's check that a project supports this dbt version (`require-dbt-version`).
fn check_dbt_version(name: &str, required: Option<&Json>) -> Result<()> {
    let wanted: Vec<String> = match required {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => return Ok(()),
    };
    let specs: Vec<Spec> = wanted.iter().map(|w| Spec::parse(w).map_err(|e| Error::project("dbt_project.yml", format!("{name}: require-dbt-version: {e}")))).collect::<Result<_>>()?;
    let installed = Spec::parse(crate::packages::DBT_VERSION).map_err(Error::Deps)?;
    if semver::compatible(&installed, &specs) {
        return Ok(());
    }
    Err(Error::Deps(format!(
        "This version of dbt is not supported with the '{name}' package.\n  Installed version of dbt: ={}\n  Required version of dbt for '{name}': {:?}\nCheck for a different version of the '{name}' package, or run dbt deps to install an available version.",
        crate::packages::DBT_VERSION, wanted
    )))
}

impl DbtProject {
    /// The project rendered without a profile target (`clean`, `deps`; `target` is undefined there).
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, &YamlRenderer::new("dbt_project.yml", &Map::new(), None, false))
    }

    /// The `profile:` it names, rendered before any profile is read (as dbt does).
    pub fn profile_name(dir: &Path, renderer: &YamlRenderer) -> Result<String> {
        let doc = Self::read(dir)?;
        let pick = |k: &str| doc.get(k).map(|v| renderer.render(v)).transpose();
        match (pick("profile")?, pick("name")?) {
            (Some(Json::String(p)), _) | (None, Some(Json::String(p))) => Ok(p),
            _ => Err(Error::project("dbt_project.yml", "`name` is required")),
        }
    }

    /// `target-path` (default `target`), rendered without a target, read before connecting.
    pub fn target_path_of(dir: &Path, renderer: &YamlRenderer) -> Result<String> {
        let doc = Self::read(dir)?;
        match doc.get("target-path").map(|v| renderer.render(v)).transpose()? {
            Some(Json::String(p)) => Ok(p),
            _ => Ok("target".into()),
        }
    }

    fn read(dir: &Path) -> Result<Json> {
        let path = dir.join("dbt_project.yml");
        if !path.exists() {
            return Err(Error::NoProject { dir: dir.to_path_buf() });
        }
        read_yaml(&path, "dbt_project.yml")
    }

    pub fn load_with(dir: &Path, renderer: &YamlRenderer) -> Result<Self> {
        let file = "dbt_project.yml";
        let doc = renderer.render_tree(&Self::read(dir)?, &mut vec![], &rendered_later)?;
        let top = doc.as_object().ok_or_else(|| Error::project(file, "expected a mapping at the top level"))?;
        for key in top.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(Error::UnknownKey {
                    file: file.into(),
                    what: "key",
                    key: key.clone(),
                    at: "the top level".into(),
                    suggestion: suggest(key, TOP_KEYS.iter().copied()),
                });
            }
        }
        let name = top.get("name").and_then(Json::as_str).ok_or_else(|| Error::project(file, "`name` is required"))?;
        check_dbt_version(name, top.get("require-dbt-version"))?;
        let tests = top.get("data_tests").or_else(|| top.get("tests"));
        check_query_comment(top.get("query-comment"), file)?;
        let trees = ["sources", "unit_tests", "exposures", "metrics", "semantic-models", "saved-queries", "analyses"]
            .iter()
            .map(|k| (k.to_string(), Json::Object(object(top.get(*k)))))
            .collect();
        Ok(DbtProject {
            name: name.to_string(),
            profile: top.get("profile").and_then(Json::as_str).unwrap_or(name).to_string(),
            model_paths: str_list(top.get("model-paths").or(top.get("source-paths")), &["models"]),
            seed_paths: str_list(top.get("seed-paths").or(top.get("data-paths")), &["seeds"]),
            test_paths: str_list(top.get("test-paths"), &["tests"]),
            macro_paths: str_list(top.get("macro-paths"), &["macros"]),
            docs_paths: str_list(top.get("docs-paths"), &[]),
            target_path: top.get("target-path").and_then(Json::as_str).unwrap_or("target").to_string(),
            clean_targets: str_list(top.get("clean-targets"), &["target"]),
            vars: object(top.get("vars")),
            models: object(top.get("models")),
            seeds: object(top.get("seeds")),
            data_tests: object(tests),
            packages_install_path: top.get("packages-install-path").and_then(Json::as_str).unwrap_or(crate::packages::DEFAULT_INSTALL_PATH).to_string(),
            dispatch: dispatch_list(top.get("dispatch"), file)?,
            snapshot_paths: str_list(top.get("snapshot-paths"), &["snapshots"]),
            analysis_paths: str_list(top.get("analysis-paths"), &[]),
            snapshots: object(top.get("snapshots")),
            trees,
            on_run_start: str_list(top.get("on-run-start"), &[]),
            on_run_end: str_list(top.get("on-run-end"), &[]),
            log_path: top.get("log-path").and_then(Json::as_str).unwrap_or("logs").to_string(),
            quoting: object(top.get("quoting")),
            flags: object(top.get("flags")),
        })
    }

    /// The root project's `quoting:` (dbt's adapter quotes as the root project says, ignoring
    /// packages'): transform always quotes, so only `true` is accepted.
    pub fn check_quoting(&self) -> Result<()> {
        let file = "dbt_project.yml";
        for (k, v) in &self.quoting {
            if !["database", "schema", "identifier", "column"].contains(&k.as_str()) {
                return Err(Error::project(file, format!("quoting: unknown key `{k}` (database, schema, identifier)")));
            }
            if v == &Json::Bool(false) {
                return Err(Error::project(file, format!("quoting.{k}: false is not supported: transform always quotes identifiers")));
            }
        }
        Ok(())
    }

    /// The folders dbt reads property files from (every resource path, each once).
    pub fn source_paths(&self) -> Vec<String> {
        let mut dirs: Vec<String> = vec![];
        for d in [&self.model_paths, &self.seed_paths, &self.snapshot_paths, &self.analysis_paths, &self.macro_paths, &self.test_paths].into_iter().flatten() {
            let d = d.trim_end_matches('/').to_string();
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        dirs
    }

    /// The merged hierarchical config for a node at `fqn` (project name, folders..., node name).
    pub fn config_for(&self, tree: Tree, fqn: &[String]) -> Result<Config> {
        let (root, known, section) = self.tree(tree);
        let mut cfg = Config::default();
        let mut level = root;
        let mut at = section.to_string();
        for (depth, part) in std::iter::once(None).chain(fqn.iter().map(Some)).enumerate() {
            if let Some(p) = part {
                match level.get(p).and_then(Json::as_object) {
                    Some(next) => level = next,
                    None => break,
                }
                at = format!("{at}.{p}");
            }
            let own = own_config(level, known, depth == 0);
            validate_keys(&own, known, "dbt_project.yml", &at)?;
            cfg.merge(&own);
        }
        Ok(cfg)
    }

    /// Reports keys in the config trees that are neither configs nor existing paths, e.g.
    /// `materialised:` — dbt silently ignores these; we name them. `paths` are all fqn prefixes.
    pub fn check_tree_paths(&self, paths: &std::collections::HashSet<Vec<String>>) -> Result<()> {
        for tree in [Tree::Models, Tree::Seeds, Tree::Tests, Tree::Snapshots] {
            let (root, known, section) = self.tree(tree);
            check_level(root, &mut vec![], section, known, paths, section != "data_tests")?;
        }
        Ok(())
    }

    /// A config tree, the keys it accepts and its name in dbt_project.yml.
    fn tree(&self, tree: Tree) -> (&Map<String, Json>, &'static [&'static str], &'static str) {
        let other = |key: &'static str, known: &'static [&'static str]| {
            let root = self.trees.get(key).and_then(Json::as_object).unwrap_or(&EMPTY);
            (root, known, key)
        };
        match tree {
            Tree::Models => (&self.models, MODEL_KEYS, "models"),
            Tree::Seeds => (&self.seeds, SEED_KEYS, "seeds"),
            Tree::Tests => (&self.data_tests, TEST_KEYS, "data_tests"),
            Tree::Snapshots => (&self.snapshots, SNAPSHOT_KEYS, "snapshots"),
            Tree::Sources => other("sources", SOURCE_KEYS),
            Tree::UnitTests => other("unit_tests", UNIT_TEST_KEYS),
            Tree::Other(key) => other(key, OTHER_KEYS),
        }
    }
}

static EMPTY: std::sync::LazyLock<Map<String, Json>> = std::sync::LazyLock::new(Map::new);

/// Configs of exposures, metrics, semantic models, saved queries and analyses.
const OTHER_KEYS: &[&str] = &["enabled", "meta", "tags", "group", "docs", "export_as", "schema", "cache"];

/// transform always quotes identifiers (dbt's default); turning quoting off is not supported.
/// transform adds no query comments; `query-comment` may only turn dbt's comment off.
fn check_query_comment(v: Option<&Json>, file: &str) -> Result<()> {
    match v {
        None | Some(Json::Null) => Ok(()),
        Some(Json::String(s)) if s.is_empty() => Ok(()),
        Some(_) => Err(Error::project(file, "query-comment: custom query comments are not supported (transform adds none; set it to null)")),
    }
}

fn check_level(
    level: &Map<String, Json>,
    prefix: &mut Vec<String>,
    section: &str,
    known: &[&str],
    paths: &std::collections::HashSet<Vec<String>>,
    strict_paths: bool,
) -> Result<()> {
    for (key, value) in level {
        if key.starts_with('+') || (known.contains(&key.as_str()) && !value.is_object()) {
            continue;
        }
        prefix.push(key.clone());
        let is_path = paths.contains(prefix.as_slice());
        if value.is_object() && (is_path || !strict_paths) {
            check_level(value.as_object().unwrap_or(&Map::new()), prefix, section, known, paths, strict_paths)?;
        } else if strict_paths && !is_path {
            let parent = &prefix[..prefix.len() - 1];
            let at = format!("{section}.{}", parent.join("."));
            // Candidates: config keys, and the folders/nodes that do exist at this level.
            let siblings: Vec<&str> =
                paths.iter().filter(|p| p.len() == prefix.len() && p.starts_with(parent)).filter_map(|p| p.last().map(String::as_str)).collect();
            return Err(Error::UnknownKey {
                file: "dbt_project.yml".into(),
                what: "config key or path",
                key: key.clone(),
                at,
                suggestion: suggest(key, known.iter().copied().chain(siblings)),
            });
        }
        prefix.pop();
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub enum Tree {
    Models,
    Seeds,
    Tests,
    Snapshots,
    Sources,
    UnitTests,
    /// `exposures`, `metrics`, `semantic-models`, `saved-queries` or `analyses`.
    Other(&'static str),
}

/// The config keys at one level: `+key` always, bare `key` when it is a known config and not a folder.
fn own_config(level: &Map<String, Json>, known: &[&str], _root: bool) -> Map<String, Json> {
    level
        .iter()
        .filter(|(k, v)| k.starts_with('+') || (known.contains(&k.as_str()) && !v.is_object()))
        .map(|(k, v)| (k.trim_start_matches('+').to_string(), v.clone()))
        .collect()
}
