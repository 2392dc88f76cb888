//! Running a `{% materialization %}` macro for one node, as dbt's ModelRunner does: the macro gets the
//! node's context plus `sql`, the hooks and the materialization functions (`materialization_fns.rs`),
//! must return `{'relations': [...]}`, and its `statement('main')` response is the node's result.

use std::sync::Arc;

use minijinja::Value;
use serde_json::Value as Json;

use super::macros::MacroCaller;
use super::materialization_lookup::{self, Chosen};
use super::render_ctx::MaterializationInputs;
use super::{format_error, Engine};
use crate::error::{Error, Result};
use crate::project::Node;
use crate::warehouse::Warehouse;

/// What builds materialization `name` on this engine's adapter (`package_overrides`: dbt's flag
/// `require_explicit_package_overrides_for_builtin_materializations` is off).
pub fn find(engine: &Engine, name: &str, package_overrides: bool) -> std::result::Result<Chosen, String> {
    let sh = &engine.shared;
    materialization_lookup::find(&sh.macros, name, &sh.adapter_type, sh.dialect.adapter_materializations(), package_overrides)
}

/// Whether dbt has a built-in `name` on this engine's adapter.
pub fn is_builtin(engine: &Engine, name: &str) -> bool {
    materialization_lookup::is_builtin(name, engine.shared.dialect.adapter_materializations())
}

/// dbt's CompilationError text for a node.
pub fn compilation_error(node: &Node, msg: &str) -> Error {
    Error::Jinja(format!("Compilation Error in {} {} ({})\n  {msg}", node.resource.as_str(), node.name, node.original_file_path))
}

/// Runs `caller` (whose block declared `languages`) for `node` on its handle `wh`; returns the 'main'
/// statement's adapter response.
pub fn run(engine: &Engine, node: &Node, caller: &MacroCaller, languages: &[String], inputs: MaterializationInputs, wh: &Arc<dyn Warehouse>) -> Result<Json> {
    if !languages.iter().any(|l| l == "sql") {
        let listed: Vec<String> = languages.iter().map(|l| format!("'{l}'")).collect();
        return Err(Error::Jinja(format!("Materialization \"{}\" only supports languages [{}]; got \"sql\"", caller.name, listed.join(", "))));
    }
    let mut ctx = engine.node_ctx(node, node.relation.clone(), true, Some(wh), None);
    ctx.materialization = Some(Arc::new(inputs));
    let ctx = Arc::new(ctx);
    let out = caller.invoke(&engine.env, Value::from_dyn_object(ctx.clone()), &[]).map_err(|e| format_error(&e, Some(&engine.shared)))?;
    check_return(node, &out)?;
    let main = ctx.results.lock().ok().and_then(|r| r.get("main").cloned());
    let main = main.ok_or_else(|| Error::Jinja(format!("Runtime Error in model {} ({})\n  main is not being called during running model", node.name, node.original_file_path)))?;
    let response = main.get_attr("response").unwrap_or_default();
    Ok(serde_json::to_value(&response).unwrap_or_default())
}

/// dbt's `_materialization_relations`: the macro must `return({'relations': [...]})`.
fn check_return(node: &Node, out: &Value) -> Result<()> {
    let materialized = node.materialized();
    if out.as_str().is_some() {
        let msg = format!("The materialization (\"{materialized}\") did not explicitly return a list of relations to add to the cache.");
        return Err(compilation_error(node, &msg));
    }
    let relations = out.get_item(&Value::from("relations")).ok().filter(|v| !v.is_undefined());
    match relations {
        Some(r) if r.try_iter().is_ok() => Ok(()),
        Some(r) => Err(compilation_error(node, &format!("Invalid return value from materialization, \"relations\" not a list, got: {r}"))),
        None => Err(compilation_error(node, &format!("Invalid return value from materialization, expected a dict with key \"relations\", got: {out}"))),
    }
}
