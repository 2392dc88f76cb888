//! Seed column types as dbt infers them: agate's `TypeTester` with dbt's type list (number, date
//! `%Y-%m-%d`, datetime `%Y-%m-%d %H:%M:%S`, ISO 8601 datetime, boolean `true`/`false`, text),
//! tried in that order over every value of a column; `column_types` columns are text to the tester.
//! The adapter names the type (`integer`/`float8` on DuckDB, `int64`/`float64` on BigQuery); the
//! values themselves are then parsed by the warehouse's CSV reader, as dbt-duckdb's `COPY` does.

use std::path::Path;

use chrono::{NaiveDate, NaiveTime};

/// The agate type a column ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedType {
    /// `agate.Number`; `decimals` when some value has digits after the point (agate's MaxPrecision).
    Number { decimals: bool },
    Date,
    DateTime,
    Boolean,
    Text,
}

impl SeedType {
    /// dbt-duckdb's names (dbt-core's `SQLAdapter.convert_*_type`).
    pub fn duckdb(self) -> &'static str {
        match self {
            SeedType::Number { decimals: true } => "DOUBLE",
            SeedType::Number { decimals: false } => "INTEGER",
            SeedType::Date => "DATE",
            SeedType::DateTime => "TIMESTAMP",
            SeedType::Boolean => "BOOLEAN",
            SeedType::Text => "VARCHAR",
        }
    }
    /// dbt-bigquery's names (`BigQueryAdapter.convert_*_type`).
    pub fn bigquery(self) -> &'static str {
        match self {
            SeedType::Number { decimals: true } => "FLOAT64",
            SeedType::Number { decimals: false } => "INT64",
            SeedType::Date => "DATE",
            SeedType::DateTime => "DATETIME",
            SeedType::Boolean => "BOOL",
            SeedType::Text => "STRING",
        }
    }
}

/// The hypotheses still open for one column, in agate's order of preference.
#[derive(Debug, Clone)]
struct Column {
    number: bool,
    decimals: bool,
    date: bool,
    datetime: bool,
    iso: bool,
    boolean: bool,
}

impl Column {
    fn new() -> Column {
        Column { number: true, decimals: false, date: true, datetime: true, iso: true, boolean: true }
    }

    fn test(&mut self, raw: &str) {
        let v = raw.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("null") {
            return; // null to every type of dbt's tester
        }
        if self.number {
            match number_decimals(v) {
                Some(d) => self.decimals |= d,
                None => self.number = false,
            }
        }
        self.date &= strptime_date(v).is_some();
        self.datetime &= strptime_datetime(v);
        self.iso &= iso_datetime(v);
        if self.boolean {
            let b = v.replace(',', "");
            let b = b.trim();
            self.boolean = b.eq_ignore_ascii_case("true") || b.eq_ignore_ascii_case("false") || b.eq_ignore_ascii_case("null") || b.is_empty();
        }
    }

    fn result(&self) -> SeedType {
        if self.number {
            SeedType::Number { decimals: self.decimals }
        } else if self.date {
            SeedType::Date
        } else if self.datetime || self.iso {
            SeedType::DateTime
        } else if self.boolean {
            SeedType::Boolean
        } else {
            SeedType::Text
        }
    }
}

/// The type of each column of `rows` (strings as read from the CSV, None for an empty cell).
pub fn infer<'a, I, R>(names: &[String], rows: I, text_columns: &[String]) -> Vec<SeedType>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = Option<&'a str>>,
{
    let mut cols = vec![Column::new(); names.len()];
    for row in rows {
        for (c, v) in cols.iter_mut().zip(row) {
            if let Some(v) = v {
                c.test(v);
            }
        }
    }
    names
        .iter()
        .zip(cols)
        .map(|(n, c)| if text_columns.iter().any(|t| t == n) { SeedType::Text } else { c.result() })
        .collect()
}

/// Reads `csv` as text with DuckDB's CSV reader (the one that loads it) and infers each column.
pub fn infer_csv(con: &duckdb::Connection, csv: &Path, delimiter: Option<&str>, text_columns: &[String]) -> duckdb::Result<Vec<(String, SeedType)>> {
    let delim = delimiter.map(|d| format!(", delim = {}", sql_lit(d))).unwrap_or_default();
    let sql = format!("select * from read_csv({}, header = true, all_varchar = true{delim})", sql_lit(&csv.to_string_lossy()));
    let mut stmt = con.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let names: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut cols = vec![Column::new(); names.len()];
    while let Some(row) = rows.next()? {
        for (i, c) in cols.iter_mut().enumerate() {
            if let Some(v) = row.get::<_, Option<String>>(i)? {
                c.test(&v);
            }
        }
    }
    Ok(names
        .into_iter()
        .zip(cols)
        .map(|(n, c)| {
            let t = if text_columns.iter().any(|t| *t == n) { SeedType::Text } else { c.result() };
            (n, t)
        })
        .collect())
}

fn sql_lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// agate's `Number.cast` (after dbt's null check): `%` and currency symbols stripped, `,` groups
/// removed, then Python's `Decimal()` grammar. Some(true) when the normalized exponent is negative.
fn number_decimals(v: &str) -> Option<bool> {
    const CURRENCY: &[char] = &['؋', '$', 'ƒ', '៛', '¥', '₡', '₱', '£', '€', '¢', '﷼', '₪', '₩', '₭', '₮', '₦', '฿', '₤', '₫'];
    let v = v.trim_matches('%');
    let v = v.strip_prefix('-').unwrap_or(v);
    let v = CURRENCY.iter().fold(v, |s, c| s.trim_matches(*c)).replace(',', "");
    decimal_exponent(v.trim())
}

/// Python's `Decimal(s)`: `[+-]digits[.digits][e[+-]digits]` (underscores between digits), or
/// inf/infinity/nan/snan. Returns whether the normalized value has a negative exponent.
fn decimal_exponent(s: &str) -> Option<bool> {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = s.to_ascii_lowercase();
    let nan_payload = lower.strip_prefix("snan").or_else(|| lower.strip_prefix("nan"));
    if lower == "inf" || lower == "infinity" || nan_payload.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Some(false); // MaxPrecision skips NaN and infinities
    }
    let (mantissa, exp) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let exp: i64 = match exp {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !digits_ok(digits) {
                return None;
            }
            e.replace('_', "").parse().ok()?
        }
        None => 0,
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty()) || (!int.is_empty() && !digits_ok(int)) || (!frac.is_empty() && !digits_ok(frac)) {
        return None;
    }
    let digits: String = format!("{int}{frac}").replace('_', "");
    let trailing_zeros = digits.len() - digits.trim_end_matches('0').len();
    if digits.trim_start_matches('0').is_empty() {
        return Some(false); // zero normalizes to exponent 0
    }
    Some(exp - frac.replace('_', "").len() as i64 + (trailing_zeros as i64) < 0)
}

/// Digits with single underscores between them (PEP 515).
fn digits_ok(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('_') && !s.ends_with('_') && !s.contains("__") && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Python's `strptime(v, "%Y-%m-%d")`: four-digit year, one- or two-digit month and day, a real date.
fn strptime_date(v: &str) -> Option<NaiveDate> {
    let mut parts = v.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, one_or_two(m)?, day(d)?)
}

/// `%d` also takes a space and one digit, as Python's strptime does.
fn day(d: &str) -> Option<u32> {
    one_or_two(d).or_else(|| d.strip_prefix(' ').filter(|r| r.len() == 1).and_then(one_or_two))
}

fn one_or_two(s: &str) -> Option<u32> {
    (matches!(s.len(), 1 | 2) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `strptime(v, "%Y-%m-%d %H:%M:%S")` (the space matches any run of whitespace).
fn strptime_datetime(v: &str) -> bool {
    let Some(split) = v.find(char::is_whitespace).filter(|i| *i >= 8) else { return false };
    let (date, time) = (&v[..split], v[split..].trim_start());
    let date_ok = strptime_date(date).is_some();
    let t: Vec<&str> = time.split(':').collect();
    let time_ok = t.len() == 3 && t.iter().all(|p| one_or_two(p).is_some()) && {
        let (h, m, s) = (one_or_two(t[0]).unwrap_or(99), one_or_two(t[1]).unwrap_or(99), one_or_two(t[2]).unwrap_or(99));
        h < 24 && m < 60 && s < 60
    };
    date_ok && time_ok
}

/// isodate's `parse_datetime`: `<date>T<time>` with an ISO 8601 date (`YYYY-MM-DD`, `YYYYMMDD`) and
/// time (`hh[:mm[:ss[.f]]]`, `hhmm[ss]`, optional `Z` or `±hh[:mm]`).
fn iso_datetime(v: &str) -> bool {
    let mut parts = v.split('T');
    let (Some(date), Some(time), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    let date_ok = NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        || (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) && NaiveDate::parse_from_str(date, "%Y%m%d").is_ok());
    date_ok && iso_time(time)
}

fn iso_time(t: &str) -> bool {
    let (clock, _tz) = match t.find(['Z', '+', '-']) {
        Some(i) => {
            let tz = &t[i..];
            let ok = tz == "Z" || {
                let z = tz[1..].replace(':', "");
                matches!(z.len(), 2 | 4) && z.bytes().all(|b| b.is_ascii_digit())
            };
            if !ok {
                return false;
            }
            (&t[..i], tz)
        }
        None => (t, ""),
    };
    let (main, frac) = clock.split_once(['.', ',']).unwrap_or((clock, ""));
    if clock.contains(['.', ',']) && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let fields: Vec<&str> = if main.contains(':') { main.split(':').collect() } else { main.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap_or("x")).collect() };
    let fmt = match fields.len() {
        1 => "%H",
        2 => "%H:%M",
        3 => "%H:%M:%S",
        _ => return false,
    };
    fields.iter().all(|f| f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()))
        && (fields.len() == 1 && fields[0].parse::<u32>().is_ok_and(|h| h <= 24) || NaiveTime::parse_from_str(&fields.join(":"), fmt).is_ok() || fields.len() == 3 && fields[2] == "60")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(values: &[&str]) -> SeedType {
        infer(&["c".to_string()], values.iter().map(|v| [Some(*v)]), &[])[0]
    }

    #[test]
    fn numbers_as_agate_reads_them() {
        // Each checked against dbt-duckdb 1.10's seed table types.
        assert_eq!(one(&["1", "-5", "007", ""]), SeedType::Number { decimals: false });
        assert_eq!(one(&["1.0", "2.00", "3"]), SeedType::Number { decimals: false });
        assert_eq!(one(&["1.5", "-3"]), SeedType::Number { decimals: true });
        assert_eq!(one(&["1.5e3", "2e-2"]), SeedType::Number { decimals: true });
        assert_eq!(one(&["1e3", "$1,000", "50%", "1_000"]), SeedType::Number { decimals: false });
        assert_eq!(one(&["", "null", " "]), SeedType::Number { decimals: false });
        assert_eq!(one(&["1", "x"]), SeedType::Text);
        assert_eq!(one(&["1__0"]), SeedType::Text);
    }

    #[test]
    fn dates_datetimes_booleans() {
        assert_eq!(one(&["2024-01-02", "2024-1-2"]), SeedType::Date);
        assert_eq!(one(&["2024-02-30"]), SeedType::Text);
        assert_eq!(one(&["2024/01/02"]), SeedType::Text);
        assert_eq!(one(&["2024-01-02 03:04:05", "2024-12-31 23:59:59"]), SeedType::DateTime);
        assert_eq!(one(&["2024-01-02T03:04:05", "2024-12-31T23:59:59.123Z", "20240101T0102"]), SeedType::DateTime);
        assert_eq!(one(&["2024-01-02", "2024-01-02 03:04:05"]), SeedType::Text);
        assert_eq!(one(&["true", "False", "TRUE", ""]), SeedType::Boolean);
        assert_eq!(one(&["yes", "no"]), SeedType::Text);
        assert_eq!(one(&["1", "0"]), SeedType::Number { decimals: false });
    }

    #[test]
    fn column_types_columns_are_text_to_the_tester() {
        let names = vec!["a".to_string(), "b".to_string()];
        let t = infer(&names, [[Some("1"), Some("2")]], &["b".to_string()]);
        assert_eq!(t, vec![SeedType::Number { decimals: false }, SeedType::Text]);
        assert_eq!((t[0].duckdb(), t[0].bigquery()), ("INTEGER", "INT64"));
    }
}
