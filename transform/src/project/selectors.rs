//! `selectors.yml`: named selector definitions (`--selector NAME`, and `default: true` for commands run
//! without `--select`). A definition is a selection string, a `{method, value, parents, children, …}`
//! mapping, or a `union`/`intersection` of definitions with `exclude` entries; `select.rs` evaluates them.

use serde_json::{Map, Value as Json};

use super::dbt_project::parse_yaml;
use crate::error::{Error, Result};

const FILE: &str = "selectors.yml";

#[derive(Debug, Clone)]
pub struct Selector {
    pub name: String,
    pub description: Option<String>,
    pub default: bool,
    pub definition: Json,
}

/// The selectors of `root/selectors.yml` (none when the file is absent).
pub fn load(root: &std::path::Path) -> Result<Vec<Selector>> {
    let path = root.join(FILE);
    if !path.is_file() {
        return Ok(vec![]);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let doc = parse_yaml(&text, FILE)?;
    let list = doc.get("selectors").and_then(Json::as_array).ok_or_else(|| Error::project(FILE, "expected a top-level `selectors:` list"))?;
    let mut out: Vec<Selector> = vec![];
    for (i, entry) in list.iter().enumerate() {
        let at = |m: &str| Error::project(FILE, format!("selectors[{i}]: {m}"));
        let obj = entry.as_object().ok_or_else(|| at("expected a mapping with name and definition"))?;
        for key in obj.keys() {
            if !["name", "description", "default", "definition"].contains(&key.as_str()) {
                return Err(at(&format!("unknown key `{key}` (expected name, description, default, definition)")));
            }
        }
        let name = obj.get("name").and_then(Json::as_str).ok_or_else(|| at("missing `name`"))?.to_string();
        let definition = obj.get("definition").cloned().ok_or_else(|| at(&format!("selector `{name}` has no `definition`")))?;
        check_definition(&definition, &name)?;
        if out.iter().any(|s| s.name == name) {
            return Err(at(&format!("two selectors are named `{name}`")));
        }
        let default = obj.get("default").and_then(Json::as_bool).unwrap_or(false);
        out.push(Selector { name, description: obj.get("description").and_then(Json::as_str).map(String::from), default, definition });
    }
    if out.iter().filter(|s| s.default).count() > 1 {
        return Err(Error::project(FILE, "more than one selector has `default: true`"));
    }
    Ok(out)
}

const DEFINITION_KEYS: &[&str] =
    &["method", "value", "parents", "children", "parents_depth", "children_depth", "childrens_parents", "indirect_selection"];

fn check_definition(d: &Json, selector: &str) -> Result<()> {
    let bad = |m: String| Error::project(FILE, format!("selector `{selector}`: {m}"));
    match d {
        Json::String(_) => Ok(()),
        Json::Object(o) if o.len() == 1 && ["union", "intersection", "exclude"].iter().any(|k| o.contains_key(*k)) => {
            let (_, items) = o.iter().next().ok_or_else(|| bad("empty set operation".into()))?;
            let items = items.as_array().ok_or_else(|| bad("union/intersection/exclude take a list".into()))?;
            items.iter().try_for_each(|i| check_definition(i, selector))
        }
        Json::Object(o) => {
            if let Some(k) = o.keys().find(|k| !DEFINITION_KEYS.contains(&k.as_str())) {
                return Err(bad(format!("unknown key `{k}` (expected {})", DEFINITION_KEYS.join(", "))));
            }
            match o.get("method") {
                Some(Json::String(_)) if o.contains_key("value") => Ok(()),
                _ => Err(bad("a method definition needs `method` and `value`".into())),
            }
        }
        other => Err(bad(format!("a definition is a string or a mapping, got {other}"))),
    }
}

/// One `{method, value, …}` mapping as a selection atom (`2+tag:nightly+`, `@path:models/x`).
pub fn atom(o: &Map<String, Json>) -> String {
    let method = o.get("method").and_then(Json::as_str).unwrap_or("fqn");
    let value = match o.get("value") {
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let flag = |k: &str| o.get(k).and_then(Json::as_bool).unwrap_or(false);
    let depth = |k: &str| o.get(k).and_then(Json::as_u64).map(|d| d.to_string()).unwrap_or_default();
    let at = if flag("childrens_parents") { "@" } else { "" };
    let up = if flag("parents") { format!("{}+", depth("parents_depth")) } else { String::new() };
    let down = if flag("children") { format!("+{}", depth("children_depth")) } else { String::new() };
    format!("{at}{up}{method}:{value}{down}")
}

/// The selectors as manifest.json's `selectors` entry holds them.
pub fn manifest_json(selectors: &[Selector]) -> Json {
    let mut out = Map::new();
    for s in selectors {
        let mut o = Map::new();
        o.insert("name".into(), Json::String(s.name.clone()));
        if let Some(d) = &s.description {
            o.insert("description".into(), Json::String(d.clone()));
        }
        if s.default {
            o.insert("default".into(), Json::Bool(true));
        }
        o.insert("definition".into(), normalized(&s.definition));
        out.insert(s.name.clone(), Json::Object(o));
    }
    Json::Object(out)
}

/// dbt writes a string definition as `{method, value}` (a plain `tag:x` becomes `{method: tag, value: x}`).
fn normalized(d: &Json) -> Json {
    match d {
        Json::String(s) if !s.contains(' ') && !s.contains(',') => match s.split_once(':') {
            Some((m, v)) => serde_json::json!({"method": m, "value": v}),
            None => serde_json::json!({"method": "fqn", "value": s}),
        },
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), match v {
            Json::Array(a) => Json::Array(a.iter().map(normalized).collect()),
            other => other.clone(),
        })).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn method_mappings_become_atoms() {
        let o = json!({"method": "tag", "value": "nightly", "parents": true, "children": true, "children_depth": 2});
        assert_eq!(atom(o.as_object().unwrap()), "+tag:nightly+2");
        let o = json!({"method": "path", "value": "models/staging", "childrens_parents": true});
        assert_eq!(atom(o.as_object().unwrap()), "@path:models/staging");
    }

    #[test]
    fn bad_definitions_name_the_selector() {
        let err = check_definition(&json!({"method": "tag"}), "nightly").unwrap_err().to_string();
        assert!(err.contains("selector `nightly`") && err.contains("`value`"), "{err}");
        let err = check_definition(&json!({"union": [{"metod": "tag", "value": "x"}]}), "s").unwrap_err().to_string();
        assert!(err.contains("unknown key `metod`"), "{err}");
    }
}
