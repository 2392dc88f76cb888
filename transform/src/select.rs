//! dbt's node selection grammar: space-separated unions of comma-separated intersections of atoms;
//! an atom is `[@][N+]method:value[+N]` with methods name/fqn (default), `path:`, `tag:`,
//! `config.<key>:`, `source:`, `test_type:`, `resource_type:`. Tests attached to a selected node
//! are selected too (dbt's "eager" indirect selection).

use std::collections::BTreeSet;

use crate::compile::Manifest;
use crate::dag::Dag;
use crate::error::{suggest, Error, Result};
use crate::output::printer;
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

/// `*` matches any run of characters. Greedy with one backtrack point (the last `*`), so time stays
/// O(pattern × text) however many stars there are (recursing per star was exponential: fuzzing).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star) = (0, 0, None);
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, ti));
                pi += 1;
            }
            Some(c) if *c == t[ti] => (pi, ti) = (pi + 1, ti + 1),
            _ => match star {
                // Let the last star take one more byte (a literal never starts inside a UTF-8 character).
                Some((after, from)) => (pi, ti, star) = (after, from + 1, Some((after, from + 1))),
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

#[derive(Debug)]
struct Atom {
    at: bool,
    up: Option<Option<usize>>,
    down: Option<Option<usize>>,
    method: String,
    value: String,
}

/// dbt's node spec grammar (`RAW_SELECTOR_PATTERN` of dbt-core's `graph/selector_spec.py`).
static SPEC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\A(?P<at>@)?(?P<parents>(?P<pd>\d*)\+)?((?P<method>[\w.]+):)?(?P<value>.*?)(?P<children>\+(?P<cd>\d*))?\z")
        .expect("the node spec pattern is valid")
});

fn parse_atom(raw: &str) -> Result<Atom> {
    let bad = |m: &str| Error::Selector { selector: raw.into(), message: m.into() };
    let c = SPEC.captures(raw).ok_or_else(|| bad("not a node spec"))?;
    let at = c.name("at").is_some();
    if at && c.name("children").is_some() {
        return Err(bad("\"@\" prefix and \"+\" suffix are incompatible"));
    }
    let depth = |g: &str| c.name(g).and_then(|d| d.as_str().parse().ok());
    let up = c.name("parents").map(|_| depth("pd"));
    let down = c.name("children").map(|_| depth("cd"));
    let value = c.name("value").map_or("", |v| v.as_str());
    let (method, value) = match c.name("method").map(|m| m.as_str()) {
        Some(m) => {
            let base = m.split('.').next().unwrap_or(m);
            if !METHODS.contains(&base) {
                let msg = format!("unknown method `{m}`{}", crate::error::did_you_mean(&suggest(m, METHODS.iter().copied())));
                return Err(bad(&msg));
            }
            (m.to_string(), value.to_string())
        }
        None if value.contains('/') || value.ends_with(".sql") || value.ends_with(".csv") => ("path".into(), value.into()),
        None => ("fqn".into(), value.into()),
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
        "test_type" => item.resource == Resource::Test && (if item.generic_test { ["generic", "schema"] } else { ["singular", "data"] }).contains(&v),
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

/// Evaluates one selection expression (a list of space-separated unions). Each union member that
/// matches nothing is pushed to `unmatched` (dbt warns about it); the selection goes on without it.
fn evaluate(exprs: &[String], items: &[Item], dag: &Dag, unmatched: &mut Vec<String>) -> Result<BTreeSet<String>> {
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
        let inter = inter.unwrap_or_default();
        if inter.is_empty() {
            unmatched.push(expr.to_string());
        }
        union.extend(inter);
    }
    Ok(union)
}

/// Tests whose parents are in `set` (eager); with `all_parents`, only tests whose parents all are.
fn with_tests(set: &BTreeSet<String>, items: &[Item], dag: &Dag, all_parents: bool) -> BTreeSet<String> {
    let mut out = set.clone();
    for t in items.iter().filter(|i| i.resource == Resource::Test) {
        let parents: Vec<String> = dag.parents(&t.unique_id).into_iter().filter(|p| !p.starts_with("test.")).collect();
        let hit = if all_parents { !parents.is_empty() && parents.iter().all(|p| set.contains(p)) } else { parents.iter().any(|p| set.contains(p)) };
        if hit {
            out.insert(t.unique_id.clone());
        }
    }
    out
}

/// The selected unique ids, and the union members (of `select` and `exclude`) that match nothing.
pub struct Selection {
    pub ids: BTreeSet<String>,
    pub unmatched: Vec<String>,
}

/// `select` (everything when empty) minus `exclude`, without printing anything.
pub fn resolve(items: &[Item], dag: &Dag, select: &[String], exclude: &[String]) -> Result<Selection> {
    let mut unmatched = vec![];
    let chosen = if select.is_empty() {
        items.iter().map(|i| i.unique_id.clone()).collect()
    } else {
        with_tests(&evaluate(select, items, dag, &mut unmatched)?, items, dag, false)
    };
    let excluded = with_tests(&evaluate(exclude, items, dag, &mut unmatched)?, items, dag, true);
    Ok(Selection { ids: chosen.difference(&excluded).cloned().collect(), unmatched })
}

/// The selected unique ids; dbt's warning for each union member that matches nothing.
pub fn select(items: &[Item], dag: &Dag, select: &[String], exclude: &[String]) -> Result<BTreeSet<String>> {
    let s = resolve(items, dag, select, exclude)?;
    for expr in &s.unmatched {
        let msg = format!("The selection criterion '{expr}' does not match any enabled nodes");
        printer().event("warn", &msg, serde_json::json!({"spec_raw": expr}));
    }
    Ok(s.ids)
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
    if ids.is_empty() {
        printer().event("warn", "Nothing to do. Try checking your model configs and model specification args", serde_json::json!({}));
    }
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
        let a = parse_atom("3+config.materialized:table+1").unwrap();
        assert_eq!((a.up, a.down, a.method.as_str(), a.value.as_str()), (Some(Some(3)), Some(Some(1)), "config.materialized", "table"));
    }

    #[test]
    fn specs_follow_dbts_pattern() {
        // dbt: `Invalid node spec @@@+++ - "@" prefix and "+" suffix are incompatible`.
        for raw in ["@@@+++", "@orders+", "@x+2"] {
            let e = parse_atom(raw).unwrap_err().to_string();
            assert!(e.contains(r#""@" prefix and "+" suffix are incompatible"#) && e.contains(raw), "{raw}: {e}");
        }
        // What dbt reads as a plain (unmatched) value rather than an error.
        assert_eq!(parse_atom("+").unwrap().value, "");
        assert_eq!(parse_atom("orders+abc").unwrap().value, "orders+abc");
        assert_eq!(parse_atom("").unwrap().method, "fqn");
    }

    #[test]
    fn glob_matches() {
        assert!(glob("stg_*", "stg_orders"));
        assert!(glob("*orders", "stg_orders"));
        assert!(!glob("stg_*", "fct_orders"));
        assert!(glob("*", "") && glob("a*b*c", "aXbYbc") && !glob("a*b", "ab_") && glob("é*", "éa") && !glob("", "x"));
    }

    #[test]
    fn many_stars_that_cannot_match_end_quickly() {
        // Found by fuzz/transform_select (a timeout: the recursive glob tried every split per star).
        let stars = format!("{}x", "*".repeat(40));
        assert!(!glob(&stars, &"a".repeat(200)));
    }
}
