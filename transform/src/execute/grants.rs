//! A built relation's `grants` config (privilege -> grantees), applied as dbt's materializations do
//! after building: revoking what the config no longer lists only when the relation existed before.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::Node;
use crate::warehouse::{Grants, RelationKind, Warehouse};

/// The node's `grants`, checked: a mapping of privilege to a grantee or a list of grantees.
pub fn of(node: &Node) -> Result<Grants> {
    let bad = |why: &str| Error::project(&node.original_file_path, format!("config `grants` of {}: {why}", node.name));
    match node.config.grants() {
        Json::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let list = match v {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(a) => a.iter().map(|g| g.as_str().map(String::from).ok_or_else(|| bad("grantees must be strings"))).collect::<Result<_>>()?,
                    _ => return Err(bad("each privilege takes a grantee or a list of grantees")),
                };
                Ok((k.clone(), list))
            })
            .filter(|r| r.as_ref().map_or(true, |(_, l): &(String, Vec<String>)| !l.is_empty()))
            .collect(),
        _ => Err(bad("must be a mapping like `{select: [user]}`")),
    }
}

/// Whether the node's relation exists now (asked before building, only when it has grants).
pub fn existed(wh: &dyn Warehouse, node: &Node, grants: &Grants) -> Result<bool> {
    Ok(!grants.is_empty() && wh.relation_kind(&node.relation)?.is_some())
}

/// Applies `grants` to the node's freshly built relation.
pub fn apply(wh: &dyn Warehouse, node: &Node, grants: &Grants, existed: bool) -> Result<()> {
    if grants.is_empty() || node.materialized() == "ephemeral" {
        return Ok(());
    }
    let kind = if node.materialized() == "view" { RelationKind::View } else { RelationKind::Table };
    wh.apply_grants(&node.relation, kind, grants, existed)
}
