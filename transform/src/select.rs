//! dbt's node selection grammar: space-separated unions of comma-separated intersections of atoms;
//! an atom is `[@][N+]method:value[+N]` with methods name/fqn (default), `path:`, `tag:`,
//! `config.<key>:`, `source:`, `test_type:`, `resource_type:`, `package:`, `exposure:`, `metric:`,
//! `semantic_model:`, `saved_query:`, `group:`, `access:`, `version:`, `state:` and `result:`
//! (against `--state`). Tests of selected nodes join per `--indirect-selection`; `--selector` and the
//! default selector evaluate selectors.yml definitions.

use std::collections::BTreeSet;

use crate::compile::Manifest;
use crate::dag::Dag;
use crate::error::{suggest, Error, Result};
use crate::output::printer;
use crate::project::{Project, Resource};
use crate::cli::SelectArgs;
use crate::project::selectors::Selector;
use crate::state::State;

const METHODS: &[&str] = &[
    "fqn", "path", "file", "tag", "source", "test_type", "resource_type", "config", "state", "result", "package", "exposure", "metric",
    "semantic_model", "saved_query", "group", "access", "version",
];

/// The checks `state:` takes (dbt's StateSelectorMethod).
const STATE_CHECKS: &[&str] = &[
    "new", "old", "modified", "unmodified", "modified.body", "modified.configs", "modified.relation",
    "modified.persisted_descriptions", "modified.macros", "modified.contract",
];

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
    pub package: String,
    /// The `state:` checks this node passes against `--state` (empty without one).
    pub state_checks: BTreeSet<&'static str>,
    /// Its status in the state's run_results.json (`result:`).
    pub result: Option<String>,
    /// A model version's `v` and its model's latest version (`version:`, and `m.v2` / `m_v2` names).
    pub version: Option<(serde_json::Value, serde_json::Value)>,
}

pub fn items(project: &Project) -> Vec<Item> {
    items_with_state(project, None).unwrap_or_default()
}

/// The items, with each node's state checks and last result when a `--state` is given.
pub fn items_with_state(project: &Project, state: Option<&State>) -> Result<Vec<Item>> {
    let mut items = plain_items(project);
    let Some(state) = state else { return Ok(items) };
    let current: std::collections::HashMap<String, String> = project
        .macro_files
        .iter()
        .flat_map(|f| f.macros.iter().map(move |(name, _)| (format!("macro.{}.{name}", project.cfg.name), f.macro_sql(name).unwrap_or_default())))
        .collect();
    let modified_macros = state.modified_macros(&current);
    for item in &mut items {
        for check in STATE_CHECKS {
            if state.check(check, project, &item.unique_id, &modified_macros)? {
                item.state_checks.insert(check);
            }
        }
        item.result = state.result(&item.unique_id).map(String::from);
    }
    Ok(items)
}

fn plain_items(project: &Project) -> Vec<Item> {
    let package = project.cfg.name.clone();
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
        package: package.clone(),
        state_checks: BTreeSet::new(),
        result: None,
        version: n.version.clone().zip(n.latest_version.clone()),
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
        package: package.clone(),
        state_checks: BTreeSet::new(),
        result: None,
        version: None,
    });
    let semantic = project.semantic.values().map(|n| Item {
        unique_id: n.unique_id.clone(),
        name: n.name.clone(),
        resource: n.resource,
        fqn: n.fqn.clone(),
        path: n.original_file_path.clone(),
        tags: n.tags.clone(),
        config: n.config.clone(),
        source_name: None,
        generic_test: false,
        package: n.package_name.clone(),
        state_checks: BTreeSet::new(),
        result: None,
        version: None,
    });
    nodes.chain(sources).chain(semantic).collect()
}

/// One piece of an fnmatch pattern: `*`, `?`, a `[...]` set, or a literal character.
#[derive(Debug, PartialEq)]
enum Tok {
    Star,
    Any,
    Lit(char),
    /// `[abc]`, `[a-z]`, `[!x]`: inclusive ranges (a literal is a range of one), negated with `!`.
    Set { negated: bool, ranges: Vec<(char, char)> },
}

impl Tok {
    fn matches(&self, c: char) -> bool {
        match self {
            Tok::Star => false,
            Tok::Any => true,
            Tok::Lit(l) => *l == c,
            Tok::Set { negated, ranges } => ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated,
        }
    }
}

/// Python's `fnmatch.translate` rules: a `]` right after `[` or `[!` is a member, `x-y` is a range
/// (an empty one matches nothing), a `[` without a closing `]` is literal.
fn tokens(pattern: &str) -> Vec<Tok> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        out.push(match p[i] {
            '*' => Tok::Star,
            '?' => Tok::Any,
            '[' => match set(&p, i + 1) {
                Some((tok, next)) => {
                    out.push(tok);
                    i = next;
                    continue;
                }
                None => Tok::Lit('['),
            },
            c => Tok::Lit(c),
        });
        i += 1;
    }
    out
}

/// The set starting after `[` at `start`: the token and the index after its `]`, or None when unclosed.
fn set(p: &[char], start: usize) -> Option<(Tok, usize)> {
    let negated = p.get(start) == Some(&'!');
    let first = start + usize::from(negated);
    let close = first + 1 + p.get(first + 1..)?.iter().position(|c| *c == ']')?;
    let body = &p[first..close];
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if body.get(k + 1) == Some(&'-') && k + 2 < body.len() {
            ranges.push((body[k], body[k + 2]));
            k += 3;
        } else {
            ranges.push((body[k], body[k]));
            k += 1;
        }
    }
    Some((Tok::Set { negated, ranges }, close + 1))
}

/// fnmatch as dbt uses it: `*` matches any run of characters, `?` one, `[...]` one of a set.
/// Greedy with one backtrack point (the last `*`), so time stays O(pattern × text) however many
/// stars there are (recursing per star was exponential: fuzzing).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<Tok>, Vec<char>) = (tokens(pattern), text.chars().collect());
    let (mut pi, mut ti, mut star) = (0, 0, None);
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi + 1, ti));
                pi += 1;
            }
            Some(tok) if tok.matches(t[ti]) => (pi, ti) = (pi + 1, ti + 1),
            _ => match star {
                // Let the last star take one more character.
                Some((after, from)) => (pi, ti, star) = (after, from + 1, Some((after, from + 1))),
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == Tok::Star)
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
            if base == "version" && !["latest", "prerelease", "old", "none"].contains(&value) {
                return Err(Error::Usage(format!(
                    "Invalid version type selector {value}: expected one of: \"latest\", \"prerelease\", \"old\", or \"none\""
                )));
            }
            if base == "state" && !STATE_CHECKS.contains(&value) {
                return Err(bad(&format!("`state:{value}`: expected one of {}", STATE_CHECKS.join(", "))));
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
            if item.version.is_some() && versioned_name_matches(&item.fqn, v) {
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
        "state" => item.state_checks.contains(v),
        "result" => item.result.as_deref() == Some(v),
        "package" => glob(v, &item.package),
        "exposure" | "metric" | "semantic_model" | "saved_query" => {
            let (package, name) = v.split_once('.').unwrap_or(("*", v));
            item.resource.as_str() == atom.method && glob(package, &item.package) && glob(name, &item.name)
        }
        "version" => item.resource == Resource::Model && version_matches(item.version.as_ref(), v),
        "group" => item.config.get("group").and_then(serde_json::Value::as_str).is_some_and(|g| glob(v, g)),
        "access" => item.resource == Resource::Model && item.config.get("access").and_then(serde_json::Value::as_str).unwrap_or("protected") == v,
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

/// dbt's rule for a model version's fqn (`[…, orders, v2]`): the selector's last two parts equal the
/// fqn's last two, joined by `_` (so `orders.v2`, `orders_v2` and `pkg.orders.v2` all select it).
fn versioned_name_matches(fqn: &[String], selector: &str) -> bool {
    let parts: Vec<&str> = selector.split('.').collect();
    fqn.len() >= 2 && fqn[fqn.len() - 2..].join("_") == parts[parts.len().saturating_sub(2)..].join("_")
}

/// `version:latest|prerelease|old|none` of a model's (version, latest version).
fn version_matches(version: Option<&(serde_json::Value, serde_json::Value)>, which: &str) -> bool {
    use crate::project::versions::{compare, given, same};
    use std::cmp::Ordering;
    match (which, version) {
        ("none", v) => v.is_none(),
        ("latest", Some((v, l))) => same(v, l),
        // dbt's `node.version and node.latest_version and …`: falsy versions are neither.
        ("prerelease", Some((v, l))) => given(Some(v)).is_some() && given(Some(l)).is_some() && compare(v, l) == Ordering::Greater,
        ("old", Some((v, l))) => given(Some(v)).is_some() && given(Some(l)).is_some() && compare(v, l) == Ordering::Less,
        _ => false,
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

/// How tests of selected nodes join the selection (`--indirect-selection`, dbt's four modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indirect {
    /// Tests with any selected parent (dbt's default).
    Eager,
    /// Tests whose parents are all selected.
    Cautious,
    /// Tests whose parents are all selected or ancestors of a selected node.
    Buildable,
    /// No test unless selected directly.
    Empty,
}

impl Indirect {
    pub fn parse(v: Option<&str>) -> Result<Indirect> {
        match v {
            None | Some("eager") => Ok(Indirect::Eager),
            Some("cautious") => Ok(Indirect::Cautious),
            Some("buildable") => Ok(Indirect::Buildable),
            Some("empty") => Ok(Indirect::Empty),
            Some(other) => Err(Error::Usage(format!("--indirect-selection {other}: expected eager, cautious, buildable or empty"))),
        }
    }
}

/// `set` plus the tests its nodes bring along under `mode`.
fn with_tests(set: &BTreeSet<String>, items: &[Item], dag: &Dag, mode: Indirect) -> BTreeSet<String> {
    let mut out = set.clone();
    let ancestors: BTreeSet<String> = match mode {
        Indirect::Buildable => set.iter().flat_map(|id| dag.reach(id, true, None)).collect(),
        _ => BTreeSet::new(),
    };
    for t in items.iter().filter(|i| matches!(i.resource, Resource::Test | Resource::UnitTest)) {
        let parents: Vec<String> = dag.parents(&t.unique_id).into_iter().filter(|p| !p.starts_with("test.") && !p.starts_with("unit_test.")).collect();
        let hit = match mode {
            Indirect::Eager => parents.iter().any(|p| set.contains(p)),
            Indirect::Cautious => !parents.is_empty() && parents.iter().all(|p| set.contains(p)),
            Indirect::Buildable => {
                parents.iter().any(|p| set.contains(p)) && parents.iter().all(|p| set.contains(p) || ancestors.contains(p))
            }
            Indirect::Empty => false,
        };
        if hit {
            out.insert(t.unique_id.clone());
        }
    }
    out
}

/// What a command asked to select.
pub struct Request<'a> {
    pub select: &'a [String],
    pub exclude: &'a [String],
    pub selector: Option<&'a str>,
    pub indirect: Indirect,
    pub selectors: &'a [Selector],
}

impl<'a> Request<'a> {
    pub fn new(a: &'a SelectArgs, project: &'a Project) -> Result<Request<'a>> {
        Ok(Request {
            select: &a.select,
            exclude: &a.exclude,
            selector: a.selector.as_deref(),
            indirect: Indirect::parse(a.indirect_selection.as_deref())?,
            selectors: &project.selectors,
        })
    }

    /// A plain `--select`/`--exclude` request (eager, no selectors).
    pub fn plain(select: &'a [String], exclude: &'a [String]) -> Request<'a> {
        Request { select, exclude, selector: None, indirect: Indirect::Eager, selectors: &[] }
    }
}

/// The selected unique ids: `select` (everything when empty) minus `exclude`.
pub fn select(items: &[Item], dag: &Dag, select: &[String], exclude: &[String]) -> Result<BTreeSet<String>> {
    choose(items, dag, &Request::plain(select, exclude))
}

/// The selected unique ids, and the union members (of `select`, `exclude` or a selector) that match nothing.
pub struct Selection {
    pub ids: BTreeSet<String>,
    pub unmatched: Vec<String>,
}

/// [`resolve`], then dbt's warning for each union member that matches nothing.
pub fn choose(items: &[Item], dag: &Dag, r: &Request) -> Result<BTreeSet<String>> {
    let s = resolve(items, dag, r)?;
    for expr in &s.unmatched {
        printer().emit(crate::events::no_nodes_selected(expr));
    }
    Ok(s.ids)
}

/// The selection of a request: its named selector, else `--select`/`--exclude`, else the default selector
/// of selectors.yml, else every node.
/// Prints nothing.
pub fn resolve(items: &[Item], dag: &Dag, r: &Request) -> Result<Selection> {
    let mut unmatched = vec![];
    let named = match r.selector {
        Some(name) => Some(find_selector(r.selectors, name)?),
        None if r.select.is_empty() && r.exclude.is_empty() => r.selectors.iter().find(|s| s.default),
        None => None,
    };
    if let Some(sel) = named {
        let ids = selector_set(&sel.definition, items, dag, r, &mut vec![sel.name.clone()], &mut unmatched)?;
        return Ok(Selection { ids, unmatched });
    }
    let chosen = if r.select.is_empty() {
        items.iter().map(|i| i.unique_id.clone()).collect()
    } else {
        with_tests(&evaluate(r.select, items, dag, &mut unmatched)?, items, dag, r.indirect)
    };
    let excluded = with_tests(&evaluate(r.exclude, items, dag, &mut unmatched)?, items, dag, Indirect::Cautious);
    Ok(Selection { ids: chosen.difference(&excluded).cloned().collect(), unmatched })
}

fn find_selector<'a>(selectors: &'a [Selector], name: &str) -> Result<&'a Selector> {
    selectors.iter().find(|s| s.name == name).ok_or_else(|| {
        let names = selectors.iter().map(|s| s.name.as_str());
        Error::Usage(format!("--selector {name}: no such selector in selectors.yml{}", crate::error::did_you_mean(&suggest(name, names))))
    })
}

/// Evaluates a selectors.yml definition (dbt's union/intersection/exclude over method specs).
fn selector_set(def: &serde_json::Value, items: &[Item], dag: &Dag, r: &Request, seen: &mut Vec<String>, unmatched: &mut Vec<String>) -> Result<BTreeSet<String>> {
    use serde_json::Value as Json;
    match def {
        Json::String(spec) => Ok(with_tests(&evaluate(std::slice::from_ref(spec), items, dag, unmatched)?, items, dag, r.indirect)),
        Json::Object(o) if o.get("method").and_then(Json::as_str) == Some("selector") => {
            let name = o.get("value").and_then(Json::as_str).unwrap_or_default();
            if seen.iter().any(|s| s == name) {
                return Err(Error::Usage(format!("selectors.yml: selector `{name}` refers to itself ({})", seen.join(" → "))));
            }
            seen.push(name.to_string());
            let inner = find_selector(r.selectors, name)?;
            let out = selector_set(&inner.definition, items, dag, r, seen, unmatched);
            seen.pop();
            out
        }
        Json::Object(o) if o.contains_key("method") => {
            let mode = Indirect::parse(o.get("indirect_selection").and_then(Json::as_str)).map(|m| if o.contains_key("indirect_selection") { m } else { r.indirect })?;
            Ok(with_tests(&evaluate(&[crate::project::selectors::atom(o)], items, dag, unmatched)?, items, dag, mode))
        }
        Json::Object(o) => {
            let (op, list) = o.iter().next().ok_or_else(|| Error::Usage("selectors.yml: empty definition".into()))?;
            let list = list.as_array().map(Vec::as_slice).unwrap_or_default();
            let (mut keep, mut drop): (Option<BTreeSet<String>>, BTreeSet<String>) = (None, BTreeSet::new());
            for d in list {
                if let Some(ex) = d.get("exclude").and_then(Json::as_array) {
                    for e in ex {
                        drop.extend(selector_set(e, items, dag, r, seen, unmatched)?);
                    }
                    continue;
                }
                let set = selector_set(d, items, dag, r, seen, unmatched)?;
                keep = Some(match (keep, op.as_str()) {
                    (None, _) => set,
                    (Some(k), "intersection") => k.intersection(&set).cloned().collect(),
                    (Some(mut k), _) => {
                        k.extend(set);
                        k
                    }
                });
            }
            let keep = match op.as_str() {
                "exclude" => BTreeSet::new(),
                _ => keep.unwrap_or_default(),
            };
            Ok(keep.difference(&drop).cloned().collect())
        }
        other => Err(Error::Usage(format!("selectors.yml: cannot evaluate the definition {other}"))),
    }
}

/// Fails when `state:`/`result:` are used without `--state`, as dbt does.
fn check_state(r: &Request, state: Option<&State>) -> Result<()> {
    let uses = r.select.iter().chain(r.exclude).flat_map(|e| e.split([' ', ','])).any(|a| {
        let a = a.trim_start_matches(|c: char| c == '@' || c == '+' || c.is_ascii_digit());
        a.starts_with("state:") || a.starts_with("result:")
    });
    if uses && state.is_none() {
        return Err(Error::Usage("the state:/result: selection methods need --state DIR (an earlier run's target/ folder)".into()));
    }
    Ok(())
}

/// Selected unique ids of the given resource types (never ephemeral models), in topological order.
pub fn selected(m: &Manifest, a: &SelectArgs, kinds: &[Resource], state: Option<&State>) -> Result<Vec<String>> {
    let request = Request::new(a, &m.project)?;
    check_state(&request, state)?;
    let items = items_with_state(&m.project, state)?;
    let chosen = choose(&items, &m.dag, &request)?;
    let order = m.dag.topo_order()?;
    let ids: Vec<String> = order
        .into_iter()
        .filter(|id| chosen.contains(id))
        .filter(|id| match m.project.nodes.get(id) {
            Some(n) => kinds.contains(&n.resource) && n.materialized() != "ephemeral",
            None => m.project.semantic.get(id).is_some_and(|s| kinds.contains(&s.resource)),
        })
        .collect();
    // Templates see the command's selection as `selected_resources` (set once, by the first selection).
    let _ = m.engine.shared.selected.set(ids.clone());
    Ok(ids)
}

/// `--state DIR` (or, for deferral, `--defer-state DIR`), loaded once per invocation.
pub fn load_state(a: &SelectArgs) -> Result<Option<State>> {
    a.state.state.as_deref().map(State::load).transpose()
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
        assert!(glob("stg_?rders", "stg_orders") && glob("?", "é") && !glob("stg_?", "stg_") && glob("*_?d", "order_id"));
    }

    #[test]
    fn glob_sets_follow_pythons_fnmatch() {
        // Each case checked with Python's fnmatch.fnmatchcase, which dbt's selector methods call.
        let yes = [("stg_[abc]*", "stg_b1"), ("[a-z]x", "qx"), ("[!x]y", "ay"), ("[]]", "]"), ("[!]]", "a"), ("[a-]", "-")];
        let yes2 = [("[", "["), ("a[b", "a[b"), ("[z-ab]", "b"), ("[--0]", "/"), ("*[0-9]", "model_7"), ("[é]", "é")];
        for (p, t) in yes.iter().chain(&yes2) {
            assert!(glob(p, t), "{p} should match {t}");
        }
        let no = [("stg_[abc]*", "stg_d"), ("[a-z]x", "Qx"), ("[!x]y", "xy"), ("[!]]", "]"), ("[z-a]", "m"), ("[z-ab]", "z")];
        let no2 = [("[ab]", "ab"), ("[ab]", ""), ("*[0-9]", "model_x"), ("[[]", "x")];
        for (p, t) in no.iter().chain(&no2) {
            assert!(!glob(p, t), "{p} should not match {t}");
        }
    }

    #[test]
    fn many_sets_and_stars_stay_linear() {
        let p = format!("{}x", "*[a-z]".repeat(40));
        assert!(!glob(&p, &"a".repeat(400)));
    }

    #[test]
    fn many_stars_that_cannot_match_end_quickly() {
        // Found by fuzz/transform_select (a timeout: the recursive glob tried every split per star).
        let stars = format!("{}x", "*".repeat(40));
        assert!(!glob(&stars, &"a".repeat(200)));
    }
}
