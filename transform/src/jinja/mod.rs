//! The Jinja engine: one minijinja environment holding every model, singular test and macro file
//! (the project's, its packages' and transform's own `dbt` macros in `dbt/`; node templates compile on
//! first use, so the parse render compiles them on all cores), with minijinja-contrib's
//! Python-compatible methods and mutable lists and dicts (`mutable.rs`, `literals.rs`). `render`
//! turns a node into SQL with its context; errors become `file:line:col` messages with the macro stack.

pub mod adapter;
pub mod context;
pub mod helpers;
pub mod literals;
pub mod macros;
pub mod materialization_fns;
pub mod materialization_lookup;
pub mod materialization_run;
pub mod modules;
pub mod mutable;
pub mod py_ops;
pub mod namespace;
pub mod regex_module;
pub mod relation;
pub mod render_ctx;
pub mod statement;
pub mod table;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::value::Kwargs;
use minijinja::{Environment, Value};
use serde_json::Value as Json;

use crate::error::{suggest, Error, Result};
use crate::project::preprocess;
use crate::project::{Config, MacroFile, Node, Project, RelationName, Resource};
use crate::warehouse::Warehouse;
use context::{Captures, RenderCtx, Shared};
pub use context::UnitRender;
use macros::MacroCaller;
use namespace::{Namespaces, INTERNAL};
pub use relation::to_value;
use relation::Relation;

/// transform's own macros: dbt's global project (schema names, generic tests, cross-database macros).
const DBT_MACROS: &[(&str, &str)] = &[
    ("dbt/builtins.sql", include_str!("dbt/builtins.sql")),
    // One file per generic test: every macro call evaluates its whole file first (`macros.rs`).
    ("dbt/generic/not_null.sql", include_str!("dbt/generic/not_null.sql")),
    ("dbt/generic/unique.sql", include_str!("dbt/generic/unique.sql")),
    ("dbt/generic/accepted_values.sql", include_str!("dbt/generic/accepted_values.sql")),
    ("dbt/generic/relationships.sql", include_str!("dbt/generic/relationships.sql")),
    ("dbt/dates.sql", include_str!("dbt/dates.sql")),
    ("dbt/series.sql", include_str!("dbt/series.sql")),
    ("dbt/sets.sql", include_str!("dbt/sets.sql")),
    ("dbt/strings.sql", include_str!("dbt/strings.sql")),
    ("dbt/tests.sql", include_str!("dbt/tests.sql")),
    ("dbt/types.sql", include_str!("dbt/types.sql")),
    ("dbt/materializations.sql", include_str!("dbt/materializations.sql")),
];

pub struct Engine {
    pub env: Environment<'static>,
    pub shared: Arc<Shared>,
}

/// The result of rendering one node.
pub struct Rendered {
    pub sql: String,
    pub captures: Captures,
    pub config: Config,
}

/// transform's built-in macro files, preprocessed like a project's.
fn builtin_files() -> Result<Vec<MacroFile>> {
    DBT_MACROS.iter().map(|(path, text)| preprocess::macro_file(INTERNAL, path, text)).collect()
}

/// Every macro by package (built-ins as package `dbt`), with the root project's `dispatch:` orders.
pub fn macro_table(project: &Project, adapter: &str) -> Result<Namespaces> {
    let mut table = Namespaces::new(&project.cfg.name, adapter, &project.cfg.dispatch);
    for (cfg, _) in project.projects() {
        table.add_project(&cfg.name);
    }
    for f in builtin_files()?.iter().chain(&project.macro_files) {
        for (name, _) in &f.macros {
            let catch_all = f.catch_all.iter().find(|(n, _)| n == name).map(|(_, params)| Arc::new(params.clone()));
            table.add(&f.package, MacroCaller { name: name.clone(), package: f.package.clone(), file: f.path.clone(), catch_all });
        }
    }
    Ok(table)
}

/// Adds a template, with its list and dict literals made mutable (`literals.rs`) and date arithmetic
/// routed through `py_ops.rs`.
fn add_template(env: &mut Environment<'static>, name: &str, source: &str) -> Result<()> {
    env.add_template_owned(name.to_string(), literals::rewrite(&py_ops::rewrite(source))).map_err(|e| format_error(&e, None))
}

/// The functions every template sees besides its node's context.
fn add_functions(env: &mut Environment<'static>) {
    minijinja_contrib::add_to_environment(env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("return", macros::return_fn);
    env.add_function("__list", mutable::list_fn);
    env.add_function("__dict", mutable::dict_fn);
    env.add_function("dict", mutable::dict_global);
    env.add_function("__py_binop", py_ops::binop);
    env.add_filter("list", mutable::list_filter);
    helpers::register(env);
}

/// An environment with the engine's functions and no project, for unit tests of single features.
#[cfg(test)]
pub fn test_render(src: &str) -> String {
    let mut env = Environment::new();
    add_functions(&mut env);
    env.add_global("modules", modules::modules());
    env.add_global("run_started_at", modules::run_started_at(chrono::DateTime::from_timestamp(1704164645, 6000).unwrap_or_default()));
    env.render_str(&literals::rewrite(&py_ops::rewrite(src)), ()).unwrap_or_else(|e| format!("ERR {e:#}"))
}

impl Engine {
    pub fn new(project: &Project, shared: Shared) -> Result<Engine> {
        let mut env = Environment::new();
        add_functions(&mut env);
        let mut macro_paths = std::collections::HashSet::new();
        for f in builtin_files()?.iter().chain(&project.macro_files) {
            add_template(&mut env, &f.path, &f.source)?;
            macro_paths.insert(f.path.clone());
        }
        // Node templates compile on first use (the parse render, on all cores) instead of here, one
        // after another; `template_error` reports a node's syntax error as adding it used to.
        let mut sources: HashMap<String, String> = HashMap::new();
        for n in project.nodes.values().filter(|n| n.generic.is_none() && !matches!(n.resource, Resource::Seed | Resource::UnitTest)) {
            match macro_paths.contains(n.template_name()) {
                // A node named like a macro file replaced it when templates were added eagerly: still does.
                true => add_template(&mut env, n.template_name(), n.template_source())?,
                false => drop(sources.insert(n.template_name().to_string(), n.template_source().to_string())),
            }
        }
        env.set_loader(move |name| Ok(sources.get(name).map(|s| literals::rewrite(&py_ops::rewrite(s)))));
        Ok(Engine { env, shared: Arc::new(shared) })
    }

    /// The syntax error of a node's template, if it has one (compiling it, if not yet compiled).
    pub fn template_error(&self, node: &Node) -> Option<Error> {
        match node.generic {
            Some(_) => None,
            None => self.env.get_template(node.template_name()).err().map(|e| format_error(&e, None)),
        }
    }

    fn context(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>) -> Arc<RenderCtx> {
        self.context_with(node, this, execute, wh, None)
    }

    fn context_with(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>, unit: Option<Arc<UnitRender>>) -> Arc<RenderCtx> {
        Arc::new(self.node_ctx(node, this, execute, wh, unit))
    }

    /// A node's render context (`materialization_run.rs` adds a materialization's inputs to it).
    fn node_ctx(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>, unit: Option<Arc<UnitRender>>) -> RenderCtx {
        RenderCtx {
            shared: self.shared.clone(),
            unique_id: node.unique_id.clone(),
            name: node.name.clone(),
            package: node.package_name.clone(),
            file: node.original_file_path.clone(),
            resource: node.resource,
            config: node.config.clone(),
            this,
            execute,
            warehouse: wh.cloned(),
            captures: Mutex::new(Captures::default()),
            test_kwargs: None,
            results: Mutex::new(HashMap::new()),
            unit,
            materialization: None,
        }
    }

    /// Renders `model` for a unit test: its inputs are the test's fixture CTEs, with its overrides.
    pub fn render_unit(&self, model: &Node, unit: UnitRender, wh: Option<&Arc<dyn Warehouse>>) -> Result<String> {
        let ctx = self.context_with(model, model.relation.clone(), true, wh, Some(Arc::new(unit)));
        let tmpl = self.env.get_template(model.template_name()).map_err(|e| format_error(&e, Some(&self.shared)))?;
        tmpl.render(Value::from_dyn_object(ctx)).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// Renders a model or test; `execute` is false during parse (no warehouse, refs unresolved).
    /// `wh` is the handle the node runs on (`run_query`, `is_incremental`, `adapter.*` use it).
    pub fn render(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>) -> Result<Rendered> {
        let ctx = self.context(node, this, execute, wh);
        let ctx_value = Value::from_dyn_object(ctx.clone());
        let sql = match &node.generic {
            Some(g) => self.render_generic(node, g, &ctx, ctx_value)?,
            None => {
                let tmpl = self.env.get_template(node.template_name()).map_err(|e| format_error(&e, Some(&self.shared)))?;
                tmpl.render(ctx_value).map_err(|e| format_error(&e, Some(&self.shared)))?
            }
        };
        let config = ctx.effective_config();
        let captures = ctx.captures.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
        Ok(Rendered { sql, captures, config })
    }

    /// A generic test: evaluates its YAML arguments (`to: ref('x')`) and calls `test_<name>`.
    fn render_generic(&self, node: &Node, g: &crate::project::GenericTest, ctx: &Arc<RenderCtx>, ctx_value: Value) -> Result<String> {
        let here = |e: minijinja::Error| Error::Jinja(format!("{}: test {}: {}", node.original_file_path, node.name, chain_text(&e)));
        let macro_name = format!("test_{}", g.test_name);
        let found = match &g.namespace {
            Some(ns) => self.shared.macros.get(ns, &macro_name),
            None => self.shared.macros.lookup(&node.package_name, &macro_name),
        };
        let caller = found.ok_or_else(|| {
            let names = self.shared.macros.names();
            let wanted = g.namespace.as_ref().map(|ns| format!("{ns}.{macro_name}")).unwrap_or_else(|| macro_name.clone());
            Error::MissingRef {
                file: node.original_file_path.clone(),
                node: format!("data test on {}", g.attached_to),
                what: "generic test",
                name: wanted.replace("test_", ""),
                suggestion: suggest(&wanted, names.iter().map(String::as_str)).map(|s| s.replace("test_", "")),
            }
        })?;
        // dbt's order in `depends_on.macros`: the test macro, what the arguments call, then
        // `get_where_subquery` (which dbt skips for its own `unique` and `not_null`).
        ctx.record_macro(caller.unique_id());
        let mut kwargs: Vec<(String, Value)> = vec![];
        for (k, v) in &g.kwargs {
            let value = match v.as_str() {
                Some(s) if s.contains("{{") => {
                    // dbt renders test arguments natively: "{{ var('list') }}" becomes a list.
                    let text = self.env.render_str(s, ctx_value.clone()).map_err(here)?;
                    match serde_yaml::from_str::<Json>(&text) {
                        Ok(parsed @ (Json::Array(_) | Json::Number(_) | Json::Bool(_))) => to_value(parsed),
                        _ => Value::from(text),
                    }
                }
                Some(s) if s.contains("ref(") || s.contains("source(") => {
                    self.env.compile_expression(s).and_then(|e| e.eval(ctx_value.clone())).map_err(here)?
                }
                _ => mutable::from_json(v),
            };
            kwargs.push((k.clone(), value));
        }
        if let Some(c) = &g.column_name {
            kwargs.push(("column_name".into(), Value::from(c.clone())));
        }
        let recorded = !(g.is_builtin_shortcut() && caller.package == INTERNAL);
        let model = self.attached_relation(g, ctx).map_err(here)?;
        // The project's `get_where_subquery` (or its dispatched form) runs as in dbt; dbt records
        // the macro `get_where_subquery` resolves to.
        let custom = self.where_override(&ctx.package);
        if recorded {
            ctx.record_macro(custom.filter(|m| m.name == "get_where_subquery").map_or("macro.dbt.get_where_subquery".into(), |m| m.unique_id()));
        }
        let model = match custom {
            Some(m) => macros::nested(|| m.invoke(&self.env, ctx_value.clone(), &[model])).map_err(here)?,
            None => self.filtered(model, ctx),
        };
        kwargs.push(("model".into(), model));
        // Rendered at parse too (execute = false), as dbt does: `config()` in a test macro
        // (dbt_utils' `fail_calc`) is recorded then.
        let out = caller.invoke(&self.env, ctx_value, &[Value::from(Kwargs::from_iter(kwargs))]);
        out.map(|v| v.to_string()).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// The tested relation (`ref()` or `source()` of the node the test is on), recorded.
    fn attached_relation(&self, g: &crate::project::GenericTest, ctx: &Arc<RenderCtx>) -> Result<Value, minijinja::Error> {
        let rel = match g.attached_to.splitn(3, '.').collect::<Vec<_>>().as_slice() {
            ["source", _, rest] => match rest.split_once('.') {
                Some((src, table)) => ctx.source_value(src, table)?,
                None => return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "bad test target")),
            },
            // A model version's id ends in `.v<version>`: its name is the id's third part.
            [_, package, rest] => {
                let name = if g.version.is_some() { rest.split_once('.').map_or(*rest, |(n, _)| n) } else { rest };
                // dbt records `not_null`/`unique` refs with the YAML version; other tests render
                // `ref('m', version='2')` from their `model` argument, so theirs is the text.
                let shortcut = g.is_builtin_shortcut();
                let version = g.version.as_ref().map(|v| if shortcut { v.clone() } else { Json::String(crate::project::versions::text(v)) });
                // Resolved in the node's package; recorded as the YAML writes it (no package), as dbt does.
                ctx.attached_ref_value(crate::project::RefCall::new(Some(package), name, version.as_ref()))?
            }
            _ => return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "bad test target")),
        };
        Ok(rel)
    }

    /// A project's own `get_where_subquery`, or its `<adapter>__`/`default__` form (what dbt's
    /// dispatches to): dbt's documented way to change how a test's `where` applies.
    fn where_override(&self, package: &str) -> Option<&MacroCaller> {
        let macros = &self.shared.macros;
        let dispatched = [format!("{}__get_where_subquery", self.shared.adapter_type), "default__get_where_subquery".to_string()];
        let user = |name: &str| macros.user_macro(package, name).filter(|m| m.package != INTERNAL);
        user("get_where_subquery").or_else(|| dispatched.iter().find_map(|n| user(n)))
    }

    /// dbt's `default__get_where_subquery`: the relation, or `(select * from … where …) dbt_subquery`
    /// when the test has a `where` config.
    fn filtered(&self, rel: Value, ctx: &Arc<RenderCtx>) -> Value {
        let filter = ctx.config.str("where").map(String::from);
        match (filter, rel.downcast_object_ref::<Relation>()) {
            (Some(w), Some(r)) => {
                let mut r = r.clone();
                r.rendered = Some(format!("(select * from {} where {w}) dbt_subquery", r.text()));
                r.value()
            }
            _ => rel,
        }
    }

    /// Renders a hook (`pre_hook`/`post_hook`) in the node's context, on the node's handle `wh`.
    pub fn render_hook(&self, node: &Node, text: &str, wh: Option<&Arc<dyn Warehouse>>) -> Result<String> {
        let ctx = Value::from_dyn_object(self.context(node, node.relation.clone(), true, wh));
        self.env.render_str(text, ctx).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// Renders a project hook (`on-run-start`/`on-run-end`) with `extra` values over `node`'s context
    /// (`results`, `schemas`, `database_schemas` at the end of a run, as dbt gives them).
    pub fn render_project_hook(&self, node: &Node, text: &str, wh: &Arc<dyn Warehouse>, extra: &Json) -> Result<String> {
        let ctx = Value::from_dyn_object(self.context(node, node.relation.clone(), true, Some(wh)));
        let ctx = minijinja::value::merge_maps([mutable::from_json(extra), ctx]);
        self.env.render_str(text, ctx).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// The macro `run-operation NAME` calls, found as dbt finds it: `package.macro` in that package; a
    /// bare name in the root project, then in the installed packages, then dbt's own.
    pub fn operation_macro(&self, name: &str) -> Result<&MacroCaller> {
        let macros = &self.shared.macros;
        let found = match name.split_once('.') {
            Some((package, bare)) => macros.get(package, bare),
            None => macros
                .get(&self.shared.project_name, name)
                .or_else(|| {
                    // Installed packages in name order, so the same project always finds the same macro.
                    let mut packages: Vec<&String> = macros.by_package.keys().filter(|p| p.as_str() != INTERNAL).collect();
                    packages.sort();
                    packages.into_iter().find_map(|p| macros.get(p, name))
                })
                .or_else(|| macros.get(INTERNAL, name)),
        };
        found.ok_or_else(|| {
            let names = macros.names();
            let hint = crate::error::did_you_mean(&suggest(name, names.iter().map(String::as_str)));
            Error::Usage(format!("run-operation: no macro named `{name}`{hint}"))
        })
    }

    /// `run-operation`: calls macro `name` with keyword `args`, executing (statements and `run_query`
    /// run on `wh`); `node` stands for the operation. Returns what the macro rendered or returned.
    pub fn run_operation(&self, node: &Node, name: &str, args: &Json, wh: &Arc<dyn Warehouse>) -> Result<String> {
        let caller = self.operation_macro(name)?;
        let ctx = Value::from_dyn_object(self.context(node, RelationName::default(), true, Some(wh)));
        let kwargs: Vec<(String, Value)> = args.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()).unwrap_or_default();
        let out = caller.invoke(&self.env, ctx, &[Value::from(Kwargs::from_iter(kwargs))]);
        out.map(|v| v.to_string()).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// Renders SQL that is not a node (a dashboard panel): refs and sources resolve and are recorded,
    /// `var` and the project's macros work; `file` and `name` label errors.
    pub fn render_inline(&self, name: &str, file: &str, text: &str) -> Result<Rendered> {
        let ctx = Arc::new(RenderCtx {
            shared: self.shared.clone(),
            unique_id: name.to_string(),
            name: name.to_string(),
            package: self.shared.project_name.clone(),
            file: file.to_string(),
            resource: Resource::Model,
            config: Config::default(),
            this: RelationName::default(),
            execute: true,
            warehouse: None,
            captures: Mutex::new(Captures::default()),
            test_kwargs: None,
            results: Mutex::new(HashMap::new()),
            unit: None,
            materialization: None,
        });
        let sql = self.env.render_str(text, Value::from_dyn_object(ctx.clone())).map_err(|e| format_error(&e, Some(&self.shared)))?;
        let captures = ctx.captures.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
        Ok(Rendered { sql, captures, config: Config::default() })
    }

    /// Calls the root project's macro (else the built-in one) by name with positional arguments,
    /// outside any node's SQL (schema and alias names: dbt ignores packages' versions of these).
    pub fn call_macro(&self, node: &Node, name: &str, args: &[Value]) -> Result<String> {
        let caller = self.shared.macros.root_or_internal(name).ok_or_else(|| Error::Usage(format!("macro {name} not found")))?;
        let ctx = Value::from_dyn_object(self.context(node, RelationName::default(), false, None));
        caller.invoke(&self.env, ctx, args).map(|v| v.to_string().trim().to_string()).map_err(|e| format_error(&e, Some(&self.shared)))
    }
}

/// The messages along an error's source chain, outermost first.
fn chain_text(e: &minijinja::Error) -> String {
    let mut parts = vec![e.detail().unwrap_or_default().to_string()];
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = cur {
        parts.push(match s.downcast_ref::<minijinja::Error>() {
            Some(m) => m.detail().unwrap_or_default().to_string(),
            None => s.to_string(),
        });
        cur = s.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.join(": ")
}

fn location(e: &minijinja::Error) -> Option<String> {
    let name = e.name()?;
    let line = e.line().unwrap_or(0);
    let col = match (e.range(), e.template_source()) {
        (Some(r), Some(src)) => src.get(..r.start).and_then(|s| s.rsplit('\n').next()).map(|l| l.chars().count() + 1).unwrap_or(1),
        _ => 1,
    };
    Some(format!("{name}:{line}:{col}"))
}

/// `file:line:col: message`, then the macro call stack (innermost first), with did-you-mean for
/// unknown functions.
pub fn format_error(e: &minijinja::Error, shared: Option<&Shared>) -> Error {
    let mut frames: Vec<(&minijinja::Error, Option<String>)> = vec![(e, location(e))];
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = cur {
        if let Some(m) = s.downcast_ref::<minijinja::Error>() {
            frames.push((m, location(m)));
        }
        cur = s.source();
    }
    let (inner, inner_loc) = frames.last().map(|(e, l)| (*e, l.clone())).unwrap_or((e, None));
    let mut msg = inner_loc.unwrap_or_else(|| "<unknown>".into());
    // Our own context functions raise InvalidOperation with a complete message; skip the kind.
    if inner.kind() != minijinja::ErrorKind::InvalidOperation || inner.detail().is_none() {
        msg.push_str(&format!(": {}", inner.kind()));
    }
    if let Some(d) = inner.detail() {
        msg.push_str(&format!(": {d}"));
    }
    if let (Some(shared), minijinja::ErrorKind::UnknownFunction) = (shared, inner.kind()) {
        let unknown = inner.detail().and_then(|d| d.split_whitespace().next()).unwrap_or_default();
        let names = context::known_names(shared);
        msg.push_str(&crate::error::did_you_mean(&suggest(unknown, names.iter().map(String::as_str))));
    }
    if frames.len() > 1 {
        msg.push_str("\n  macro stack (innermost first):");
        for (f, loc) in frames.iter().rev().skip(1) {
            let what = f.detail().unwrap_or_default();
            msg.push_str(&format!("\n    {what} called at {}", loc.clone().unwrap_or_default()));
        }
    }
    Error::Jinja(crate::output::redact(&msg))
}

/// Target fields exposed as `target` (never passwords, tokens or keyfiles).
pub fn target_value(t: &crate::project::profiles::Target, database: &str, schema: &str) -> Json {
    let mut m = serde_json::Map::new();
    for (k, v) in &t.fields {
        let secret = ["pass", "token", "secret", "key"].iter().any(|s| k.contains(s));
        if !secret && !v.is_object() {
            m.insert(k.clone(), v.clone());
        }
    }
    m.insert("name".into(), Json::from(t.name.clone()));
    m.insert("profile_name".into(), Json::from(t.profile_name.clone()));
    m.insert("type".into(), Json::from(t.adapter_type.clone()));
    m.insert("database".into(), Json::from(database));
    m.insert("schema".into(), Json::from(schema));
    m.insert("threads".into(), Json::from(t.threads));
    Json::Object(m)
}
