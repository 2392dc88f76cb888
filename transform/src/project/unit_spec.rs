//! A unit test's data, as the project holds it on its node: the tested model, the `given` inputs
//! (`ref(…)`, `source(…)`, `this`, parsed by `parse_input`), the expected rows and the overrides.
//! Reading them from YAML is `unit_tests`; running them is `execute::unit_test`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value as Json};

/// What a `given` input stands for in the tested model.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    This,
    Ref { name: String, version: Option<String> },
    Source { source: String, table: String },
}

impl Input {
    /// A ref input's `ref()` key: the name, or `name.v<version>` when it pins a model version.
    pub fn ref_key(&self) -> Option<String> {
        match self {
            Input::Ref { name, version: Some(v) } => Some(format!("{name}.v{v}")),
            Input::Ref { name, version: None } => Some(name.clone()),
            _ => None,
        }
    }
}

/// Fixture rows: one mapping per row (dict and csv), or a SELECT (sql).
#[derive(Debug, Clone)]
pub enum Rows {
    Dicts(Vec<Map<String, Json>>),
    Sql(String),
}

#[derive(Debug, Clone)]
pub struct Given {
    pub input: Input,
    pub rows: Rows,
}

#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub macros: Map<String, Json>,
    pub vars: Map<String, Json>,
    pub env_vars: Map<String, Json>,
}

/// A unit test: the tested model's unique id, its inputs, the expected rows and the overrides.
#[derive(Debug, Clone)]
pub struct UnitSpec {
    pub model: String,
    pub given: Vec<Given>,
    pub expect: Rows,
    pub overrides: Overrides,
    /// The entry as dbt writes it to the manifest (`given`, `expect`, `overrides`, `versions`).
    pub manifest: Map<String, Json>,
}

/// Parses `ref('x')`, `ref('pkg', 'x')`, `ref('x', v=2)`, `source('s', 't')` or `this`.
pub fn parse_input(text: &str) -> Option<Input> {
    static CALL: OnceLock<Regex> = OnceLock::new();
    let re = CALL.get_or_init(|| {
        Regex::new(r#"^(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?(?:,\s*(?:v|version)\s*=\s*['"]?([\w.]+)['"]?\s*)?\)$"#)
            .expect("static regex compiles")
    });
    let t = text.trim();
    if t == "this" {
        return Some(Input::This);
    }
    let c = re.captures(t)?;
    let (a, b) = (c[2].to_string(), c.get(3).map(|m| m.as_str().to_string()));
    match (&c[1], b) {
        ("ref", b) => Some(Input::Ref { name: b.unwrap_or(a), version: c.get(4).map(|m| m.as_str().to_string()) }),
        ("source", Some(table)) if c.get(4).is_none() => Some(Input::Source { source: a, table }),
        _ => None,
    }
}
