//! Fixture rows as SQL, as dbt's `get_fixture_sql` and `get_expected_sql` write them: one
//! `select cast(<value> as <type>) as "col", …` per row joined by `union all`, typed by the columns
//! of the relation the fixture stands for; columns a row leaves out are `cast(null as <type>)`.

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::warehouse::dialect::Dialect;
use crate::warehouse::WarehouseColumn;

/// A YAML value as a SQL literal (strings quoted, NULL for null).
fn literal(d: &dyn Dialect, v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::String(s) => d.string_literal(s),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        other => d.string_literal(&other.to_string()),
    }
}

/// The type a value is cast to: dbt drops a `varchar(n)` length for strings (no silent truncation).
fn cast_type(col: &WarehouseColumn, v: &Json) -> String {
    let t = &col.data_type;
    if v.is_string() && (t.contains("varying") || t.to_ascii_lowercase().starts_with("varchar(")) {
        return t.split('(').next().unwrap_or(t).to_string();
    }
    t.clone()
}

fn column<'a>(cols: &'a [WarehouseColumn], name: &str, fixture: &str) -> Result<&'a WarehouseColumn> {
    cols.iter().find(|c| c.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let accepted: Vec<String> = cols.iter().map(|c| format!("'{}'", c.name.to_lowercase())).collect();
        Error::Usage(format!(
            "Invalid column name: '{}' in unit test fixture for {fixture}.\nAccepted columns for {fixture} are: [{}]",
            name.to_lowercase(),
            accepted.join(", ")
        ))
    })
}

/// One row: `wanted` columns, each cast to its type (missing values are NULL).
fn select(d: &dyn Dialect, cols: &[&WarehouseColumn], row: &Map<String, Json>) -> String {
    let values: Vec<String> = cols
        .iter()
        .map(|c| {
            let v = row.iter().find(|(k, _)| k.eq_ignore_ascii_case(&c.name)).map_or(&Json::Null, |(_, v)| v);
            format!("{} as {}", d.safe_cast(&literal(d, v), &cast_type(c, v)), d.quote(&c.name))
        })
        .collect();
    format!("select {}", values.join(", "))
}

fn check_keys(rows: &[Map<String, Json>], cols: &[WarehouseColumn], fixture: &str) -> Result<()> {
    for row in rows {
        for k in row.keys() {
            column(cols, k, fixture)?;
        }
    }
    Ok(())
}

/// An input's fixture over all the columns of the relation it replaces (`fixture`: how errors name it).
pub fn input_sql(d: &dyn Dialect, rows: &[Map<String, Json>], cols: &[WarehouseColumn], fixture: &str) -> Result<String> {
    check_keys(rows, cols, fixture)?;
    let all: Vec<&WarehouseColumn> = cols.iter().collect();
    if rows.is_empty() {
        return Ok(format!("{}\nlimit 0", select(d, &all, &Map::new())));
    }
    Ok(rows.iter().map(|r| select(d, &all, r)).collect::<Vec<_>>().join("\nunion all\n"))
}

/// The expected rows over the columns they name (those of the first row), typed like the actual result.
pub fn expected_sql(d: &dyn Dialect, rows: &[Map<String, Json>], actual: &[WarehouseColumn]) -> Result<(String, Vec<String>)> {
    const FIXTURE: &str = "expected output";
    check_keys(rows, actual, FIXTURE)?;
    let Some(first) = rows.first() else {
        let names = actual.iter().map(|c| c.name.clone()).collect();
        return Ok(("select * from dbt_internal_unit_test_actual\nlimit 0".into(), names));
    };
    let wanted: Vec<&WarehouseColumn> = first.keys().map(|k| column(actual, k, FIXTURE)).collect::<Result<_>>()?;
    let sql = rows.iter().map(|r| select(d, &wanted, r)).collect::<Vec<_>>().join("\nunion all\n");
    Ok((sql, wanted.iter().map(|c| c.name.clone()).collect()))
}

/// dbt's `get_unit_test_sql`: actual and expected rows in one result, told apart by `actual_or_expected`.
pub fn comparison_sql(d: &dyn Dialect, actual_sql: &str, expected_sql: &str, columns: &[String]) -> String {
    let cols: Vec<String> = columns.iter().map(|c| d.quote(c)).collect();
    let cols = cols.join(", ");
    let tag = d.quote("actual_or_expected");
    format!(
        "with dbt_internal_unit_test_actual as (\n  select {cols}, {} as {tag}\n  from (\n{actual_sql}\n  ) _dbt_internal_unit_test_actual\n),\n\
         dbt_internal_unit_test_expected as (\n  select {cols}, {} as {tag}\n  from (\n{expected_sql}\n  ) _dbt_internal_unit_test_expected\n)\n\
         select * from dbt_internal_unit_test_actual\nunion all\nselect * from dbt_internal_unit_test_expected",
        d.string_literal("actual"),
        d.string_literal("expected"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warehouse::dialect::Standard;
    use serde_json::json;

    fn cols() -> Vec<WarehouseColumn> {
        [("id", "INTEGER"), ("name", "VARCHAR")].map(|(n, t)| WarehouseColumn { name: n.into(), data_type: t.into() }).to_vec()
    }

    #[test]
    fn rows_are_cast_to_the_input_columns() {
        let rows = vec![json!({"id": 1, "name": "o'k"}).as_object().cloned().unwrap(), json!({"id": 2}).as_object().cloned().unwrap()];
        let sql = input_sql(&Standard, &rows, &cols(), "'stg'").unwrap();
        assert_eq!(
            sql,
            "select cast(1 as INTEGER) as \"id\", cast('o''k' as VARCHAR) as \"name\"\nunion all\nselect cast(2 as INTEGER) as \"id\", cast(null as VARCHAR) as \"name\""
        );
        let bad = vec![json!({"nope": 1}).as_object().cloned().unwrap()];
        let err = input_sql(&Standard, &bad, &cols(), "'stg'").unwrap_err().to_string();
        assert!(err.contains("Invalid column name: 'nope' in unit test fixture for 'stg'") && err.contains("['id', 'name']"), "{err}");
    }

    #[test]
    fn expected_rows_name_their_columns() {
        let rows = vec![json!({"name": "A"}).as_object().cloned().unwrap()];
        let (sql, names) = expected_sql(&Standard, &rows, &cols()).unwrap();
        assert_eq!((sql.as_str(), names), ("select cast('A' as VARCHAR) as \"name\"", vec!["name".to_string()]));
    }
}
