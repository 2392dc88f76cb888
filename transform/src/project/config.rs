//! Node configuration: the known keys, strict validation with did-you-mean, and dbt's merge rules
//! (most specific wins; `tags` union, `meta` merge). Configs come from dbt_project.yml's `+key`
//! hierarchy, YAML property files and in-file `config()`, in that order of precedence.

use serde_json::{Map, Value as Json};

use crate::error::{suggest, Error, Result};

/// Keys the engine honours on every adapter (dbt's `ModelConfig`, dbt-duckdb's and dbt-bigquery's
/// model configs). Keys only dbt Cloud or other warehouses act on are in `UNSUPPORTED`.
pub const MODEL_KEYS: &[&str] = &[
    "materialized", "schema", "alias", "database", "tags", "meta", "enabled", "unique_key",
    "incremental_strategy", "on_schema_change", "full_refresh", "docs", "description",
    "pre_hook", "post_hook", "pre-hook", "post-hook", "group", "access", "contract", "grants", "persist_docs",
    "sql_header", "event_time", "freshness", "column_types", "on_configuration_change", "packages", "quoting",
    "batch_size", "lookback", "begin", "concurrent_batches",
    // BigQuery physical-layout options: accepted everywhere so one project builds on both warehouses.
    "partition_by", "cluster_by", "labels", "require_partition_filter", "partition_expiration_days",
    "kms_key_name", "hours_to_expiration", "enable_change_history",
    "merge_update_columns", "merge_exclude_columns", "incremental_predicates",
    // dbt-duckdb: indexes, and the `external` materialization.
    "indexes", "location", "format", "delimiter", "options", "parquet_read_options", "csv_read_options", "json_read_options",
];
pub const SEED_KEYS: &[&str] = &[
    "schema", "alias", "database", "tags", "meta", "enabled", "column_types", "full_refresh", "docs", "delimiter",
    "quote_columns", "group", "grants", "persist_docs", "pre_hook", "post_hook", "pre-hook", "post-hook", "event_time",
    "description",
];
pub const TEST_KEYS: &[&str] = &[
    "severity", "warn_if", "error_if", "where", "limit", "store_failures", "store_failures_as", "fail_calc", "tags",
    "meta", "enabled", "schema", "alias", "database", "group",
];
pub const SNAPSHOT_KEYS: &[&str] = &[
    "strategy", "unique_key", "updated_at", "check_cols", "target_schema", "target_database", "hard_deletes",
    "invalidate_hard_deletes", "snapshot_meta_column_names", "dbt_valid_to_current", "materialized", "schema",
    "alias", "database", "tags", "meta", "enabled", "docs", "description", "group", "grants", "persist_docs",
    "event_time", "quoting", "quote_columns", "pre_hook", "post_hook", "pre-hook", "post-hook",
    "partition_by", "cluster_by", "labels", "kms_key_name", "hours_to_expiration",
];
pub const UNIT_TEST_KEYS: &[&str] = &["tags", "meta", "enabled"];
pub const SOURCE_KEYS: &[&str] =
    &["enabled", "tags", "meta", "freshness", "loaded_at_field", "loaded_at_query", "event_time", "external_location", "formatter"];

/// Keys dbt (or an adapter) accepts that transform does not act on: using one is an error naming it.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    ("grant_access_to", "BigQuery authorized views (dataset ACLs) are not managed by transform"),
    ("partitions", "static insert_overwrite partitions are not supported; transform replaces the partitions the new rows touch"),
    ("enable_refresh", "materialized views are not supported"),
    ("refresh_interval_minutes", "materialized views are not supported"),
    ("max_staleness", "materialized views are not supported"),
    ("submission_method", "Python models are not supported"),
    ("notebook_template_id", "Python models are not supported"),
    ("enable_list_inference", "Python models are not supported"),
    ("intermediate_format", "Python models are not supported"),
    ("glue_register", "AWS Glue registration of external tables is not supported"),
    ("glue_database", "AWS Glue registration of external tables is not supported"),
    ("copy_grants", "a Snowflake config"),
    ("transient", "a Snowflake config"),
    ("snowflake_warehouse", "a Snowflake config"),
    ("secure", "a Snowflake config"),
    ("target_lag", "a Snowflake config"),
    ("file_format", "a Spark/Databricks config"),
    ("tblproperties", "a Spark/Databricks config"),
    ("backup", "a Redshift config"),
    ("bind", "a Redshift config"),
    ("auto_refresh", "a Redshift/Snowflake config"),
];

/// dbt's materializations of other resources: a model's `materialized` cannot name them. Any other name
/// is looked up at run time, as dbt does, among the `{% materialization %}` blocks and dbt's own.
pub const NOT_FOR_MODELS: &[&str] = &["snapshot", "seed", "test", "unit"];
pub const STRATEGIES: &[&str] = &["append", "merge", "delete+insert", "insert_overwrite"];
pub const ON_SCHEMA_CHANGE: &[&str] = &["ignore", "fail", "append_new_columns"];

/// A resolved config: an ordered JSON map with typed accessors.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Config(pub Map<String, Json>);

impl Config {
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.get(key).filter(|v| !v.is_null())
    }
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key).and_then(Json::as_bool).unwrap_or(default)
    }
    /// A test's `store_failures_as` as dbt finalizes it: as set, else from `store_failures`
    /// (true: `table`, false: `ephemeral`, unset: none).
    pub fn store_failures_as(&self) -> Option<&str> {
        match (self.str("store_failures_as"), self.get("store_failures").and_then(Json::as_bool)) {
            (Some(kind), _) => Some(kind),
            (None, Some(true)) => Some("table"),
            (None, Some(false)) => Some("ephemeral"),
            (None, None) => None,
        }
    }
    /// A test's `store_failures` as dbt finalizes it: what `store_failures_as` implies, when set.
    pub fn store_failures(&self) -> Option<bool> {
        match self.str("store_failures_as") {
            Some(kind) => Some(kind != "ephemeral"),
            None => self.get("store_failures").and_then(Json::as_bool),
        }
    }
    pub fn materialized(&self) -> &str {
        self.str("materialized").unwrap_or("view")
    }
    pub fn enabled(&self) -> bool {
        self.bool_or("enabled", true)
    }
    pub fn tags(&self) -> Vec<String> {
        match self.get("tags") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => vec![],
        }
    }
    /// `unique_key` as a list of columns (dbt accepts a string or a list).
    pub fn unique_key(&self) -> Vec<String> {
        match self.get("unique_key") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => vec![],
        }
    }
    /// `grants` as dbt's final config has it: privileges without a `+`, grantees as lists.
    pub fn grants(&self) -> Json {
        match self.get("grants") {
            Some(Json::Object(m)) => Json::Object(m.iter().map(|(k, v)| (k.trim_start_matches('+').to_string(), v.clone())).collect()),
            Some(other) => other.clone(),
            None => Json::Object(Map::new()),
        }
    }
    /// Hooks as SQL templates, accepting both spellings and a string or a list.
    pub fn hooks(&self, which: &str) -> Vec<String> {
        let mut out = vec![];
        for key in [format!("{which}_hook"), format!("{which}-hook")] {
            match self.get(&key) {
                Some(Json::String(s)) => out.push(s.clone()),
                Some(Json::Array(a)) => out.extend(a.iter().filter_map(|v| v.as_str().map(String::from))),
                _ => {}
            }
        }
        out
    }

    /// Applies `other` over `self`: scalars replace, tags union, meta merges.
    pub fn merge(&mut self, other: &Map<String, Json>) {
        for (k, v) in other {
            let k = k.trim_start_matches('+');
            match (k, self.0.get_mut(k)) {
                ("tags", Some(old)) => {
                    let mut tags = Config(Map::from_iter([("tags".into(), old.clone())])).tags();
                    for t in Config(Map::from_iter([("tags".into(), v.clone())])).tags() {
                        if !tags.contains(&t) {
                            tags.push(t);
                        }
                    }
                    *old = Json::from(tags);
                }
                ("grants", old) => {
                    let merged = merge_grants(old.as_deref(), v);
                    self.0.insert(k.to_string(), merged);
                }
                ("meta" | "contract", Some(Json::Object(old))) => {
                    if let Json::Object(new) = v {
                        old.extend(new.clone());
                    }
                }
                _ => {
                    self.0.insert(k.to_string(), v.clone());
                }
            }
        }
    }
}

/// dbt's `grants` merge (`MergeBehavior.DictKeyAppend`): values become lists, a key replaces the
/// privilege's grantees, and a key written `+select` extends them.
fn merge_grants(old: Option<&Json>, new: &Json) -> Json {
    let listify = |v: &Json| match v {
        Json::Array(a) => a.clone(),
        Json::Null => vec![],
        other => vec![other.clone()],
    };
    let Json::Object(new) = new else { return new.clone() };
    // Nothing to extend yet: kept as written, so a `+key` still extends when this is merged on top
    // of a less specific config (the `config()` calls of a file are gathered before that merge).
    let Some(Json::Object(old)) = old else {
        return Json::Object(new.iter().map(|(k, v)| (k.clone(), Json::Array(listify(v)))).collect());
    };
    let mut out: Map<String, Json> = old.iter().map(|(k, v)| (k.trim_start_matches('+').to_string(), Json::Array(listify(v)))).collect();
    for (key, v) in new {
        let name = key.trim_start_matches('+');
        match out.get_mut(name) {
            Some(Json::Array(list)) if key.starts_with('+') => list.extend(listify(v)),
            _ => {
                out.insert(name.to_string(), Json::Array(listify(v)));
            }
        }
    }
    Json::Object(out)
}

/// Checks every key of `cfg` against `known`, naming the file and location of the first unknown one.
pub fn validate_keys(cfg: &Map<String, Json>, known: &[&str], file: &str, at: &str) -> Result<()> {
    for key in cfg.keys() {
        let k = key.trim_start_matches('+');
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(u, _)| *u == k) {
            return Err(Error::project(file, format!("config `{k}` at {at} is not supported by transform ({why})")));
        }
        if !known.contains(&k) {
            return Err(Error::UnknownKey {
                file: file.into(),
                what: "config key",
                key: k.into(),
                at: at.into(),
                suggestion: suggest(k, known.iter().copied()),
            });
        }
    }
    Ok(())
}

/// Checks values that have a closed set of choices (strategy, on_schema_change…) and that `materialized`
/// is a model's.
pub fn validate_values(cfg: &Config, file: &str) -> Result<()> {
    if let Some(v) = cfg.str("materialized").filter(|v| NOT_FOR_MODELS.contains(v)) {
        let at = "config `materialized` (dbt's materialization of another resource type, not of models)".to_string();
        return Err(Error::UnknownKey { file: file.into(), what: "value", key: v.into(), at, suggestion: None });
    }
    let checks: [(&str, &[&str]); 4] = [
        ("incremental_strategy", STRATEGIES),
        ("on_schema_change", ON_SCHEMA_CHANGE),
        ("store_failures_as", &["table", "view", "ephemeral"]),
        ("access", &["private", "protected", "public"]),
    ];
    for (key, allowed) in checks {
        if let Some(v) = cfg.str(key) {
            if !allowed.contains(&v) {
                return Err(Error::UnknownKey {
                    file: file.into(),
                    what: "value",
                    key: v.into(),
                    at: format!("config `{key}` (supported: {})", allowed.join(", ")),
                    suggestion: suggest(v, allowed.iter().copied()),
                });
            }
        }
    }
    Ok(())
}

/// A model's final config (after its `config()` call) as dbt's `ModelConfig.__post_init__` checks
/// `contract`: a mapping, and an incremental contract needs `on_schema_change` fail or append_new_columns.
pub fn validate_contract(cfg: &Config, file: &str) -> Result<()> {
    let (contract, _) = super::constraints::contract_of(cfg.get("contract"), file)?;
    let on_schema_change = cfg.str("on_schema_change").unwrap_or("ignore");
    if contract && cfg.materialized() == "incremental" && !["append_new_columns", "fail"].contains(&on_schema_change) {
        return Err(Error::project(file, format!(
            "Invalid value for on_schema_change: {on_schema_change}. Models materialized as incremental with contracts enabled must set on_schema_change to 'append_new_columns' or 'fail'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn most_specific_wins_and_tags_union_and_meta_merges() {
        let mut c = Config::default();
        c.merge(&map(json!({"+materialized": "view", "+tags": ["a"], "+meta": {"x": 1}})));
        c.merge(&map(json!({"materialized": "table", "tags": "b", "meta": {"y": 2}})));
        assert_eq!(c.materialized(), "table");
        assert_eq!(c.tags(), vec!["a", "b"]);
        assert_eq!(c.get("meta"), Some(&json!({"x": 1, "y": 2})));
    }

    #[test]
    fn grants_merge_as_dbt() {
        let mut c = Config::default();
        c.merge(&map(json!({"+grants": {"select": ["alice"], "+insert": "dan"}})));
        assert_eq!(c.get("grants"), Some(&json!({"select": ["alice"], "+insert": ["dan"]})));
        assert_eq!(c.grants(), json!({"select": ["alice"], "insert": ["dan"]}));
        c.merge(&map(json!({"grants": {"+select": ["bob"], "insert": ["carol"]}})));
        assert_eq!(c.get("grants"), Some(&json!({"select": ["alice", "bob"], "insert": ["carol"]})));
        c.merge(&map(json!({"grants": {"select": "eve"}})));
        assert_eq!(c.get("grants"), Some(&json!({"select": ["eve"], "insert": ["carol"]})));
    }

    #[test]
    fn typo_in_unique_key_is_an_error_with_suggestion() {
        let err = validate_keys(&map(json!({"uniqe_key": "id"})), MODEL_KEYS, "models/a.sql", "config()")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`uniqe_key`") && err.contains("did you mean `unique_key`"), "{err}");
    }

    #[test]
    fn unsupported_materialization_is_named() {
        let c = Config(map(json!({"materialized": "snapshot"})));
        let err = validate_values(&c, "models/a.sql").unwrap_err().to_string();
        assert!(err.contains("snapshot") && err.contains("materialized"), "{err}");
    }
}
