//! The per-node render context: `ref`, `source`, `config`, `var`, `env_var`, `this`,
//! `is_incremental`, `target`, `execute`, `adapter`, `run_query`, `log`, `exceptions`, `model`.
//! Calls made while rendering are recorded (refs, sources, config) for the DAG and the manifest.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use minijinja::value::{Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};
use serde_json::{Map, Value as Json};

use super::macros::MacroCaller;
use super::relation::{column_value, to_value, Relation, Table};
use crate::project::config::{validate_keys, Config, MODEL_KEYS, SEED_KEYS, SNAPSHOT_KEYS, TEST_KEYS};
use crate::project::{RelationName, Resource};
use crate::warehouse::dialect::Dialect;
use crate::warehouse::{RelationKind, Warehouse};

/// What a `ref()` resolves to once the project is parsed.
#[derive(Debug, Clone)]
pub struct RefTarget {
    pub unique_id: String,
    pub relation: RelationName,
    pub ephemeral: bool,
}

/// Project-wide render inputs, shared by every node render.
pub struct Shared {
    pub project_name: String,
    /// The profile `type`: `adapter.type`, and the prefix `adapter.dispatch` looks for.
    pub adapter_type: String,
    /// How the target's SQL quotes and names relations (no connection needed).
    pub dialect: &'static dyn Dialect,
    pub vars: Map<String, Json>,
    pub target: Json,
    pub target_database: String,
    pub target_schema: String,
    pub full_refresh: bool,
    pub command: String,
    pub invocation_id: String,
    pub run_started_at: String,
    pub macros: HashMap<String, MacroCaller>,
    /// Filled after parse: model/seed name → relation.
    pub refs: HashMap<String, RefTarget>,
    pub sources: HashMap<(String, String), (String, RelationName)>,
}

/// What one render recorded.
#[derive(Debug, Default)]
pub struct Captures {
    pub refs: Vec<Vec<String>>,
    pub sources: Vec<(String, String)>,
    pub config: Map<String, Json>,
    pub ephemerals: Vec<String>,
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
    fn missing(&self, name: &str) -> Error {
        err(format!("Unit_Test '{}' ({}) depends on a node named '{name}' which was not found", self.unique_id, self.file))
    }
}

pub struct RenderCtx {
    pub shared: Arc<Shared>,
    pub unique_id: String,
    pub name: String,
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
    /// Set while a unit test renders its model.
    pub unit: Option<Arc<UnitRender>>,
}

impl std::fmt::Debug for RenderCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<context of {}>", self.unique_id)
    }
}

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

type Bound = fn(&Arc<RenderCtx>, &State, &[Value]) -> Result<Value, Error>;

/// A context function bound to its node.
struct BoundFn(Arc<RenderCtx>, Bound, &'static str);

impl std::fmt::Debug for BoundFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<function {}>", self.2)
    }
}

impl Object for BoundFn {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        (self.1)(&self.0, state, args)
    }
    fn call_method(self: &Arc<Self>, state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match (self.2, method) {
            ("config", "get") => config_get(&self.0, args, false),
            ("config", "require") => config_get(&self.0, args, true),
            ("exceptions", "raise_compiler_error") => {
                let (msg,): (String,) = minijinja::value::from_args(args)?;
                Err(err(msg))
            }
            ("exceptions", "warn") => {
                let (msg,): (String,) = minijinja::value::from_args(args)?;
                crate::output::printer().event("warn", &format!("Warning in {}: {msg}", self.0.file), Json::Null);
                Ok(Value::from(""))
            }
            ("adapter", m) => adapter_method(&self.0, state, m, args),
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("`{}` has no method `{method}`", self.2))),
        }
    }
}

pub const CONTEXT_NAMES: &[&str] = &[
    "ref", "source", "config", "var", "env_var", "this", "is_incremental", "target", "execute", "adapter",
    "run_query", "log", "exceptions", "model", "project_name", "flags", "invocation_id", "run_started_at", "return",
];

impl Object for RenderCtx {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let bound = |f: Bound, name: &'static str| Some(Value::from_object(BoundFn(self.clone(), f, name)));
        if let Some(v) = self.unit.as_ref().and_then(|u| unit_value(u, key.as_str()?, self.shared.dialect)) {
            return Some(v);
        }
        match key.as_str()? {
            "__ctx" => Some(Value::from_dyn_object(self.clone())),
            "ref" => bound(ref_fn, "ref"),
            "source" => bound(source_fn, "source"),
            "config" => bound(config_fn, "config"),
            "var" => bound(var_fn, "var"),
            "env_var" => bound(env_var_fn, "env_var"),
            "is_incremental" => bound(is_incremental_fn, "is_incremental"),
            "run_query" => bound(run_query_fn, "run_query"),
            "log" => bound(log_fn, "log"),
            "exceptions" => bound(no_call, "exceptions"),
            "adapter" => bound(no_call, "adapter"),
            "this" => Some(Relation::new(self.this.clone(), self.shared.dialect, "").value()),
            "target" => Some(to_value(&self.shared.target)),
            "execute" => Some(Value::from(self.execute)),
            "project_name" => Some(Value::from(self.shared.project_name.clone())),
            "invocation_id" => Some(Value::from(self.shared.invocation_id.clone())),
            "run_started_at" => Some(Value::from(self.shared.run_started_at.clone())),
            "flags" => Some(to_value(serde_json::json!({
                "FULL_REFRESH": self.shared.full_refresh, "WHICH": self.shared.command,
            }))),
            "model" => Some(to_value(serde_json::json!({
                "name": self.name, "unique_id": self.unique_id, "resource_type": self.resource.as_str(),
                "original_file_path": self.file, "config": self.effective_config().0,
            }))),
            "_dbt_generic_test_kwargs" => self.test_kwargs.clone(),
            _ => None,
        }
    }
}

/// A unit test's `this` (when given) and its overridden macros (each returns the given value).
fn unit_value(u: &UnitRender, key: &str, dialect: &'static dyn Dialect) -> Option<Value> {
    match key {
        "this" => u.this.as_ref().map(|cte| cte_relation(cte, dialect)),
        "is_incremental" => None,
        k => u.macros.get(k).map(|v| Value::from_object(Constant(to_value(v)))),
    }
}

fn cte_relation(cte: &str, dialect: &'static dyn Dialect) -> Value {
    let mut r = Relation::new(RelationName { identifier: cte.to_string(), ..Default::default() }, dialect, "cte");
    r.rendered = Some(cte.to_string());
    r.value()
}

/// A macro replaced by a unit test's `overrides.macros`: calling it returns the value.
#[derive(Debug)]
struct Constant(Value);

impl Object for Constant {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call(self: &Arc<Self>, _: &mut State<'_, '_>, _: &[Value]) -> Result<Value, Error> {
        Ok(self.0.clone())
    }
}

fn no_call(_: &Arc<RenderCtx>, _: &State, _: &[Value]) -> Result<Value, Error> {
    Err(err("this object is not callable"))
}

impl RenderCtx {
    /// The node's config with the in-file `config()` calls applied.
    pub fn effective_config(&self) -> Config {
        let mut c = self.config.clone();
        if let Ok(cap) = self.captures.lock() {
            c.merge(&cap.config);
        }
        c
    }

    /// `source(src, table)`: recorded, then resolved.
    pub fn source_value(&self, src: &str, table: &str) -> Result<Value, Error> {
        if let Ok(mut c) = self.captures.lock() {
            c.sources.push((src.to_string(), table.to_string()));
        }
        if let Some(u) = &self.unit {
            let cte = u.sources.get(&(src.to_string(), table.to_string())).ok_or_else(|| u.missing(table))?;
            return Ok(cte_relation(cte, self.shared.dialect));
        }
        match self.shared.sources.get(&(src.to_string(), table.to_string())) {
            Some((_, rel)) => Ok(Relation::new(rel.clone(), self.shared.dialect, "table").value()),
            None => Err(err(format!("source('{src}', '{table}') is not defined in any sources: YAML"))),
        }
    }

    /// `ref(name)`: recorded, then resolved.
    pub fn ref_value(&self, name: &str) -> Result<Value, Error> {
        if let Ok(mut c) = self.captures.lock() {
            c.refs.push(vec![name.to_string()]);
        }
        self.relation_for_ref(name)
    }

    fn relation_for_ref(&self, name: &str) -> Result<Value, Error> {
        let dialect = self.shared.dialect;
        if let Some(u) = &self.unit {
            return u.refs.get(name).map(|cte| cte_relation(cte, dialect)).ok_or_else(|| u.missing(name));
        }
        match self.shared.refs.get(name) {
            Some(t) if t.ephemeral => {
                if let Ok(mut c) = self.captures.lock() {
                    c.ephemerals.push(t.unique_id.clone());
                }
                let mut r = Relation::new(t.relation.clone(), dialect, "cte");
                r.rendered = Some(format!("__dbt__cte__{name}"));
                Ok(r.value())
            }
            Some(t) => Ok(Relation::new(t.relation.clone(), dialect, "").value()),
            None if !self.execute => {
                let name = RelationName {
                    database: self.shared.target_database.clone(),
                    schema: self.shared.target_schema.clone(),
                    identifier: name.to_string(),
                };
                Ok(Relation::new(name, dialect, "").value())
            }
            None => Err(err(format!("ref('{name}') was not found"))),
        }
    }

    fn warehouse(&self) -> Result<&Arc<dyn Warehouse>, Error> {
        self.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))
    }
}

fn ref_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (a, b, kwargs): (String, Option<String>, Kwargs) = minijinja::value::from_args(args)?;
    let _version: Option<Value> = kwargs.get("v").or_else(|_| kwargs.get("version"))?;
    if b.is_some() && a != ctx.shared.project_name {
        return Err(err(format!("ref('{a}', ...): package `{a}` is not this project; packages are not supported")));
    }
    let parts = match &b {
        Some(b) => vec![a.clone(), b.clone()],
        None => vec![a.clone()],
    };
    if let Ok(mut c) = ctx.captures.lock() {
        c.refs.push(parts);
    }
    ctx.relation_for_ref(b.as_deref().unwrap_or(&a))
}

fn source_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (src, table): (String, String) = minijinja::value::from_args(args)?;
    ctx.source_value(&src, &table)
}

fn config_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (kwargs,): (Kwargs,) = minijinja::value::from_args(args)?;
    let mut map = Map::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        let json = serde_json::to_value(&v).map_err(|e| err(format!("config `{key}`: {e}")))?;
        map.insert(key.to_string(), json);
    }
    let known = match ctx.resource {
        Resource::Seed => SEED_KEYS,
        Resource::Test => TEST_KEYS,
        Resource::Snapshot => SNAPSHOT_KEYS,
        _ => MODEL_KEYS,
    };
    if let Err(crate::error::Error::UnknownKey { key, suggestion, .. }) = validate_keys(&map, known, &ctx.file, "config()") {
        return Err(err(format!("unknown config key `{key}`{}", crate::error::did_you_mean(&suggestion))));
    }
    if let Ok(mut c) = ctx.captures.lock() {
        let mut merged = Config(std::mem::take(&mut c.config));
        merged.merge(&map);
        c.config = merged.0;
    }
    Ok(Value::from(""))
}

fn config_get(ctx: &Arc<RenderCtx>, args: &[Value], require: bool) -> Result<Value, Error> {
    let (key, default): (String, Option<Value>) = minijinja::value::from_args(args)?;
    match ctx.effective_config().get(&key) {
        Some(v) => Ok(to_value(v)),
        None if require => Err(err(format!("config `{key}` is required for {}", ctx.name))),
        None => Ok(default.unwrap_or(Value::from(()))),
    }
}

fn var_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (name, default): (String, Option<Value>) = minijinja::value::from_args(args)?;
    let overridden = ctx.unit.as_ref().and_then(|u| u.vars.get(&name));
    match (overridden.or(ctx.shared.vars.get(&name)), default) {
        (Some(v), _) => Ok(to_value(v)),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(err(format!(
            "required var `{name}` not found (set it under `vars:` in dbt_project.yml or with --vars)"
        ))),
    }
}

fn env_var_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (name, default): (String, Option<Value>) = minijinja::value::from_args(args)?;
    if name.starts_with("DBT_ENV_SECRET") {
        return Err(err(format!("secret env var `{name}` may only be used in profiles.yml")));
    }
    if let Some(v) = ctx.unit.as_ref().and_then(|u| u.env_vars.get(&name)) {
        return Ok(Value::from(v.as_str().map(String::from).unwrap_or_else(|| v.to_string())));
    }
    match (std::env::var(&name), default) {
        (Ok(v), _) => Ok(Value::from(v)),
        (Err(_), Some(d)) => Ok(d),
        (Err(_), None) => Err(err(format!("env var `{name}` is not set and has no default"))),
    }
}

fn is_incremental_fn(ctx: &Arc<RenderCtx>, _: &State, _: &[Value]) -> Result<Value, Error> {
    if let Some(u) = &ctx.unit {
        return Ok(Value::from(u.macros.get("is_incremental").and_then(Json::as_bool).unwrap_or(false)));
    }
    let cfg = ctx.effective_config();
    let full_refresh = match cfg.get("full_refresh").and_then(Json::as_bool) {
        Some(forced) => forced,
        None => ctx.shared.full_refresh,
    };
    if !ctx.execute || cfg.materialized() != "incremental" || full_refresh {
        return Ok(Value::from(false));
    }
    let kind = ctx.warehouse()?.relation_kind(&ctx.this).map_err(|e| err(e.to_string()))?;
    Ok(Value::from(kind == Some(RelationKind::Table)))
}

fn run_query_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (sql,): (String,) = minijinja::value::from_args(args)?;
    if !ctx.execute {
        return Ok(Value::from(()));
    }
    let rows = ctx.warehouse()?.query(&sql, 100_000).map_err(|e| err(e.to_string()))?;
    Ok(Value::from_object(Table(rows)))
}

fn log_fn(_: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (msg, info, kwargs): (String, Option<bool>, Kwargs) = minijinja::value::from_args(args)?;
    let info = info.or(kwargs.get::<Option<bool>>("info")?);
    if info.unwrap_or(false) {
        crate::output::printer().info(&msg);
    }
    Ok(Value::from(""))
}

fn adapter_method(ctx: &Arc<RenderCtx>, _state: &State, method: &str, args: &[Value]) -> Result<Value, Error> {
    let (adapter, dialect) = (ctx.shared.adapter_type.clone(), ctx.shared.dialect);
    match method {
        "dispatch" => {
            let (name, _ns, kwargs): (String, Option<String>, Kwargs) = minijinja::value::from_args(args)?;
            let _: Option<String> = kwargs.get("macro_namespace")?;
            dispatch(&ctx.shared, &name)
        }
        "quote" => {
            let (s,): (String,) = minijinja::value::from_args(args)?;
            Ok(Value::from(dialect.quote(&s)))
        }
        "type" => Ok(Value::from(adapter)),
        "get_relation" => {
            let (kwargs,): (Kwargs,) = minijinja::value::from_args(args)?;
            let name = RelationName {
                database: kwargs.get("database")?,
                schema: kwargs.get("schema")?,
                identifier: kwargs.get("identifier")?,
            };
            if !ctx.execute {
                return Ok(Value::from(()));
            }
            match ctx.warehouse()?.relation_kind(&name).map_err(|e| err(e.to_string()))? {
                Some(k) => Ok(Relation::new(name, dialect, if k == RelationKind::View { "view" } else { "table" }).value()),
                None => Ok(Value::from(())),
            }
        }
        "get_columns_in_relation" => {
            let (rel,): (Value,) = minijinja::value::from_args(args)?;
            let Some(r) = rel.downcast_object_ref::<Relation>() else { return Err(err("expected a relation")) };
            if !ctx.execute {
                return Ok(Value::from(Vec::<Value>::new()));
            }
            let cols = ctx.warehouse()?.columns(&r.name).map_err(|e| err(e.to_string()))?;
            Ok(Value::from_iter(cols.iter().map(|c| column_value(c, dialect))))
        }
        _ => Err(Error::new(ErrorKind::UnknownMethod, format!("adapter has no method `{method}`"))),
    }
}

/// `adapter.dispatch('name')`: `<adapter>__name`, then `default__name`.
pub fn dispatch(shared: &Shared, name: &str) -> Result<Value, Error> {
    let candidates = [format!("{}__{name}", shared.adapter_type), format!("default__{name}")];
    candidates
        .iter()
        .find_map(|c| shared.macros.get(c))
        .map(|m| Value::from_object(m.clone()))
        .ok_or_else(|| err(format!("adapter.dispatch: no macro named {} or {}", candidates[0], candidates[1])))
}

/// Names of every macro and context function, for did-you-mean on unknown functions.
pub fn known_names(shared: &Shared) -> BTreeSet<String> {
    shared.macros.keys().cloned().chain(CONTEXT_NAMES.iter().map(|s| s.to_string())).collect()
}
