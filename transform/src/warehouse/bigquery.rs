//! The BigQuery adapter over REST (gcp-bigquery-client): every statement is a query job with the
//! profile's cost controls, polled to DONE; metadata comes from `tables.get`; datasets are created in
//! `location` when missing; relations render as `project`.`dataset`.`table`; tables are built with one
//! atomic `create or replace table … partition by … cluster by … OPTIONS(…)`.

pub mod ddl;
mod dialect;
pub mod grants;
pub mod jobs;
pub mod profile;
mod seed;
pub mod values;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::dataset::Dataset;
use gcp_bigquery_client::model::table::Table;
use gcp_bigquery_client::Client;

use super::dialect::Dialect;
use super::{AdapterResponse, IncrementalPlan, RelationKind, Rows, Warehouse, WarehouseColumn};
use crate::error::{Error, Result};
use crate::project::profiles::Target;
use crate::project::{Config, RelationName};
pub use dialect::BigQueryDialect;
use profile::Profile;

/// A BigQuery handle: the shared session, and the node whose statements this handle runs (its
/// unique id labels the jobs and names the node in errors; see `Warehouse::for_node`).
pub struct BigQuery {
    session: Arc<Session>,
    node: Option<String>,
}

/// One authenticated client for every handle of an invocation.
struct Session {
    /// The adapter's trait is synchronous: worker threads block on this runtime's futures.
    rt: tokio::runtime::Runtime,
    client: Client,
    profile: Profile,
    datasets_ready: Mutex<HashSet<String>>,
}

fn not_found(e: &BQError) -> bool {
    matches!(e, BQError::ResponseError { error } if error.error.code == 404)
}

fn api_error(what: &str, e: BQError) -> Error {
    let text = match e {
        BQError::ResponseError { error } => format!("{} [HTTP {}]", error.error.message, error.error.code),
        other => other.to_string(),
    };
    Error::Warehouse(crate::output::redact(&format!("BigQuery {what}: {text}")))
}

impl BigQuery {
    pub fn open(target: &Target) -> Result<BigQuery> {
        let profile = Profile::parse(target)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Warehouse(format!("cannot start the async runtime: {e}")))?;
        let client = rt.block_on(jobs::connect(&profile))?;
        let session = Session { rt, client, profile, datasets_ready: Mutex::new(HashSet::new()) };
        Ok(BigQuery { session: Arc::new(session), node: None })
    }

    pub fn profile(&self) -> &Profile {
        &self.session.profile
    }

    fn job(&self, sql: &str, dry_run: bool) -> Result<jobs::JobOutcome> {
        let s = &self.session;
        s.rt.block_on(jobs::run(&s.client, &s.profile, sql, dry_run, self.node.as_deref()))
    }

    /// The bytes a query would process, from BigQuery's dry run (nothing is billed).
    pub fn dry_run_bytes(&self, sql: &str) -> Result<i64> {
        Ok(self.job(sql, true)?.bytes_processed.unwrap_or(0))
    }

    /// `tables.get`: None when the table (or its dataset) does not exist.
    pub fn table(&self, rel: &RelationName) -> Result<Option<Table>> {
        let got = self.session.rt.block_on(self.session.client.table().get(&rel.database, &rel.schema, &rel.identifier, None));
        match got {
            Ok(t) => Ok(Some(t)),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(api_error(&format!("tables.get {}.{}.{}", rel.database, rel.schema, rel.identifier), e)),
        }
    }

    /// Dataset names of the project (for `debug`): `datasets.list`, or INFORMATION_SCHEMA where the
    /// list response lacks fields the client requires (emulators omit `etag`).
    /// The location of a dataset (the profile's, else the dataset's own), for region-level views.
    fn dataset_location(&self, project: &str, dataset: &str) -> Result<String> {
        if let Some(l) = &self.session.profile.location {
            return Ok(l.clone());
        }
        let ds = self.session.rt.block_on(self.session.client.dataset().get(project, dataset));
        match ds.map_err(|e| api_error(&format!("datasets.get {project}.{dataset}"), e))?.location {
            Some(l) => Ok(l),
            None => Err(Error::Warehouse("No location/region found when trying to retrieve \"OBJECT_PRIVILEGES\"".into())),
        }
    }

    pub fn datasets(&self) -> Result<Vec<String>> {
        let listed = self.session.rt.block_on(self.session.client.dataset().list(&self.session.profile.project, Default::default()));
        if let Ok(list) = listed {
            return Ok(list.datasets.into_iter().map(|d| d.dataset_reference.dataset_id).collect());
        }
        let region = self.session.profile.location.as_deref().map(|l| format!(".{}", ddl::quote(&format!("region-{}", l.to_lowercase())))).unwrap_or_default();
        let sql = format!("select schema_name from {}{region}.INFORMATION_SCHEMA.SCHEMATA order by 1", ddl::quote(&self.session.profile.project));
        let rows = self.query(&sql, 10_000)?;
        Ok(rows.rows.iter().filter_map(|r| r.first().and_then(|v| v.as_str()).map(String::from)).collect())
    }
}

impl Warehouse for BigQuery {
    fn adapter_type(&self) -> &'static str {
        "bigquery"
    }
    fn dialect(&self) -> &'static dyn Dialect {
        &BigQueryDialect
    }
    fn for_node(self: Arc<Self>, unique_id: &str) -> Arc<dyn Warehouse> {
        Arc::new(BigQuery { session: self.session.clone(), node: Some(unique_id.to_string()) })
    }
    fn database(&self) -> &str {
        &self.session.profile.project
    }
    fn schema(&self) -> &str {
        &self.session.profile.dataset
    }

    fn execute(&self, sql: &str) -> Result<AdapterResponse> {
        let out = self.job(sql, false)?;
        let kind = out.statement_type.clone().unwrap_or_else(|| "SCRIPT".into());
        let bytes = out.bytes_processed.map(|b| format!(", {b} bytes processed")).unwrap_or_default();
        Ok(AdapterResponse {
            message: format!("{kind} ({} rows{bytes})", out.rows_affected.unwrap_or(0)),
            code: kind,
            rows_affected: out.rows_affected,
        })
    }

    fn query(&self, sql: &str, limit: usize) -> Result<Rows> {
        let out = self.job(sql, false)?;
        let s = &self.session;
        s.rt.block_on(jobs::read_rows(&s.client, &s.profile, &out.job_id, limit, self.node.as_deref()))
    }

    /// BigQuery has no read-only session: a dry run (nothing runs, nothing is billed) must report a
    /// `SELECT` statement (a DDL/DML statement or a multi-statement `SCRIPT` is refused), then it runs.
    fn query_read_only(&self, sql: &str, limit: usize) -> Result<Rows> {
        let kind = self.job(sql, true)?.statement_type;
        match kind.as_deref() {
            Some("SELECT") => self.query(sql, limit),
            Some(other) => Err(Error::Warehouse(format!("only a query (SELECT) can be shown; BigQuery's dry run reads this SQL as {other}"))),
            None => Err(Error::Warehouse("only a query (SELECT) can be shown, and BigQuery's dry run did not say what this SQL is".into())),
        }
    }

    fn relation_kind(&self, rel: &RelationName) -> Result<Option<RelationKind>> {
        Ok(self.table(rel)?.map(|t| match t.r#type.as_deref() {
            Some("VIEW") | Some("MATERIALIZED_VIEW") => RelationKind::View,
            _ => RelationKind::Table,
        }))
    }

    fn columns(&self, rel: &RelationName) -> Result<Vec<WarehouseColumn>> {
        let fields = self.table(rel)?.and_then(|t| t.schema.fields).unwrap_or_default();
        Ok(fields
            .into_iter()
            .map(|f| {
                let ty = serde_json::to_value(&f.r#type).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                let ty = match ty.as_str() {
                    "INTEGER" => "INT64".to_string(),
                    "FLOAT" => "FLOAT64".to_string(),
                    "BOOLEAN" => "BOOL".to_string(),
                    "RECORD" => "STRUCT".to_string(),
                    _ => ty,
                };
                let data_type = if f.mode.as_deref() == Some("REPEATED") { format!("ARRAY<{ty}>") } else { ty };
                WarehouseColumn { name: f.name, data_type }
            })
            .collect())
    }

    /// dbt-bigquery's `get_column_schema_from_query`: the schema of the query run with no rows; types as
    /// the API names them (`INTEGER`, `STRING`), repeated fields as `ARRAY<...>`.
    fn query_columns(&self, sql: &str) -> Result<Vec<WarehouseColumn>> {
        let out = self.job(&format!("select * from (\n{sql}\n) as __dbt_sbq\nwhere false\nlimit 0"), false)?;
        let s = &self.session;
        let fields = s.rt.block_on(jobs::result_fields(&s.client, &s.profile, &out.job_id, self.node.as_deref()))?;
        Ok(fields
            .into_iter()
            .map(|(name, ty, mode)| WarehouseColumn { name, data_type: if mode == "REPEATED" { format!("ARRAY<{ty}>") } else { ty } })
            .collect())
    }

    /// dbt-bigquery's `apply_grants`: the relation's current grants (when it existed), then one script
    /// of `revoke` and `grant` statements for the difference.
    fn apply_grants(&self, rel: &RelationName, kind: RelationKind, want: &super::Grants, should_revoke: bool) -> Result<()> {
        if want.is_empty() {
            return Ok(());
        }
        let name = self.render_relation(rel);
        let current = if should_revoke {
            let location = self.dataset_location(&rel.database, &rel.schema)?;
            let rows = self.query(&grants::show_sql(&rel.database, &location, &rel.schema, &rel.identifier), usize::MAX)?;
            grants::standardize(rows.rows.iter().map(|r| (cell_text(&r[0]), cell_text(&r[1]))))
        } else {
            super::Grants::new()
        };
        let statements = grants::dcl(&name, kind, &grants::diff(want, &current), &grants::diff(&current, want));
        if statements.is_empty() {
            let msg = format!("On {name}: All grants are in place, no revocation or granting needed.");
            crate::output::printer().note(crate::events::Level::Debug, &msg);
            return Ok(());
        }
        self.execute(&statements.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join("\n")).map(|_| ())
    }

    fn create_schema(&self, database: &str, schema: &str) -> Result<()> {
        let key = format!("{database}.{schema}");
        if self.session.datasets_ready.lock().map(|s| s.contains(&key)).unwrap_or(false) {
            return Ok(());
        }
        let exists = match self.session.rt.block_on(self.session.client.dataset().get(database, schema)) {
            Ok(_) => true,
            Err(e) if not_found(&e) => false,
            Err(e) => return Err(api_error(&format!("datasets.get {key}"), e)),
        };
        if !exists {
            let mut ds = Dataset::new(database, schema);
            if let Some(loc) = &self.session.profile.location {
                ds = ds.location(loc);
            }
            match self.session.rt.block_on(self.session.client.dataset().create(ds)) {
                Ok(_) => {}
                // Another worker created it meanwhile.
                Err(BQError::ResponseError { error }) if error.error.code == 409 => {}
                Err(e) => return Err(api_error(&format!("datasets.insert {key}"), e)),
            }
        }
        if let Ok(mut s) = self.session.datasets_ready.lock() {
            s.insert(key);
        }
        Ok(())
    }

    fn load_seed(&self, rel: &RelationName, csv: &Path, config: &Config) -> Result<i64> {
        if self.relation_kind(rel)? == Some(RelationKind::View) {
            self.execute(&self.drop_sql(&self.render_relation(rel), RelationKind::View))?;
        }
        seed::load(self, &self.render_relation(rel), csv, config)
    }

    fn describe(&self) -> Vec<(String, String)> {
        let p = &self.session.profile;
        let method = match p.auth {
            profile::Auth::KeyFile(_) => "service-account",
            profile::Auth::KeyJson(_) => "service-account-json",
            profile::Auth::Oauth => "oauth",
            profile::Auth::FixedToken => "none (api_base_url: fixed token)",
        };
        let mut out = vec![
            ("type".to_string(), "bigquery".to_string()),
            ("method".into(), method.into()),
            ("project".into(), p.project.clone()),
            ("dataset".into(), p.dataset.clone()),
            ("location".into(), p.location.clone().unwrap_or_else(|| "(default)".into())),
            ("priority".into(), p.priority.to_lowercase()),
            ("job_retries".into(), p.job_retries.to_string()),
            ("maximum_bytes_billed".into(), p.maximum_bytes_billed.map(|b| b.to_string()).unwrap_or_else(|| "(none)".into())),
        ];
        if let Some(u) = &p.api_base_url {
            out.push(("api_base_url".into(), u.clone()));
        }
        out.push(match self.datasets() {
            Ok(d) => ("datasets".into(), if d.is_empty() { "(none)".into() } else { d.join(", ") }),
            Err(e) => ("datasets".into(), format!("cannot list: {e}")),
        });
        out
    }

    fn create_view_sql(&self, rel: &str, sql: &str, config: &Config) -> String {
        ddl::create_view(rel, sql, config)
    }
    fn create_table_sql(&self, rel: &str, sql: &str, config: &Config) -> String {
        ddl::create_table(rel, sql, config)
    }
    /// dbt-bigquery's `create or replace table` (BigQuery has temporary tables only inside scripts: a
    /// temporary one is a table in the dataset, which the materialization drops).
    fn create_table_as_sql(&self, rel: &str, sql: &str, config: &Config, _temporary: bool) -> String {
        ddl::create_table(rel, sql, config)
    }
    /// dbt-bigquery's `create or replace view`.
    fn create_view_as_sql(&self, rel: &str, sql: &str, config: &Config) -> String {
        self.create_view_sql(rel, sql, config)
    }

    /// One atomic `create or replace table`. BigQuery refuses to replace a view with a table, or a
    /// table with one partitioned or clustered differently: those are dropped first (as dbt-bigquery does).
    fn build_table_with(&self, rel: &RelationName, sql: &str, config: &Config, contract: Option<&super::ContractDdl>) -> Result<AdapterResponse> {
        let partition = ddl::partition(config)?;
        let name = self.render_relation(rel);
        match self.table(rel)? {
            Some(t) if matches!(t.r#type.as_deref(), Some("VIEW") | Some("MATERIALIZED_VIEW")) => {
                self.execute(&self.drop_sql(&name, RelationKind::View))?;
            }
            Some(t) if !ddl::same_layout(&t, partition.as_ref(), &ddl::cluster_by(config)) => {
                self.execute(&self.drop_sql(&name, RelationKind::Table))?;
            }
            _ => {}
        }
        match contract {
            Some(c) => self.execute(&self.create_contract_table_sql(&name, sql, c, config)),
            None => self.execute(&ddl::create_table(&name, sql, config)),
        }
    }
    /// dbt-bigquery's contracted `create or replace table x (cols and constraints) partition by ... as (select ...)`.
    fn create_contract_table_sql(&self, rel: &str, sql: &str, ddl: &super::ContractDdl, config: &Config) -> String {
        ddl::create_table_columns(rel, &ddl.columns_and_constraints(), &ddl.select(sql), config)
    }

    fn estimate_bytes(&self, sql: &str) -> Result<Option<i64>> {
        self.dry_run_bytes(sql).map(Some)
    }

    fn incremental_sql(&self, p: &IncrementalPlan) -> Result<Vec<String>> {
        ddl::incremental(p)
    }

    fn last_modified_ms(&self, rel: &RelationName) -> Result<Option<i64>> {
        Ok(self.table(rel)?.and_then(|t| t.last_modified_time).and_then(|t| t.parse::<i64>().ok()))
    }

    /// One query per dataset of its INFORMATION_SCHEMA; table types as dbt-bigquery writes them.
    fn catalog_sql(&self, schemas: &[(String, String)]) -> Vec<String> {
        schemas
            .iter()
            .map(|(project, dataset)| {
                let ds = format!("{}.{}", self.quote(project), self.quote(dataset));
                format!(
                    "select t.table_catalog, t.table_schema, t.table_name, \
                       case t.table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' else lower(t.table_type) end, \
                       cast(null as string), c.column_name, c.ordinal_position, c.data_type, cast(null as string) \
                     from {ds}.INFORMATION_SCHEMA.TABLES as t join {ds}.INFORMATION_SCHEMA.COLUMNS as c on c.table_name = t.table_name \
                     order by t.table_name, c.ordinal_position"
                )
            })
            .collect()
    }

    fn freshness_sql(&self, rel: &str, field: &str, filter: Option<&str>) -> String {
        let filter = filter.map(|f| format!(" where {f}")).unwrap_or_default();
        format!(
            "select cast(max({field}) as string), cast(current_timestamp() as string), \
             timestamp_diff(current_timestamp(), cast(max({field}) as timestamp), millisecond) / 1000.0 from {rel}{filter}"
        )
    }
}

fn cell_text(v: &serde_json::Value) -> String {
    v.as_str().map(String::from).unwrap_or_else(|| v.to_string())
}
