//! `transform run-operation MACRO --args '{…}'`: calls a project macro with keyword arguments on the
//! target's warehouse (its `run_query`/`statement` calls execute), as dbt's run-operation does. Exit 1
//! when the macro raises an error.

use crate::cli::RunOperationArgs;
use crate::compile;
use crate::error::{Error, Result};
use crate::events::Level;
use crate::output::printer;
use crate::project::{Config, Resource};

pub fn run(a: RunOperationArgs) -> Result<i32> {
    let m = compile::load(&a.common.options("run-operation", false), true)?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let args = match a.args.as_deref() {
        Some(text) => crate::project::dbt_project::parse_yaml(text, "--args")?,
        None => serde_json::json!({}),
    };
    if !args.is_object() {
        return Err(Error::Usage(format!("--args must be a YAML mapping of the macro's keyword arguments, got {args}")));
    }
    // `package.macro` or a bare name: the engine looks it up as dbt does (root, packages, dbt's own).
    let name = a.macro_name.clone();
    m.engine.operation_macro(&name)?; // an unknown macro is a usage error (exit 2), as in dbt
    let bare = name.rsplit('.').next().unwrap_or(&name).to_string();
    let root = m.project.cfg.name.clone();
    let node = m.project.new_node(&root, Resource::Model, &bare, "run-operation", String::new(), vec![root.clone(), bare.clone()], String::new(), Config::default());
    match m.engine.run_operation(&node, &name, &args, &wh) {
        Ok(_) => Ok(0),
        Err(e) => {
            printer().note(Level::Error, &format!("Encountered an error while running operation: {e}"));
            Ok(1)
        }
    }
}
