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

/// dbt's names for a generic test: the full name, `<test>_<target>_` and the argument values
/// (`column_name` among them) sorted by argument name joined by `__`; and the name of its compiled
/// file, the same unless 64 characters or longer: then its first 30 characters and an md5.
fn synthesize_names(test: &str, target: &str, column: Option<&str>, kwargs: &Map<String, Json>) -> (String, String) {
    let mut args: Vec<(&str, Vec<String>)> = kwargs.iter().map(|(k, v)| (k.as_str(), flatten(v))).collect();
    if let Some(c) = column {
        args.push(("column_name", vec![clean(c)]));
    }
    args.sort_by(|a, b| a.0.cmp(b.0));
    let parts: Vec<String> = args.into_iter().flat_map(|(_, p)| p).collect();
    let identifier = format!("{test}_{target}");
    let name = format!("{identifier}_{}", parts.join("__"));
    if name.len() >= 64 {
        let short = format!("{}_{:x}", identifier.chars().take(30).collect::<String>(), md5::compute(name.as_bytes()));
        (name, short)
    } else {
        (name.clone(), name)
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

/// `dbt_utils.expression_is_true` -> (Some("dbt_utils"), "expression_is_true").
fn split_namespace(full: &str, file: &str) -> Result<(Option<String>, String)> {
    let ident = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match full.split('.').collect::<Vec<_>>().as_slice() {
        [name] if ident(name) => Ok((None, name.to_string())),
        [ns, name] if ident(ns) && ident(name) => Ok((Some(ns.to_string()), name.to_string())),
        _ => Err(Error::project(file, format!("data test `{full}` is not a test name (`name` or `package.name`)"))),
    }
}

pub fn add_generic_test(project: &mut Project, package: &str, file: &str, attached_to: &str, target_name: &str, column: Option<&str>, spec: &Json) -> Result<()> {
    let (full_name, mut args) = split_spec(spec, file)?;
    let (namespace, test_name) = split_namespace(&full_name, file)?;
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
    let prefixed = namespace.as_ref().map(|ns| format!("{ns}_{test_name}")).unwrap_or_else(|| test_name.clone());
    let (name, file_name) = match custom_name {
        Some(n) => (n.clone(), n),
        None => synthesize_names(&prefixed, target_name, column.as_deref(), &kwargs),
    };
    let dir = std::path::Path::new(project.in_package(package, file)).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let mut fqn = vec![package.to_string()];
    fqn.extend(dir.split('/').skip(1).filter(|s| !s.is_empty()).map(String::from));
    fqn.push(name.clone());
    let config = test_config(project, package, &fqn, &own_cfg, file)?;
    let qualified = namespace.as_ref().map(|ns| format!("{ns}.")).unwrap_or_default();
    let raw = format!("{{{{ {qualified}test_{test_name}(**_dbt_generic_test_kwargs) }}}}");
    let mut node = project.new_node(package, Resource::Test, &name, file, format!("{file_name}.sql"), fqn, raw, config);
    node.unique_id = format!("{}.{}", node.unique_id, &short_hash(&format!("{attached_to}{name}"))[..10]);
    node.generic = Some(GenericTest { test_name, namespace, column_name: column, kwargs, attached_to: attached_to.to_string() });
    project.insert(node)
}

/// The config of a generic test: the `data_tests:` trees (package's, then root's), then its own `config:`.
fn test_config(project: &Project, package: &str, fqn: &[String], own: &Map<String, Json>, file: &str) -> Result<Config> {
    let mut cfg = project.tree_config(package, Tree::Tests, fqn)?;
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
        assert_eq!(synthesize_names("not_null", "orders", Some("id"), &none).0, "not_null_orders_id");
        let kw = json!({"values": ["placed", "shipped"]}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_names("accepted_values", "orders", Some("status"), &kw).0, "accepted_values_orders_status__placed__shipped");
        let kw = json!({"to": "ref('customers')", "field": "id"}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_names("relationships", "orders", Some("customer_id"), &kw).0, "relationships_orders_customer_id__id__ref_customers_");
        // dbt 1.10's names for dbt_utils tests: arguments sorted by name, `column_name` among them.
        let kw = json!({"at_least": 0.6}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_names("dbt_utils_not_null_proportion", "orders_enriched", Some("discount"), &kw).0, "dbt_utils_not_null_proportion_orders_enriched_0_6__discount");
        let kw = json!({"compare_model": "ref('raw_orders')"}).as_object().cloned().unwrap_or_default();
        assert_eq!(synthesize_names("dbt_utils_equal_rowcount", "orders_enriched", None, &kw).0, "dbt_utils_equal_rowcount_orders_enriched_ref_raw_orders_");
        // Past 63 characters the compiled file is named by a hash, as dbt names it.
        let kw = json!({"field": "order_id", "to": "ref('raw_orders')"}).as_object().cloned().unwrap_or_default();
        let (full, file) = synthesize_names("dbt_utils_cardinality_equality", "orders_enriched", Some("order_id"), &kw);
        assert_eq!(full, "dbt_utils_cardinality_equality_orders_enriched_order_id__order_id__ref_raw_orders_");
        assert_eq!(file, "dbt_utils_cardinality_equality_9a7b522f828a248aa0b44097cb838af3");
    }
}
