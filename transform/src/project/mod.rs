//! The loaded dbt project: its nodes (models, seeds, tests), sources, macro files and docs blocks.
//! `load` discovers files, reads YAML property files and builds the generic test nodes; the Jinja
//! pass (`compile::parse_nodes`) then fills each node's refs, sources and in-file config.

pub mod config;
pub mod dbt_project;
pub mod profiles;
pub mod properties;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
pub use config::Config;
use dbt_project::{DbtProject, Tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Model,
    Seed,
    Test,
    Source,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Model => "model",
            Resource::Seed => "seed",
            Resource::Test => "test",
            Resource::Source => "source",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Column {
    pub name: String,
    pub description: String,
    pub data_type: Option<String>,
}

/// Where a relation lives in the warehouse.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RelationName {
    pub database: String,
    pub schema: String,
    pub identifier: String,
}

/// A generic test instance: the `{% test %}` macro and its arguments from YAML.
#[derive(Debug, Clone, Serialize)]
pub struct GenericTest {
    pub test_name: String,
    pub column_name: Option<String>,
    /// Arguments other than `model` and `column_name`; strings like `ref('x')` are rendered.
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    /// The node (model, seed or source) the test is defined on.
    pub attached_to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub unique_id: String,
    pub resource: Resource,
    pub name: String,
    pub original_file_path: String,
    pub path: String,
    pub fqn: Vec<String>,
    pub raw_code: String,
    pub config: Config,
    pub description: String,
    pub columns: Vec<Column>,
    pub patch_path: Option<String>,
    /// Filled by the parse render.
    pub refs: Vec<Vec<String>>,
    pub sources: Vec<(String, String)>,
    pub depends_on: Vec<String>,
    pub depends_on_macros: Vec<String>,
    pub relation: RelationName,
    pub generic: Option<GenericTest>,
}

impl Node {
    pub fn materialized(&self) -> &str {
        match self.resource {
            Resource::Model => self.config.materialized(),
            Resource::Seed => "seed",
            Resource::Test => "test",
            Resource::Source => "source",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub unique_id: String,
    pub source_name: String,
    pub name: String,
    pub original_file_path: String,
    pub fqn: Vec<String>,
    pub description: String,
    pub columns: Vec<Column>,
    pub loaded_at_field: Option<String>,
    pub freshness: serde_json::Value,
    pub relation: RelationName,
    /// `database`/`schema` as written (None: the target's defaults apply).
    pub database: Option<String>,
    pub schema: String,
    pub tags: Vec<String>,
    pub meta: serde_json::Value,
}

/// A macro file (`{% test %}` blocks already rewritten to macros) and the macros it defines.
#[derive(Debug, Clone)]
pub struct MacroFile {
    pub path: String,
    pub source: String,
    pub macros: Vec<(String, usize)>,
}

pub struct Project {
    pub root: PathBuf,
    pub cfg: DbtProject,
    pub nodes: BTreeMap<String, Node>,
    pub sources: BTreeMap<String, Source>,
    pub macro_files: Vec<MacroFile>,
    pub docs: HashMap<String, String>,
}

/// Recursively lists files under `dir` with the extension `ext`, sorted, as paths relative to `root`.
pub fn discover(root: &Path, dir: &str, ext: &str) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        if !d.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let p = entry.map_err(|e| Error::io(&d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                let rel = p.strip_prefix(root).unwrap_or(&p);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn read(root: &Path, rel: &str) -> Result<String> {
    let p = root.join(rel);
    std::fs::read_to_string(&p).map_err(|e| Error::io(p, e))
}

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
                self.docs.extend(crate::jinja::preprocess::docs_blocks(&text, &rel)?);
            }
        }
        for dir in self.cfg.macro_paths.clone() {
            for rel in discover(&self.root, &dir, "sql")? {
                let text = read(&self.root, &rel)?;
                self.macro_files.push(crate::jinja::preprocess::macro_file(&rel, &text)?);
            }
        }
        Ok(())
    }

    fn load_sql_nodes(&mut self) -> Result<()> {
        let name = self.cfg.name.clone();
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

    #[allow(clippy::too_many_arguments)]
    pub fn new_node(&self, resource: Resource, name: &str, rel: &str, path: String, fqn: Vec<String>, raw: String, config: Config) -> Node {
        Node {
            unique_id: format!("{}.{}.{}", resource.as_str(), self.cfg.name, name),
            resource,
            name: name.to_string(),
            original_file_path: rel.to_string(),
            path,
            fqn,
            raw_code: raw,
            config,
            description: String::new(),
            columns: vec![],
            patch_path: None,
            refs: vec![],
            sources: vec![],
            depends_on: vec![],
            depends_on_macros: vec![],
            relation: RelationName::default(),
            generic: None,
        }
    }

    pub fn insert(&mut self, node: Node) -> Result<()> {
        if let Some(old) = self.nodes.get(&node.unique_id) {
            return Err(Error::project(
                &node.original_file_path,
                format!("two {}s are named `{}` (the other is {})", node.resource.as_str(), node.name, old.original_file_path),
            ));
        }
        self.nodes.insert(node.unique_id.clone(), node);
        Ok(())
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

    /// Enabled models and seeds by name, for `ref()` resolution.
    pub fn by_name(&self) -> HashMap<&str, &Node> {
        self.nodes
            .values()
            .filter(|n| matches!(n.resource, Resource::Model | Resource::Seed) && n.config.enabled())
            .map(|n| (n.name.as_str(), n))
            .collect()
    }
}
