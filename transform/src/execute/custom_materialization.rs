//! Nodes built by a `{% materialization %}` macro of the project or a package (a new materialization, or
//! one overriding dbt's built-in of the same name): which one builds a node (`jinja::materialization_run::find`,
//! dbt's precedence), and running it — the macro runs the node's hooks and grants itself, as in dbt.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::compile::Manifest;
use crate::error::{Error, Result};
use crate::jinja::macros::MacroCaller;
use crate::jinja::materialization_fns::MaterializationInputs;
use crate::jinja::materialization_lookup::Chosen;
use crate::jinja::materialization_run;
use crate::project::{Node, Resource};
use crate::warehouse::{AdapterResponse, Warehouse};

/// The macro that builds `node`, or None when transform's own (dbt's built-in) materialization does.
/// A missing materialization is dbt's error, at run time as in dbt.
pub fn macro_for(m: &Manifest, node: &Node) -> Result<Option<(String, MacroCaller)>> {
    // dbt's flag (on by default since 1.8): a package may not replace a built-in materialization.
    let flag = m.project.cfg.flags.get("require_explicit_package_overrides_for_builtin_materializations");
    let package_overrides = flag.and_then(Json::as_bool) == Some(false);
    let name = match node.resource {
        Resource::Seed => "seed",
        Resource::Test => "test",
        Resource::UnitTest => "unit",
        Resource::Snapshot => "snapshot",
        _ => node.materialized(),
    };
    match materialization_run::find(&m.engine, name, package_overrides) {
        Ok(Chosen::Builtin) => Ok(None),
        Ok(Chosen::Macro { package, caller }) if node.resource == Resource::Model => {
            if package != m.project.cfg.name && materialization_run::is_builtin(&m.engine, name) {
                warn_package_override(&package, name);
            }
            Ok(Some((package, caller)))
        }
        Ok(Chosen::Macro { package, caller }) => Err(Error::Jinja(format!(
            "{}: the `{name}` materialization of package `{package}` ({}) overrides dbt's built-in one, which transform cannot run for a {}: \
             only models run custom materializations",
            node.original_file_path, caller.file, node.resource.as_str()
        ))),
        // dbt-duckdb's `external` elsewhere: `external.rs` says whose it is, more helpfully than dbt's text.
        Err(_) if name == "external" => Ok(None),
        Err(msg) => Err(materialization_run::compilation_error(node, &msg)),
    }
}

/// dbt's deprecation, once per run as dbt fires it.
fn warn_package_override(package: &str, name: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| crate::output::printer().emit(crate::events::package_materialization_override(package, name)));
}

/// Builds `node` from its compiled `sql` with materialization macro `caller`; returns the 'main'
/// statement's response and its message (dbt's result message).
pub fn run(m: &Manifest, node: &Node, package: &str, caller: &MacroCaller, sql: &str, wh: &Arc<dyn Warehouse>) -> Result<(AdapterResponse, String)> {
    let languages = languages(m, package, caller);
    let inputs = MaterializationInputs { sql: sql.to_string(), pre_hooks: node.config.hooks("pre"), post_hooks: node.config.hooks("post") };
    let response = materialization_run::run(&m.engine, node, caller, &languages, inputs, wh)?;
    let text = |k: &str| response.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
    let adapter = AdapterResponse { message: text("_message"), code: text("code"), rows_affected: response.get("rows_affected").and_then(Json::as_i64) };
    Ok((adapter.clone(), adapter.message))
}

/// `supported_languages` of the block behind `caller` (dbt's default: `['sql']`).
fn languages(m: &Manifest, package: &str, caller: &MacroCaller) -> Vec<String> {
    m.project
        .macro_files
        .iter()
        .filter(|f| f.package == package && f.path == caller.file)
        .find_map(|f| f.materialization(&caller.name))
        .map(|b| b.languages.clone())
        .unwrap_or_else(|| vec!["sql".to_string()])
}
