//! `transform ls` (alias `list`): the selected resources, one per line, as selector, name, path or
//! JSON (dbt's keys), optionally only some resource types.

use serde_json::json;

use crate::cli::{LsArgs, LsOutput};
use crate::compile;
use crate::error::Result;
use crate::project::Resource;
use crate::select;

pub fn run(a: LsArgs) -> Result<i32> {
    let m = compile::load(&a.common.options("ls", false), false)?;
    let items = select::items(&m.project);
    let chosen = select::select(&items, &m.dag, &a.selection.select, &a.selection.exclude)?;
    let mut out = std::io::stdout().lock();
    for item in items.iter().filter(|i| chosen.contains(&i.unique_id)) {
        if !a.resource_type.is_empty() && !a.resource_type.iter().any(|r| r == item.resource.as_str()) {
            continue;
        }
        let line = match a.output {
            LsOutput::Name => item.name.clone(),
            LsOutput::Path => item.path.clone(),
            LsOutput::Selector => match item.resource {
                Resource::Source => format!("source:{}", item.fqn.join(".")),
                Resource::UnitTest => format!("unit_test:{}.{}", m.project.cfg.name, item.name),
                _ => item.fqn.join("."),
            },
            LsOutput::Json => json!({
                "name": item.name, "resource_type": item.resource.as_str(), "package_name": m.project.cfg.name,
                "original_file_path": item.path, "unique_id": item.unique_id, "tags": item.tags, "config": item.config,
                "depends_on": {"nodes": m.dag.parents(&item.unique_id)},
            })
            .to_string(),
        };
        use std::io::Write;
        if writeln!(out, "{line}").is_err() {
            break; // broken pipe: the reader has what it wants
        }
    }
    Ok(0)
}
