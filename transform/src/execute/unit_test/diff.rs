//! Comparing a unit test's actual rows with its expected rows as dbt does (both sorted, order does
//! not matter), and the difference rendered in daff's terminal form: a `@@` header, `→` for a
//! changed row (`expected→actual` in each changed cell), `+++` for a row only in the actual result,
//! `---` for a row only in the expected one; cells padded to their column's width.

use std::cmp::Ordering;

use serde_json::Value as Json;

type Row = Vec<Json>;

/// dbt's sort: per cell, NULLs last, then by value.
fn cmp_cell(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Null, _) => Ordering::Greater,
        (_, Json::Null) => Ordering::Less,
        (Json::Number(x), Json::Number(y)) => x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn cmp_row(a: &Row, b: &Row) -> Ordering {
    a.iter().zip(b).map(|(x, y)| cmp_cell(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

fn cell(v: &Json) -> String {
    match v {
        Json::Null => "NULL".into(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows of one side of the diff with their action.
enum Line<'a> {
    Same(&'a Row),
    Changed(&'a Row, &'a Row),
    OnlyActual(&'a Row),
    OnlyExpected(&'a Row),
}

/// Longest common subsequence of the sorted rows; the rest is paired up in order as changes.
fn align<'a>(expected: &'a [Row], actual: &'a [Row]) -> Vec<Line<'a>> {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, vec![]);
    let (mut gap_e, mut gap_a): (Vec<&Row>, Vec<&Row>) = (vec![], vec![]);
    let flush = |out: &mut Vec<Line<'a>>, e: &mut Vec<&'a Row>, a: &mut Vec<&'a Row>| {
        for k in 0..e.len().max(a.len()) {
            out.push(match (e.get(k), a.get(k)) {
                (Some(x), Some(y)) => Line::Changed(x, y),
                (Some(x), None) => Line::OnlyExpected(x),
                (None, Some(y)) => Line::OnlyActual(y),
                (None, None) => continue,
            });
        }
        e.clear();
        a.clear();
    };
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            flush(&mut out, &mut gap_e, &mut gap_a);
            out.push(Line::Same(&expected[i]));
            i += 1;
            j += 1;
        } else if j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            gap_e.push(&expected[i]);
            i += 1;
        } else {
            gap_a.push(&actual[j]);
            j += 1;
        }
    }
    flush(&mut out, &mut gap_e, &mut gap_a);
    out
}

/// `None` when the rows are equal as multisets; otherwise the rendered difference.
pub fn diff(columns: &[String], mut expected: Vec<Row>, mut actual: Vec<Row>) -> Option<String> {
    expected.sort_by(cmp_row);
    actual.sort_by(cmp_row);
    if expected == actual {
        return None;
    }
    let mut table: Vec<Vec<String>> = vec![std::iter::once("@@".to_string()).chain(columns.iter().cloned()).collect()];
    for line in align(&expected, &actual) {
        let (action, cells): (&str, Vec<String>) = match line {
            Line::Same(r) => ("", r.iter().map(cell).collect()),
            Line::OnlyActual(r) => ("+++", r.iter().map(cell).collect()),
            Line::OnlyExpected(r) => ("---", r.iter().map(cell).collect()),
            Line::Changed(e, a) => {
                let cells = e.iter().zip(a).map(|(x, y)| if x == y { cell(x) } else { format!("{}→{}", cell(x), cell(y)) }).collect();
                ("→", cells)
            }
        };
        table.push(std::iter::once(action.to_string()).chain(cells).collect());
    }
    Some(render(&table))
}

/// Cells joined by `,`, each padded to its column's width except the last column's.
fn render(table: &[Vec<String>]) -> String {
    let cols = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols).map(|c| table.iter().map(|r| r.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0)).collect();
    let lines: Vec<String> = table
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, s)| if c + 1 == cols { s.clone() } else { format!("{s}{}", " ".repeat(widths[c] - s.chars().count())) })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(v: Json) -> Vec<Row> {
        v.as_array().unwrap().iter().map(|r| r.as_array().unwrap().clone()).collect()
    }

    #[test]
    fn equal_rows_in_any_order_pass() {
        let cols = vec!["id".to_string()];
        assert_eq!(diff(&cols, rows(json!([[2], [1], [null]])), rows(json!([[null], [1], [2]]))), None);
    }

    #[test]
    fn a_changed_cell_renders_as_dbt_shows_it() {
        let cols: Vec<String> = ["id", "name", "doubled", "m"].map(String::from).to_vec();
        let expected = rows(json!([[1, "X", 11, 42], [3, "Z", 14, 42]]));
        let actual = rows(json!([[3, "Z", 14, 42], [1, "X", 10, 42]]));
        assert_eq!(diff(&cols, expected, actual).unwrap(), "@@,id,name,doubled,m\n→ ,1 ,X   ,11→10  ,42\n  ,3 ,Z   ,14     ,42");
    }

    #[test]
    fn missing_and_extra_rows_are_marked() {
        let cols = vec!["id".to_string(), "v".to_string()];
        let out = diff(&cols, rows(json!([[1, "a"]])), rows(json!([[1, "a"], [2, null]]))).unwrap();
        assert_eq!(out, "@@ ,id,v\n   ,1 ,a\n+++,2 ,NULL");
        let out = diff(&cols, rows(json!([[1, "a"], [2, "b"]])), rows(json!([]))).unwrap();
        assert!(out.contains("---,1") && out.contains("---,2"), "{out}");
    }
}
