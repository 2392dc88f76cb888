//! `transform show --inline SQL`: runs one query on the profile's warehouse and prints the rows as a
//! small text table (dbt's `show --inline`). Read-only: anything but a query is refused before it
//! runs (`Warehouse::query_read_only`). Used by scripts/pipeline.sh to print the headline KPIs.

use serde_json::Value as Json;

use crate::cli::ShowArgs;
use crate::compile;
use crate::error::Result;

fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The rows as an aligned text table with a header line.
pub fn render(columns: &[String], rows: &[Vec<Json>]) -> String {
    let text: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| text.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).chain([columns[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("| {} |", parts.join(" | "))
    };
    let rule = format!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
    let mut out = vec![line(columns), rule];
    out.extend(text.iter().map(|r| line(r)));
    out.join("\n")
}

pub fn run(a: ShowArgs) -> Result<i32> {
    let wh = compile::connect(&a.common.options("show", false))?;
    let rows = wh.query_read_only(&a.inline, a.limit)?;
    println!("{}", render(&rows.columns, &rows.rows));
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_aligned() {
        let t = super::render(&["kpi".into(), "value".into()], &[vec!["price".into(), serde_json::json!(1.5)]]);
        assert_eq!(t, "| kpi   | value |\n|-------|-------|\n| price | 1.5   |");
    }
}
