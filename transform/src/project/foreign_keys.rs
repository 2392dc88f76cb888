//! Foreign keys written as dbt 1.9's `to: ref('x')` / `to: source('s', 't')` with `to_columns:`: the
//! `to` checked as dbt's `statically_parse_ref_or_source` reads it, added to the model's refs and
//! sources (so the referenced node is a parent, as in dbt), and resolved to the relation the DDL names.

use super::constraints::{Constraint, Kind};
use super::nodes::{pick_ref, Node, Project, RefCall, RelationName, Resource};
use crate::error::{Error, Result};

/// What a `to:` names.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Ref(RefCall),
    Source { source: String, table: String },
}

fn all_constraints(node: &Node) -> impl Iterator<Item = &Constraint> {
    node.constraints.iter().chain(node.columns.iter().flat_map(|c| &c.constraints))
}

/// The `to:` of one constraint, or dbt's error naming the model.
fn target_of(c: &Constraint, model: &str, file: &str) -> Result<Option<Target>> {
    let Some(to) = c.to.as_deref() else { return Ok(None) };
    if c.kind != Kind::ForeignKey {
        return Err(Error::project(file, format!("model {model}: `to: {to}` is only read on a foreign_key constraint, not on {}", c.kind.as_str())));
    }
    let invalid = || Error::project(file, format!("Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model {model}: {to}."));
    let (call, args, version) = super::semantic::parse_call(to).ok_or_else(invalid)?;
    let target = match (call, args.as_slice(), version) {
        ("ref", args, v) => Target::Ref(super::semantic::ref_call(args, v.as_ref()).ok_or_else(invalid)?),
        ("source", [source, table], None) => Target::Source { source: source.clone(), table: table.clone() },
        _ => return Err(invalid()),
    };
    if c.to_columns.is_empty() && c.expression.is_none() {
        // dbt-duckdb would write `references None` and the base adapter drop the key: say so instead.
        return Err(Error::project(file, format!("model {model}: foreign key `to: {to}` needs `to_columns:` (the referenced columns)")));
    }
    Ok(Some(target))
}

/// Checks every `to:` of a model's constraints (at parse time, where the YAML names the model).
pub fn check(node: &Node, file: &str) -> Result<()> {
    for c in all_constraints(node) {
        target_of(c, &node.name, file)?;
    }
    Ok(())
}

/// Adds the refs and sources of a model's foreign keys after those of its SQL, as dbt's
/// `_process_constraints_refs_and_sources` does.
pub fn add_refs(node: &mut Node) -> Result<()> {
    if node.resource != Resource::Model {
        return Ok(());
    }
    let file = node.patch_path.clone().unwrap_or_else(|| node.original_file_path.clone());
    let targets: Vec<Target> = all_constraints(node).map(|c| target_of(c, &node.name, &file)).filter_map(Result::transpose).collect::<Result<_>>()?;
    for t in targets {
        match t {
            Target::Ref(call) => node.refs.push(call),
            Target::Source { source, table } => node.sources.push((source, table)),
        }
    }
    Ok(())
}

/// Sets each foreign key's `to_relation`: the referenced node's relation, rendered by `render` (the
/// target's dialect), as dbt compiles `to` before the DDL. Refs resolve as the model's own refs do.
pub fn resolve(project: &mut Project, render: impl Fn(&RelationName) -> String) {
    let root = project.cfg.name.clone();
    let mut relations: Vec<(String, usize, Option<usize>, String)> = vec![];
    {
        let by_name = project.by_name();
        for n in project.nodes.values().filter(|n| n.resource == Resource::Model) {
            let file = n.original_file_path.as_str();
            let located = n.constraints.iter().enumerate().map(|(i, c)| (i, None, c));
            let on_columns = n.columns.iter().enumerate().flat_map(|(ci, col)| col.constraints.iter().enumerate().map(move |(i, c)| (i, Some(ci), c)));
            for (i, column, c) in located.chain(on_columns) {
                let relation = match target_of(c, &n.name, file) {
                    Ok(Some(Target::Ref(call))) => by_name
                        .get(&call.key())
                        .and_then(|list| pick_ref(list, &root, &n.package_name, call.package.as_deref()))
                        .map(|t| render(&t.relation)),
                    Ok(Some(Target::Source { source, table })) => {
                        project.sources.values().find(|s| s.source_name == source && s.name == table).map(|s| render(&s.relation))
                    }
                    _ => None,
                };
                if let Some(r) = relation {
                    relations.push((n.unique_id.clone(), i, column, r));
                }
            }
        }
    }
    for (uid, i, column, relation) in relations {
        let Some(n) = project.nodes.get_mut(&uid) else { continue };
        let list = match column {
            Some(ci) => n.columns.get_mut(ci).map(|c| &mut c.constraints),
            None => Some(&mut n.constraints),
        };
        if let Some(c) = list.and_then(|l| l.get_mut(i)) {
            c.to_relation = Some(relation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fk(v: serde_json::Value) -> Constraint {
        Constraint::parse(&v, false, "models/s.yml", "models.m").unwrap()
    }

    #[test]
    fn to_is_read_as_dbt_reads_it() {
        let t = |to: &str| target_of(&fk(json!({"type": "foreign_key", "to": to, "to_columns": ["id"]})), "m", "models/s.yml");
        assert_eq!(t("ref('orders')").unwrap(), Some(Target::Ref(RefCall::new(None, "orders", None))));
        assert_eq!(t("ref(\"shop\", \"orders\")").unwrap(), Some(Target::Ref(RefCall::new(Some("shop"), "orders", None))));
        assert_eq!(t("source('raw', 'orders')").unwrap(), Some(Target::Source { source: "raw".into(), table: "orders".into() }));
        let e = t("orders").unwrap_err().to_string();
        assert!(e.contains("Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model m: orders."), "{e}");
        assert_eq!(t("ref('orders', v=2)").unwrap(), Some(Target::Ref(RefCall::new(None, "orders", Some(&json!(2))))));
        let e = target_of(&fk(json!({"type": "foreign_key", "to": "ref('o')"})), "m", "f").unwrap_err().to_string();
        assert!(e.contains("needs `to_columns:`"), "{e}");
        let e = target_of(&fk(json!({"type": "unique", "to": "ref('o')"})), "m", "f").unwrap_err().to_string();
        assert!(e.contains("only read on a foreign_key"), "{e}");
    }
}
