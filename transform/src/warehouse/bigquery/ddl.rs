//! BigQuery DDL from a node's config, with dbt-bigquery's keys: `partition_by {field, data_type,
//! granularity, range}`, `cluster_by`, and `OPTIONS(description, labels, require_partition_filter,
//! partition_expiration_days)`; and the incremental statements (`merge`, `insert_overwrite`, ...).

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::Config;
use crate::warehouse::IncrementalPlan;

/// A BigQuery string literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n"))
}

pub fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "\\`"))
}

/// `partition_by` as dbt-bigquery reads it.
#[derive(Debug, PartialEq)]
pub struct Partition {
    pub field: String,
    pub data_type: String,
    pub granularity: String,
    /// `int64` range partitioning: start, end, interval.
    pub range: Option<(i64, i64, i64)>,
}

fn bad(msg: String) -> Error {
    Error::Warehouse(format!("invalid partition_by: {msg}"))
}

pub fn partition(cfg: &Config) -> Result<Option<Partition>> {
    let Some(p) = cfg.get("partition_by") else { return Ok(None) };
    let p = p.as_object().ok_or_else(|| bad(format!("expected a mapping with `field`, got {p}")))?;
    let field = p.get("field").and_then(Json::as_str).ok_or_else(|| bad("`field` is required".into()))?.to_string();
    let data_type = p.get("data_type").and_then(Json::as_str).unwrap_or("date").to_ascii_lowercase();
    let granularity = p.get("granularity").and_then(Json::as_str).unwrap_or("day").to_ascii_lowercase();
    if !["date", "timestamp", "datetime", "int64"].contains(&data_type.as_str()) {
        return Err(bad(format!("data_type `{data_type}` (expected date, timestamp, datetime or int64)")));
    }
    if !["hour", "day", "month", "year"].contains(&granularity.as_str()) {
        return Err(bad(format!("granularity `{granularity}` (expected hour, day, month or year)")));
    }
    let range = match (data_type.as_str(), p.get("range")) {
        ("int64", Some(Json::Object(r))) => {
            let n = |k: &str| r.get(k).and_then(Json::as_i64).ok_or_else(|| bad(format!("range.{k} must be an integer")));
            Some((n("start")?, n("end")?, n("interval")?))
        }
        ("int64", _) => return Err(bad("data_type int64 needs `range: {start, end, interval}`".into())),
        _ => None,
    };
    Ok(Some(Partition { field, data_type, granularity, range }))
}

impl Partition {
    /// The partition expression over `prefix.field` (prefix may be empty).
    pub fn expr(&self, prefix: &str) -> String {
        let f = format!("{prefix}{}", quote(&self.field));
        match (self.data_type.as_str(), self.range) {
            (_, Some((s, e, i))) => format!("range_bucket({f}, generate_array({s}, {e}, {i}))"),
            ("date", _) if self.granularity == "day" => f,
            (t, _) => format!("{t}_trunc({f}, {})", self.granularity),
        }
    }
}

/// Whether an existing table is partitioned and clustered as the config asks.
pub fn same_layout(t: &gcp_bigquery_client::model::table::Table, want: Option<&Partition>, cluster: &[String]) -> bool {
    let time = t.time_partitioning.as_ref();
    let field = time.and_then(|p| p.field.clone()).or_else(|| t.range_partitioning.as_ref().and_then(|r| r.field.clone()));
    let partition_same = match want {
        None => field.is_none(),
        Some(p) => {
            let grain_same = p.range.is_some() || time.is_some_and(|tp| tp.r#type.eq_ignore_ascii_case(&p.granularity));
            field.is_some_and(|f| f.eq_ignore_ascii_case(&p.field)) && grain_same
        }
    };
    let existing: Vec<String> = t.clustering.as_ref().and_then(|c| c.fields.clone()).unwrap_or_default();
    let cluster_same = existing.len() == cluster.len() && existing.iter().zip(cluster).all(|(a, b)| a.eq_ignore_ascii_case(b));
    partition_same && cluster_same
}

pub fn cluster_by(cfg: &Config) -> Vec<String> {
    match cfg.get("cluster_by") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).map(String::from).collect(),
        _ => vec![],
    }
}

/// `OPTIONS(...)` for a table (`for_table`) or a view; empty when no option applies.
pub fn options(cfg: &Config, for_table: bool) -> String {
    let mut opts = vec![];
    if let Some(d) = cfg.str("description").filter(|d| !d.is_empty()) {
        opts.push(format!("description={}", lit(d)));
    }
    if let Some(Json::Object(labels)) = cfg.get("labels") {
        let pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("({}, {})", lit(k), lit(v.as_str().map(String::from).unwrap_or_else(|| v.to_string()).as_str())))
            .collect();
        opts.push(format!("labels=[{}]", pairs.join(", ")));
    }
    if for_table {
        if let Some(b) = cfg.get("require_partition_filter").and_then(Json::as_bool) {
            opts.push(format!("require_partition_filter={b}"));
        }
        if let Some(d) = cfg.get("partition_expiration_days").and_then(Json::as_f64) {
            opts.push(format!("partition_expiration_days={d}"));
        }
    }
    if opts.is_empty() {
        String::new()
    } else {
        format!("\nOPTIONS({})", opts.join(", "))
    }
}

/// `create or replace table`: atomic on BigQuery (the old table stays until the new one is ready).
/// An invalid `partition_by` is reported by `partition()` before this is called.
pub fn create_table(rel: &str, sql: &str, cfg: &Config) -> String {
    create_table_columns(rel, "", sql, cfg)
}

/// `create_table` with a column list (`(a INT64 not null, ...)`, an enforced contract's) or none.
pub fn create_table_columns(rel: &str, columns: &str, sql: &str, cfg: &Config) -> String {
    let columns = if columns.is_empty() { String::new() } else { format!("\n{columns}") };
    let part = partition(cfg).ok().flatten().map(|p| format!("\npartition by {}", p.expr(""))).unwrap_or_default();
    let cluster = cluster_by(cfg);
    let cluster = if cluster.is_empty() {
        String::new()
    } else {
        format!("\ncluster by {}", cluster.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "))
    };
    format!("create or replace table {rel}{columns}{part}{cluster}{}\nas (\n{sql}\n)", options(cfg, true))
}

pub fn create_view(rel: &str, sql: &str, cfg: &Config) -> String {
    format!("create or replace view {rel}{}\nas (\n{sql}\n)", options(cfg, false))
}

/// The statements that apply an incremental batch (`p.tmp`) to `p.target` on BigQuery.
pub fn incremental(p: &IncrementalPlan) -> Result<Vec<String>> {
    let cols = p.columns.join(", ");
    let insert = format!("insert into {} ({cols}) select {cols} from {}", p.target, p.tmp);
    let mut on: Vec<String> = p.unique_key.iter().map(|k| format!("DBT_INTERNAL_DEST.{k} = DBT_INTERNAL_SOURCE.{k}", k = quote(k))).collect();
    on.extend(p.predicates.iter().map(|pr| format!("({pr})")));
    match p.strategy {
        "append" => Ok(vec![insert]),
        "merge" => {
            let values = p.columns.iter().map(|c| format!("DBT_INTERNAL_SOURCE.{c}")).collect::<Vec<_>>().join(", ");
            let insert_clause = format!("when not matched then insert ({cols}) values ({values})");
            if p.unique_key.is_empty() {
                // dbt-bigquery: a merge without unique_key only inserts.
                return Ok(vec![format!("merge into {} as DBT_INTERNAL_DEST using {} as DBT_INTERNAL_SOURCE on false\n{insert_clause}", p.target, p.tmp)]);
            }
            let set = p.update_columns.iter().map(|c| format!("{c} = DBT_INTERNAL_SOURCE.{c}")).collect::<Vec<_>>().join(", ");
            let matched = if set.is_empty() { String::new() } else { format!("when matched then update set {set}\n") };
            Ok(vec![format!(
                "merge into {} as DBT_INTERNAL_DEST using {} as DBT_INTERNAL_SOURCE on {}\n{matched}{insert_clause}",
                p.target,
                p.tmp,
                on.join(" and ")
            )])
        }
        "delete+insert" if !p.unique_key.is_empty() => Ok(vec![
            format!("delete from {} as DBT_INTERNAL_DEST where exists (select 1 from {} as DBT_INTERNAL_SOURCE where {})", p.target, p.tmp, on.join(" and ")),
            insert,
        ]),
        "delete+insert" => Err(Error::Warehouse("incremental_strategy `delete+insert` needs a `unique_key`".into())),
        "insert_overwrite" => {
            let part = partition(p.config)?
                .ok_or_else(|| Error::Warehouse("incremental_strategy `insert_overwrite` requires `partition_by`".into()))?;
            // Replace exactly the partitions the new rows touch.
            Ok(vec![
                format!(
                    "delete from {} as DBT_INTERNAL_DEST where {} in (select distinct {} from {})",
                    p.target,
                    part.expr("DBT_INTERNAL_DEST."),
                    part.expr(""),
                    p.tmp
                ),
                insert,
            ])
        }
        other => Err(Error::Warehouse(format!("incremental_strategy `{other}` is not supported on BigQuery (merge, insert_overwrite, append, delete+insert)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(v: Json) -> Config {
        Config(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn table_ddl_has_partition_cluster_and_options() {
        let c = cfg(serde_json::json!({
            "partition_by": {"field": "ts", "data_type": "timestamp", "granularity": "day"},
            "cluster_by": ["a", "b"], "labels": {"team": "data"}, "require_partition_filter": true,
        }));
        let sql = create_table("`p`.`d`.`t`", "select 1", &c);
        assert!(sql.contains("partition by timestamp_trunc(`ts`, day)"), "{sql}");
        assert!(sql.contains("cluster by `a`, `b`"), "{sql}");
        assert!(sql.contains("OPTIONS(labels=[('team', 'data')], require_partition_filter=true)"), "{sql}");
    }

    #[test]
    fn a_changed_partition_or_clustering_is_a_different_layout() {
        use gcp_bigquery_client::model::{clustering::Clustering, table::Table, table_schema::TableSchema, time_partitioning::TimePartitioning};
        let mut t = Table::new("p", "d", "t", TableSchema::new(vec![]));
        t.time_partitioning = Some(TimePartitioning::per_day().field("d"));
        t.clustering = Some(Clustering { fields: Some(vec!["a".into()]) });
        let day = partition(&cfg(serde_json::json!({"partition_by": {"field": "d"}}))).expect("ok");
        let month = partition(&cfg(serde_json::json!({"partition_by": {"field": "d", "granularity": "month"}}))).expect("ok");
        assert!(same_layout(&t, day.as_ref(), &["A".into()]));
        assert!(!same_layout(&t, month.as_ref(), &["a".into()]), "granularity changed");
        assert!(!same_layout(&t, day.as_ref(), &["b".into()]), "clustering changed");
        assert!(!same_layout(&t, None, &["a".into()]), "partitioning removed");
    }

    #[test]
    fn partition_errors_name_the_problem() {
        let e = partition(&cfg(serde_json::json!({"partition_by": {"data_type": "date"}}))).expect_err("no field");
        assert!(e.to_string().contains("`field` is required"));
        let e = partition(&cfg(serde_json::json!({"partition_by": {"field": "x", "data_type": "string"}}))).expect_err("type");
        assert!(e.to_string().contains("data_type `string`"));
        let p = partition(&cfg(serde_json::json!({"partition_by": {"field": "d"}}))).expect("ok").expect("some");
        assert_eq!(p.expr("T."), "T.`d`");
    }
}
