//! Query results as the page wants them: one array per column (compact, and what the charts take),
//! dates and timestamps as epoch milliseconds UTC, each column typed; and the same data as CSV.
//! Types come from the values: both adapters give dates as `YYYY-MM-DD` and timestamps as
//! `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC), numbers as numbers.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::Value as Json;

use crate::warehouse::Rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColType {
    Date,
    Timestamp,
    Number,
    Bool,
    String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColType,
}

#[derive(Debug, Clone, Default)]
pub struct Columnar {
    pub columns: Vec<Column>,
    pub data: Vec<Vec<Json>>,
    pub rows: usize,
}

fn date_ms(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

fn timestamp_ms(s: &str) -> Option<i64> {
    let s = s.trim_end_matches('Z').trim_end_matches("+00:00").trim_end_matches("+00");
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

/// The type of a column from its values: every non-null value must agree, else it is text.
fn infer(values: &[Json]) -> ColType {
    let mut kind = None;
    for v in values.iter().filter(|v| !v.is_null()) {
        let k = match v {
            Json::Number(_) => ColType::Number,
            Json::Bool(_) => ColType::Bool,
            Json::String(s) if s.len() == 10 && date_ms(s).is_some() => ColType::Date,
            Json::String(s) if s.len() >= 19 && timestamp_ms(s).is_some() => ColType::Timestamp,
            _ => ColType::String,
        };
        match kind {
            None => kind = Some(k),
            Some(prev) if prev != k => return ColType::String,
            _ => {}
        }
    }
    kind.unwrap_or(ColType::Number)
}

fn convert(kind: ColType, v: Json) -> Json {
    match (kind, &v) {
        (ColType::Date, Json::String(s)) => date_ms(s).map(Json::from).unwrap_or(Json::Null),
        (ColType::Timestamp, Json::String(s)) => timestamp_ms(s).map(Json::from).unwrap_or(Json::Null),
        (ColType::String, Json::Number(_) | Json::Bool(_)) => Json::from(v.to_string()),
        (ColType::String, Json::Array(_) | Json::Object(_)) => Json::from(v.to_string()),
        _ => v,
    }
}

impl Columnar {
    /// Transposes rows into typed columns (the rows are consumed one at a time).
    pub fn from_rows(rows: Rows) -> Columnar {
        let n = rows.rows.len();
        let mut data: Vec<Vec<Json>> = rows.columns.iter().map(|_| Vec::with_capacity(n)).collect();
        for row in rows.rows {
            for (i, v) in row.into_iter().enumerate().take(data.len()) {
                data[i].push(v);
            }
        }
        let mut columns = vec![];
        for (name, values) in rows.columns.into_iter().zip(data.iter_mut()) {
            let kind = infer(values);
            for v in values.iter_mut() {
                *v = convert(kind, std::mem::take(v));
            }
            columns.push(Column { name, kind });
        }
        Columnar { columns, data, rows: n }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The largest value of a column (for "data through"), with its type.
    pub fn max_of(&self, name: &str) -> Option<(Json, ColType)> {
        let i = self.index(name)?;
        let best = self.data[i].iter().filter(|v| !v.is_null()).max_by(|a, b| match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.to_string().cmp(&b.to_string()),
        })?;
        Some((best.clone(), self.columns[i].kind))
    }

    /// The same data as CSV: a header line, then one line per row; dates and timestamps in ISO 8601.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows * self.columns.len() * 10);
        let line = |out: &mut Vec<u8>, cells: &mut dyn Iterator<Item = String>| {
            let joined: Vec<String> = cells.map(|c| csv_cell(&c)).collect();
            out.extend_from_slice(joined.join(",").as_bytes());
            out.extend_from_slice(b"\r\n");
        };
        line(&mut out, &mut self.columns.iter().map(|c| c.name.clone()));
        for r in 0..self.rows {
            line(&mut out, &mut self.columns.iter().zip(&self.data).map(|(c, col)| text(c.kind, &col[r])));
        }
        out
    }
}

fn text(kind: ColType, v: &Json) -> String {
    let ms = v.as_i64();
    match (kind, v) {
        (_, Json::Null) => String::new(),
        (ColType::Date, _) => ms.and_then(chrono::DateTime::from_timestamp_millis).map(|d| d.date_naive().to_string()).unwrap_or_default(),
        (ColType::Timestamp, _) => ms.and_then(chrono::DateTime::from_timestamp_millis).map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default(),
        (_, Json::String(s)) => s.clone(),
        _ => v.to_string(),
    }
}

/// RFC 4180 quoting, and a leading `'` where a spreadsheet would read a formula (=, +, -, @ as text).
fn csv_cell(s: &str) -> String {
    let guarded = match s.chars().next() {
        Some('=' | '+' | '@') => format!("'{s}"),
        Some('-') if s.parse::<f64>().is_err() => format!("'{s}"),
        _ => s.to_string(),
    };
    match guarded.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", guarded.replace('"', "\"\"")),
        false => guarded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Rows {
        Rows {
            columns: vec!["d".into(), "t".into(), "v".into(), "s".into()],
            rows: vec![
                vec![json!("2026-11-20"), json!("2026-11-20 15:24:00"), json!(1.5), json!("a,b")],
                vec![json!("2026-11-21"), json!(null), json!(null), json!("=cmd")],
            ],
        }
    }

    #[test]
    fn columns_are_typed_and_dates_are_epoch_ms() {
        let c = Columnar::from_rows(rows());
        let kinds: Vec<ColType> = c.columns.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ColType::Date, ColType::Timestamp, ColType::Number, ColType::String]);
        assert_eq!(c.data[0], [json!(1_795_132_800_000i64), json!(1_795_219_200_000i64)]);
        assert_eq!(c.data[1][0], json!(1_795_188_240_000i64));
        assert_eq!(c.max_of("d").map(|m| m.0), Some(json!(1_795_219_200_000i64)));
    }

    #[test]
    fn csv_has_iso_dates_quotes_and_no_formulas() {
        let csv = String::from_utf8(Columnar::from_rows(rows()).to_csv()).expect("utf8");
        assert_eq!(csv, "d,t,v,s\r\n2026-11-20,2026-11-20T15:24:00.000Z,1.5,\"a,b\"\r\n2026-11-21,,,'=cmd\r\n");
    }

    #[test]
    fn mixed_values_are_text() {
        let c = Columnar::from_rows(Rows { columns: vec!["x".into()], rows: vec![vec![json!("2026-01-01")], vec![json!("soon")]] });
        assert_eq!(c.columns[0].kind, ColType::String);
    }
}
