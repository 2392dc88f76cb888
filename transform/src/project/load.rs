//! Loading a project from its files: the root project and every package installed under
//! `packages-install-path` (a packages.yml asking for more than is installed is dbt's error). For each
//! project: discover models, tests, seeds, macros and docs under the paths of its dbt_project.yml,
//! rewrite macro and docs files (`preprocess`), apply YAML property files (`properties`, which builds
//! generic test nodes) and check the root's config tree against the folders.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::Map;

use super::dbt_project::{DbtProject, Tree};
use super::files::{discover, read, under};
use super::nodes::{Package, Project, Resource};
use super::render::YamlRenderer;
use super::{preprocess, properties, Config};
use crate::error::{Error, Result};
use crate::packages;

/// Splits `models/staging/stg_x.sql` under resource dir `models` into (path, fqn).
fn path_and_fqn(project: &str, dir: &str, rel: &str) -> (String, Vec<String>) {
    let inner = rel.strip_prefix(dir).unwrap_or(rel).trim_start_matches('/').to_string();
    let mut fqn = vec![project.to_string()];
    let stem = inner.rsplit_once('.').map(|(s, _)| s).unwrap_or(&inner);
    fqn.extend(stem.split('/').map(String::from));
    (inner, fqn)
}

/// The installed packages, each read with its own dbt_project.yml.
fn load_packages(root: &Path, cfg: &DbtProject, renderer: &YamlRenderer) -> Result<Vec<Package>> {
    let (wanted, file) = packages::read_package_files(root, &|v| Ok(v.clone()))?;
    let install_dir = root.join(&cfg.packages_install_path);
    let dirs = packages::installed(&install_dir)?;
    if wanted.len() > dirs.len() {
        return Err(Error::Deps(format!(
            "dbt found {} package(s) specified in {file}, but only {} package(s) installed in {}. Run \"transform deps\" to install package dependencies.",
            wanted.len(),
            dirs.len(),
            cfg.packages_install_path
        )));
    }
    let mut out: Vec<Package> = vec![];
    for dir in dirs {
        let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let rel = format!("{}/{folder}", cfg.packages_install_path.trim_end_matches('/'));
        let pkg = DbtProject::load_with(&dir, renderer).map_err(|e| Error::Deps(format!("Failed to read package {rel}: {e}")))?;
        if pkg.name == cfg.name || out.iter().any(|p| p.cfg.name == pkg.name) {
            return Err(Error::Deps(format!(
                "dbt found more than one package with the name \"{}\" included in this project. Package names must be unique in a project. Please rename one of these packages.",
                pkg.name
            )));
        }
        out.push(Package { cfg: pkg, rel });
    }
    Ok(out)
}

impl Project {
    /// The project with no profile target and no --vars (tests and tools that never connect).
    pub fn load(root: &Path) -> Result<Project> {
        Self::load_with(root, &YamlRenderer::new("dbt_project.yml", &Map::new(), None, false))
    }

    pub fn load_with(root: &Path, renderer: &YamlRenderer) -> Result<Project> {
        let cfg = DbtProject::load_with(root, renderer)?;
        cfg.check_quoting()?;
        let packages = load_packages(root, &cfg, renderer)?;
        let mut project = Project {
            root: root.to_path_buf(),
            cfg,
            packages,
            nodes: BTreeMap::new(),
            sources: BTreeMap::new(),
            macro_files: vec![],
            docs: HashMap::new(),
            selectors: vec![],
            semantic: Default::default(),
            groups: Default::default(),
        };
        let owned: Vec<(DbtProject, String)> = project.projects().into_iter().map(|(c, r)| (c.clone(), r.to_string())).collect();
        for (cfg, rel) in &owned {
            project.load_macros_and_docs(cfg, rel)?;
            project.load_sql_nodes(cfg, rel)?;
            project.load_seeds(cfg, rel)?;
            project.load_snapshots(cfg, rel)?;
        }
        properties::apply_property_files(&mut project)?;
        project.check_config_paths()?;
        project.selectors = super::selectors::load(root)?;
        Ok(project)
    }

    fn load_macros_and_docs(&mut self, cfg: &DbtProject, rel: &str) -> Result<()> {
        let doc_dirs: Vec<String> =
            if cfg.docs_paths.is_empty() { cfg.model_paths.iter().chain(&cfg.macro_paths).cloned().collect() } else { cfg.docs_paths.clone() };
        for dir in &doc_dirs {
            for file in discover(&self.root, &under(rel, dir), "md")? {
                let text = read(&self.root, &file)?;
                self.docs.extend(preprocess::docs_blocks(&text, &file)?);
            }
        }
        for dir in &cfg.macro_paths {
            for file in discover(&self.root, &under(rel, dir), "sql")? {
                let text = read(&self.root, &file)?;
                self.macro_files.push(preprocess::macro_file(&cfg.name, &file, &text)?);
            }
        }
        Ok(())
    }

    /// A node's config: its package's dbt_project.yml, then the root project's (which wins).
    pub fn tree_config(&self, package: &str, tree: Tree, fqn: &[String]) -> Result<Config> {
        let mut cfg = match self.packages.iter().find(|p| p.cfg.name == package) {
            Some(p) => p.cfg.config_for(tree, fqn)?,
            None => Config::default(),
        };
        cfg.merge(&self.cfg.config_for(tree, fqn)?.0);
        Ok(cfg)
    }

    fn load_sql_nodes(&mut self, cfg: &DbtProject, rel: &str) -> Result<()> {
        for dir in &cfg.model_paths {
            if let Some(py) = discover(&self.root, &under(rel, dir), "py")?.into_iter().next() {
                return Err(Error::project(py, "Python models are not supported: dbt-duckdb runs Python models; transform does not"));
            }
        }
        for (dirs, resource, tree) in [(&cfg.model_paths, Resource::Model, Tree::Models), (&cfg.test_paths, Resource::Test, Tree::Tests)] {
            for dir in dirs {
                let dir = under(rel, dir);
                // Reading, configuring and hashing files is independent: on all cores, inserted in file order.
                let files = discover(&self.root, &dir, "sql")?;
                let nodes = crate::parallel::map(&files, |file| {
                    let (path, fqn) = path_and_fqn(&cfg.name, &dir, file);
                    let node_name = fqn.last().cloned().unwrap_or_default();
                    let config = self.tree_config(&cfg.name, tree, &fqn)?;
                    let raw = read(&self.root, file)?;
                    Ok::<_, Error>(self.new_node(&cfg.name, resource, &node_name, file, path, fqn, raw, config))
                });
                for node in nodes {
                    self.insert(node?)?;
                }
            }
        }
        Ok(())
    }

    fn load_seeds(&mut self, cfg: &DbtProject, rel: &str) -> Result<()> {
        for dir in &cfg.seed_paths {
            let dir = under(rel, dir);
            for file in discover(&self.root, &dir, "csv")? {
                let (path, fqn) = path_and_fqn(&cfg.name, &dir, &file);
                let node_name = fqn.last().cloned().unwrap_or_default();
                let config = self.tree_config(&cfg.name, Tree::Seeds, &fqn)?;
                let mut node = self.new_node(&cfg.name, Resource::Seed, &node_name, &file, path, fqn, String::new(), config);
                node.checksum = super::files::seed_checksum(&self.root, &file)?;
                self.insert(node)?;
            }
        }
        Ok(())
    }

    /// Every fqn prefix of every node (packages' too: the root may configure them), to tell folder
    /// keys from typos in the root's dbt_project.yml. Packages' own trees are theirs, not checked.
    fn check_config_paths(&self) -> Result<()> {
        let mut paths = HashSet::new();
        for n in self.nodes.values() {
            for i in 1..=n.fqn.len() {
                paths.insert(n.fqn[..i].to_vec());
            }
        }
        for p in &self.packages {
            paths.insert(vec![p.cfg.name.clone()]);
        }
        self.cfg.check_tree_paths(&paths)
    }
}
