//! The data a render works with: `Shared` (project-wide inputs: the target, vars per package, every
//! macro, resolved refs and sources, `graph`), `RenderCtx` (one node's render: its package, config,
//! `this`, warehouse handle, what the render recorded, its statement results, a unit test's
//! substitutions: `UnitRender`; a materialization's inputs: `MaterializationInputs`) and `Captures`. The
//! context functions that read them are in `context.rs`, `adapter.rs` and `statement.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::Value;
use serde_json::{Map, Value as Json};

use super::namespace::Namespaces;
use crate::project::{Config, RelationName, Resource};
use crate::warehouse::dialect::Dialect;
use crate::warehouse::Warehouse;

/// What a `ref()` resolves to once the project is parsed.
#[derive(Debug, Clone)]
pub struct RefTarget {
    pub unique_id: String,
    pub relation: RelationName,
    pub ephemeral: bool,
    /// `Node::cte_name`, what a ref to an ephemeral model renders.
    pub cte_name: String,
    /// For the latest version of a model with a newer (prerelease) one: (name, package, latest,
    /// newest), for dbt's UnpinnedRefNewVersionAvailable note on an unpinned `ref()`.
    pub newer: Option<(String, String, String, String)>,
}

/// Project-wide render inputs, shared by every node render.
pub struct Shared {
    pub project_name: String,
    /// The profile `type`: `adapter.type`, and the prefix `adapter.dispatch` looks for.
    pub adapter_type: String,
    /// How the target's SQL quotes and names relations (no connection needed).
    pub dialect: &'static dyn Dialect,
    /// Vars as each package's nodes see them (dbt's per-project scoping), `--vars` included.
    pub vars: HashMap<String, Map<String, Json>>,
    pub target: Json,
    pub target_database: String,
    pub target_schema: String,
    pub full_refresh: bool,
    /// `--empty`: refs and sources render as `(select * from … where false limit 0)` when executing.
    pub empty: bool,
    pub command: String,
    pub invocation_id: String,
    pub run_started_at: chrono::DateTime<chrono::Utc>,
    pub macros: Arc<Namespaces>,
    /// Filled after parse: model/seed name → its (package, relation)s, root project first.
    pub refs: HashMap<String, Vec<(String, RefTarget)>>,
    pub sources: HashMap<(String, String), (String, RelationName)>,
    /// dbt-duckdb sources read from files: (source, table) → what `source()` renders (`'data/x.csv'`).
    pub external_sources: HashMap<(String, String), String>,
    /// dbt's `graph` (nodes and sources by unique id), filled after parse; converted to a Jinja value
    /// once, not at every read (a macro reading `graph` per node would cost O(nodes²)).
    pub graph: Value,
    /// `selected_resources`: the unique ids the command selected (set once it has).
    pub selected: std::sync::OnceLock<Vec<String>>,
}

/// What one render recorded.
#[derive(Debug, Default)]
pub struct Captures {
    pub refs: Vec<crate::project::RefCall>,
    pub sources: Vec<(String, String)>,
    pub config: Map<String, Json>,
    pub ephemerals: Vec<String>,
    /// Macros the node's own template called (dbt's `depends_on.macros`: calls at depth 0), by unique id.
    pub macros: Arc<super::macros::CallLog>,
}

pub struct RenderCtx {
    pub shared: Arc<Shared>,
    pub unique_id: String,
    pub name: String,
    /// The node's package: bare macro names and vars resolve there first.
    pub package: String,
    pub file: String,
    pub resource: Resource,
    pub config: Config,
    pub this: RelationName,
    pub execute: bool,
    /// The handle of the node being executed (none at parse).
    pub warehouse: Option<Arc<dyn Warehouse>>,
    pub captures: Mutex<Captures>,
    /// For generic tests: the kwargs handed to the test macro.
    pub test_kwargs: Option<Value>,
    /// `statement` results by name, for `load_result`.
    pub results: Mutex<HashMap<String, Value>>,
    /// Set while a unit test renders its model.
    pub unit: Option<Arc<UnitRender>>,
    /// Set while a `{% materialization %}` macro builds the node.
    pub materialization: Option<Arc<MaterializationInputs>>,
}

/// What the executor hands a materialization macro: the compiled SQL and the node's hooks.
#[derive(Debug, Default)]
pub struct MaterializationInputs {
    pub sql: String,
    pub pre_hooks: Vec<String>,
    pub post_hooks: Vec<String>,
}

/// A unit test's substitutions while its model renders: given inputs become CTEs, and the
/// overridden vars, env vars and macros win over the project's.
#[derive(Debug, Default)]
pub struct UnitRender {
    /// `unit_test.<project>.<model>.<test>` and its file, for errors.
    pub unique_id: String,
    pub file: String,
    /// ref name (or `name.v<version>`) → CTE name.
    pub refs: HashMap<String, String>,
    pub sources: HashMap<(String, String), String>,
    pub this: Option<String>,
    pub vars: Map<String, Json>,
    pub env_vars: Map<String, Json>,
    pub macros: Map<String, Json>,
}

impl UnitRender {
    pub fn missing(&self, name: &str) -> minijinja::Error {
        let msg = format!("Unit_Test '{}' ({}) depends on a node named '{name}' which was not found", self.unique_id, self.file);
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg)
    }
}

impl std::fmt::Debug for RenderCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<context of {}>", self.unique_id)
    }
}


impl RenderCtx {
    /// Records a macro the node calls directly (`depends_on.macros`), once, in call order.
    pub fn record_macro(&self, unique_id: String) {
        self.call_log().record(unique_id);
    }

    /// Where this render records macro calls (macro bodies find it as `__calls`).
    pub fn call_log(&self) -> Arc<super::macros::CallLog> {
        self.captures.lock().map(|c| c.macros.clone()).unwrap_or_default()
    }

    /// Records a call of one of dbt's macros that transform implements as a context function
    /// (`is_incremental`, `run_query`, `statement`), when the node's own template makes it.
    pub fn record_builtin_macro(&self, name: &str) {
        if super::macros::at_top_level() {
            self.record_macro(format!("macro.dbt.{name}"));
        }
    }
}
