//! What a loaded project is made of: `Project` (the root project and its installed `Package`s, their
//! nodes, sources, macro files and docs blocks), `Node` (a model, seed, snapshot, test or unit test), `Source`,
//! `RelationName` (where a relation lives), the generic-test attachment, `SemanticNode`/`Group`
//! (semantic models, metrics, saved queries, exposures; groups), and how `ref()` picks a node
//! across packages. Loading them from files is `load`; nothing here reads a file.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Serialize;

use super::config::Config;
use super::dbt_project::DbtProject;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Model,
    Seed,
    Test,
    Source,
    Snapshot,
    #[serde(rename = "unit_test")]
    UnitTest,
    /// Described, never built (`semantic.rs`).
    Exposure,
    Metric,
    #[serde(rename = "semantic_model")]
    SemanticModel,
    #[serde(rename = "saved_query")]
    SavedQuery,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Model => "model",
            Resource::Seed => "seed",
            Resource::Test => "test",
            Resource::Source => "source",
            Resource::Snapshot => "snapshot",
            Resource::UnitTest => "unit_test",
            Resource::Exposure => "exposure",
            Resource::Metric => "metric",
            Resource::SemanticModel => "semantic_model",
            Resource::SavedQuery => "saved_query",
        }
    }

    /// Resources that are relations `ref()` can name (models, seeds, snapshots).
    pub fn is_relation(self) -> bool {
        matches!(self, Resource::Model | Resource::Seed | Resource::Snapshot)
    }
}

/// A node whose template is one block of a file (`{% snapshot %}`): the template's name and its
/// source, padded with blank lines so errors point at the file's own line numbers.
#[derive(Debug, Clone, Serialize)]
pub struct SqlBlock {
    pub template: String,
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Column {
    pub name: String,
    pub description: String,
    /// The `{{ doc() }}` blocks the description renders (`doc.<project>.<name>`).
    pub doc_blocks: Vec<String>,
    pub data_type: Option<String>,
    /// `quote: true`: the name is quoted in a contract's DDL.
    pub quote: Option<bool>,
    pub constraints: Vec<super::constraints::Constraint>,
    /// `granularity:` (MetricFlow's time grain of the column), lower-case.
    pub granularity: Option<String>,
}

/// Where a relation lives in the warehouse.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RelationName {
    pub database: String,
    pub schema: String,
    pub identifier: String,
}

/// One `ref()` as written: `ref('m')`, `ref('pkg', 'm')`, `ref('m', v=2)` (the version as given: a
/// number or a string, as dbt writes it to the manifest).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RefCall {
    pub package: Option<String>,
    pub name: String,
    pub version: Option<serde_json::Value>,
}

impl RefCall {
    pub fn new(package: Option<&str>, name: &str, version: Option<&serde_json::Value>) -> RefCall {
        RefCall { package: package.map(String::from), name: name.to_string(), version: super::versions::given(version).cloned() }
    }

    /// What `ref()` looks up (`Project::by_name`'s key): the name, or `name.v<version>` when pinned.
    pub fn key(&self) -> String {
        match &self.version {
            Some(v) => super::versions::search_name(&self.name, v),
            None => self.name.clone(),
        }
    }
}

/// A generic test instance: the `{% test %}` macro and its arguments from YAML.
#[derive(Debug, Clone, Serialize)]
pub struct GenericTest {
    pub test_name: String,
    /// The package named in YAML (`dbt_utils.expression_is_true`), if any.
    pub namespace: Option<String>,
    pub column_name: Option<String>,
    /// Where `column_name:` was written among the arguments (a model-level test), if it was: dbt
    /// keeps it there in `test_metadata.kwargs`, and the node's `column_name` is null.
    pub column_argument_at: Option<usize>,
    /// Arguments other than `model` and `column_name`; strings like `ref('x')` are rendered.
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    /// The node (model, seed or source) the test is defined on.
    pub attached_to: String,
    /// The version of the model it is defined on (`versions:`), as written.
    pub version: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub unique_id: String,
    pub resource: Resource,
    pub name: String,
    /// The project the node belongs to: the root project's name or an installed package's.
    pub package_name: String,
    /// Relative to the root project (`dbt_packages/dbt_utils/models/x.sql` for a package's file).
    pub original_file_path: String,
    pub path: String,
    pub fqn: Vec<String>,
    pub raw_code: String,
    pub config: Config,
    pub description: String,
    /// The `{{ doc() }}` blocks the description renders (`doc.<project>.<name>`).
    pub doc_blocks: Vec<String>,
    pub columns: Vec<Column>,
    /// Model-level `constraints:` from YAML (applied with an enforced contract).
    pub constraints: Vec<super::constraints::Constraint>,
    /// A model's `time_spine:` from YAML.
    pub time_spine: Option<super::time_spine::TimeSpine>,
    pub patch_path: Option<String>,
    /// Filled by the parse render.
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub depends_on: Vec<String>,
    pub depends_on_macros: Vec<String>,
    pub relation: RelationName,
    pub generic: Option<GenericTest>,
    /// Set when the node's SQL is a block inside a larger file (snapshots).
    pub block: Option<SqlBlock>,
    /// Set for unit tests: the tested model, inputs, expected rows and overrides.
    #[serde(skip)]
    pub unit: Option<super::unit_spec::UnitSpec>,
    /// A model version (`versions:` in YAML): its `v`, the model's latest, and the deprecation date
    /// (dbt's isoformat) — also set for an unversioned model with `deprecation_date:`.
    pub version: Option<serde_json::Value>,
    pub latest_version: Option<serde_json::Value>,
    pub deprecation_date: Option<String>,
    /// A generic test's group, taken from the node it tests (dbt's `node.group`; not a config).
    pub inherited_group: Option<serde_json::Value>,
    /// dbt's file checksum: (`sha256`, hex of the file) for models, singular tests and small seeds,
    /// (`path`, the path) for seeds over 1 MiB, (`none`, "") for generic tests.
    pub checksum: (String, String),
}

pub use super::digest::{hex, sha256_hex};

impl GenericTest {

    /// dbt's own `unique` and `not_null`, which dbt's parser does not render (their `refs` keep
    /// the YAML's version as written, and `get_where_subquery` is not among their macros).
    pub fn is_builtin_shortcut(&self) -> bool {
        self.namespace.is_none() && matches!(self.test_name.as_str(), "not_null" | "unique")
    }
}

impl Node {
    pub fn materialized(&self) -> &str {
        match self.resource {
            Resource::Model => self.config.materialized(),
            Resource::Seed => "seed",
            Resource::Test => "test",
            Resource::Source => "source",
            Resource::Snapshot => "snapshot",
            other => other.as_str(),
        }
    }

    /// dbt's `node.group`: the configured group, else (for a generic test) its model's.
    pub fn group(&self) -> Option<&serde_json::Value> {
        self.config.get("group").filter(|g| !g.is_null()).or(self.inherited_group.as_ref())
    }

    /// dbt's `is_latest_version`.
    pub fn is_latest_version(&self) -> bool {
        matches!((&self.version, &self.latest_version), (Some(v), Some(l)) if super::versions::same(v, l))
    }

    /// `name` or, for a model version, `name.v<v>` (how dbt's messages and `ref()` keys name it).
    pub fn search_name(&self) -> String {
        match &self.version {
            Some(v) => super::versions::search_name(&self.name, v),
            None => self.name.clone(),
        }
    }

    /// The CTE an ephemeral model is inlined as: `__dbt__cte__<name>`, for a model version its
    /// relation's name (dbt uses the identifier; two versions must not share one CTE).
    pub fn cte_name(&self) -> String {
        match &self.version {
            Some(_) => format!("__dbt__cte__{}", self.relation.identifier),
            None => format!("__dbt__cte__{}", self.name),
        }
    }

    /// The name of the node's Jinja template (its file, or its block within the file).
    pub fn template_name(&self) -> &str {
        self.block.as_ref().map_or(&self.original_file_path, |b| &b.template)
    }

    /// The node's Jinja source (its file, or its padded block).
    pub fn template_source(&self) -> &str {
        self.block.as_ref().map_or(&self.raw_code, |b| &b.source)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub unique_id: String,
    pub package_name: String,
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
    /// The source's and the table's `meta` and `config`, merged (dbt-duckdb's `SourceConfig`): what
    /// `external_location` and `formatter` are read from and formatted with.
    pub adapter_fields: serde_json::Map<String, serde_json::Value>,
}

/// A macro file (`{% test %}` blocks already rewritten to macros) and the macros it defines.
#[derive(Debug, Clone)]
pub struct MacroFile {
    /// Relative to the root project; also the file's template name.
    pub path: String,
    /// The project the macros belong to (`dbt` for transform's built-in ones).
    pub package: String,
    pub source: String,
    pub macros: Vec<(String, usize)>,
    /// Macros whose body reads `kwargs`/`varargs` (they accept extra arguments), with their parameters.
    pub catch_all: Vec<(String, Vec<String>)>,
    /// The file's `{% materialization %}` blocks (also listed in `macros`, under dbt's macro names).
    pub materializations: Vec<super::materializations::Materialization>,
}

/// An installed package: its own dbt_project.yml and where it is, relative to the root project.
#[derive(Debug, Clone)]
pub struct Package {
    pub cfg: DbtProject,
    /// `dbt_packages/<folder>` (the folder may be a symlink, for `local:` packages).
    pub rel: String,
}

impl MacroFile {
    /// The materialization block whose macro is `name` (`materialization_table_default`).
    pub fn materialization(&self, name: &str) -> Option<&super::materializations::Materialization> {
        self.materializations.iter().find(|m| m.macro_name() == name)
    }

    /// The text of macro `name`, `{% macro … %}` to `{% endmacro %}` (dbt's `macro_sql`; state
    /// comparison reads it).
    pub fn macro_sql(&self, name: &str) -> Option<String> {
        if let Some(m) = self.materialization(name) {
            return Some(m.sql.clone());
        }
        let at = self.source.find(&format!("macro __m_{name}("))?;
        let start = self.source[..at].rfind("{%")?;
        let end_kw = at + self.source[at..].find("endmacro")?;
        let end = end_kw + self.source[end_kw..].find("%}")? + 2;
        Some(self.source[start..end].replacen(&format!("__m_{name}("), &format!("{name}("), 1))
    }
}

pub struct Project {
    pub root: PathBuf,
    pub cfg: DbtProject,
    /// Installed packages (not the root project), in folder order.
    pub packages: Vec<Package>,
    pub nodes: BTreeMap<String, Node>,
    pub sources: BTreeMap<String, Source>,
    pub macro_files: Vec<MacroFile>,
    pub docs: HashMap<String, String>,
    /// The definitions of selectors.yml.
    pub selectors: Vec<super::selectors::Selector>,
    /// Semantic models, metrics, saved queries and exposures by unique id.
    pub semantic: BTreeMap<String, SemanticNode>,
    /// `groups:` by unique id.
    pub groups: BTreeMap<String, Group>,
}

impl Project {
    /// manifest.json's `selectors`.
    pub fn selectors_json(&self) -> serde_json::Value {
        super::selectors::manifest_json(&self.selectors)
    }

    /// The root project and then every package: (its dbt_project.yml, its folder relative to the root).
    pub fn projects(&self) -> Vec<(&DbtProject, &str)> {
        std::iter::once((&self.cfg, "")).chain(self.packages.iter().map(|p| (&p.cfg, p.rel.as_str()))).collect()
    }

    /// dbt's `root_path` of a package's (or the root project's) resources: its folder, absolute.
    pub fn package_root(&self, name: &str) -> String {
        let root = std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone());
        let dir = match self.packages.iter().find(|p| p.cfg.name == name) {
            Some(p) => root.join(&p.rel),
            None => root,
        };
        dir.to_string_lossy().into_owned()
    }

    /// A project's dbt_project.yml by name (the root's or a package's).
    pub fn project_cfg(&self, name: &str) -> Option<&DbtProject> {
        self.projects().into_iter().map(|(c, _)| c).find(|c| c.name == name)
    }

    /// `path` relative to its own project (dbt's `original_file_path` for a package's file).
    pub fn in_package<'a>(&self, package: &str, path: &'a str) -> &'a str {
        match self.packages.iter().find(|p| p.cfg.name == package) {
            Some(p) => path.strip_prefix(&p.rel).map(|r| r.trim_start_matches('/')).unwrap_or(path),
            None => path,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new_node(&self, package: &str, resource: Resource, name: &str, rel: &str, path: String, fqn: Vec<String>, raw: String, config: Config) -> Node {
        // dbt strips a file's contents before it keeps them as `raw_code` and hashes them.
        let raw = if raw.trim().len() == raw.len() { raw } else { raw.trim().to_string() };
        let mut node = self.new_unhashed_node(package, resource, name, rel, path, fqn, raw, config);
        node.checksum = ("sha256".into(), sha256_hex(node.raw_code.as_bytes()));
        node
    }

    /// `new_node` with dbt's checksum of a node that is no file of its own (`none`: generic tests).
    #[allow(clippy::too_many_arguments)]
    pub fn new_unhashed_node(&self, package: &str, resource: Resource, name: &str, rel: &str, path: String, fqn: Vec<String>, raw: String, config: Config) -> Node {
        Node {
            unique_id: format!("{}.{}.{}", resource.as_str(), package, name),
            resource,
            name: name.to_string(),
            package_name: package.to_string(),
            original_file_path: rel.to_string(),
            path,
            fqn,
            checksum: ("none".into(), String::new()),
            raw_code: raw,
            config,
            description: String::new(),
            doc_blocks: vec![],
            columns: vec![],
            constraints: vec![],
            time_spine: None,
            patch_path: None,
            refs: vec![],
            sources: vec![],
            depends_on: vec![],
            depends_on_macros: vec![],
            relation: RelationName::default(),
            generic: None,
            block: None,
            unit: None,
            version: None,
            latest_version: None,
            deprecation_date: None,
            inherited_group: None,
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

    /// Enabled models, seeds and snapshots by `ref()` key (`RefCall::key`), each with its package (root
    /// project first): a model version under `name.v<v>`, the latest version also under `name`.
    pub fn by_name(&self) -> HashMap<String, Vec<(&str, &Node)>> {
        let mut out: HashMap<String, Vec<(&str, &Node)>> = HashMap::new();
        for n in self.nodes.values().filter(|n| n.resource.is_relation() && n.config.enabled()) {
            let entry = (n.package_name.as_str(), n);
            match &n.version {
                Some(v) => {
                    out.entry(super::versions::search_name(&n.name, v)).or_default().push(entry);
                    if n.is_latest_version() {
                        out.entry(n.name.clone()).or_default().push(entry);
                    }
                }
                None => out.entry(n.name.clone()).or_default().push(entry),
            }
        }
        for list in out.values_mut() {
            list.sort_by_key(|(p, _)| (*p != self.cfg.name, *p));
        }
        out
    }
}

/// Which of the same-named candidates (package, item) a `ref()` gets, by dbt's rule: `ref('p', 'x')`
/// only package `p`; `ref('x')` from the root project the root's, else any package's; from a package,
/// the root's, then the package's own, then any package's.
pub fn pick_ref<'a, T>(candidates: &'a [(&str, T)], root: &str, from: &str, package: Option<&str>) -> Option<&'a T> {
    let find = |p: &str| candidates.iter().find(|(c, _)| *c == p).map(|(_, t)| t);
    match package {
        Some(p) => find(p),
        None => find(root).or_else(|| find(from)).or_else(|| candidates.first().map(|(_, t)| t)),
    }
}

/// A semantic model, metric, saved query or exposure.
#[derive(Debug, Clone)]
pub struct SemanticNode {
    pub unique_id: String,
    pub resource: Resource,
    pub name: String,
    pub package_name: String,
    pub original_file_path: String,
    pub fqn: Vec<String>,
    pub tags: Vec<String>,
    pub config: serde_json::Map<String, serde_json::Value>,
    /// The normalised entry (dbt's fields with their defaults), without the resolved `depends_on`.
    pub entry: serde_json::Value,
    /// What the entry names: `ref()`s as (package, name), `source()`s, metrics and measures.
    pub wants: Wants,
    /// Unique ids, filled by `compile`.
    pub depends_on: Vec<String>,
    /// Its place in parse order (dbt's order of the semantic manifest's lists).
    pub seq: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Wants {
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub metrics: Vec<String>,
    pub measures: Vec<String>,
}

/// A `groups:` entry (groups are not graph nodes: models name them in `config.group`).
#[derive(Debug, Clone)]
pub struct Group {
    pub unique_id: String,
    pub name: String,
    pub entry: serde_json::Value,
}
