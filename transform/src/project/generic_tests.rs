//! Generic test nodes from YAML: a `data_tests:` entry (`unique`, `{accepted_values: {values: …}}`,
//! with `config:`, `arguments:`, `name:`, `column_name:`) becomes a test node with dbt's synthesized
//! name, alias and unique id (`test_names`), attached to its model, seed or source. Running tests is `execute::data_test`.

use serde_json::{Map, Value as Json};

use super::config::{validate_keys, Config, TEST_KEYS};
use super::dbt_project::Tree;
use super::nodes::{GenericTest, Node, Project, Resource};
use super::test_names;
use crate::error::{Error, Result};

/// Keys of a test entry that are test properties rather than macro arguments.
const ENTRY_KEYS: &[&str] = &["config", "arguments", "name", "description", "column_name"];

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

/// dbt's `model` argument of a generic test: `{{ get_where_subquery(ref('x')) }}` or `source('s', 't')`;
/// on a model version `ref('x', version='2')`.
pub fn model_string(attached_to: &str, version: Option<&Json>) -> String {
    let parts: Vec<&str> = attached_to.splitn(4, '.').collect();
    let target = match (parts.as_slice(), version) {
        (["source", _, source, table], _) => format!("source('{source}', '{table}')"),
        ([_, _, name, ..], Some(v)) => format!("ref('{name}', version='{}')", super::versions::text(v)),
        ([_, _, name, ..], None) => format!("ref('{name}')"),
        _ => format!("ref('{attached_to}')"),
    };
    format!("{{{{ get_where_subquery({target}) }}}}")
}

/// dbt's `test_metadata.kwargs`: the arguments, then `column_name`, then `model`.
pub fn metadata_kwargs(g: &GenericTest) -> Map<String, Json> {
    let column = g.column_name.as_ref().map(|c| ("column_name".to_string(), Json::String(c.clone())));
    let mut kwargs = Map::new();
    for (i, (k, v)) in g.kwargs.iter().enumerate() {
        if g.column_argument_at == Some(i) {
            kwargs.extend(column.clone());
        }
        kwargs.insert(k.clone(), v.clone());
    }
    kwargs.extend(column);
    kwargs.insert("model".into(), Json::String(model_string(&g.attached_to, g.version.as_ref())));
    kwargs
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

/// What a test is defined on: the node's id, the name tests are named after (`orders`, `orders_v2`,
/// `raw_orders` for a source table) and the model version, if any.
pub struct Target<'a> {
    pub attached_to: &'a str,
    pub name: &'a str,
    pub version: Option<&'a Json>,
}

/// The test node of one `data_tests:` entry (not yet inserted: `Project::insert` does, in file order).
pub fn generic_test_node(project: &Project, package: &str, file: &str, target: &Target, column: Option<&str>, spec: &Json) -> Result<Node> {
    let Target { attached_to, name: target_name, version } = *target;
    let (full_name, mut args) = split_spec(spec, file)?;
    let (namespace, test_name) = split_namespace(&full_name, file)?;
    let mut own_cfg = args.remove("config").and_then(|c| c.as_object().cloned()).unwrap_or_default();
    let custom_name = args.remove("name").and_then(|n| n.as_str().map(String::from));
    args.remove("description");
    // Its place among the arguments (the keys before it that stay arguments).
    let column_argument_at = args.keys().position(|k| k == "column_name").map(|at| {
        args.keys().take(at).filter(|k| !ENTRY_KEYS.contains(&k.as_str()) && !TEST_KEYS.contains(&k.as_str())).count()
    });
    let column: Option<String> = args.remove("column_name").and_then(|c| c.as_str().map(String::from)).or(column.map(String::from));
    let mut kwargs = args.remove("arguments").and_then(|a| a.as_object().cloned()).unwrap_or_default();
    for (k, v) in args {
        if TEST_KEYS.contains(&k.as_str()) && !ENTRY_KEYS.contains(&k.as_str()) {
            own_cfg.insert(k, v);
        } else {
            kwargs.insert(k, v);
        }
    }
    let macro_name = test_name.clone();
    // dbt's macro arguments as it hashes them: column_name, the arguments, and the tested relation.
    let mut hashed_kwargs = Map::new();
    if let Some(c) = &column {
        hashed_kwargs.insert("column_name".into(), Json::String(c.clone()));
    }
    hashed_kwargs.extend(kwargs.clone());
    hashed_kwargs.insert("model".into(), Json::String(model_string(attached_to, version)));
    let on_source = attached_to.starts_with("source.");
    // dbt prefixes `source_` first, then the namespace (`dbt_utils_source_at_least_one_…`).
    let test_type = format!("{}{}{macro_name}", namespace.as_ref().map(|n| format!("{n}_")).unwrap_or_default(), if on_source { "source_" } else { "" });
    let (short, full) = test_names::synthesize(&test_type, target_name, &hashed_kwargs);
    let name = custom_name.clone().unwrap_or(full);
    let file_name = if custom_name.is_some() { name.clone() } else { short.clone() };
    let mut config_call = config_args(&own_cfg);
    if custom_name.is_none() && short != name && !own_cfg.contains_key("alias") {
        config_call.push(("alias".into(), Json::String(short.clone())));
        own_cfg.insert("alias".into(), Json::String(short));
    }
    let dir = std::path::Path::new(project.in_package(package, file)).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let mut fqn = vec![package.to_string()];
    fqn.extend(dir.split('/').skip(1).filter(|s| !s.is_empty()).map(String::from));
    fqn.push(name.clone());
    let config = test_config(project, package, &fqn, &own_cfg, file)?;
    let qualified = namespace.as_ref().map(|ns| format!("{ns}.")).unwrap_or_default();
    let raw = format!("{{{{ {qualified}test_{test_name}(**_dbt_generic_test_kwargs) }}}}{}", config_suffix(&config_call));
    let mut node = project.new_unhashed_node(package, Resource::Test, &name, file, format!("{file_name}.sql"), fqn, raw, config);
    let metadata = serde_json::json!({"namespace": namespace, "name": macro_name, "kwargs": hashed_kwargs});
    node.unique_id = format!("{}.{}", node.unique_id, test_names::unique_id_hash(&name, &metadata));
    node.generic = Some(GenericTest { test_name, namespace, column_name: column, column_argument_at, kwargs, attached_to: attached_to.to_string(), version: version.cloned() });
    Ok(node)
}

/// The keys of a test entry dbt reads as config outside `config:`, in dbt's order (`TestBuilder.CONFIG_ARGS`).
const CONFIG_ARGS: &[&str] = &[
    "severity", "tags", "enabled", "where", "limit", "warn_if", "error_if", "fail_calc", "store_failures", "store_failures_as", "meta",
    "database", "schema", "alias",
];

/// The test's own config in dbt's order: `CONFIG_ARGS` first, then the rest of `config:` as written.
fn config_args(own: &Map<String, Json>) -> Vec<(String, Json)> {
    let known = CONFIG_ARGS.iter().filter_map(|k| own.get(*k).map(|v| (k.to_string(), v.clone())));
    let rest = own.iter().filter(|(k, _)| !CONFIG_ARGS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone()));
    known.chain(rest).filter(|(_, v)| !v.is_null()).collect()
}

/// dbt's `construct_config`: `{{ config(k="v",n=1) }}` appended to a generic test's `raw_code`
/// (strings double-quoted, other values as Python prints them).
fn config_suffix(config: &[(String, Json)]) -> String {
    if config.is_empty() {
        return String::new();
    }
    let args: Vec<String> = config
        .iter()
        .map(|(k, v)| match v {
            Json::String(s) => format!("{k}=\"{}\"", s.replace('"', "\\\"")),
            other => format!("{k}={}", test_names::py_value_repr(other)),
        })
        .collect();
    format!("{{{{ config({}) }}}}", args.join(","))
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

    #[test]
    fn the_model_argument_is_dbt_s() {
        assert_eq!(model_string("model.jaffle.orders", None), "{{ get_where_subquery(ref('orders')) }}");
        assert_eq!(model_string("source.jaffle.raw.orders", None), "{{ get_where_subquery(source('raw', 'orders')) }}");
        let v = serde_json::json!(2);
        assert_eq!(model_string("model.jaffle.orders.v2", Some(&v)), "{{ get_where_subquery(ref('orders', version='2')) }}");
    }

    #[test]
    fn relationships_names_follow_dbt() {
        let kw = serde_json::json!({"column_name": "customer_id", "to": "ref('customers')", "field": "id", "model": model_string("model.p.orders", None)});
        let (_, full) = test_names::synthesize("relationships", "orders", kw.as_object().unwrap_or(&Map::new()));
        assert_eq!(full, "relationships_orders_customer_id__id__ref_customers_");
        // dbt 1.10's names for dbt_utils tests: arguments sorted by name, `column_name` among them.
        let kw = serde_json::json!({"column_name": "discount", "at_least": 0.6});
        let (_, full) = test_names::synthesize("dbt_utils_not_null_proportion", "orders_enriched", kw.as_object().unwrap_or(&Map::new()));
        assert_eq!(full, "dbt_utils_not_null_proportion_orders_enriched_0_6__discount");
    }
}
