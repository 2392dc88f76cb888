//! The snapshot materialization (dbt's SCD2): the first run builds the table from the query plus
//! `dbt_scd_id`/`dbt_updated_at`/`dbt_valid_from`/`dbt_valid_to`; later runs build a staging table
//! (`sql.rs`), add the query's new columns to the table, and apply the staging rows (the adapter's
//! `snapshot_merge_sql`: DuckDB update + insert, BigQuery MERGE) in one transaction.

mod sql;

use crate::error::{Error, Result};
use crate::project::snapshots::{HardDeletes, Spec, Strategy};
use crate::project::{Node, RelationName};
use crate::warehouse::{AdapterResponse, RelationKind, SnapshotMerge, Warehouse, WarehouseColumn};
use sql::{Existing, SnapshotSql};

/// Staging columns that steer the apply and are not written to the table.
fn is_internal(col: &str) -> bool {
    let c = col.to_ascii_lowercase();
    c == "dbt_change_type" || c == "dbt_unique_key" || c.strip_prefix("dbt_unique_key_").is_some_and(|n| n.parse::<u32>().is_ok())
}

fn has(cols: &[WarehouseColumn], name: &str) -> bool {
    cols.iter().any(|c| c.name.eq_ignore_ascii_case(name))
}

/// Builds or updates the snapshot table of `node` from its compiled query `sql`.
pub fn snapshot(wh: &dyn Warehouse, node: &Node, sql: &str) -> Result<(AdapterResponse, String)> {
    let spec = Spec::from_config(&node.config, &node.original_file_path)?;
    let builder = SnapshotSql { spec: &spec, dialect: wh.dialect() };
    let rel = &node.relation;
    match wh.relation_kind(rel)? {
        None => Ok((wh.build_table(rel, &builder.initial(sql), &node.config)?, "SNAPSHOT".into())),
        Some(RelationKind::View) => Err(Error::Warehouse(format!(
            "{} is a view; a snapshot needs a table (drop the view or set another alias)",
            wh.render_relation(rel)
        ))),
        Some(RelationKind::Table) => update(wh, node, &spec, &builder, sql),
    }
}

/// dbt's `valid_snapshot_target`: the table must carry the snapshot's meta columns.
fn check_target(node: &Node, spec: &Spec, cols: &[WarehouseColumn]) -> Result<()> {
    let c = &spec.columns;
    let mut wanted = vec![&c.scd_id, &c.valid_from, &c.valid_to, &c.updated_at];
    if spec.hard_deletes == HardDeletes::NewRecord {
        wanted.push(&c.is_deleted);
    }
    let missing: Vec<String> = wanted.into_iter().filter(|w| !has(cols, w)).map(|w| format!("\"{w}\"")).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Warehouse(format!(
        "snapshot {}: Snapshot target is not a snapshot table (missing {})",
        node.name,
        missing.join(", ")
    )))
}

/// The query's column names (from a query that returns no rows).
fn query_columns(wh: &dyn Warehouse, sql: &str) -> Result<Vec<String>> {
    Ok(wh.query(&format!("select * from (\n{sql}\n) as dbt_cols where 1 = 0"), 0)?.columns)
}

/// `check` strategy: the compared columns (quoted) present in the table, and whether one is new.
fn check_columns(wh: &dyn Warehouse, node: &Node, spec: &Spec, sql: &str, target: &[WarehouseColumn]) -> Result<(Vec<String>, bool)> {
    let Strategy::Check { cols, .. } = &spec.strategy else { return Ok((vec![], false)) };
    let query = query_columns(wh, sql)?;
    let wanted: Vec<String> = match cols {
        None => query,
        Some(list) => {
            if let Some(m) = list.iter().find(|c| !query.iter().any(|q| q.eq_ignore_ascii_case(c))) {
                return Err(Error::Warehouse(format!("snapshot {}: check_cols column `{m}` is not a column of the snapshot query", node.name)));
            }
            list.clone()
        }
    };
    let present: Vec<String> = wanted.iter().filter(|c| has(target, c)).map(|c| wh.quote(c)).collect();
    let added = present.len() < wanted.len();
    Ok((present, added))
}

fn update(wh: &dyn Warehouse, node: &Node, spec: &Spec, builder: &SnapshotSql, sql: &str) -> Result<(AdapterResponse, String)> {
    let rel = &node.relation;
    let target_cols = wh.columns(rel)?;
    check_target(node, spec, &target_cols)?;
    let (check_cols, column_added) = check_columns(wh, node, spec, sql, &target_cols)?;
    let source_cols: Vec<(String, bool)> = match spec.hard_deletes {
        HardDeletes::NewRecord => query_columns(wh, sql)?.into_iter().map(|c| (wh.quote(&c), has(&target_cols, &c))).collect(),
        _ => vec![],
    };
    let target = wh.render_relation(rel);
    let existing = Existing { target: &target, check_cols: &check_cols, column_added, source_cols: &source_cols };
    let staging = RelationName { identifier: format!("{}__dbt_tmp", rel.identifier), ..rel.clone() };
    let staging_name = wh.render_relation(&staging);
    wh.execute(&wh.create_table_sql(&staging_name, &builder.staging(sql, &existing), &crate::project::Config::default()))?;
    let applied = apply(wh, spec, &target, &staging, &target_cols);
    let _ = wh.execute(&wh.drop_sql(&staging_name, RelationKind::Table));
    applied.map(|r| (r, "SNAPSHOT".into()))
}

/// Adds the staging table's new columns to the snapshot table, then merges the staging rows.
fn apply(wh: &dyn Warehouse, spec: &Spec, target: &str, staging: &RelationName, target_cols: &[WarehouseColumn]) -> Result<AdapterResponse> {
    let staging_cols: Vec<WarehouseColumn> = wh.columns(staging)?.into_iter().filter(|c| !is_internal(&c.name)).collect();
    for c in staging_cols.iter().filter(|c| !has(target_cols, &c.name)) {
        wh.execute(&wh.add_column_sql(target, c))?;
    }
    let insert_cols: Vec<String> = staging_cols.iter().map(|c| wh.quote(&c.name)).collect();
    let staging_name = wh.render_relation(staging);
    let merge = SnapshotMerge {
        target,
        staging: &staging_name,
        insert_cols: &insert_cols,
        columns: &spec.columns,
        valid_to_current: spec.valid_to_current.as_deref(),
    };
    let statements = wh.snapshot_merge_sql(&merge);
    let sql = match statements.as_slice() {
        [one] => one.clone(),
        _ => format!("begin;\n{};\ncommit", statements.join(";\n")),
    };
    wh.execute(&sql).inspect_err(|_| {
        let _ = wh.execute("rollback");
    })
}

#[cfg(test)]
mod tests {
    use super::is_internal;

    #[test]
    fn internal_staging_columns_are_recognised() {
        assert!(is_internal("dbt_change_type") && is_internal("DBT_UNIQUE_KEY") && is_internal("dbt_unique_key_2"));
        assert!(!is_internal("dbt_unique_key_x") && !is_internal("dbt_scd_id"));
    }
}
