//! Running one unit test as dbt does: each `given` becomes a CTE typed by the columns of the
//! relation it replaces (`fixtures`), the model renders against them with the test's overrides,
//! the expected rows are typed by the model's result columns, and one query returns both sides;
//! they must be equal as multisets, else the test fails with the difference (`diff`).

mod diff;
mod fixtures;

use std::sync::Arc;

use serde_json::Value as Json;

use crate::compile::{inject_ctes, Manifest};
use crate::error::{Error, Result};
use crate::jinja::UnitRender;
use crate::project::unit_tests::{Input, Rows, UnitSpec};
use crate::project::{pick_ref, Node, RelationName};
use crate::warehouse::{RelationKind, Warehouse, WarehouseColumn};

/// What a unit test found: None when actual equals expected, else the rendered difference.
pub struct UnitOutcome {
    pub sql: String,
    pub diff: Option<String>,
}

/// The relation a `given` stands for, its CTE name, and how errors name the fixture.
fn input_target(m: &Manifest, model: &Node, input: &Input) -> Result<(RelationName, String, String)> {
    match input {
        Input::This => Ok((model.relation.clone(), format!("__dbt__cte__{}", model.name), format!("'{}'", model.name))),
        Input::Ref { name, .. } => {
            let by_name = m.project.by_name();
            let key = input.ref_key().unwrap_or_default();
            let n = by_name.get(&key).and_then(|list| pick_ref(list, &m.project.cfg.name, &model.package_name, None)).map(|n| n.relation.clone());
            let rel = n.ok_or_else(|| Error::Usage(format!("unit test input ref('{key}') was not found in the manifest")))?;
            Ok((rel, format!("__dbt__cte__{name}"), format!("'{name}'")))
        }
        Input::Source { source, table } => {
            let s = m.project.sources.values().find(|s| &s.source_name == source && &s.name == table);
            let rel = s.map(|s| s.relation.clone()).ok_or_else(|| Error::Usage(format!("unit test input source('{source}', '{table}') was not found")))?;
            Ok((rel, format!("__dbt__cte__{table}"), format!("'{table}'")))
        }
    }
}

/// The fixture CTEs of the test's inputs, and the substitutions the model's render uses.
fn inputs(m: &Manifest, wh: &dyn Warehouse, node: &Node, u: &UnitSpec, model: &Node) -> Result<(Vec<(String, String)>, UnitRender)> {
    let mut render = UnitRender {
        unique_id: node.unique_id.clone(),
        file: node.original_file_path.clone(),
        vars: u.overrides.vars.clone(),
        env_vars: u.overrides.env_vars.clone(),
        macros: u.overrides.macros.clone(),
        ..Default::default()
    };
    let mut ctes = vec![];
    for g in &u.given {
        let (rel, cte, label) = input_target(m, model, &g.input)?;
        let sql = match &g.rows {
            Rows::Sql(s) => s.clone(),
            Rows::Dicts(rows) => {
                let cols = wh.columns(&rel)?;
                if cols.is_empty() {
                    return Err(Error::Usage(format!(
                        "Not able to get columns for unit test '{}' from relation {} because the relation doesn't exist",
                        model.name,
                        wh.render_relation(&rel)
                    )));
                }
                fixtures::input_sql(wh.dialect(), rows, &cols, &label)?
            }
        };
        match &g.input {
            Input::This => render.this = Some(cte.clone()),
            Input::Ref { .. } => {
                render.refs.insert(g.input.ref_key().unwrap_or_default(), cte.clone());
            }
            Input::Source { source, table } => {
                render.sources.insert((source.clone(), table.clone()), cte.clone());
            }
        }
        if !ctes.iter().any(|(n, _)| n == &cte) {
            ctes.push((cte, format!("\n-- Fixture for {}\n{sql}", label.trim_matches('\''))));
        }
    }
    Ok((ctes, render))
}

/// The columns (names and types) the model's SQL returns, from an empty scratch table.
fn result_columns(wh: &dyn Warehouse, node: &Node, sql: &str) -> Result<Vec<WarehouseColumn>> {
    let scratch = RelationName { identifier: format!("{}__dbt_tmp", node.name), ..node.relation.clone() };
    let name = wh.render_relation(&scratch);
    wh.execute(&wh.create_table_sql(&name, &format!("select * from (\n{sql}\n) as dbt_empty where 1 = 0"), &Default::default()))?;
    let cols = wh.columns(&scratch);
    let _ = wh.execute(&wh.drop_sql(&name, RelationKind::Table));
    cols
}

/// Runs the unit test `node` on `wh`.
pub fn run_unit_test(m: &Manifest, node: &Node, wh: &Arc<dyn Warehouse>) -> Result<UnitOutcome> {
    let u = node.unit.as_ref().ok_or_else(|| Error::Usage(format!("{} is not a unit test", node.unique_id)))?;
    let model = m.node(&u.model)?;
    let (ctes, render) = inputs(m, wh.as_ref(), node, u, model)?;
    let actual_sql = inject_ctes(&m.engine.render_unit(model, render, Some(wh))?, &ctes);
    let d = wh.dialect();
    let (expected_sql, columns) = match &u.expect {
        Rows::Sql(s) => (s.clone(), wh.query(&format!("select * from (\n{actual_sql}\n) as dbt_cols where 1 = 0"), 0)?.columns),
        Rows::Dicts(rows) => fixtures::expected_sql(d, rows, &result_columns(wh.as_ref(), node, &actual_sql)?)?,
    };
    let sql = fixtures::comparison_sql(d, &actual_sql, &expected_sql, &columns);
    let result = wh.query(&sql, 100_000)?;
    let (mut actual, mut expected) = (vec![], vec![]);
    for mut row in result.rows {
        let side = row.pop().unwrap_or(Json::Null);
        if side.as_str() == Some("actual") { actual.push(row) } else { expected.push(row) }
    }
    let cols: Vec<String> = result.columns.iter().take(columns.len()).cloned().collect();
    Ok(UnitOutcome { diff: diff::diff(&cols, expected, actual), sql })
}
