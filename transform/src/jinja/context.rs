//! The per-node render context: `ref`, `source`, `config`, `var`, `env_var`, `this`,
//! `is_incremental`, `target`, `execute`, `adapter`, `api`, `statement`, `load_result`, `run_query`,
//! `log`, `exceptions`, `model`, `graph`, `modules`… and every macro, found by name from the node's
//! package (`namespace.rs`). Calls made while rendering are recorded (refs, sources, config) for the
//! DAG and the manifest.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};
use serde_json::{Map, Value as Json};

use super::adapter::{load_relation, Adapter, Api};
use super::namespace::INTERNAL;
use super::relation::{to_value, Relation};
use super::statement::{self, Statement};
use crate::project::config::{validate_keys, Config, MODEL_KEYS, SEED_KEYS, SNAPSHOT_KEYS, TEST_KEYS};
use crate::project::{pick_ref, RefCall, RelationName, Resource};
use crate::warehouse::dialect::Dialect;
use crate::warehouse::{RelationKind, Warehouse};

pub use super::render_ctx::{Captures, RefTarget, RenderCtx, Shared, UnitRender};

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
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match (self.2, method) {
            ("config", "get") => config_get(&self.0, args, false),
            ("config", "require") => config_get(&self.0, args, true),
            ("config", "set") => {
                let (key, value): (String, Value) = minijinja::value::from_args(args)?;
                let value = serde_json::to_value(&value).map_err(|e| err(format!("config.set('{key}'): {e}")))?;
                if let Ok(mut c) = self.0.captures.lock() {
                    c.config.insert(key, value);
                }
                Ok(Value::from(""))
            }
            ("exceptions", "raise_compiler_error" | "raise_not_implemented" | "raise_fail_fast_error" | "raise_database_error") => {
                let (msg, _): (String, &[Value]) = minijinja::value::from_args(args)?;
                Err(err(msg))
            }
            ("exceptions", "warn") => {
                let (msg,): (String,) = minijinja::value::from_args(args)?;
                crate::output::printer().note(crate::events::Level::Warn, &format!("Warning in {}: {msg}", self.0.file));
                Ok(Value::from(""))
            }
            _ => Err(Error::new(ErrorKind::UnknownMethod, format!("`{}` has no method `{method}`", self.2))),
        }
    }
}

pub const CONTEXT_NAMES: &[&str] = &[
    "ref", "source", "config", "var", "env_var", "this", "is_incremental", "target", "execute", "adapter", "api",
    "run_query", "statement", "load_result", "store_result", "store_raw_result", "load_relation", "log", "exceptions",
    "model", "project_name", "flags", "invocation_id", "run_started_at", "modules", "builtins", "graph",
    "selected_resources", "dbt_version", "return",
];

impl Object for RenderCtx {
    /// Names resolve as in dbt: the user's macros (node's package, root) over the context's own
    /// functions; then packages (`dbt_utils.x`, `dbt.x`); then transform's built-in macros.
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        match key {
            "__ctx" => return Some(Value::from_dyn_object(self.clone())),
            "__calls" => return Some(Value::from_dyn_object(self.call_log())),
            "_dbt_generic_test_kwargs" => return self.test_kwargs.clone(),
            _ => {}
        }
        // A unit test's `this` and overridden macros win over everything.
        if let Some(v) = self.unit.as_ref().and_then(|u| unit_value(u, key, self.shared.dialect)) {
            return Some(v);
        }
        let macros = &self.shared.macros;
        if let Some(m) = macros.user_macro(&self.package, key) {
            return Some(Value::from_object(m.clone()));
        }
        self.builtin(key)
            .or_else(|| macros.package_value(key))
            .or_else(|| macros.get(INTERNAL, key).map(|m| Value::from_object(m.clone())))
    }
}

/// `builtins.ref`, `builtins.config`…: the context's own functions, for macros that override them.
#[derive(Debug)]
struct Builtins(Arc<RenderCtx>);

impl Object for Builtins {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.builtin(key.as_str()?)
    }
}

impl RenderCtx {
    /// The context's own functions and values (not macros).
    fn builtin(self: &Arc<Self>, key: &str) -> Option<Value> {
        let bound = |f: Bound, name: &'static str| Some(Value::from_object(BoundFn(self.clone(), f, name)));
        let sh = &self.shared;
        match key {
            "ref" => bound(ref_fn, "ref"),
            "source" => bound(source_fn, "source"),
            "config" => bound(config_fn, "config"),
            "var" => bound(var_fn, "var"),
            "env_var" => bound(env_var_fn, "env_var"),
            "is_incremental" => bound(is_incremental_fn, "is_incremental"),
            "run_query" => bound(|c, _, a| { c.record_builtin_macro("run_query"); statement::run_query(c, a) }, "run_query"),
            "load_result" => bound(|c, _, a| statement::load_result(c, a), "load_result"),
            "store_result" => bound(|c, _, a| statement::store_result(c, a), "store_result"),
            "store_raw_result" => bound(|c, _, a| statement::store_raw_result(c, a), "store_raw_result"),
            "load_relation" => bound(|c, _, a| load_relation(c, a.first().unwrap_or(&Value::from(()))), "load_relation"),
            "statement" => Some(Value::from_object(Statement(self.clone()))),
            "log" => bound(log_fn, "log"),
            "exceptions" => bound(no_call, "exceptions"),
            "adapter" => Some(Value::from_object(Adapter(self.clone()))),
            "api" => Some(Value::from_object(Api(self.clone(), "api"))),
            "builtins" => Some(Value::from_object(Builtins(self.clone()))),
            "modules" => Some(super::modules::modules()),
            "this" => Some(Relation::new(self.this.clone(), sh.dialect, "").value()),
            "target" => Some(to_value(&sh.target)),
            "execute" => Some(Value::from(self.execute)),
            "project_name" => Some(Value::from(sh.project_name.clone())),
            "invocation_id" => Some(Value::from(sh.invocation_id.clone())),
            "run_started_at" => Some(super::modules::run_started_at(sh.run_started_at)),
            "dbt_version" => Some(Value::from(crate::packages::DBT_VERSION)),
            "graph" => Some(sh.graph.clone()),
            "selected_resources" => Some(to_value(sh.selected.get().cloned().unwrap_or_default())),
            "flags" => Some(to_value(serde_json::json!({
                "FULL_REFRESH": sh.full_refresh, "EMPTY": sh.empty, "WHICH": sh.command, "STORE_FAILURES": false,
            }))),
            "model" => Some(to_value(serde_json::json!({
                "name": self.name, "unique_id": self.unique_id, "resource_type": self.resource.as_str(),
                "package_name": self.package, "original_file_path": self.file, "config": self.effective_config().0,
                "language": "sql", "compiled_code": self.materialization.as_ref().map(|m| m.sql.clone()),
            }))),
            _ => super::materialization_fns::value(self, key),
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
        let key = (src.to_string(), table.to_string());
        match self.shared.sources.get(&key) {
            Some((_, rel)) => {
                let mut r = Relation::new(rel.clone(), self.shared.dialect, "table");
                if let Some(location) = self.shared.external_sources.get(&key) {
                    if !self.shared.dialect.reads_files() {
                        return Err(err(format!(
                            "source('{src}', '{table}') has dbt-duckdb's `external_location` ({location}): the {} adapter cannot read files",
                            self.shared.adapter_type
                        )));
                    }
                    r.rendered = Some(location.clone());
                }
                Ok(self.limited(r).value())
            }
            None => Err(err(format!("source('{src}', '{table}') is not defined in any sources: YAML"))),
        }
    }

    /// dbt's `render_limited` under `--empty`: the relation read with no rows (not at parse time).
    fn limited(&self, mut r: Relation) -> Relation {
        if self.shared.empty && self.execute {
            r.rendered = Some(format!("(select * from {} where false limit 0)", r.text()));
        }
        r
    }

    /// The `ref()` of the node a test is attached to: resolved in its package, recorded without one
    /// (dbt's `refs` of a generic test hold `ref('x')` as its `model` argument writes it).
    pub fn attached_ref_value(&self, call: RefCall) -> Result<Value, Error> {
        let (package, key, pinned) = (call.package.clone(), call.key(), call.version.is_some());
        if let Ok(mut c) = self.captures.lock() {
            c.refs.push(RefCall { package: None, ..call });
        }
        self.relation_for_ref(package.as_deref(), &key, pinned)
    }

    /// A `ref()` (its package, name and version): recorded, then resolved.
    pub fn ref_value(&self, call: RefCall) -> Result<Value, Error> {
        let (package, key, pinned) = (call.package.clone(), call.key(), call.version.is_some());
        if let Ok(mut c) = self.captures.lock() {
            c.refs.push(call);
        }
        self.relation_for_ref(package.as_deref(), &key, pinned)
    }

    /// The relation `ref()` gives for `key` (`RefCall::key`: `name` or `name.v<version>`).
    fn relation_for_ref(&self, package: Option<&str>, key: &str, pinned: bool) -> Result<Value, Error> {
        let dialect = self.shared.dialect;
        if let Some(u) = &self.unit {
            return u.refs.get(key).map(|cte| cte_relation(cte, dialect)).ok_or_else(|| u.missing(key));
        }
        let found = self.shared.refs.get(key).and_then(|list| {
            let candidates: Vec<(&str, &RefTarget)> = list.iter().map(|(p, t)| (p.as_str(), t)).collect();
            pick_ref(&candidates, &self.shared.project_name, &self.package, package).copied()
        });
        let name = key.split_once(".v").map_or(key, |(n, _)| n);
        if let Some((model, pkg, latest, max)) = found.and_then(|t| t.newer.as_ref()).filter(|_| self.execute && !pinned) {
            crate::output::printer().emit(crate::events::unpinned_ref_new_version(
                format!(
                    "While compiling '{}':\nFound an unpinned reference to versioned model '{model}' in project '{pkg}'.\nResolving to latest version: {model}.v{latest}\nA prerelease version {max} is available. It has not yet been marked 'latest' by its maintainer.\nWhen that happens, this reference will resolve to {model}.v{max} instead.\n\n  Try out v{max}: {{{{ ref('{pkg}', '{model}', v='{max}') }}}}\n  Pin to  v{latest}: {{{{ ref('{pkg}', '{model}', v='{latest}') }}}}\n",
                    self.name
                ),
                serde_json::json!({"ref_node_name": model, "ref_node_package": pkg, "ref_node_version": latest, "ref_max_version": max}),
            ));
        }
        match found {
            Some(t) if t.ephemeral => {
                if let Ok(mut c) = self.captures.lock() {
                    c.ephemerals.push(t.unique_id.clone());
                }
                let mut r = Relation::new(t.relation.clone(), dialect, "cte");
                r.rendered = Some(t.cte_name.clone());
                Ok(r.value())
            }
            Some(t) => Ok(self.limited(Relation::new(t.relation.clone(), dialect, "")).value()),
            None if !self.execute => {
                let name = RelationName {
                    database: self.shared.target_database.clone(),
                    schema: self.shared.target_schema.clone(),
                    identifier: name.to_string(),
                };
                Ok(Relation::new(name, dialect, "").value())
            }
            None => Err(err(match package {
                Some(p) => format!("ref('{p}', '{key}') was not found"),
                None => format!("ref('{key}') was not found"),
            })),
        }
    }

    fn warehouse(&self) -> Result<&Arc<dyn Warehouse>, Error> {
        self.warehouse.as_ref().ok_or_else(|| err("this command has no warehouse connection"))
    }
}

fn ref_fn(ctx: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (a, b, kwargs): (String, Option<String>, Kwargs) = minijinja::value::from_args(args)?;
    let version: Option<Value> = match kwargs.get::<Option<Value>>("v")? {
        Some(v) => Some(v),
        None => kwargs.get("version")?,
    };
    let version = version.map(|v| serde_json::to_value(&v)).transpose().map_err(|e| err(format!("ref(): the version: {e}")))?;
    let (package, name) = match &b {
        Some(b) => (Some(a.as_str()), b.as_str()),
        None => (None, a.as_str()),
    };
    if let Some(p) = package {
        if !ctx.shared.macros.is_package(p) {
            return Err(err(format!("ref('{p}', '{name}'): no project or installed package is named `{p}`")));
        }
    }
    ctx.ref_value(RefCall::new(package, name, version.as_ref()))
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

fn var_fn(ctx: &Arc<RenderCtx>, state: &State, args: &[Value]) -> Result<Value, Error> {
    let (name, default): (String, Option<Value>) = minijinja::value::from_args(args)?;
    let overridden = ctx.unit.as_ref().and_then(|u| u.vars.get(&name));
    let vars = ctx.shared.vars.get(&ctx.package);
    match (overridden.or(vars.and_then(|v| v.get(&name))), default) {
        // dbt renders a var's Jinja when it is read, in the reading node's context.
        (Some(Json::String(s)), _) if s.contains("{{") || s.contains("{%") => {
            state.env().render_str(s, Value::from_dyn_object(ctx.clone())).map(Value::from)
        }
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
    ctx.record_builtin_macro("is_incremental");
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

fn log_fn(_: &Arc<RenderCtx>, _: &State, args: &[Value]) -> Result<Value, Error> {
    let (msg, info, kwargs): (String, Option<bool>, Kwargs) = minijinja::value::from_args(args)?;
    let info = info.or(kwargs.get::<Option<bool>>("info")?);
    if info.unwrap_or(false) {
        crate::output::printer().info(&msg);
    }
    Ok(Value::from(""))
}

/// Names of every macro and context function, for did-you-mean on unknown functions.
pub fn known_names(shared: &Shared) -> BTreeSet<String> {
    let mut names = shared.macros.names();
    names.extend(CONTEXT_NAMES.iter().map(|s| s.to_string()));
    names
}
