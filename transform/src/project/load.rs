//! Loading a project from its files: discover models, tests, seeds, macros and docs under the paths
//! of dbt_project.yml, rewrite macro and docs files (`preprocess`), apply YAML property files
//! (`properties`, which builds generic test nodes) and check the config tree against the folders.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::dbt_project::{DbtProject, Tree};
use super::files::{discover, read};
use super::nodes::{Project, Resource};
use super::{preprocess, properties};
use crate::error::{Error, Result};

/// Splits `models/staging/stg_x.sql` under resource dir `models` into (path, fqn).
fn path_and_fqn(project: &str, dir: &str, rel: &str) -> (String, Vec<String>) {
    let inner = rel.strip_prefix(dir).unwrap_or(rel).trim_start_matches('/').to_string();
    let mut fqn = vec![project.to_string()];
    let stem = inner.rsplit_once('.').map(|(s, _)| s).unwrap_or(&inner);
    fqn.extend(stem.split('/').map(String::from));
    (inner, fqn)
}

impl Project {
    pub fn load(root: &Path) -> Result<Project> {
        let cfg = DbtProject::load(root)?;
        let mut project =
            Project { root: root.to_path_buf(), cfg, nodes: BTreeMap::new(), sources: BTreeMap::new(), macro_files: vec![], docs: HashMap::new() };
        project.load_macros_and_docs()?;
        project.load_sql_nodes()?;
        project.load_seeds()?;
        project.load_snapshots()?;
        properties::apply_property_files(&mut project)?;
        project.check_config_paths()?;
        Ok(project)
    }

    fn load_macros_and_docs(&mut self) -> Result<()> {
        let doc_dirs: Vec<String> = if self.cfg.docs_paths.is_empty() {
            self.cfg.model_paths.iter().chain(&self.cfg.macro_paths).cloned().collect()
        } else {
            self.cfg.docs_paths.clone()
        };
        for dir in &doc_dirs {
            for rel in discover(&self.root, dir, "md")? {
                let text = read(&self.root, &rel)?;
                self.docs.extend(preprocess::docs_blocks(&text, &rel)?);
            }
        }
        for dir in self.cfg.macro_paths.clone() {
            for rel in discover(&self.root, &dir, "sql")? {
                let text = read(&self.root, &rel)?;
                self.macro_files.push(preprocess::macro_file(&rel, &text)?);
            }
        }
        Ok(())
    }

    fn load_sql_nodes(&mut self) -> Result<()> {
        let name = self.cfg.name.clone();
        for dir in &self.cfg.model_paths {
            if let Some(py) = discover(&self.root, dir, "py")?.into_iter().next() {
                return Err(Error::project(py, "Python models are not supported: dbt-duckdb runs Python models; transform does not"));
            }
        }
        for (dirs, resource) in [(self.cfg.model_paths.clone(), Resource::Model), (self.cfg.test_paths.clone(), Resource::Test)] {
            for dir in dirs {
                for rel in discover(&self.root, &dir, "sql")? {
                    let (path, fqn) = path_and_fqn(&name, &dir, &rel);
                    let node_name = fqn.last().cloned().unwrap_or_default();
                    let tree = if resource == Resource::Model { Tree::Models } else { Tree::Tests };
                    let config = self.cfg.config_for(tree, &fqn)?;
                    let node = self.new_node(resource, &node_name, &rel, path, fqn, read(&self.root, &rel)?, config);
                    self.insert(node)?;
                }
            }
        }
        Ok(())
    }

    fn load_seeds(&mut self) -> Result<()> {
        let name = self.cfg.name.clone();
        for dir in self.cfg.seed_paths.clone() {
            for rel in discover(&self.root, &dir, "csv")? {
                let (path, fqn) = path_and_fqn(&name, &dir, &rel);
                let node_name = fqn.last().cloned().unwrap_or_default();
                let config = self.cfg.config_for(Tree::Seeds, &fqn)?;
                let node = self.new_node(Resource::Seed, &node_name, &rel, path, fqn, String::new(), config);
                self.insert(node)?;
            }
        }
        Ok(())
    }

    /// The folders dbt reads property files from (every resource path, each once).
    pub fn source_paths(&self) -> Vec<String> {
        let c = &self.cfg;
        let mut dirs: Vec<String> = vec![];
        for d in [&c.model_paths, &c.seed_paths, &c.snapshot_paths, &c.analysis_paths, &c.macro_paths, &c.test_paths].into_iter().flatten() {
            let d = d.trim_end_matches('/').to_string();
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        dirs
    }

    /// Every fqn prefix of every node, to tell folder keys from typos in dbt_project.yml.
    fn check_config_paths(&self) -> Result<()> {
        let mut paths = HashSet::new();
        for n in self.nodes.values() {
            for i in 1..=n.fqn.len() {
                paths.insert(n.fqn[..i].to_vec());
            }
        }
        self.cfg.check_tree_paths(&paths)
    }
}
