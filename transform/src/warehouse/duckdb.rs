//! The embedded DuckDB adapter: one database file (or `:memory:`), a small pool of connections so
//! worker threads run concurrently, metadata from `information_schema`, and seeds via `read_csv`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use duckdb::types::Value as DValue;
use duckdb::Connection;
use serde_json::Value as Json;

use super::dialect::{Dialect, Standard, TypeClass};
use super::{AdapterResponse, RelationKind, Rows, Warehouse, WarehouseColumn};
use crate::error::{Error, Result};
use crate::project::profiles::Target;
use crate::project::{Config, RelationName};

pub struct DuckDb {
    base: Mutex<Connection>,
    pool: Mutex<Vec<Connection>>,
    path: String,
    database: String,
    schema: String,
    files: super::FileRoots,
}

/// The profile's `external_root` (default `.`), and relative file paths read from the project
/// directory (DuckDB's `file_search_path`), as dbt-duckdb run from there reads them.
fn file_roots(conn: &Connection, target: &Target, project_dir: &Path) -> Result<super::FileRoots> {
    let base = std::path::absolute(project_dir).unwrap_or_else(|_| project_dir.to_path_buf());
    conn.execute_batch(&format!("set global file_search_path = {}", lit(&base.to_string_lossy()))).map_err(err)?;
    Ok(super::FileRoots { external_root: target.field("external_root").unwrap_or(".").to_string(), base })
}

fn db_path(target: &Target, project_dir: &Path) -> String {
    let raw = target.field("path").unwrap_or(":memory:");
    if raw == ":memory:" || Path::new(raw).is_absolute() {
        raw.to_string()
    } else {
        project_dir.join(raw).to_string_lossy().into_owned()
    }
}

/// DuckDB's dialect is standard SQL; where a target's relations live differs, and dbt-duckdb knows
/// more integer and float type names.
#[derive(Debug)]
pub struct DuckDbDialect;

impl Dialect for DuckDbDialect {
    fn location(&self, target: &Target) -> (String, String) {
        location(target)
    }
    fn temp_relation(&self, base: &RelationName, suffix: &str, now: chrono::DateTime<chrono::Utc>) -> RelationName {
        let identifier = format!("{}{suffix}{}", base.identifier, now.format("%Y%m%d%H%M%S%6f"));
        RelationName { identifier, ..Default::default() }
    }
    fn adapter_materializations(&self) -> &'static [&'static str] {
        &["table", "incremental", "external", "table_function"]
    }
    fn relation_class(&self) -> &'static str {
        "DuckDBRelation"
    }
    fn reads_files(&self) -> bool {
        true
    }
    fn type_class(&self, dtype: &str) -> TypeClass {
        let lower = dtype.to_ascii_lowercase();
        let integers = [
            "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint", "int1", "int2", "int4",
            "int8", "short", "int", "signed", "long",
        ];
        if integers.contains(&lower.as_str()) {
            TypeClass::Integer
        } else if ["real", "float", "float4", "float8", "double"].contains(&lower.as_str()) {
            TypeClass::Float
        } else {
            Standard.type_class(dtype)
        }
    }
    /// dbt-duckdb's column-level foreign key names `schema.table`: DuckDB refuses a key across
    /// databases, so the database part of a three-part name is dropped (split at dots, as dbt-duckdb
    /// does). dbt-duckdb keeps three parts at model level, which DuckDB 1.5 refuses as "cross-database"
    /// even for the same database (DuckDB 2 accepts it); transform writes two parts at both levels.
    fn foreign_key_reference(&self, relation: &str) -> String {
        let pieces: Vec<&str> = relation.split('.').collect();
        if pieces.len() > 2 { pieces[1..].join(".") } else { relation.to_string() }
    }
    /// dbt-duckdb's `now()::timestamp` (the transaction's start, without time zone).
    fn snapshot_time(&self) -> &'static str {
        "now()::timestamp"
    }
}

/// DuckDB names the catalog after the file stem (`dev.duckdb` → `dev`), `memory` for `:memory:`.
pub fn location(target: &Target) -> (String, String) {
    let path = target.field("path").unwrap_or(":memory:");
    let db = if path == ":memory:" {
        "memory".to_string()
    } else {
        PathBuf::from(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    };
    (target.field("database").map(String::from).unwrap_or(db), target.field("schema").unwrap_or("main").to_string())
}

/// The database file of a target (None for `:memory:`), as `open` resolves it.
pub fn file_path(target: &Target, project_dir: &Path) -> Option<PathBuf> {
    let p = db_path(target, project_dir);
    (p != ":memory:").then(|| PathBuf::from(p))
}

fn open_error(path: &str, e: duckdb::Error) -> Error {
    Error::Warehouse(crate::output::redact(&format!("cannot open DuckDB database {path}: {e}")))
}

/// How long a writer waits for a file another process holds (a dashboard's read-only refresh holds
/// it for well under a second; another `transform` run for as long as it runs).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens, waiting while another process holds DuckDB's file lock (DuckDB itself fails at once).
fn wait_for_lock(path: &str, open: impl Fn() -> duckdb::Result<Connection>) -> Result<Connection> {
    let start = std::time::Instant::now();
    let mut told = false;
    loop {
        match open() {
            Ok(c) => return Ok(c),
            Err(e) if e.to_string().contains("Could not set lock") && start.elapsed() < LOCK_WAIT => {
                if !told {
                    crate::output::printer().info(&format!("waiting for {path}: another process has it open ({e})"));
                    told = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(open_error(path, e)),
        }
    }
}

fn err(e: duckdb::Error) -> Error {
    Error::Warehouse(crate::output::redact(&e.to_string()))
}

impl DuckDb {
    pub fn open(target: &Target, project_dir: &Path) -> Result<DuckDb> {
        let path = db_path(target, project_dir);
        if let Some(parent) = Path::new(&path).parent().filter(|p| !p.as_os_str().is_empty() && path != ":memory:") {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let conn = match path.as_str() {
            ":memory:" => Connection::open_in_memory().map_err(|e| open_error(&path, e))?,
            _ => wait_for_lock(&path, || Connection::open(&path))?,
        };
        let (database, schema) = location(target);
        let files = file_roots(&conn, target, project_dir)?;
        Ok(DuckDb { base: Mutex::new(conn), pool: Mutex::new(vec![]), path, database, schema, files })
    }

    /// The file opened read-only (the dashboard's panel queries): it must exist, and nothing is written.
    /// Fails at once, without waiting, while another process writes to it.
    pub fn open_read_only(target: &Target, project_dir: &Path) -> Result<DuckDb> {
        let Some(path) = file_path(target, project_dir) else {
            return Err(Error::Warehouse("a read-only DuckDB connection needs a database file, not :memory:".into()));
        };
        if !path.is_file() {
            return Err(Error::Warehouse(format!("no DuckDB database at {}: run `transform build` first", path.display())));
        }
        let config = duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly).map_err(err)?;
        let text = path.to_string_lossy().into_owned();
        let conn = Connection::open_with_flags(&path, config).map_err(|e| open_error(&text, e))?;
        let (database, schema) = location(target);
        let files = file_roots(&conn, target, project_dir)?;
        Ok(DuckDb { base: Mutex::new(conn), pool: Mutex::new(vec![]), path: text, database, schema, files })
    }

    /// Runs `f` on a pooled connection (cloned from the base one when the pool is empty).
    fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().map_err(|_| Error::Warehouse("connection pool poisoned".into()))?.pop();
        let conn = match pooled {
            Some(c) => c,
            None => self.base.lock().map_err(|_| Error::Warehouse("connection poisoned".into()))?.try_clone().map_err(err)?,
        };
        let out = f(&conn);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(conn);
        }
        out
    }
}

fn to_json(v: DValue) -> Json {
    match v {
        DValue::Null => Json::Null,
        DValue::Boolean(b) => Json::from(b),
        DValue::TinyInt(i) => Json::from(i),
        DValue::SmallInt(i) => Json::from(i),
        DValue::Int(i) => Json::from(i),
        DValue::BigInt(i) => Json::from(i),
        DValue::UTinyInt(i) => Json::from(i),
        DValue::USmallInt(i) => Json::from(i),
        DValue::UInt(i) => Json::from(i),
        DValue::UBigInt(i) => Json::from(i),
        DValue::HugeInt(i) => i64::try_from(i).map(Json::from).unwrap_or_else(|_| Json::from(i.to_string())),
        DValue::Float(f) => Json::from(f),
        DValue::Double(f) => Json::from(f),
        DValue::Decimal(d) => d.to_string().parse::<f64>().map(Json::from).unwrap_or_else(|_| Json::from(d.to_string())),
        DValue::Text(s) | DValue::Enum(s) => Json::from(s),
        DValue::Date32(days) => chrono::DateTime::from_timestamp(days as i64 * 86_400, 0)
            .map(|d| Json::from(d.date_naive().to_string()))
            .unwrap_or(Json::Null),
        DValue::Timestamp(unit, n) => {
            let micros = unit.to_micros(n);
            chrono::DateTime::from_timestamp_micros(micros).map(|d| Json::from(d.naive_utc().to_string())).unwrap_or(Json::Null)
        }
        DValue::List(items) | DValue::Array(items) => Json::Array(items.into_iter().map(to_json).collect()),
        other => Json::from(format!("{other:?}")),
    }
}

/// At most `limit` rows of one query's result.
fn read_rows(c: &Connection, sql: &str, limit: usize) -> Result<Rows> {
    let mut stmt = c.prepare(sql).map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Rows { columns, rows: vec![] };
    while out.rows.len() < limit {
        let Some(row) = rows.next().map_err(err)? else { break };
        let vals = (0..out.columns.len()).map(|i| row.get::<_, DValue>(i).map(to_json)).collect::<Result<Vec<_>, _>>();
        out.rows.push(vals.map_err(err)?);
    }
    Ok(out)
}

impl Warehouse for DuckDb {
    fn adapter_type(&self) -> &'static str {
        "duckdb"
    }
    fn dialect(&self) -> &'static dyn Dialect {
        &DuckDbDialect
    }
    /// DuckDB statements carry no metadata: every node shares this handle.
    fn for_node(self: Arc<Self>, _unique_id: &str) -> Arc<dyn Warehouse> {
        self
    }
    fn database(&self) -> &str {
        &self.database
    }
    fn schema(&self) -> &str {
        &self.schema
    }

    fn execute(&self, sql: &str) -> Result<AdapterResponse> {
        self.with_conn(|c| {
            c.execute_batch(sql).map_err(err)?;
            Ok(AdapterResponse { message: "OK".into(), code: "OK".into(), rows_affected: None })
        })
    }

    fn query(&self, sql: &str, limit: usize) -> Result<Rows> {
        self.with_conn(|c| read_rows(c, sql, limit))
    }

    /// DuckDB's parser must see SELECT statements only (`json_serialize_sql` refuses anything else,
    /// so `commit; drop …` cannot end the transaction), and the query runs in a read-only transaction.
    fn query_read_only(&self, sql: &str, limit: usize) -> Result<Rows> {
        let verdict = self.query(&format!("select cast(json_serialize_sql({}) as varchar)", lit(sql)), 1)?;
        let text = verdict.rows.first().and_then(|r| r.first()).and_then(Json::as_str).unwrap_or("{}");
        let parsed: Json = serde_json::from_str(text).unwrap_or_default();
        if parsed["error"] == true {
            let why = parsed["error_message"].as_str().unwrap_or("unknown");
            return Err(Error::Warehouse(match parsed["error_type"].as_str() {
                Some("not implemented") => format!("only a query (SELECT) can be shown, and this SQL holds another statement ({why})"),
                _ => why.to_string(),
            }));
        }
        self.with_conn(|c| {
            c.execute_batch("begin transaction read only").map_err(err)?;
            let out = read_rows(c, sql, limit);
            let _ = c.execute_batch("rollback");
            out
        })
    }

    /// dbt-duckdb's catalog query: duckdb_tables / duckdb_views / duckdb_columns (with comments).
    fn catalog_sql(&self, schemas: &[(String, String)]) -> Vec<String> {
        let mut by_db: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for (d, s) in schemas {
            by_db.entry(d.as_str()).or_default().push(format!("lower(r.schema_name) = {}", lit(&s.to_lowercase())));
        }
        by_db
            .into_iter()
            .map(|(db, conds)| {
                let db = lit(db);
                format!(
                    "with relations as (\
                       select table_name, database_name, schema_name, 'BASE TABLE' as table_type, comment as table_comment \
                       from duckdb_tables() where lower(database_name) = {db} \
                       union all \
                       select view_name, database_name, schema_name, 'VIEW', comment from duckdb_views() where lower(database_name) = {db}) \
                     select r.database_name, r.schema_name, r.table_name, r.table_type, r.table_comment, \
                       c.column_name, c.column_index, c.data_type, c.comment \
                     from relations as r join duckdb_columns() as c \
                       on c.database_name = r.database_name and c.schema_name = r.schema_name and c.table_name = r.table_name \
                     where {} order by r.schema_name, r.table_name, c.column_index",
                    conds.join(" or ")
                )
            })
            .collect()
    }

    fn relation_kind(&self, rel: &RelationName) -> Result<Option<RelationKind>> {
        let sql = format!(
            "select table_type from information_schema.tables where table_catalog = {} and table_schema = {} and table_name = {}",
            lit(&rel.database),
            lit(&rel.schema),
            lit(&rel.identifier)
        );
        let rows = self.query(&sql, 1)?;
        Ok(rows.rows.first().and_then(|r| r.first()).and_then(Json::as_str).map(|t| {
            if t == "VIEW" {
                RelationKind::View
            } else {
                RelationKind::Table
            }
        }))
    }

    fn columns(&self, rel: &RelationName) -> Result<Vec<WarehouseColumn>> {
        let sql = format!(
            "select column_name, data_type from information_schema.columns where table_catalog = {} and table_schema = {} and table_name = {} order by ordinal_position",
            lit(&rel.database),
            lit(&rel.schema),
            lit(&rel.identifier)
        );
        Ok(name_type_rows(&self.query(&sql, usize::MAX)?))
    }

    /// dbt-duckdb's `get_column_schema_from_query`: DESCRIBE of the query with no rows.
    fn query_columns(&self, sql: &str) -> Result<Vec<WarehouseColumn>> {
        let sql = format!("describe (select * from (\n{sql}\n) as __dbt_sbq\nwhere false\nlimit 0\n)");
        Ok(name_type_rows(&self.query(&sql, usize::MAX)?))
    }

    /// dbt-duckdb applies no grants: it warns once per run (`adapter.warn_once`) and goes on.
    fn apply_grants(&self, _rel: &RelationName, _kind: RelationKind, grants: &super::Grants, _should_revoke: bool) -> Result<()> {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !grants.is_empty() && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            crate::output::printer().emit(crate::events::adapter_warning("DuckDB", "Grants for relations are not supported by DuckDB"));
        }
        Ok(())
    }

    fn create_schema(&self, database: &str, schema: &str) -> Result<()> {
        let rel = RelationName { database: database.into(), schema: schema.into(), identifier: String::new() };
        self.execute(&format!("create schema if not exists {}", self.render_relation(&rel)))?;
        Ok(())
    }

    /// dbt-duckdb's seed: the table gets agate's inferred types (or `column_types`), then DuckDB's
    /// CSV reader parses the values into them, as its `COPY ... FROM` fast path does.
    fn load_seed(&self, rel: &RelationName, csv: &Path, config: &Config) -> Result<i64> {
        let columns = seed_columns(self, csv, config)?;
        let delim = config.str("delimiter").map(|d| format!(", delim = {}", lit(d))).unwrap_or_default();
        let types = columns.iter().map(|(k, v)| format!("{}: {}", lit(k), lit(v))).collect::<Vec<_>>().join(", ");
        let select = format!("select * from read_csv({}, header = true{delim}, columns = {{{types}}})", lit(&csv.to_string_lossy()));
        self.build_table(rel, &select, config)?;
        let count = self.query(&format!("select count(*) from {}", self.render_relation(rel)), 1)?;
        Ok(count.rows.first().and_then(|r| r.first()).and_then(Json::as_i64).unwrap_or(0))
    }

    fn files(&self) -> Option<&super::FileRoots> {
        Some(&self.files)
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("type".into(), "duckdb".into()),
            ("path".into(), self.path.clone()),
            ("database".into(), self.database.clone()),
            ("schema".into(), self.schema.clone()),
        ]
    }

    /// dbt-duckdb's snapshot apply: close the changed versions, then insert the new ones.
    fn snapshot_merge_sql(&self, m: &super::SnapshotMerge) -> Vec<String> {
        let c = m.columns;
        let current = match m.valid_to_current {
            Some(v) => format!("(DBT_INTERNAL_TARGET.{vt} = {v} or DBT_INTERNAL_TARGET.{vt} is null)", vt = c.valid_to),
            None => format!("DBT_INTERNAL_TARGET.{} is null", c.valid_to),
        };
        let cols = m.insert_cols.join(", ");
        let source_cols: Vec<String> = m.insert_cols.iter().map(|c| format!("DBT_INTERNAL_SOURCE.{c}")).collect();
        vec![
            format!(
                "update {t} as DBT_INTERNAL_TARGET\nset {vt} = DBT_INTERNAL_SOURCE.{vt}\nfrom {s} as DBT_INTERNAL_SOURCE\n\
                 where DBT_INTERNAL_SOURCE.{id}::text = DBT_INTERNAL_TARGET.{id}::text\n\
                 and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)\nand {current}",
                t = m.target, s = m.staging, vt = c.valid_to, id = c.scd_id
            ),
            format!(
                "insert into {} ({cols})\nselect {}\nfrom {} as DBT_INTERNAL_SOURCE\nwhere DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text",
                m.target,
                source_cols.join(", "),
                m.staging
            ),
        ]
    }

    fn append_rows(&self, batches: &[super::append::RowBatch], then_sql: &[String]) -> Result<u64> {
        self.with_conn(|c| super::append::duckdb_append(c, batches, then_sql))
    }
}

/// Each CSV column with its type: `column_types`' when given, else the one dbt infers.
fn seed_columns(wh: &DuckDb, csv: &Path, config: &Config) -> Result<Vec<(String, String)>> {
    let declared = config.get("column_types").and_then(Json::as_object).cloned().unwrap_or_default();
    let text: Vec<String> = declared.keys().cloned().collect();
    let inferred = wh.with_conn(|c| super::seed_types::infer_csv(c, csv, config.str("delimiter"), &text).map_err(err))?;
    Ok(inferred
        .into_iter()
        .map(|(name, t)| {
            let ty = declared.get(&name).and_then(Json::as_str).map(str::to_string).unwrap_or_else(|| t.duckdb().to_string());
            (name, ty)
        })
        .collect())
}

/// A SQL string literal.
/// Columns from rows whose first two cells are the name and the type.
fn name_type_rows(rows: &Rows) -> Vec<WarehouseColumn> {
    let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
    rows.rows.iter().map(|r| WarehouseColumn { name: text(&r[0]), data_type: text(&r[1]) }).collect()
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
