//! BigQuery's dialect (GoogleSQL): backtick quoting (`project`.`dataset`.`table`), its type names
//! (INT64, FLOAT64, BOOL, STRING), `merge` as the default incremental strategy and the snapshot hash
//! and clock (dbt-bigquery's).

use super::ddl;
use crate::warehouse::dialect::{ColumnType, Dialect};

#[derive(Debug)]
pub struct BigQueryDialect;

impl Dialect for BigQueryDialect {
    fn quote(&self, ident: &str) -> String {
        ddl::quote(ident)
    }
    fn type_name(&self, t: ColumnType) -> &'static str {
        match t {
            ColumnType::Int => "INT64",
            ColumnType::Float => "FLOAT64",
            ColumnType::Bool => "BOOL",
            ColumnType::Text => "STRING",
            ColumnType::Timestamp => "TIMESTAMP",
            ColumnType::Json => "JSON",
        }
    }
    fn default_incremental_strategy(&self) -> &'static str {
        "merge"
    }
    fn string_type(&self) -> &'static str {
        "string"
    }
    fn safe_cast(&self, expr: &str, ty: &str) -> String {
        format!("safe_cast({expr} as {ty})")
    }
    fn string_literal(&self, s: &str) -> String {
        ddl::lit(s)
    }
    /// dbt-bigquery's `to_hex(md5(concat(…, '|', …)))`.
    fn snapshot_hash(&self, args: &[String]) -> String {
        let parts: Vec<String> = args.iter().map(|a| format!("coalesce(cast({a} as string), '')")).collect();
        format!("to_hex(md5(concat({})))", parts.join(", '|', "))
    }
    fn snapshot_time(&self) -> &'static str {
        "current_timestamp()"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::RelationName;

    #[test]
    fn relations_are_backtick_quoted() {
        let rel = RelationName { database: "p".into(), schema: "d".into(), identifier: "t`x".into() };
        assert_eq!(BigQueryDialect.render_relation(&rel), "`p`.`d`.`t\\`x`");
        assert_eq!(BigQueryDialect.type_name(ColumnType::Int), "INT64");
    }
}
