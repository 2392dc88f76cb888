//! Materializations: `view`, `table` (built under a temporary name and swapped in), `incremental`
//! (`append`, `merge`, `delete+insert` on `unique_key`; `on_schema_change` ignore/fail/
//! append_new_columns), `snapshot` (in `snapshot/`) and dbt-duckdb's `external` (in `external.rs`).
//! Ephemeral models are never built: they are inlined as CTEs. An enforced contract is checked first
//! (`contract`).

use serde_json::Value as Json;

use super::contract;
use crate::error::{Error, Result};
use crate::project::{Config, Node, RelationName};
use crate::warehouse::{AdapterResponse, IncrementalPlan, RelationKind, Warehouse, WarehouseColumn};

/// Builds `node` from its compiled `sql`; returns the adapter response and a short status message.
pub fn materialize(wh: &dyn Warehouse, node: &Node, sql: &str, full_refresh: bool) -> Result<(AdapterResponse, String)> {
    let rel = &node.relation;
    match node.materialized() {
        "view" => {
            if contract::enforced(node) {
                contract::assert_columns(wh, node, sql)?;
            }
            let name = wh.render_relation(rel);
            if wh.relation_kind(rel)? == Some(RelationKind::Table) {
                wh.execute(&wh.drop_sql(&name, RelationKind::Table))?;
            }
            Ok((wh.execute(&wh.create_view_sql(&name, sql, &node.config))?, "CREATE VIEW".into()))
        }
        "table" => Ok((table(wh, node, sql)?, "CREATE TABLE".into())),
        "incremental" => incremental(wh, node, sql, full_refresh),
        "snapshot" => super::snapshot::snapshot(wh, node, sql),
        "external" => super::external::build(wh, node, sql),
        // dbt's own, which transform does not build (`materialized_view`, `clone`, `table_function`…).
        other => Err(Error::Warehouse(format!(
            "dbt's built-in `{other}` materialization is not supported by transform (model {})",
            node.name
        ))),
    }
}

/// A table, with its enforced contract checked and declared in the DDL.
fn table(wh: &dyn Warehouse, node: &Node, sql: &str) -> Result<AdapterResponse> {
    if !contract::enforced(node) {
        return wh.build_table(&node.relation, sql, &node.config);
    }
    contract::assert_columns(wh, node, sql)?;
    wh.build_table_with(&node.relation, sql, &node.config, Some(&contract::table_ddl(wh, node)))
}

fn incremental(wh: &dyn Warehouse, node: &Node, sql: &str, full_refresh: bool) -> Result<(AdapterResponse, String)> {
    let rel = &node.relation;
    let full_refresh = node.config.get("full_refresh").and_then(Json::as_bool).unwrap_or(full_refresh);
    if full_refresh || wh.relation_kind(rel)? != Some(RelationKind::Table) {
        return Ok((table(wh, node, sql)?, "CREATE TABLE".into()));
    }
    // The batch is checked against the contract too (dbt builds it with `create_table_as`).
    if contract::enforced(node) {
        contract::assert_columns(wh, node, sql)?;
    }
    let tmp = RelationName { identifier: format!("{}__dbt_tmp", rel.identifier), ..rel.clone() };
    let tmp_name = wh.render_relation(&tmp);
    let created = wh.execute(&wh.create_table_sql(&tmp_name, sql, &node.config));
    let result = created.and_then(|_| apply_batch(wh, node, &tmp));
    let _ = wh.execute(&wh.drop_sql(&tmp_name, RelationKind::Table));
    result
}

/// The columns the batch writes: those the target and the batch share, plus (with
/// `on_schema_change: append_new_columns`) the batch's new ones, added to the target first.
fn reconcile_columns(wh: &dyn Warehouse, node: &Node, tmp: &RelationName, target_name: &str) -> Result<Vec<String>> {
    let target_cols = wh.columns(&node.relation)?;
    let new_cols = wh.columns(tmp)?;
    let (old, new) = (names(&target_cols), names(&new_cols));
    let added: Vec<&WarehouseColumn> = new_cols.iter().filter(|c| !old.contains(&c.name.to_lowercase())).collect();
    let removed: Vec<&str> = target_cols.iter().filter(|c| !new.contains(&c.name.to_lowercase())).map(|c| c.name.as_str()).collect();
    let mut columns: Vec<String> = new_cols.iter().filter(|c| old.contains(&c.name.to_lowercase())).map(|c| c.name.clone()).collect();
    match node.config.str("on_schema_change").unwrap_or("ignore") {
        "fail" if !added.is_empty() || !removed.is_empty() => {
            let added: Vec<&str> = added.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::Warehouse(format!(
                "the schema of incremental model {} changed (added: [{}], removed: [{}]) and on_schema_change is `fail`; \
                 run with --full-refresh or set on_schema_change",
                node.name,
                added.join(", "),
                removed.join(", ")
            )));
        }
        "append_new_columns" => {
            for c in &added {
                wh.execute(&wh.add_column_sql(target_name, c))?;
                columns.push(c.name.clone());
            }
        }
        _ => {}
    }
    Ok(columns)
}

/// The columns a merge updates (quoted): `merge_update_columns`, or all but `merge_exclude_columns`.
fn update_columns(wh: &dyn Warehouse, cfg: &Config, columns: &[String]) -> Vec<String> {
    match cfg.get("merge_update_columns").and_then(Json::as_array) {
        Some(list) => list.iter().filter_map(Json::as_str).map(|c| wh.quote(c)).collect(),
        None => {
            let exclude: Vec<String> = cfg
                .get("merge_exclude_columns")
                .and_then(Json::as_array)
                .map(|l| l.iter().filter_map(Json::as_str).map(str::to_lowercase).collect())
                .unwrap_or_default();
            columns.iter().filter(|c| !exclude.contains(&c.to_lowercase())).map(|c| wh.quote(c)).collect()
        }
    }
}

fn names(cols: &[WarehouseColumn]) -> Vec<String> {
    cols.iter().map(|c| c.name.to_lowercase()).collect()
}

fn apply_batch(wh: &dyn Warehouse, node: &Node, tmp: &RelationName) -> Result<(AdapterResponse, String)> {
    let cfg = &node.config;
    let target_name = wh.render_relation(&node.relation);
    let columns = reconcile_columns(wh, node, tmp, &target_name)?;
    let quoted: Vec<String> = columns.iter().map(|c| wh.quote(c)).collect();
    let update = update_columns(wh, cfg, &columns);
    let predicates: Vec<String> = match cfg.get("incremental_predicates") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).map(String::from).collect(),
        _ => vec![],
    };
    let unique_key = cfg.unique_key();
    let default_strategy = if unique_key.is_empty() { "append" } else { wh.dialect().default_incremental_strategy() };
    let strategy = cfg.str("incremental_strategy").unwrap_or(default_strategy);
    let tmp_name = wh.render_relation(tmp);
    let plan = IncrementalPlan {
        strategy,
        target: &target_name,
        tmp: &tmp_name,
        unique_key: &unique_key,
        columns: &quoted,
        update_columns: &update,
        predicates: &predicates,
        config: cfg,
    };
    let statements = wh.incremental_sql(&plan)?;
    // One statement is atomic on its own (and BigQuery emulators reject MERGE inside a transaction).
    let sql = match statements.as_slice() {
        [one] => one.clone(),
        _ => format!("begin;\n{};\ncommit", statements.join(";\n")),
    };
    let response = wh.execute(&sql).inspect_err(|_| {
        let _ = wh.execute("rollback");
    })?;
    Ok((response, format!("INCREMENTAL {strategy}")))
}
