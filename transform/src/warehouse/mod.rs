//! The one warehouse trait. An adapter executes SQL, answers metadata questions (does a relation
//! exist, of what kind, with which columns), creates schemas and loads seeds; its `Dialect`
//! (quoting, relation names, type names) is known without a connection. Materialization SQL has
//! standard defaults here; an adapter overrides what it does differently (BigQuery: atomic
//! `create or replace table`, partitioning, `insert_overwrite`). The adapters are in `adapters`.

pub mod adapters;
pub mod append;
pub mod bigquery;
pub mod dialect;
pub mod duckdb;
pub mod external;
pub mod seed_types;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::project::{Config, RelationName};
use dialect::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Table,
    View,
}

#[derive(Debug, Clone, Serialize)]
pub struct WarehouseColumn {
    pub name: String,
    pub data_type: String,
}

/// A `grants` config: privilege -> grantees.
pub type Grants = std::collections::BTreeMap<String, Vec<String>>;

/// What dbt calls `adapter_response`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AdapterResponse {
    #[serde(rename = "_message")]
    pub message: String,
    pub code: String,
    pub rows_affected: Option<i64>,
}

/// A small, fully read query result (run_query, test failure samples).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// An enforced contract's table DDL (dbt's `get_table_columns_and_constraints`): column definitions
/// with their constraints, model-level constraints, and the declared column names rows are inserted by.
#[derive(Debug, Clone, Default)]
pub struct ContractDdl {
    pub columns: Vec<String>,
    pub constraints: Vec<String>,
    pub names: Vec<String>,
}

impl ContractDdl {
    /// `(\n    col type ..., \n    constraint ...\n)`.
    pub fn columns_and_constraints(&self) -> String {
        let all: Vec<&String> = self.columns.iter().chain(&self.constraints).collect();
        format!("(\n    {}\n)", all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",\n    "))
    }
    /// `select a, b from (sql) as model_subq`: the query's columns in the declared order.
    pub fn select(&self, sql: &str) -> String {
        format!("select {}\nfrom (\n{sql}\n) as model_subq", self.names.join(", "))
    }
}

/// How an incremental model's new rows (in `tmp`) are applied to `target`.
/// dbt-duckdb's file access: the profile's `external_root`, and the folder relative file paths
/// resolve against (the project's: dbt runs from the project directory).
#[derive(Debug, Clone)]
pub struct FileRoots {
    pub external_root: String,
    pub base: PathBuf,
}

impl FileRoots {
    /// `location` as a path the process can write (URLs and absolute paths unchanged).
    pub fn resolve(&self, location: &str) -> String {
        if location.contains("://") || Path::new(location).is_absolute() {
            location.to_string()
        } else {
            self.base.join(location).to_string_lossy().into_owned()
        }
    }
}

pub struct IncrementalPlan<'a> {
    pub strategy: &'a str,
    pub target: &'a str,
    pub tmp: &'a str,
    pub unique_key: &'a [String],
    /// Columns written, already quoted.
    pub columns: &'a [String],
    /// Columns a merge updates on match (quoted): all by default, or `merge_update_columns`.
    pub update_columns: &'a [String],
    /// `incremental_predicates`: extra conditions on the match.
    pub predicates: &'a [String],
    /// The model's config, for adapter-specific strategies (BigQuery `insert_overwrite` + `partition_by`).
    pub config: &'a Config,
}

/// How a snapshot's staging rows (in `staging`) are applied to its table (`target`).
pub struct SnapshotMerge<'a> {
    pub target: &'a str,
    pub staging: &'a str,
    /// The staging columns written to the target, quoted.
    pub insert_cols: &'a [String],
    pub columns: &'a crate::project::snapshots::MetaColumns,
    /// `dbt_valid_to_current`, when current rows carry it instead of NULL.
    pub valid_to_current: Option<&'a str>,
}

pub trait Warehouse: Send + Sync {
    /// `duckdb`, `bigquery`: the prefix `adapter.dispatch` looks for.
    fn adapter_type(&self) -> &'static str;
    /// Quoting, relation names and type names of this warehouse's SQL.
    fn dialect(&self) -> &'static dyn Dialect;
    /// This connection with its statements attributed to the node `unique_id`: BigQuery labels
    /// each job with it and names the node in errors. The executor passes it to all a node runs.
    fn for_node(self: Arc<Self>, unique_id: &str) -> Arc<dyn Warehouse>;
    /// The target database (DuckDB catalog, BigQuery project) and default schema (dataset).
    fn database(&self) -> &str;
    fn schema(&self) -> &str;
    /// Runs one or more statements; errors carry the warehouse's message.
    fn execute(&self, sql: &str) -> Result<AdapterResponse>;
    /// Runs a query and reads at most `limit` rows.
    fn query(&self, sql: &str, limit: usize) -> Result<Rows>;
    /// Like `query`, but guaranteed to change nothing (`show`): one query statement, checked by the
    /// warehouse's own parser or planner before it runs, and run read-only where the warehouse can.
    fn query_read_only(&self, sql: &str, limit: usize) -> Result<Rows>;
    fn relation_kind(&self, rel: &RelationName) -> Result<Option<RelationKind>>;
    fn columns(&self, rel: &RelationName) -> Result<Vec<WarehouseColumn>>;
    /// The columns (names and the warehouse's type names) a query returns, without running it for rows
    /// (dbt's `get_column_schema_from_query`).
    fn query_columns(&self, sql: &str) -> Result<Vec<WarehouseColumn>>;
    fn create_schema(&self, database: &str, schema: &str) -> Result<()>;
    /// Loads a CSV into `rel` (replacing it); returns rows loaded. `config` is the seed's config:
    /// `column_types` (column → warehouse type) and `delimiter` must be honoured.
    fn load_seed(&self, rel: &RelationName, csv: &Path, config: &Config) -> Result<i64>;
    /// Connection details for `debug` (never secrets).
    fn describe(&self) -> Vec<(String, String)>;
    /// Where this warehouse reads and writes files (dbt-duckdb); None when it cannot.
    fn files(&self) -> Option<&FileRoots> {
        None
    }

    /// The dialect's quoting and relation names, for convenience.
    fn quote(&self, ident: &str) -> String {
        self.dialect().quote(ident)
    }
    fn render_relation(&self, rel: &RelationName) -> String {
        self.dialect().render_relation(rel)
    }
    /// `config` carries adapter-specific options (BigQuery: description, labels).
    fn create_view_sql(&self, rel: &str, sql: &str, _config: &Config) -> String {
        format!("create or replace view {rel} as (\n{sql}\n)")
    }
    /// `config` carries adapter-specific options (BigQuery: partition_by, cluster_by, labels).
    fn create_table_sql(&self, rel: &str, sql: &str, _config: &Config) -> String {
        format!("create or replace table {rel} as (\n{sql}\n)")
    }
    /// A table with an enforced contract: declared columns and constraints, then the rows
    /// (dbt-duckdb's `create table (...); insert into ... select`).
    fn create_contract_table_sql(&self, rel: &str, sql: &str, ddl: &ContractDdl, _config: &Config) -> String {
        format!(
            "create table {rel}\n{};\ninsert into {rel} ({}) (\n{}\n)",
            ddl.columns_and_constraints(),
            ddl.names.join(", "),
            ddl.select(sql)
        )
    }
    /// dbt's `create_table_as(temporary, relation, sql)` for a `{% materialization %}` macro: dbt-core's
    /// `create [temporary] table … as (…)` (a materialization creates under a fresh name, then renames).
    fn create_table_as_sql(&self, rel: &str, sql: &str, _config: &Config, temporary: bool) -> String {
        format!("create {}table {rel} as (\n{sql}\n)", if temporary { "temporary " } else { "" })
    }
    /// dbt's `create_view_as(relation, sql)`: dbt-core's `create view … as (…)`.
    fn create_view_as_sql(&self, rel: &str, sql: &str, _config: &Config) -> String {
        format!("create view {rel} as (\n{sql}\n)")
    }
    /// `adapter.rename_relation`: `rel` renamed to `identifier` in its own schema.
    fn rename_sql(&self, rel: &str, kind: RelationKind, identifier: &str) -> String {
        let k = if kind == RelationKind::View { "view" } else { "table" };
        format!("alter {k} {rel} rename to {}", self.quote(identifier))
    }
    fn drop_sql(&self, rel: &str, kind: RelationKind) -> String {
        let k = if kind == RelationKind::View { "view" } else { "table" };
        format!("drop {k} if exists {rel}")
    }
    /// Builds `rel` as a table from `sql` so a failure never leaves a missing or half-built table:
    /// build under a temporary name, then swap it in one transaction.
    fn build_table(&self, rel: &RelationName, sql: &str, config: &Config) -> Result<AdapterResponse> {
        self.build_table_with(rel, sql, config, None)
    }
    /// `build_table`, with an enforced contract's DDL when `contract` is given.
    fn build_table_with(&self, rel: &RelationName, sql: &str, config: &Config, contract: Option<&ContractDdl>) -> Result<AdapterResponse> {
        let tmp = RelationName { identifier: format!("{}__transform_tmp", rel.identifier), ..rel.clone() };
        let (target, tmp_sql) = (self.render_relation(rel), self.render_relation(&tmp));
        let create = match contract {
            Some(ddl) => self.create_contract_table_sql(&tmp_sql, sql, ddl, config),
            None => self.create_table_sql(&tmp_sql, sql, config),
        };
        if let Err(e) = self.execute(&create) {
            let _ = self.execute(&self.drop_sql(&tmp_sql, RelationKind::Table));
            return Err(e);
        }
        let drop_old = match self.relation_kind(rel)? {
            Some(kind) => format!("{};\n", self.drop_sql(&target, kind)),
            None => String::new(),
        };
        let ident = self.quote(&rel.identifier);
        self.execute(&format!("begin;\n{drop_old}alter table {tmp_sql} rename to {ident};\ncommit"))
            .inspect_err(|_| {
                // The swap failed: nothing changed, and the temporary table must not stay behind.
                let _ = self.execute("rollback");
                let _ = self.execute(&self.drop_sql(&tmp_sql, RelationKind::Table));
            })
    }
    /// The statements that apply an incremental batch; the default is standard SQL (DuckDB has MERGE).
    /// Aliases follow dbt (`DBT_INTERNAL_DEST`, `DBT_INTERNAL_SOURCE`) so `incremental_predicates` port.
    fn incremental_sql(&self, p: &IncrementalPlan) -> Result<Vec<String>> {
        let cols = p.columns.join(", ");
        let insert = format!("insert into {} ({cols}) select {cols} from {}", p.target, p.tmp);
        let mut conds: Vec<String> = p
            .unique_key
            .iter()
            .map(|k| format!("DBT_INTERNAL_DEST.{k} = DBT_INTERNAL_SOURCE.{k}", k = self.quote(k)))
            .collect();
        conds.extend(p.predicates.iter().map(|pr| format!("({pr})")));
        let on = conds.join(" and ");
        match (p.strategy, p.unique_key.is_empty()) {
            ("append", _) => Ok(vec![insert]),
            ("merge", false) => {
                let set = p.update_columns.iter().map(|c| format!("{c} = DBT_INTERNAL_SOURCE.{c}")).collect::<Vec<_>>().join(", ");
                let vals = p.columns.iter().map(|c| format!("DBT_INTERNAL_SOURCE.{c}")).collect::<Vec<_>>().join(", ");
                Ok(vec![format!(
                    "merge into {} as DBT_INTERNAL_DEST using {} as DBT_INTERNAL_SOURCE on {on}\nwhen matched then update set {set}\nwhen not matched then insert ({cols}) values ({vals})",
                    p.target, p.tmp
                )])
            }
            ("delete+insert", false) => Ok(vec![
                format!(
                    "delete from {} as DBT_INTERNAL_DEST where exists (select 1 from {} as DBT_INTERNAL_SOURCE where {on})",
                    p.target, p.tmp
                ),
                insert,
            ]),
            ("merge" | "delete+insert", true) => Err(Error::Warehouse(format!("incremental_strategy `{}` needs a `unique_key`", p.strategy))),
            (other, _) => Err(Error::Warehouse(format!(
                "incremental_strategy `{other}` is not supported by the {} adapter",
                self.adapter_type()
            ))),
        }
    }
    /// One row: latest `field` value (text), now (text), and the age in seconds.
    /// When `rel` last changed (epoch ms), where the warehouse keeps it without a query (BigQuery's
    /// `lastModifiedTime`); None where it does not (the dashboard then watches the database file).
    fn last_modified_ms(&self, _rel: &RelationName) -> Result<Option<i64>> {
        Ok(None)
    }
    /// Queries of the information schema for `docs generate`'s catalog over `(database, schema)` pairs,
    /// each returning: database, schema, table, table type, table comment, column, position, type,
    /// column comment. The default is standard `information_schema`.
    fn catalog_sql(&self, schemas: &[(String, String)]) -> Vec<String> {
        if schemas.is_empty() {
            return vec![];
        }
        let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let pairs: Vec<String> = schemas
            .iter()
            .map(|(d, s)| format!("(lower(t.table_catalog) = {} and lower(t.table_schema) = {})", lit(d), lit(s)))
            .collect();
        vec![format!(
            "select t.table_catalog, t.table_schema, t.table_name, t.table_type, null, c.column_name, c.ordinal_position, c.data_type, null \
             from information_schema.tables as t join information_schema.columns as c \
             on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema and c.table_name = t.table_name \
             where {} order by 1, 2, 3, 7",
            pairs.join(" or ")
        )]
    }
    fn freshness_sql(&self, rel: &str, field: &str, filter: Option<&str>) -> String {
        let filter = filter.map(|f| format!(" where {f}")).unwrap_or_default();
        format!(
            "select cast(max({field}) as varchar), cast(current_timestamp as varchar), \
             epoch(current_timestamp) - epoch(max({field})) from {rel}{filter}"
        )
    }
    /// Appends `batches` and then runs `then_sql` (the sync state save) in ONE transaction, so the
    /// state never commits without its rows. Default: multi-row inserts; adapters may use a bulk path.
    fn append_rows(&self, batches: &[append::RowBatch], then_sql: &[String]) -> Result<u64> {
        let mut sql = vec!["begin transaction".to_string()];
        let mut n = 0u64;
        for b in batches.iter().filter(|b| b.data.num_rows() > 0) {
            let cols: Vec<String> = b.columns.iter().map(|c| self.quote(c)).collect();
            sql.extend(append::insert_statements(self.dialect(), &self.render_relation(&b.rel), &cols, &b.data, 1000));
            n += b.data.num_rows() as u64;
        }
        sql.extend(then_sql.iter().cloned());
        sql.push("commit".into());
        match self.execute(&sql.join(";\n")) {
            Ok(_) => Ok(n),
            Err(e) => {
                let _ = self.execute("rollback");
                Err(e)
            }
        }
    }
    /// Bytes `sql` would process (BigQuery's dry run, for `run --dry-run`); None where not measurable.
    fn estimate_bytes(&self, _sql: &str) -> Result<Option<i64>> {
        Ok(None)
    }
    /// dbt's `snapshot_merge_sql`: one MERGE closing changed versions and inserting new ones.
    fn snapshot_merge_sql(&self, m: &SnapshotMerge) -> Vec<String> {
        let c = m.columns;
        let current = match m.valid_to_current {
            Some(v) => format!("(DBT_INTERNAL_DEST.{vt} = {v} or DBT_INTERNAL_DEST.{vt} is null)", vt = c.valid_to),
            None => format!("DBT_INTERNAL_DEST.{} is null", c.valid_to),
        };
        let cols = m.insert_cols.join(", ");
        vec![format!(
            "merge into {t} as DBT_INTERNAL_DEST\nusing {s} as DBT_INTERNAL_SOURCE\non DBT_INTERNAL_SOURCE.{id} = DBT_INTERNAL_DEST.{id}\n\
             when matched\n and {current}\n and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')\n\
             then update\n set {vt} = DBT_INTERNAL_SOURCE.{vt}\n\
             when not matched\n and DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'\n then insert ({cols})\n values ({cols})",
            t = m.target, s = m.staging, id = c.scd_id, vt = c.valid_to
        )]
    }
    /// dbt's `apply_grants` for a built relation: `grants` is privilege -> grantees; `should_revoke` when
    /// the relation existed before (its current grants are read and what the config lacks revoked).
    fn apply_grants(&self, _rel: &RelationName, _kind: RelationKind, _grants: &Grants, _should_revoke: bool) -> Result<()> {
        Err(Error::Warehouse(format!("`grants` are not supported by the {} adapter", self.adapter_type())))
    }
    fn add_column_sql(&self, rel: &str, col: &WarehouseColumn) -> String {
        format!("alter table {rel} add column {} {}", self.quote(&col.name), col.data_type)
    }
}
