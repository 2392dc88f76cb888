//! Every macro by package, and how a name finds one, as in dbt: a bare name from a node in package P
//! looks in P, then the root project, then transform's own `dbt` macros; `pkg.name` looks in `pkg`;
//! `adapter.dispatch(name, namespace)` tries `<adapter>__name` then `default__name` in each package of
//! the namespace's search order (`dispatch:` in dbt_project.yml, else the root project, then the
//! namespace itself).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr};
use minijinja::Value;

use super::macros::MacroCaller;

/// The package name of transform's built-in macros (dbt's global project).
pub const INTERNAL: &str = "dbt";

#[derive(Debug, Default)]
pub struct Namespaces {
    pub root: String,
    pub adapter: String,
    /// package -> macro name -> macro; the root project and `dbt` included.
    pub by_package: HashMap<String, HashMap<String, MacroCaller>>,
    /// `dispatch:` of the root project: namespace -> search order.
    pub dispatch: HashMap<String, Vec<String>>,
}

impl Namespaces {
    pub fn new(root: &str, adapter: &str, dispatch: &[(String, Vec<String>)]) -> Namespaces {
        Namespaces { root: root.into(), adapter: adapter.into(), by_package: HashMap::new(), dispatch: dispatch.iter().cloned().collect() }
    }

    /// Registers a project (the root or a package), with or without macros.
    pub fn add_project(&mut self, package: &str) {
        self.by_package.entry(package.to_string()).or_default();
    }

    /// Registers a macro; a later definition in the same package replaces an earlier one.
    pub fn add(&mut self, package: &str, m: MacroCaller) {
        self.by_package.entry(package.to_string()).or_default().insert(m.name.clone(), m);
    }

    pub fn get(&self, package: &str, name: &str) -> Option<&MacroCaller> {
        self.by_package.get(package).and_then(|p| p.get(name))
    }

    /// A bare macro name written in package `from`: its own package, the root, then dbt's.
    pub fn lookup(&self, from: &str, name: &str) -> Option<&MacroCaller> {
        self.get(from, name).or_else(|| self.get(&self.root, name)).or_else(|| self.get(INTERNAL, name))
    }

    /// A user's macro (node's package or root) that takes precedence over the context's functions.
    pub fn user_macro(&self, from: &str, name: &str) -> Option<&MacroCaller> {
        self.get(from, name).or_else(|| self.get(&self.root, name))
    }

    /// The root project's override of a built-in (`generate_schema_name`), else the built-in.
    pub fn root_or_internal(&self, name: &str) -> Option<&MacroCaller> {
        self.get(&self.root, name).or_else(|| self.get(INTERNAL, name))
    }

    pub fn is_package(&self, name: &str) -> bool {
        self.by_package.contains_key(name)
    }

    /// `pkg` as a value: `pkg.macro_name` is that package's macro.
    pub fn package_value(self: &Arc<Self>, name: &str) -> Option<Value> {
        self.is_package(name).then(|| Value::from_object(PackageNs { all: self.clone(), package: name.to_string() }))
    }

    /// dbt's `adapter.dispatch`: the first `<prefix>__<name>` along the search order.
    pub fn dispatch(&self, from: &str, name: &str, namespace: Option<&str>) -> Result<&MacroCaller, String> {
        if let Some((ns, short)) = name.split_once('.') {
            return Err(format!(
                "In adapter.dispatch, got a macro name of \"{name}\", but \".\" is not a valid macro name component. Did you mean `adapter.dispatch(\"{short}\", macro_namespace=\"{ns}\")`?"
            ));
        }
        let search: Vec<Option<String>> = match namespace {
            None => vec![None],
            Some(ns) => match self.dispatch.get(ns) {
                Some(order) => order.iter().cloned().map(Some).collect(),
                None if self.is_package(ns) => vec![Some(self.root.clone()), Some(ns.to_string())],
                None => vec![None],
            },
        };
        let mut tried = vec![];
        for package in &search {
            for prefix in [self.adapter.as_str(), "default"] {
                let candidate = format!("{prefix}__{name}");
                let found = match package {
                    None => self.lookup(from, &candidate),
                    Some(p) => self.get(p, &candidate),
                };
                if let Some(m) = found {
                    return Ok(m);
                }
                tried.push(match package {
                    None => format!("'{candidate}'"),
                    Some(p) => format!("'{p}.{candidate}'"),
                });
            }
        }
        Err(format!(
            "In dispatch: No macro named '{name}' found within namespace: '{}'\n    Searched for: {}",
            namespace.unwrap_or("None"),
            tried.join(", ")
        ))
    }

    pub fn count(&self) -> usize {
        self.by_package.values().map(HashMap::len).sum()
    }

    /// Every macro name a template could call (for did-you-mean).
    pub fn names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (package, macros) in &self.by_package {
            out.insert(package.clone());
            for name in macros.keys() {
                out.insert(name.clone());
                out.insert(format!("{package}.{name}"));
            }
        }
        out
    }
}

/// A package's macros as attributes (`dbt_utils.star`, `dbt.date_trunc`).
#[derive(Debug)]
pub struct PackageNs {
    all: Arc<Namespaces>,
    package: String,
}

impl Object for PackageNs {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.all.get(&self.package, key.as_str()?).map(|m| Value::from_object(m.clone()))
    }
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<package {}>", self.package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, file: &str) -> MacroCaller {
        MacroCaller { name: name.into(), package: "p".into(), file: file.into(), catch_all: None }
    }

    fn table() -> Namespaces {
        let mut n = Namespaces::new("app", "duckdb", &[("utils".to_string(), vec!["app".to_string(), "utils".to_string()])]);
        n.add("utils", m("shout", "u.sql"));
        n.add("utils", m("default__shout", "u.sql"));
        n.add("utils", m("duckdb__shout", "u.sql"));
        n.add("app", m("default__shout", "a.sql"));
        n.add("dbt", m("date_trunc", "d.sql"));
        n.add("dbt", m("default__date_trunc", "d.sql"));
        n.add("app", m("date_trunc", "a.sql"));
        n.add("other", m("helper", "o.sql"));
        n
    }

    #[test]
    fn bare_names_resolve_in_the_nodes_package_then_root_then_dbt() {
        let n = table();
        assert_eq!(n.lookup("app", "date_trunc").map(|m| m.file.as_str()), Some("a.sql"));
        assert_eq!(n.lookup("utils", "date_trunc").map(|m| m.file.as_str()), Some("a.sql"));
        assert_eq!(n.lookup("utils", "shout").map(|m| m.file.as_str()), Some("u.sql"));
        // Another package's macro needs its prefix, as in dbt.
        assert!(n.lookup("app", "helper").is_none());
    }

    #[test]
    fn dispatch_follows_the_search_order() {
        let n = table();
        // The root's default__ comes before the package's duckdb__: packages are the outer loop.
        assert_eq!(n.dispatch("app", "shout", Some("utils")).map(|m| m.file.as_str()), Ok("a.sql"));
        assert_eq!(n.dispatch("app", "date_trunc", Some("dbt")).map(|m| m.file.as_str()), Ok("d.sql"));
        let e = n.dispatch("app", "nope", Some("utils")).unwrap_err();
        assert_eq!(e, "In dispatch: No macro named 'nope' found within namespace: 'utils'\n    Searched for: 'app.duckdb__nope', 'app.default__nope', 'utils.duckdb__nope', 'utils.default__nope'");
        assert!(n.dispatch("app", "utils.shout", None).unwrap_err().contains("macro_namespace=\"utils\""));
    }
}
