//! Enforced model contracts at build time, as dbt's `assert_columns_equivalent` and
//! `get_table_columns_and_constraints` do: the model's query and the declared columns are both
//! described by the warehouse and compared (same number of columns, each name found, same type), and
//! a table is created with the declared types and constraints before its rows are inserted.

use crate::error::{Error, Result};
use crate::events;
use crate::project::constraints::{Constraint, Support};
use crate::project::{constraints, Node};
use crate::warehouse::{ContractDdl, Warehouse, WarehouseColumn};

/// Whether the node's config enforces a contract.
pub fn enforced(node: &Node) -> bool {
    constraints::contract_of(node.config.get("contract"), &node.original_file_path).is_ok_and(|(e, _)| e)
}

/// A declared column's type as dbt reads it: translated by the adapter when `alias_types` (default).
fn declared_type(wh: &dyn Warehouse, node: &Node, data_type: &str) -> String {
    let alias = constraints::contract_of(node.config.get("contract"), &node.original_file_path).map_or(true, |(_, a)| a);
    if alias {
        wh.dialect().translate_type(data_type)
    } else {
        data_type.to_string()
    }
}

fn column_name(wh: &dyn Warehouse, c: &crate::project::Column) -> String {
    if c.quote == Some(true) {
        wh.quote(&c.name)
    } else {
        c.name.clone()
    }
}

/// Checks the columns of `sql` against the node's contract; the error is dbt's, with its table.
pub fn assert_columns(wh: &dyn Warehouse, node: &Node, sql: &str) -> Result<()> {
    // The summary indents every line of a message; dbt's body lines carry that indent themselves.
    let fail = |msg: String| Error::Jinja(format!("Compilation Error in model {} ({})\n{msg}", node.name, node.original_file_path));
    if node.columns.is_empty() {
        return Err(fail("This model has an enforced contract, and its 'columns' specification is missing".into()));
    }
    let untyped: Vec<String> = node.columns.iter().filter(|c| c.data_type.is_none()).map(|c| constraints::py_str(&c.name)).collect();
    if !untyped.is_empty() {
        return Err(fail(format!(
            "Contracted models require data_type to be defined for each column. Please ensure that the column name and data_type are defined within the YAML configuration for the [{}] column(s).",
            untyped.join(", ")
        )));
    }
    let actual = wh.query_columns(sql)?;
    let empty: Vec<String> = node
        .columns
        .iter()
        .map(|c| format!("cast(null as {}) as {}", declared_type(wh, node, c.data_type.as_deref().unwrap_or_default()), column_name(wh, c)))
        .collect();
    let declared = wh.query_columns(&format!("select\n    {}", empty.join(",\n    ")))?;
    if columns_equivalent(&actual, &declared) {
        return Ok(());
    }
    Err(fail(format!(
        "This model has an enforced contract that failed.\nPlease ensure the name, data_type, and number of columns in your contract match the columns in your model's definition.\n\n{}",
        mismatch_table(&declared, &actual)
    )))
}

/// dbt's rule: as many columns, each query column's name declared with the same type (order free).
fn columns_equivalent(sql: &[WarehouseColumn], yaml: &[WarehouseColumn]) -> bool {
    sql.len() == yaml.len() && sql.iter().all(|s| yaml.iter().find(|y| y.name == s.name).is_some_and(|y| y.data_type == s.data_type))
}

/// dbt's `ContractError.get_mismatches` printed as agate prints a table (values cut at 50 characters).
fn mismatch_table(yaml: &[WarehouseColumn], sql: &[WarehouseColumn]) -> String {
    let mut rows: Vec<[String; 4]> = vec![];
    for s in sql {
        match yaml.iter().find(|y| y.name == s.name) {
            Some(y) if y.data_type == s.data_type => {}
            Some(y) => rows.push([s.name.clone(), s.data_type.clone(), y.data_type.clone(), "data type mismatch".into()]),
            None => rows.push([s.name.clone(), s.data_type.clone(), String::new(), "missing in contract".into()]),
        }
    }
    for y in yaml.iter().filter(|y| !sql.iter().any(|s| s.name == y.name)) {
        rows.push([y.name.clone(), String::new(), y.data_type.clone(), "missing in definition".into()]);
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let header = ["column_name", "definition_type", "contract_type", "mismatch_reason"].map(String::from);
    let cut = |v: &str| if v.chars().count() > 50 { format!("{}...", v.chars().take(47).collect::<String>()) } else { v.to_string() };
    let rows: Vec<[String; 4]> = rows.into_iter().map(|r| r.map(|v| cut(&v))).collect();
    let widths: Vec<usize> = (0..4).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0)).collect();
    let line = |r: &[String; 4]| format!("| {} |\n", (0..4).map(|i| format!("{:w$}", r[i], w = widths[i])).collect::<Vec<_>>().join(" | "));
    let divider: [String; 4] = [0, 1, 2, 3].map(|i| "-".repeat(widths[i]));
    let mut out = line(&header) + &line(&divider);
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// Renders one constraint as the warehouse supports it, with dbt's warnings (E049 not supported, E048
/// not enforced); None when it is left out of the DDL.
fn supported(wh: &dyn Warehouse, c: &Constraint, rendered: Option<String>) -> Option<String> {
    let adapter = wh.adapter_type();
    let support = if c.kind == constraints::Kind::Custom { Support::Enforced } else { wh.dialect().constraint_support(c.kind) };
    let kind = c.kind.as_str();
    if c.warn_unsupported && support == Support::NotSupported {
        crate::output::printer().emit(events::constraint_not_supported(kind, adapter));
    }
    if c.warn_unenforced && support == Support::NotEnforced {
        crate::output::printer().emit(events::constraint_not_enforced(kind, adapter));
    }
    match support {
        Support::NotSupported => None,
        _ => rendered.map(|r| wh.dialect().constraint_ddl(c.kind, r)),
    }
}

/// The relation a foreign key's `to:` names, as the warehouse's DDL writes it.
fn fk_target(wh: &dyn Warehouse, c: &Constraint) -> Option<String> {
    c.to_relation.as_deref().map(|r| wh.dialect().foreign_key_reference(r))
}

/// The column definitions and model constraints of the table's DDL, and the column list to insert.
pub fn table_ddl(wh: &dyn Warehouse, node: &Node) -> ContractDdl {
    let columns = node
        .columns
        .iter()
        .map(|c| {
            let mut parts = vec![format!("{} {}", column_name(wh, c), declared_type(wh, node, c.data_type.as_deref().unwrap_or_default()))];
            parts.extend(c.constraints.iter().filter_map(|k| supported(wh, k, k.render_column(fk_target(wh, k).as_deref()))));
            parts.join(" ")
        })
        .collect();
    let constraints = node.constraints.iter().filter_map(|k| supported(wh, k, k.render_model(fk_target(wh, k).as_deref()))).collect();
    let names = node.columns.iter().map(|c| column_name(wh, c)).collect();
    ContractDdl { columns, constraints, names }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> WarehouseColumn {
        WarehouseColumn { name: name.into(), data_type: ty.into() }
    }

    #[test]
    fn mismatches_print_as_dbt() {
        let yaml = [col("id", "INTEGER"), col("name", "VARCHAR")];
        let sql = [col("id", "VARCHAR"), col("nm", "VARCHAR")];
        assert!(!columns_equivalent(&sql, &yaml));
        let want = "| column_name | definition_type | contract_type | mismatch_reason       |\n\
                    | ----------- | --------------- | ------------- | --------------------- |\n\
                    | id          | VARCHAR         | INTEGER       | data type mismatch    |\n\
                    | name        |                 | VARCHAR       | missing in definition |\n\
                    | nm          | VARCHAR         |               | missing in contract   |\n";
        assert_eq!(mismatch_table(&yaml, &sql), want);
    }

    #[test]
    fn order_does_not_matter_but_names_and_count_do() {
        let yaml = [col("a", "INTEGER"), col("b", "VARCHAR")];
        assert!(columns_equivalent(&[col("b", "VARCHAR"), col("a", "INTEGER")], &yaml));
        assert!(!columns_equivalent(&[col("a", "INTEGER")], &yaml));
        assert!(!columns_equivalent(&[col("A", "INTEGER"), col("b", "VARCHAR")], &yaml));
        let long = "x".repeat(60);
        let t = mismatch_table(&[], &[col("c", &long)]);
        assert!(t.contains(&format!("{}...", "x".repeat(47))), "{t}");
    }
}
