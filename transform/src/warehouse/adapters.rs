//! The adapters this build has, by profile `type` (`duckdb`, `bigquery`): opening a connection
//! for a target, and a target's dialect and location without one. Adding a warehouse adds one row
//! to `ADAPTERS`; nothing else in the crate names an adapter.

use std::path::Path;
use std::sync::Arc;

use super::dialect::{self, Dialect};
use super::{bigquery, duckdb, Warehouse};
use crate::error::{Error, Result};
use crate::project::profiles::Target;

/// An adapter this build has: its profile `type`, its dialect and how to open a connection.
struct Adapter {
    name: &'static str,
    dialect: &'static dyn Dialect,
    open: fn(&Target, &Path) -> Result<Arc<dyn Warehouse>>,
}

/// Every adapter, by profile `type`.
const ADAPTERS: &[Adapter] = &[
    Adapter { name: "duckdb", dialect: &duckdb::DuckDbDialect, open: |t, dir| Ok(Arc::new(duckdb::DuckDb::open(t, dir)?)) },
    Adapter { name: "bigquery", dialect: &bigquery::BigQueryDialect, open: |t, _| Ok(Arc::new(bigquery::BigQuery::open(t)?)) },
];

fn adapter(adapter_type: &str) -> Option<&'static Adapter> {
    ADAPTERS.iter().find(|a| a.name == adapter_type)
}

/// The dialect of a profile `type`, without connecting; standard SQL for a type without an adapter.
pub fn dialect(adapter_type: &str) -> &'static dyn Dialect {
    adapter(adapter_type).map_or(&dialect::Standard, |a| a.dialect)
}

/// Opens the adapter named by the target's `type`.
pub fn connect(target: &Target, project_dir: &Path) -> Result<Arc<dyn Warehouse>> {
    match adapter(&target.adapter_type) {
        Some(a) => (a.open)(target, project_dir),
        None => {
            let supported: Vec<&str> = ADAPTERS.iter().map(|a| a.name).collect();
            Err(Error::Profile {
                message: format!("target `{}` has type `{}`; supported: {}", target.name, target.adapter_type, supported.join(", ")),
            })
        }
    }
}

/// A connection for reading only (the dashboard's panel queries): DuckDB opens the file read-only;
/// BigQuery's jobs are the panels' single SELECT statements (checked when the panels compile).
pub fn connect_read_only(target: &Target, project_dir: &Path) -> Result<Arc<dyn Warehouse>> {
    match target.adapter_type.as_str() {
        "duckdb" => Ok(Arc::new(duckdb::DuckDb::open_read_only(target, project_dir)?)),
        _ => connect(target, project_dir),
    }
}

/// The database and schema a target uses, without connecting (for `parse`, `compile`, `ls`).
pub fn target_location(target: &Target) -> (String, String) {
    dialect(&target.adapter_type).location(target)
}
