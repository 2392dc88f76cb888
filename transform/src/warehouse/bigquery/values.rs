//! Values crossing the REST boundary: BigQuery's JSON cells (everything a string) to typed JSON the
//! engine compares like DuckDB's, and the type names seeds use on both warehouses.

use gcp_bigquery_client::model::field_type::FieldType;
use serde_json::Value as Json;

/// One result cell (`useInt64Timestamp`: TIMESTAMP comes as microseconds since the epoch).
pub fn cell(ty: &FieldType, v: Option<Json>) -> Json {
    let Some(v) = v else { return Json::Null };
    match v {
        Json::String(s) => scalar(ty, s),
        // REPEATED fields: [{"v": …}, …]
        Json::Array(items) => Json::Array(items.into_iter().map(|i| cell(ty, i.get("v").cloned())).collect()),
        other => other,
    }
}

fn scalar(ty: &FieldType, s: String) -> Json {
    match ty {
        FieldType::Integer | FieldType::Int64 => s.parse::<i64>().map(Json::from).unwrap_or(Json::String(s)),
        FieldType::Float | FieldType::Float64 | FieldType::Numeric | FieldType::Bignumeric => {
            s.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Json::Number).unwrap_or(Json::String(s))
        }
        FieldType::Boolean | FieldType::Bool => Json::Bool(s.eq_ignore_ascii_case("true")),
        FieldType::Timestamp => timestamp(&s).map(Json::String).unwrap_or(Json::String(s)),
        _ => Json::String(s),
    }
}

/// Microseconds (or float seconds, without `useInt64Timestamp`) to `YYYY-MM-DD HH:MM:SS[.ffffff]` UTC,
/// the text DuckDB's adapter gives, so results compare across warehouses.
fn timestamp(s: &str) -> Option<String> {
    let micros = match s.parse::<i64>() {
        Ok(m) => m,
        Err(_) => (s.parse::<f64>().ok()? * 1e6).round() as i64,
    };
    chrono::DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc().to_string())
}

/// A BigQuery type name for a DuckDB type inferred from a seed CSV.
pub fn bigquery_type(duck: &str) -> &'static str {
    let t = duck.to_ascii_uppercase();
    match t.as_str() {
        "BIGINT" | "INTEGER" | "SMALLINT" | "TINYINT" | "HUGEINT" | "UBIGINT" | "UINTEGER" | "USMALLINT" | "UTINYINT" | "INT64" => "INT64",
        "DOUBLE" | "FLOAT" | "REAL" | "FLOAT64" => "FLOAT64",
        "BOOLEAN" | "BOOL" => "BOOL",
        "DATE" => "DATE",
        "TIME" => "TIME",
        "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" | "TIMESTAMP" => "TIMESTAMP",
        "DATETIME" => "DATETIME",
        "NUMERIC" => "NUMERIC",
        "BIGNUMERIC" => "BIGNUMERIC",
        "JSON" => "JSON",
        _ if t.starts_with("DECIMAL") || t.starts_with("NUMERIC") => "NUMERIC",
        _ if t.starts_with("TIMESTAMP") => "TIMESTAMP",
        _ => "STRING",
    }
}

/// The DuckDB type that reads a column a seed's `column_types` gives in BigQuery (or DuckDB) terms.
pub fn duckdb_type(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "STRING" => "VARCHAR".into(),
        "INT64" | "INTEGER" | "INT" => "BIGINT".into(),
        "FLOAT64" | "FLOAT" => "DOUBLE".into(),
        "NUMERIC" | "DECIMAL" => "DECIMAL(38,9)".into(),
        "BIGNUMERIC" => "DOUBLE".into(),
        "BOOL" => "BOOLEAN".into(),
        "DATETIME" => "TIMESTAMP".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_typed_json() {
        assert_eq!(cell(&FieldType::Int64, Some(Json::from("42"))), Json::from(42));
        assert_eq!(cell(&FieldType::Float64, Some(Json::from("1.5"))), Json::from(1.5));
        assert_eq!(cell(&FieldType::Bool, Some(Json::from("true"))), Json::from(true));
        assert_eq!(cell(&FieldType::Timestamp, Some(Json::from("1700000000000000"))), Json::from("2023-11-14 22:13:20"));
        assert_eq!(cell(&FieldType::String, None), Json::Null);
    }

    #[test]
    fn seed_types_map_both_ways() {
        assert_eq!(bigquery_type("BIGINT"), "INT64");
        assert_eq!(bigquery_type("DECIMAL(18,3)"), "NUMERIC");
        assert_eq!(bigquery_type("VARCHAR"), "STRING");
        assert_eq!(duckdb_type("string"), "VARCHAR");
        assert_eq!(duckdb_type("VARCHAR"), "VARCHAR");
    }
}
