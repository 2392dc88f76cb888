//! dbt's node selection grammar: space-separated unions of comma-separated intersections of atoms;
//! an atom is `[@][N+]method:value[+N]` with methods name/fqn (default), `path:`, `tag:`,
//! `config.<key>:`, `source:`, `test_type:`, `resource_type:`. Tests attached to a selected node
//! are selected too (dbt's "eager" indirect selection).

use std::collections::BTreeSet;

use crate::compile::Manifest;
use crate::dag::Dag;
use crate::error::{suggest, Error, Result};
use crate::project::{Project, Resource};

const METHODS: &[&str] = &["fqn", "path", "file", "tag", "source", "test_type", "resource_type", "config"];

/// What selection looks at for one node.
pub struct Item {
    pub unique_id: String,
    pub name: String,
    pub resource: Resource,
    pub fqn: Vec<String>,
    pub path: String,
    pub tags: Vec<String>,
    pub config: serde_json::Map<String, serde_json::Value>,
    pub source_name: Option<String>,
    pub generic_test: bool,
}

pub fn items(project: &Project) -> Vec<Item> {
    let nodes = project.nodes.values().map(|n| Item {
        unique_id: n.unique_id.clone(),
        name: n.name.clone(),
        resource: n.resource,
        fqn: n.fqn.clone(),
        path: n.original_file_path.clone(),
        tags: n.config.tags(),
        config: n.config.0.clone(),
        source_name: None,
        generic_test: n.generic.is_some(),
    });
    let sources = project.sources.values().map(|s| Item {
        unique_id: s.unique_id.clone(),
        name: s.name.clone(),
        resource: Resource::Source,
        fqn: s.fqn.clone(),
        path: s.original_file_path.clone(),
        tags: s.tags.clone(),
        config: Default::default(),
        source_name: Some(s.source_name.clone()),
        generic_test: false,
    });
    nodes.chain(sources).collect()
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head) && (0..=text.len() - head.len()).any(|i| text.is_char_boundary(head.len() + i) && glob(tail, &text[head.len() + i..]))
        }
    }
}

#[derive(Debug)]
struct Atom {
    at: bool,
    up: Option<Option<usize>>,
    down: Option<Option<usize>>,
    method: String,
    value: String,
}

fn parse_atom(raw: &str) -> Result<Atom> {
    let bad = |m: &str| Error::Selector { selector: raw.into(), message: m.into() };
    let mut s = raw;
    let at = s.starts_with('@');
    s = s.trim_start_matches('@');
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let up = if s[digits.len()..].starts_with('+') {
        s = &s[digits.len() + 1..];
        Some(digits.parse().ok())
    } else {
        None
    };
    let tail_digits = s.chars().rev().take_while(char::is_ascii_digit).count();
    let down = if s[..s.len() - tail_digits].ends_with('+') {
        let n = s[s.len() - tail_digits..].parse().ok();
        s = &s[..s.len() - tail_digits - 1];
        Some(n)
    } else {
        None
    };
    if s.is_empty() {
        return Err(bad("empty selector"));
    }
    let (method, value) = match s.split_once(':') {
        Some((m, v)) => {
            let base = m.split('.').next().unwrap_or(m);
            if !METHODS.contains(&base) {
                let msg = format!("unknown method `{m}`{}", crate::error::did_you_mean(&suggest(m, METHODS.iter().copied())));
                return Err(bad(&msg));
            }
            (m.to_string(), v.to_string())
        }
        None if s.contains('/') || s.ends_with(".sql") || s.ends_with(".csv") => ("path".into(), s.into()),
        None => ("fqn".into(), s.into()),
    };
    Ok(Atom { at, up, down, method, value })
}

fn matches(atom: &Atom, item: &Item) -> bool {
    let v = atom.value.as_str();
    match atom.method.as_str() {
        "fqn" => {
            if glob(v, &item.name) && item.resource != Resource::Source {
                return true;
            }
            let parts: Vec<&str> = v.split('.').collect();
            let prefix = |fqn: &[String]| fqn.len() >= parts.len() && parts.iter().zip(fqn).all(|(p, f)| glob(p, f));
            prefix(&item.fqn) || prefix(item.fqn.get(1..).unwrap_or(&[]))
        }
        "path" | "file" => {
            let v = v.trim_end_matches('/');
            item.path == v || item.path.starts_with(&format!("{v}/")) || glob(v, &item.path) || item.path.ends_with(&format!("/{v}"))
        }
        "tag" => item.tags.iter().any(|t| glob(v, t)),
        "resource_type" => item.resource.as_str() == v,
        "test_type" => match item.resource {
            Resource::UnitTest => v == "unit",
            Resource::Test if item.generic_test => ["generic", "schema", "data"].contains(&v),
            Resource::Test => ["singular", "data"].contains(&v),
            _ => false,
        },
        "source" => match (&item.source_name, v.split_once('.')) {
            (Some(src), Some((s, t))) => glob(s, src) && glob(t, &item.name),
            (Some(src), None) => glob(v, src),
            _ => false,
        },
        m => {
            let key = m.trim_start_matches("config.");
            match item.config.get(key) {
                Some(serde_json::Value::String(s)) => glob(v, s),
                Some(serde_json::Value::Array(a)) => a.iter().any(|x| x.as_str().is_some_and(|s| glob(v, s))),
                Some(other) => serde_json::to_string(other).is_ok_and(|s| s == v),
                None => false,
            }
        }
    }
}

fn select_atom(raw: &str, items: &[Item], dag: &Dag) -> Result<BTreeSet<String>> {
    let atom = parse_atom(raw)?;
    let mut out = BTreeSet::new();
    for item in items.iter().filter(|i| matches(&atom, i)) {
        out.insert(item.unique_id.clone());
        if let Some(depth) = atom.up {
            out.extend(dag.reach(&item.unique_id, true, depth));
        }
        if atom.down.is_some() || atom.at {
            let down = dag.reach(&item.unique_id, false, atom.down.flatten());
            if atom.at {
                for d in &down {
                    out.extend(dag.reach(d, true, None));
                }
            }
            out.extend(down);
        }
    }
    Ok(out)
}

/// Evaluates one selection expression (a list of space-separated unions).
fn evaluate(exprs: &[String], items: &[Item], dag: &Dag) -> Result<BTreeSet<String>> {
    let mut union = BTreeSet::new();
    for expr in exprs.iter().flat_map(|e| e.split_whitespace()) {
        let mut inter: Option<BTreeSet<String>> = None;
        for atom in expr.split(',') {
            let set = select_atom(atom, items, dag)?;
            inter = Some(match inter {
                None => set,
                Some(prev) => prev.intersection(&set).cloned().collect(),
            });
        }
        union.extend(inter.unwrap_or_default());
    }
    Ok(union)
}

/// Tests whose parents are in `set` (eager); with `all_parents`, only tests whose parents all are.
fn with_tests(set: &BTreeSet<String>, items: &[Item], dag: &Dag, all_parents: bool) -> BTreeSet<String> {
    let mut out = set.clone();
    for t in items.iter().filter(|i| matches!(i.resource, Resource::Test | Resource::UnitTest)) {
        let parents: Vec<String> = dag.parents(&t.unique_id).into_iter().filter(|p| !p.starts_with("test.") && !p.starts_with("unit_test.")).collect();
        let hit = if all_parents { !parents.is_empty() && parents.iter().all(|p| set.contains(p)) } else { parents.iter().any(|p| set.contains(p)) };
        if hit {
            out.insert(t.unique_id.clone());
        }
    }
    out
}

/// The selected unique ids: `select` (everything when empty) minus `exclude`.
pub fn select(items: &[Item], dag: &Dag, select: &[String], exclude: &[String]) -> Result<BTreeSet<String>> {
    let chosen = if select.is_empty() {
        items.iter().map(|i| i.unique_id.clone()).collect()
    } else {
        with_tests(&evaluate(select, items, dag)?, items, dag, false)
    };
    let excluded = with_tests(&evaluate(exclude, items, dag)?, items, dag, true);
    Ok(chosen.difference(&excluded).cloned().collect())
}

/// Selected unique ids of the given resource types (never ephemeral models), in topological order.
pub fn selected(m: &Manifest, select: &[String], exclude: &[String], kinds: &[Resource]) -> Result<Vec<String>> {
    let items = items(&m.project);
    let chosen = self::select(&items, &m.dag, select, exclude)?;
    let order = m.dag.topo_order()?;
    let ids: Vec<String> = order
        .into_iter()
        .filter(|id| chosen.contains(id))
        .filter(|id| m.project.nodes.get(id).is_some_and(|n| kinds.contains(&n.resource) && n.materialized() != "ephemeral"))
        .collect();
    // Templates see the command's selection as `selected_resources` (set once, by the first selection).
    let _ = m.engine.shared.selected.set(ids.clone());
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_parse_graph_operators() {
        let a = parse_atom("2+tag:nightly+").unwrap();
        assert_eq!((a.up, a.down, a.method.as_str(), a.value.as_str()), (Some(Some(2)), Some(None), "tag", "nightly"));
        let a = parse_atom("@stg_orders").unwrap();
        assert!(a.at && a.up.is_none());
        let a = parse_atom("models/staging").unwrap();
        assert_eq!(a.method, "path");
        assert!(parse_atom("tagg:x").unwrap_err().to_string().contains("did you mean `tag`"));
    }

    #[test]
    fn glob_matches() {
        assert!(glob("stg_*", "stg_orders"));
        assert!(glob("*orders", "stg_orders"));
        assert!(!glob("stg_*", "fct_orders"));
    }
}
