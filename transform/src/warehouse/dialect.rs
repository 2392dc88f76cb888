//! A warehouse's SQL dialect, known without a connection (`parse`, `compile` and `ls` need none):
//! how identifiers are quoted, how a relation is written, the type names of raw-table columns, where
//! a profile target puts its relations, and dialect defaults. Each adapter supplies its own; the
//! defaults here are standard SQL (DuckDB's). Everything that differs by adapter outside
//! `warehouse/` asks the dialect instead of matching on the adapter's name.

use crate::project::constraints::{Kind, Support};
use crate::project::profiles::Target;
use crate::project::RelationName;

/// The warehouse-neutral type of a raw-table column (what `transform sync` writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Float,
    Bool,
    Text,
    Timestamp,
    Json,
}

/// What a column's type is, for dbt's `Column.is_string()`/`is_integer()`/... (union_relations, star).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    String,
    Integer,
    Float,
    Numeric,
    Other,
}

pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// One identifier, quoted.
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
    /// `database.schema.identifier`, each part quoted, empty parts left out.
    fn render_relation(&self, rel: &RelationName) -> String {
        [&rel.database, &rel.schema, &rel.identifier]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| self.quote(p))
            .collect::<Vec<_>>()
            .join(".")
    }
    /// dbt's `make_temp_relation`: `base` with `suffix` (DuckDB's temporary tables live outside any
    /// schema and carry the time, as dbt-duckdb's do).
    fn temp_relation(&self, base: &RelationName, suffix: &str, _now: chrono::DateTime<chrono::Utc>) -> RelationName {
        RelationName { identifier: format!("{}{suffix}", base.identifier), ..base.clone() }
    }
    /// The materializations dbt's adapter package defines for this adapter (`materialization_<name>_<adapter>`);
    /// the global project's `default` ones are the same for every adapter.
    fn adapter_materializations(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether two identifiers differing only in case name one object (DuckDB: yes, even quoted).
    fn identifiers_fold_case(&self) -> bool {
        true
    }
    /// The type name of a raw-table column.
    fn type_name(&self, t: ColumnType) -> &'static str {
        match t {
            ColumnType::Int => "BIGINT",
            ColumnType::Float => "DOUBLE",
            ColumnType::Bool => "BOOLEAN",
            ColumnType::Text => "VARCHAR",
            ColumnType::Timestamp => "TIMESTAMP",
            ColumnType::Json => "JSON",
        }
    }
    /// What follows the column list of a raw table's `create table` (BigQuery: its partitioning).
    fn raw_table_layout(&self) -> &'static str {
        ""
    }
    /// The database and default schema of a target, read from the profile without connecting.
    fn location(&self, target: &Target) -> (String, String) {
        (
            target.field("database").or(target.field("project")).unwrap_or_default().to_string(),
            target.field("schema").or(target.field("dataset")).unwrap_or_default().to_string(),
        )
    }
    /// A string literal.
    fn string_literal(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    /// A JSON value from the JSON document `text` (a literal).
    fn json_literal(&self, text: &str) -> String {
        format!("cast({} as json)", self.string_literal(text))
    }
    /// The JSON document text of the JSON expression `expr`.
    fn json_text(&self, expr: &str) -> String {
        format!("cast({expr} as varchar)")
    }
    /// The strategy of an incremental model that has a `unique_key` and no `incremental_strategy`.
    fn default_incremental_strategy(&self) -> &'static str {
        "delete+insert"
    }
    /// dbt's relation class name (`relation.metadata.type`, which dbt_utils checks ends in `Relation`).
    /// Whether `source()` may read files (dbt-duckdb's `external_location`, the `external` materialization).
    fn reads_files(&self) -> bool {
        false
    }
    fn relation_class(&self) -> &'static str {
        "BaseRelation"
    }
    /// dbt's `CONSTRAINT_SUPPORT` of the adapter (dbt-duckdb enforces all five types).
    fn constraint_support(&self, _kind: Kind) -> Support {
        Support::Enforced
    }
    /// The relation a foreign key `references` (its `to:`), as the adapter writes it.
    fn foreign_key_reference(&self, relation: &str) -> String {
        relation.to_string()
    }
    /// A rendered constraint as the adapter writes it in DDL (dbt-bigquery: keys `not enforced`).
    fn constraint_ddl(&self, _kind: Kind, rendered: String) -> String {
        rendered
    }
    /// `api.Column.translate_type`: dbt's generic type labels (`string`) in this warehouse's spelling.
    fn translate_type(&self, label: &str) -> String {
        if label.eq_ignore_ascii_case("string") { "TEXT".into() } else { label.into() }
    }
    /// `api.Column.numeric_type`: `numeric(28,6)`, or the bare type without precision and scale.
    fn numeric_type(&self, dtype: &str, precision: Option<i64>, scale: Option<i64>) -> String {
        match (precision, scale) {
            (Some(p), Some(s)) => format!("{dtype}({p},{s})"),
            _ => dtype.into(),
        }
    }
    /// `api.Column.string_type`.
    fn string_type(&self, size: i64) -> String {
        format!("character varying({size})")
    }
    /// Which kind of type a column's raw type name (`dtype`) is.
    fn type_class(&self, dtype: &str) -> TypeClass {
        match dtype.to_ascii_lowercase().as_str() {
            "text" | "character varying" | "character" | "varchar" => TypeClass::String,
            "smallint" | "integer" | "bigint" | "smallserial" | "serial" | "bigserial" | "int2" | "int4" | "int8" => TypeClass::Integer,
            "real" | "float4" | "float" | "double precision" | "float8" | "double" => TypeClass::Float,
            "numeric" | "decimal" => TypeClass::Numeric,
            _ => TypeClass::Other,
        }
    }
    /// dbt's `Column.data_type`: strings sized (`character varying(256)` when unknown), else `dtype`.
    fn column_data_type(&self, dtype: &str, char_size: Option<i64>) -> String {
        match self.type_class(dtype) {
            TypeClass::String => self.string_type(if dtype == "text" { 256 } else { char_size.unwrap_or(256) }),
            _ => dtype.into(),
        }
    }
    /// dbt's `Column.literal(value)`.
    fn column_literal(&self, value: &str, dtype: &str) -> String {
        format!("{value}::{}", self.column_data_type(dtype, None))
    }
    /// dbt's `safe_cast`: `cast(expr as ty)` (BigQuery: `safe_cast`).
    fn safe_cast(&self, expr: &str, ty: &str) -> String {
        format!("cast({expr} as {ty})")
    }
    /// The string type in casts (`cast(x as varchar)`).
    fn cast_string_type(&self) -> &'static str {
        "varchar"
    }
    /// dbt's `snapshot_hash_arguments`: md5 (hex) of the arguments as text joined by `|`.
    fn snapshot_hash(&self, args: &[String]) -> String {
        let parts: Vec<String> = args.iter().map(|a| format!("coalesce(cast({a} as {} ), '')", self.cast_string_type())).collect();
        format!("md5({})", parts.join(" || '|' || "))
    }
    /// dbt's `snapshot_get_time`: the current time as snapshots store it.
    fn snapshot_time(&self) -> &'static str {
        "current_timestamp"
    }
}

/// Standard SQL: the dialect of a profile `type` this build has no adapter for (enough for `parse`
/// and `ls`, which never connect; connecting names the supported types).
#[derive(Debug)]
pub struct Standard;

impl Dialect for Standard {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_sql_quotes_with_double_quotes_and_skips_empty_parts() {
        let rel = RelationName { database: String::new(), schema: "main".into(), identifier: "a\"b".into() };
        assert_eq!(Standard.render_relation(&rel), "\"main\".\"a\"\"b\"");
        assert_eq!(Standard.type_name(ColumnType::Text), "VARCHAR");
    }
}
