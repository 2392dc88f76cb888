//! BigQuery's dialect (GoogleSQL): backtick quoting (`project`.`dataset`.`table`), its type names
//! (INT64, FLOAT64, BOOL, STRING), `merge` as the default incremental strategy and the snapshot hash
//! and clock (dbt-bigquery's).

use super::ddl;
use crate::project::constraints::{Kind, Support};
use crate::warehouse::dialect::{ColumnType, Dialect, TypeClass};

#[derive(Debug)]
pub struct BigQueryDialect;

impl Dialect for BigQueryDialect {
    fn adapter_materializations(&self) -> &'static [&'static str] {
        &["table", "view", "incremental", "copy", "materialized_view"]
    }
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
    /// Airbyte's BigQuery destination: daily partitions on the extraction time, clustered by it, so a
    /// query that reads only rows extracted after a constant is billed only those days.
    fn raw_table_layout(&self) -> &'static str {
        "\npartition by timestamp_trunc(_airbyte_extracted_at, day)\ncluster by _airbyte_extracted_at"
    }
    /// GoogleSQL escapes with backslashes (`''` is no escape there).
    fn string_literal(&self, s: &str) -> String {
        ddl::lit(s)
    }
    /// GoogleSQL has no STRING → JSON cast.
    fn json_literal(&self, text: &str) -> String {
        format!("parse_json({})", ddl::lit(text))
    }
    /// Nor a JSON → STRING cast.
    fn json_text(&self, expr: &str) -> String {
        format!("to_json_string({expr})")
    }
    /// Dataset and table names are case-sensitive in BigQuery.
    fn identifiers_fold_case(&self) -> bool {
        false
    }
    fn relation_class(&self) -> &'static str {
        "BigQueryRelation"
    }
    /// dbt-bigquery's `CONSTRAINT_SUPPORT`: only `not_null` is enforced; keys are written `not enforced`.
    fn constraint_support(&self, kind: Kind) -> Support {
        match kind {
            Kind::NotNull | Kind::Custom => Support::Enforced,
            Kind::PrimaryKey | Kind::ForeignKey => Support::NotEnforced,
            Kind::Check | Kind::Unique => Support::NotSupported,
        }
    }
    fn constraint_ddl(&self, kind: Kind, rendered: String) -> String {
        match kind {
            Kind::PrimaryKey | Kind::ForeignKey => format!("{rendered} not enforced"),
            _ => rendered,
        }
    }
    /// dbt-bigquery's labels: `text` -> STRING, `float` -> FLOAT64, `integer` -> INT64.
    fn translate_type(&self, label: &str) -> String {
        match label.to_ascii_uppercase().as_str() {
            "TEXT" => "STRING".into(),
            "FLOAT" => "FLOAT64".into(),
            "INTEGER" => "INT64".into(),
            _ => label.into(),
        }
    }
    /// BigQuery's NUMERIC takes no precision in dbt-bigquery's casts.
    fn numeric_type(&self, dtype: &str, _precision: Option<i64>, _scale: Option<i64>) -> String {
        dtype.into()
    }
    fn type_class(&self, dtype: &str) -> TypeClass {
        match dtype.to_ascii_lowercase().as_str() {
            "string" => TypeClass::String,
            "int64" => TypeClass::Integer,
            "float64" => TypeClass::Float,
            "numeric" => TypeClass::Numeric,
            _ => TypeClass::Other,
        }
    }
    /// dbt-bigquery's `Column.data_type` is the type as BigQuery names it.
    fn column_data_type(&self, dtype: &str, _char_size: Option<i64>) -> String {
        dtype.into()
    }
    fn column_literal(&self, value: &str, dtype: &str) -> String {
        format!("cast({value} as {dtype})")
    }
    fn cast_string_type(&self) -> &'static str {
        "string"
    }
    fn safe_cast(&self, expr: &str, ty: &str) -> String {
        format!("safe_cast({expr} as {ty})")
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
