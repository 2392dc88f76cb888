//! Generic test nodes from YAML: a `data_tests:` entry (`unique`, `{accepted_values: {values: …}}`,
//! with `config:`, `arguments:`, `name:`, `column_name:`) becomes a test node with dbt's synthesized
//! name and unique id, attached to its model, seed or source. Running tests is `execute::data_test`.

use serde_json::{Map, Value as Json};

use super::config::{validate_keys, Config, TEST_KEYS};
use super::dbt_project::Tree;
use super::nodes::{GenericTest, Project, Resource};
use crate::error::{Error, Result};

/// Keys of a test entry that are test properties rather than macro arguments.
const ENTRY_KEYS: &[&str] = &["config", "arguments", "name", "description", "column_name"];

/// dbt's `re.sub('[^0-9a-zA-Z_]+', '_', s)`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

fn flatten(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().flat_map(flatten).collect(),
        Json::Object(m) => m.values().flat_map(flatten).collect(),
        Json::String(s) => vec![clean(s)],
        other => vec![clean(&other.to_string())],
    }
}

/// dbt's name for a generic test: `<test>_<target>_<column>__<arg values>` (hashed when too long).
fn synthesize_name(test: &str, target: &str, column: Option<&str>, kwargs: &Map<String, Json>) -> String {
    let mut name = format!("{test}_{target}");
    if let Some(c) = column {
        name.push('_');
        name.push_str(&clean(c));
    }
    let mut keys: Vec<&String> = kwargs.keys().collect();
    keys.sort();
    for k in keys {
        for part in flatten(&kwargs[k]) {
            name.push_str("__");
            name.push_str(&part);
        }
    }
    if name.len() > 63 {
        format!("{test}_{target}_{}", &short_hash(&name)[..10])
    } else {
        name
    }
}

/// A stable FNV-1a hash in hex (unique-id suffixes; not security relevant).
pub fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

fn split_spec(spec: &Json, file: &str) -> Result<(String, Map<String, Json>)> {
    match spec {
        Json::String(s) => Ok((s.clone(), Map::new())),
        Json::Object(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().ok_or_else(|| Error::project(file, "empty test entry"))?;
            Ok((k.clone(), v.as_object().cloned().unwrap_or_default()))
        }
        _ => Err(Error::project(file, format!("a data test entry must be a name or a one-key mapping, got {spec}"))),
    }
}

pub fn add_generic_test(project: &mut Project, file: &str, attached_to: &str, target_name: &str, column: Option<&str>, spec: &Json) -> Result<()> {
    let (test_name, mut args) = split_spec(spec, file)?;
    if test_name.contains('.') {
        return Err(Error::project(file, format!("test `{test_name}`: tests from packages are not supported")));
    }
    let mut own_cfg = args.remove("config").and_then(|c| c.as_object().cloned()).unwrap_or_default();
    let custom_name = args.remove("name").and_then(|n| n.as_str().map(String::from));
    args.remove("description");
    let column: Option<String> = args.remove("column_name").and_then(|c| c.as_str().map(String::from)).or(column.map(String::from));
    let mut kwargs = args.remove("arguments").and_then(|a| a.as_object().cloned()).unwrap_or_default();
    for (k, v) in args {
        if TEST_KEYS.contains(&k.as_str()) && !ENTRY_KEYS.contains(&k.as_str()) {
            own_cfg.insert(k, v);
        } else {
            kwargs.insert(k, v);
        }
    }
    let name = custom_name.unwrap_or_else(|| synthesize_name(&test_name, target_name, column.as_deref(), &kwargs));
    let dir = std::path::Path::new(file).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let mut fqn = vec![project.cfg.name.clone()];
    fqn.extend(dir.split('/').skip(1).filter(|s| !s.is_empty()).map(String::from));
    fqn.push(name.clone());
    let config = test_config(project, &fqn, &own_cfg, file)?;
    let raw = format!("{{{{ test_{test_name}(**_dbt_generic_test_kwargs) }}}}");
    let mut node = project.new_node(Resource::Test, &name, file, format!("{name}.sql"), fqn, raw, config);
    node.unique_id = format!("{}.{}", node.unique_id, &short_hash(&format!("{attached_to}{name}"))[..10]);
    node.generic = Some(GenericTest { test_name, column_name: column, kwargs, attached_to: attached_to.to_string() });
    project.insert(node)
}

/// The config of a generic test: project `data_tests:` tree, then the test's own `config:`.
fn test_config(project: &Project, fqn: &[String], own: &Map<String, Json>, file: &str) -> Result<Config> {
    let mut cfg = project.cfg.config_for(Tree::Tests, fqn)?;
    validate_keys(own, TEST_KEYS, file, &format!("test {}", fqn.last().map(String::as_str).unwrap_or("")))?;
    cfg.merge(own);
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_dbt() {
        let none = Map::new();
        assert_eq!(synthesize_name("not_null", "orders", Some("id"), &none), "not_null_orders_id");
        let kw = json!({"values": ["placed", "shipped"]}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_name("accepted_values", "orders", Some("status"), &kw), "accepted_values_orders_status__placed__shipped");
        let kw = json!({"to": "ref('customers')", "field": "id"}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_name("relationships", "orders", Some("customer_id"), &kw), "relationships_orders_customer_id__id__ref_customers_");
    }
}
