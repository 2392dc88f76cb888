//! dbt-duckdb's `external` materialization: the model's rows into `<name>__dbt_tmp`, `COPY` to the
//! file (an empty result is written as one all-NULL row, which the view filters out, so the file
//! keeps the columns), then `<name>` becomes a view reading the file. The SQL text is in
//! `warehouse/external.rs`; the write path resolves against the project directory, as dbt's does.

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::{Node, RelationName};
use crate::warehouse::external::plan;
use crate::warehouse::{AdapterResponse, RelationKind, Warehouse};

pub fn build(wh: &dyn Warehouse, node: &Node, sql: &str) -> Result<(AdapterResponse, String)> {
    let fail = |m: String| Error::Warehouse(format!("model {} ({}): {m}", node.name, node.original_file_path));
    let files = wh.files().ok_or_else(|| {
        fail(format!("the `external` materialization is dbt-duckdb's (it writes files); the {} adapter cannot build it", wh.adapter_type()))
    })?;
    let plan = plan(&node.relation.identifier, &node.config, &files.external_root).map_err(fail)?;
    let tmp = RelationName { identifier: format!("{}__dbt_tmp", node.relation.identifier), ..node.relation.clone() };
    let tmp_sql = wh.render_relation(&tmp);
    wh.execute(&wh.drop_sql(&tmp_sql, RelationKind::Table))?;
    let result = write_and_view(wh, node, sql, &tmp, &files.resolve(&plan.location), &plan);
    let _ = wh.execute(&wh.drop_sql(&tmp_sql, RelationKind::Table));
    result
}

fn write_and_view(
    wh: &dyn Warehouse,
    node: &Node,
    sql: &str,
    tmp: &RelationName,
    path: &str,
    plan: &crate::warehouse::external::ExternalPlan,
) -> Result<(AdapterResponse, String)> {
    let tmp_sql = wh.render_relation(tmp);
    wh.execute(&wh.create_table_sql(&tmp_sql, sql, &node.config))?;
    let count = wh.query(&format!("select count(*) as row_count from {tmp_sql}"), 1)?;
    let empty = count.rows.first().and_then(|r| r.first()).and_then(Json::as_i64) == Some(0);
    let mut filter = String::new();
    if empty {
        let cols = wh.columns(tmp)?;
        let nulls = vec!["NULL"; cols.len()].join(", ");
        wh.execute(&format!("insert into {tmp_sql} values ({nulls})"))?;
        filter = format!(" where 1{}", cols.iter().map(|c| format!(" AND {} is not NULL", wh.quote(&c.name))).collect::<String>());
    }
    wh.execute(&format!("copy {tmp_sql} to '{}' ({})", path.replace('\'', "''"), plan.write_options))?;
    let target = wh.render_relation(&node.relation);
    if wh.relation_kind(&node.relation)? == Some(RelationKind::Table) {
        wh.execute(&wh.drop_sql(&target, RelationKind::Table))?;
    }
    let view = format!("select * from {}{filter}", plan.read_call);
    Ok((wh.execute(&wh.create_view_sql(&target, &view, &node.config))?, "OK".into()))
}
