//! Slim CI's view of an earlier run (`--state DIR`: its manifest.json and, when present, run_results.json):
//! which nodes are new or modified in dbt's sense (`state:new`, `state:modified[.body|.configs|.relation|
//! .persisted_descriptions|.macros]`), each node's last result (`result:<status>`), and the relations recorded
//! for each node, which `--defer` resolves unbuilt refs to. Reads dbt's manifests as well as ours.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};


use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::project::{Node, Project, RelationName};

/// The fields of a manifest node that state comparison and deferral read (serde skips the rest).
#[derive(Deserialize)]
struct StateNode {
    #[serde(default)]
    raw_code: Option<String>,
    #[serde(default)]
    checksum: Option<Json>,
    #[serde(default)]
    unrendered_config: Map<String, Json>,
    #[serde(default)]
    fqn: Vec<String>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    columns: Map<String, Json>,
    #[serde(default)]
    config: Map<String, Json>,
    #[serde(default)]
    resource_type: String,
}

#[derive(Deserialize)]
struct StateMacro {
    #[serde(default)]
    macro_sql: Option<String>,
}

#[derive(Deserialize)]
struct StateManifest {
    #[serde(default)]
    nodes: HashMap<String, StateNode>,
    #[serde(default)]
    sources: HashMap<String, StateNode>,
    #[serde(default)]
    macros: HashMap<String, StateMacro>,
}

#[derive(Deserialize)]
struct StateResult {
    unique_id: String,
    status: String,
}

#[derive(Deserialize)]
struct StateResults {
    results: Vec<StateResult>,
}

pub struct State {
    pub dir: PathBuf,
    nodes: HashMap<String, StateNode>,
    macros: HashMap<String, StateMacro>,
    results: HashMap<String, String>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| Error::Usage(format!("{}: not a dbt artifact ({e})", path.display())))
}

impl State {
    /// `dir/manifest.json` (required, as in dbt) and `dir/run_results.json` (for `result:` selectors).
    pub fn load(dir: &Path) -> Result<State> {
        let manifest_path = dir.join("manifest.json");
        if !manifest_path.is_file() {
            return Err(Error::Usage(format!(
                "--state {}: no manifest.json there (save the target/ folder of the run to compare with)",
                dir.display()
            )));
        }
        let m: StateManifest = read_json(&manifest_path)?;
        let results_path = dir.join("run_results.json");
        let results = if results_path.is_file() {
            let r: StateResults = read_json(&results_path)?;
            r.results.into_iter().map(|r| (r.unique_id, r.status)).collect()
        } else {
            HashMap::new()
        };
        let mut nodes = m.nodes;
        nodes.extend(m.sources);
        Ok(State { dir: dir.to_path_buf(), nodes, macros: m.macros, results })
    }

    /// The status of `unique_id` in the state's run_results.json (`result:error` etc.).
    pub fn result(&self, unique_id: &str) -> Option<&str> {
        self.results.get(unique_id).map(String::as_str)
    }

    /// The relation the state recorded for a node (database, schema, alias or identifier).
    pub fn relation(&self, unique_id: &str) -> Option<RelationName> {
        let n = self.nodes.get(unique_id)?;
        if matches!(n.resource_type.as_str(), "test" | "ephemeral") || n.config.get("materialized").and_then(Json::as_str) == Some("ephemeral") {
            return None;
        }
        Some(RelationName {
            database: n.database.clone().unwrap_or_default(),
            schema: n.schema.clone()?,
            identifier: n.alias.clone().or_else(|| n.identifier.clone())?,
        })
    }

    /// Whether `unique_id` matches `state:<check>` (dbt's StateSelectorMethod checks).
    pub fn check(&self, check: &str, project: &Project, unique_id: &str, modified_macros: &BTreeSet<String>) -> Result<bool> {
        let old = self.nodes.get(unique_id);
        let Some(new) = Current::of(project, unique_id) else { return Ok(false) };
        Ok(match check {
            "new" => old.is_none(),
            "old" => old.is_some(),
            "modified" => old.is_none_or(|o| !same_contents(o, &new)) || macros_modified(new.macros, modified_macros),
            "unmodified" => old.is_some_and(|o| same_contents(o, &new)) && !macros_modified(new.macros, modified_macros),
            "modified.body" => old.is_none_or(|o| !same_body(o, &new)),
            "modified.configs" => old.is_none_or(|o| o.unrendered_config != *new.unrendered_config),
            "modified.relation" => old.is_none_or(|o| !same_relation(o, &new)),
            "modified.persisted_descriptions" => old.is_none_or(|o| !same_descriptions(o, &new)),
            "modified.macros" => macros_modified(new.macros, modified_macros),
            "modified.contract" => false,
            other => {
                return Err(Error::Usage(format!(
                    "state:{other}: expected one of new, old, modified, unmodified, modified.body, modified.configs, \
                     modified.relation, modified.persisted_descriptions, modified.macros, modified.contract"
                )))
            }
        })
    }

    /// Macros whose SQL differs from the state's, or that were added or removed (dbt's `_macros_modified`).
    pub fn modified_macros(&self, current: &HashMap<String, String>) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = current
            .iter()
            .filter(|(id, sql)| self.macros.get(*id).is_none_or(|m| m.macro_sql.as_deref() != Some(sql.as_str())))
            .map(|(id, _)| id.clone())
            .collect();
        out.extend(self.macros.keys().filter(|id| !current.contains_key(*id)).cloned());
        out
    }
}

/// A source's `unrendered_config` as manifest.json writes it.
pub fn source_unrendered(s: &crate::project::Source) -> Map<String, Json> {
    let meta = if s.meta.is_null() { Json::Object(Map::new()) } else { s.meta.clone() };
    let mut m = Map::new();
    m.insert("loaded_at_field".into(), serde_json::to_value(&s.loaded_at_field).unwrap_or_default());
    m.insert("meta".into(), meta);
    m.insert("tags".into(), serde_json::to_value(&s.tags).unwrap_or_default());
    m
}

/// The current node's side of a comparison.
struct Current<'a> {
    raw_code: &'a str,
    checksum: String,
    unrendered_config: std::borrow::Cow<'a, Map<String, Json>>,
    fqn: &'a [String],
    description: &'a str,
    columns: Vec<(&'a str, &'a str)>,
    persist: (bool, bool),
    macros: &'a [String],
    is_seed: bool,
}

impl<'a> Current<'a> {
    fn of(project: &'a Project, id: &str) -> Option<Current<'a>> {
        if let Some(n) = project.nodes.get(id) {
            return Some(Current::node(n));
        }
        let s = project.sources.get(id)?;
        Some(Current {
            raw_code: "",
            checksum: String::new(),
            // What the manifest records for a source (artifacts/nodes.rs, as dbt does).
            unrendered_config: std::borrow::Cow::Owned(source_unrendered(s)),
            fqn: &s.fqn,
            description: &s.description,
            columns: vec![],
            persist: (false, false),
            macros: &[],
            is_seed: false,
        })
    }

    fn node(n: &'a Node) -> Current<'a> {
        let docs = n.config.get("persist_docs");
        let flag = |k: &str| docs.and_then(|d| d.get(k)).and_then(Json::as_bool).unwrap_or(false);
        Current {
            raw_code: &n.raw_code,
            checksum: n.checksum.1.clone(),
            unrendered_config: std::borrow::Cow::Borrowed(&n.config.0),
            fqn: &n.fqn,
            description: &n.description,
            columns: n.columns.iter().map(|c| (c.name.as_str(), c.description.as_str())).collect(),
            persist: (flag("relation"), flag("columns")),
            macros: &n.depends_on_macros,
            is_seed: n.resource == crate::project::Resource::Seed,
        }
    }
}

/// Models and tests compare their SQL; seeds their file checksum (dbt's `same_body` / `same_seeds`).
fn same_body(old: &StateNode, new: &Current) -> bool {
    if new.is_seed {
        return old.checksum.as_ref().and_then(|c| c.get("checksum")).and_then(Json::as_str) == Some(new.checksum.as_str());
    }
    old.raw_code.as_deref().unwrap_or_default() == new.raw_code
}

/// dbt compares the configured values (unrendered), not what generate_schema_name made of them.
fn same_relation(old: &StateNode, new: &Current) -> bool {
    ["database", "schema", "alias"].iter().all(|k| old.unrendered_config.get(*k) == new.unrendered_config.get(*k))
}

fn same_descriptions(old: &StateNode, new: &Current) -> bool {
    let (relation, columns) = new.persist;
    let old_columns: Vec<(&str, &str)> = old
        .columns
        .iter()
        .map(|(k, v)| (k.as_str(), v.get("description").and_then(Json::as_str).unwrap_or_default()))
        .collect();
    (!relation || old.description == new.description) && (!columns || old_columns == new.columns)
}

fn same_contents(old: &StateNode, new: &Current) -> bool {
    same_body(old, new)
        && old.unrendered_config == *new.unrendered_config
        && same_descriptions(old, new)
        && old.fqn == new.fqn
        && same_relation(old, new)
}

/// One of a node's macros was modified (transform records the macros a node calls directly).
fn macros_modified(macros: &[String], modified: &BTreeSet<String>) -> bool {
    macros.iter().any(|m| modified.contains(m))
}
