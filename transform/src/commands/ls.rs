//! `transform ls` (alias `list`): the selected resources, one per line, as selector, name, path or
//! JSON — dbt's manifest entry of each resource, reduced to dbt's default keys or to `--output-keys` —
//! optionally only some resource types. Lines go to stdout even with `--quiet`, as dbt's do.

use serde_json::Value as Json;

use crate::artifacts::nodes::{node_json, only_keys, source_json};
use crate::cli::{LsArgs, LsOutput};
use crate::compile::{self, Manifest};
use crate::error::Result;
use crate::project::Resource;
use crate::select::{self, Item};

/// dbt's `ls --output json` keys when no `--output-keys` is given.
const DEFAULT_KEYS: &[&str] =
    &["alias", "name", "package_name", "depends_on", "tags", "config", "resource_type", "source_name", "original_file_path", "unique_id"];

fn json_line(m: &Manifest, item: &Item, keys: &[String]) -> String {
    let entry = match item.resource {
        Resource::Source => m.project.sources.get(&item.unique_id).map(|s| source_json(m, s)),
        Resource::Exposure | Resource::Metric | Resource::SemanticModel | Resource::SavedQuery => {
            m.project.semantic.get(&item.unique_id).map(|n| crate::artifacts::semantic::entry_json(m, n))
        }
        _ => m.project.nodes.get(&item.unique_id).map(|n| node_json(m, n)),
    };
    only_keys(entry.unwrap_or(Json::Null), keys).to_string()
}

fn wanted(kinds: &[String], excluded: &[String], r: Resource) -> bool {
    (kinds.is_empty() || kinds.iter().any(|k| k == r.as_str() || k == "all")) && !excluded.iter().any(|k| k == r.as_str())
}

pub fn run(a: LsArgs) -> Result<i32> {
    let m = compile::load(&a.common.options("ls", false), false)?;
    let state = select::load_state(&a.selection)?;
    let items = select::items_with_state(&m.project, state.as_ref())?;
    let chosen = select::choose(&items, &m.dag, &select::Request::new(&a.selection, &m.project)?)?;
    let keys: Vec<String> = if a.output_keys.is_empty() {
        DEFAULT_KEYS.iter().map(|k| k.to_string()).collect()
    } else {
        // Cosmos passes them as separate words; one space-separated word works too.
        a.output_keys.iter().flat_map(|k| k.split([' ', ','])).filter(|k| !k.is_empty()).map(String::from).collect()
    };
    // dbt lists the selection sorted by unique id, whatever the resource type.
    let mut shown: Vec<&Item> = items
        .iter()
        .filter(|i| chosen.contains(&i.unique_id) && wanted(&a.resource_type, &a.exclude_resource_type, i.resource))
        .collect();
    shown.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    if shown.is_empty() {
        crate::output::printer().note(crate::events::Level::Warn, "No nodes selected!");
    }
    let mut out = std::io::stdout().lock();
    for item in shown {
        let line = match a.output {
            LsOutput::Name => item.name.clone(),
            LsOutput::Path => item.path.clone(),
            LsOutput::Selector => match item.resource {
                Resource::Source => format!("source:{}.{}.{}", item.package, item.source_name.as_deref().unwrap_or_default(), item.name),
                Resource::UnitTest => format!("unit_test:{}.{}", m.project.cfg.name, item.name),
                Resource::Exposure | Resource::Metric | Resource::SemanticModel | Resource::SavedQuery => {
                    format!("{}:{}.{}", item.resource.as_str(), item.package, item.name)
                }
                _ => item.fqn.join("."),
            },
            LsOutput::Json => json_line(&m, item, &keys),
        };
        use std::io::Write;
        if writeln!(out, "{line}").is_err() {
            break; // broken pipe: the reader has what it wants
        }
    }
    Ok(0)
}
