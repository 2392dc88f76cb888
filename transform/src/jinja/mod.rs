//! The Jinja engine: one minijinja environment holding every model, singular test and macro file
//! (plus the built-in macros), with minijinja-contrib's Python-compatible methods. `render` turns a
//! node into SQL with its context; errors become `file:line:col` messages with the macro stack.

pub mod context;
pub mod macros;
pub mod relation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::value::Kwargs;
use minijinja::{Environment, Value};
use serde_json::Value as Json;

use crate::error::{suggest, Error, Result};
use crate::project::preprocess;
use crate::project::{Config, Node, Project, RelationName, Resource};
use crate::warehouse::Warehouse;
use context::{Captures, RenderCtx, Shared};
pub use context::UnitRender;
use macros::MacroCaller;
pub use relation::to_value;
use relation::Relation;

pub const BUILTINS_FILE: &str = "dbt/builtins.sql";
const BUILTINS: &str = include_str!("builtins.sql");

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

/// All macros by name: built-ins first, project macros override them.
/// Macro files as (template name, source), and every macro by name.
pub type MacroTable = (Vec<(String, String)>, HashMap<String, MacroCaller>);

pub fn macro_table(project: &Project) -> Result<MacroTable> {
    let builtins = preprocess::macro_file(BUILTINS_FILE, BUILTINS)?;
    let mut files = vec![(BUILTINS_FILE.to_string(), builtins.source.clone())];
    let mut table = HashMap::new();
    for f in std::iter::once(&builtins).chain(&project.macro_files) {
        for (name, _) in &f.macros {
            table.insert(name.clone(), MacroCaller { name: name.clone(), file: f.path.clone() });
        }
        if f.path != BUILTINS_FILE {
            files.push((f.path.clone(), f.source.clone()));
        }
    }
    Ok((files, table))
}

impl Engine {
    pub fn new(project: &Project, shared: Shared) -> Result<Engine> {
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("return", macros::return_fn);
        let (files, _) = macro_table(project)?;
        for (name, source) in files {
            env.add_template_owned(name, source).map_err(|e| format_error(&e, None))?;
        }
        for (name, m) in &shared.macros {
            env.add_global(name.clone(), Value::from_object(m.clone()));
        }
        for n in project.nodes.values().filter(|n| n.generic.is_none() && !matches!(n.resource, Resource::Seed | Resource::UnitTest)) {
            env.add_template_owned(n.template_name().to_string(), n.template_source().to_string()).map_err(|e| format_error(&e, None))?;
        }
        Ok(Engine { env, shared: Arc::new(shared) })
    }

    fn context(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>) -> Arc<RenderCtx> {
        self.context_with(node, this, execute, wh, None)
    }

    fn context_with(&self, node: &Node, this: RelationName, execute: bool, wh: Option<&Arc<dyn Warehouse>>, unit: Option<Arc<UnitRender>>) -> Arc<RenderCtx> {
        Arc::new(RenderCtx {
            shared: self.shared.clone(),
            unique_id: node.unique_id.clone(),
            name: node.name.clone(),
            file: node.original_file_path.clone(),
            resource: node.resource,
            config: node.config.clone(),
            this,
            execute,
            warehouse: wh.cloned(),
            captures: Mutex::new(Captures::default()),
            test_kwargs: None,
            unit,
        })
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
            Some(g) => self.render_generic(node, g, &ctx, ctx_value, execute)?,
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
    fn render_generic(&self, node: &Node, g: &crate::project::GenericTest, ctx: &Arc<RenderCtx>, ctx_value: Value, execute: bool) -> Result<String> {
        let here = |e: minijinja::Error| Error::Jinja(format!("{}: test {}: {}", node.original_file_path, node.name, chain_text(&e)));
        let macro_name = format!("test_{}", g.test_name);
        let caller = self.shared.macros.get(&macro_name).ok_or_else(|| Error::MissingRef {
            file: node.original_file_path.clone(),
            node: format!("data test on {}", g.attached_to),
            what: "generic test",
            name: g.test_name.clone(),
            suggestion: suggest(&macro_name, self.shared.macros.keys().map(String::as_str)).map(|s| s.trim_start_matches("test_").to_string()),
        })?;
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
                _ => to_value(v),
            };
            kwargs.push((k.clone(), value));
        }
        if let Some(c) = &g.column_name {
            kwargs.push(("column_name".into(), Value::from(c.clone())));
        }
        let model = self.attached_relation(g, ctx).map_err(here)?;
        kwargs.push(("model".into(), model));
        if !execute {
            return Ok(String::new());
        }
        let out = caller.invoke(&self.env, ctx_value, &[Value::from(Kwargs::from_iter(kwargs))]);
        out.map(|v| v.to_string()).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// The tested relation, wrapped in `(select * from … where …)` when the test has a `where` config.
    fn attached_relation(&self, g: &crate::project::GenericTest, ctx: &Arc<RenderCtx>) -> Result<Value, minijinja::Error> {
        let rel = match g.attached_to.split('.').collect::<Vec<_>>().as_slice() {
            ["source", _, src, table] => ctx.source_value(src, table)?,
            [_, _, name] => ctx.ref_value(name)?,
            _ => return Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "bad test target")),
        };
        let filter = ctx.config.str("where").map(String::from);
        match (filter, rel.downcast_object_ref::<Relation>()) {
            (Some(w), Some(r)) => {
                let mut r = r.clone();
                r.rendered = Some(format!("(select * from {} where {w}) dbt_subquery", r.text()));
                Ok(r.value())
            }
            _ => Ok(rel),
        }
    }

    /// Renders a hook (`pre_hook`/`post_hook`) in the node's context, on the node's handle `wh`.
    pub fn render_hook(&self, node: &Node, text: &str, wh: Option<&Arc<dyn Warehouse>>) -> Result<String> {
        let ctx = Value::from_dyn_object(self.context(node, node.relation.clone(), true, wh));
        self.env.render_str(text, ctx).map_err(|e| format_error(&e, Some(&self.shared)))
    }

    /// Calls a project macro by name with positional arguments, outside any node (schema names).
    pub fn call_macro(&self, node: &Node, name: &str, args: &[Value]) -> Result<String> {
        let caller = self.shared.macros.get(name).ok_or_else(|| Error::Usage(format!("macro {name} not found")))?;
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
