//! dbt model versions as written in a model's YAML entry: the `versions:` list (`v`, `defined_in`,
//! `columns` with at most one `include`/`exclude` of the entry's columns, the version's own
//! properties), `latest_version` (default: the highest `v`, dbt's `UnparsedVersion` order), each
//! version's effective property entry, `deprecation_date` as dbt normalises it, and the names dbt
//! derives (`m.v2` for lookups, `m_v2` for files, aliases and test names). Nothing here reads a file.

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

const VERSION_KEYS: &[&str] = &[
    "v", "defined_in", "description", "access", "config", "constraints", "docs", "data_tests", "tests", "columns",
    "deprecation_date",
];

/// A version as Python's `str()` shows it (`2`, `1.5`, `beta`): in ids, names and messages.
pub fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's truthiness of a version: dbt treats `v=0` and `v=''` as no version.
pub fn given(v: Option<&Json>) -> Option<&Json> {
    v.filter(|v| !matches!(v, Json::Null | Json::Bool(false)) && v.as_f64() != Some(0.0) && v.as_str() != Some(""))
}

/// dbt's lookup key of a model version (`ref_lookup`'s `search_name`): `orders.v2`.
pub fn search_name(name: &str, v: &Json) -> String {
    format!("{name}.v{}", text(v))
}

/// dbt's `UnparsedVersion.__lt__`: as numbers when both parse as floats, else as text.
pub fn compare(a: &Json, b: &Json) -> Ordering {
    let num = |v: &Json| text(v).trim().parse::<f64>().ok();
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => text(a).cmp(&text(b)),
    }
}

/// Python's `==` of two YAML versions (`2 == 2.0`, `'2' != 2`).
pub fn same(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// One entry of `versions:`.
#[derive(Debug, Clone)]
pub struct Version {
    pub v: Json,
    /// The model file's name without `.sql` (default `<model>_v<v>`).
    pub file_name: String,
    entry: Map<String, Json>,
}

/// A model's `versions:` and its latest version.
#[derive(Debug, Clone)]
pub struct Versions {
    pub latest: Json,
    pub list: Vec<Version>,
}

/// The versions of a model entry, or None when it has no (or an empty) `versions:` list.
pub fn parse(model: &Map<String, Json>, name: &str, file: &str) -> Result<Option<Versions>> {
    let list = match model.get("versions") {
        None | Some(Json::Null) => vec![],
        Some(Json::Array(a)) => a.clone(),
        Some(_) => return Err(Error::project(file, format!("models.{name}: `versions:` must be a list"))),
    };
    if list.is_empty() {
        return match given(model.get("latest_version")) {
            Some(l) => Err(Error::project(file, format!("latest_version: {} is not one of model '{name}' versions: [] ", text(l)))),
            None => Ok(None),
        };
    }
    let mut out: Vec<Version> = vec![];
    for e in &list {
        let e = e.as_object().ok_or_else(|| Error::project(file, format!("models.{name}: each entry of `versions:` must be a mapping")))?;
        let v = match e.get("v") {
            Some(v @ (Json::Number(_) | Json::String(_))) => v.clone(),
            _ => return Err(Error::project(file, format!("models.{name}: each entry of `versions:` needs a `v:` (a number or a string)"))),
        };
        if let Some(key) = e.keys().find(|k| !VERSION_KEYS.contains(&k.as_str())) {
            let hint = crate::error::did_you_mean(&crate::error::suggest(key, VERSION_KEYS.iter().copied()));
            return Err(Error::project(file, format!("models.{name}.versions.v{}: unknown property `{key}`{hint}", text(&v))));
        }
        if out.iter().any(|o| text(&o.v) == text(&v)) {
            return Err(Error::project(file, format!("Found duplicate version: '{}' in versions list of model '{name}'", text(&v))));
        }
        let file_name = match e.get("defined_in") {
            Some(Json::String(s)) => s.clone(),
            None | Some(Json::Null) => format!("{name}_v{}", text(&v)),
            Some(_) => return Err(Error::project(file, format!("models.{name}.versions.v{}: `defined_in:` must be a model name", text(&v)))),
        };
        out.push(Version { v, file_name, entry: e.clone() });
    }
    let latest = match model.get("latest_version") {
        Some(l) if given(Some(l)).is_some() => {
            if !out.iter().any(|o| same(&o.v, l)) {
                let all: Vec<String> = out.iter().map(|o| py_literal(&o.v)).collect();
                return Err(Error::project(
                    file,
                    format!("latest_version: {} is not one of model '{name}' versions: [{}] ", text(l), all.join(", ")),
                ));
            }
            l.clone()
        }
        _ => out.iter().map(|o| &o.v).max_by(|a, b| compare(a, b)).cloned().unwrap_or(Json::Null),
    };
    Ok(Some(Versions { latest, list: out }))
}

/// A version in a Python list's `repr` (`1`, `'beta'`).
fn py_literal(v: &Json) -> String {
    match v {
        Json::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

impl Version {
    /// The property entry that applies to this version, in the shape of an unversioned model's: the
    /// model's columns kept by `include`/`exclude` then the version's own, the version's description,
    /// tests, constraints, access and docs over the model's, the configs deep-merged, the version's
    /// deprecation date only (dbt ignores the model-level one for versioned models).
    pub fn entry(&self, model: &Map<String, Json>, name: &str, file: &str) -> Result<Map<String, Json>> {
        let at = format!("models.{name}.versions.v{}", text(&self.v));
        let mut out = Map::new();
        out.insert("name".into(), Json::String(name.to_string()));
        for key in ["meta", "tags", "group", "time_spine"] {
            if let Some(x) = model.get(key) {
                out.insert(key.into(), x.clone());
            }
        }
        let own = |k: &str| self.entry.get(k).filter(|x| truthy(x));
        for key in ["description", "access", "constraints", "docs"] {
            if let Some(x) = own(key).or_else(|| model.get(key)) {
                out.insert(key.into(), x.clone());
            }
        }
        if let Some(d) = self.entry.get("deprecation_date") {
            out.insert("deprecation_date".into(), d.clone());
        }
        out.insert("columns".into(), Json::Array(self.columns(model, file, &at)?));
        // dbt renames a truthy `tests:` to `data_tests:`; a version without either keeps the model's.
        let tests = match (self.entry.get("data_tests"), self.entry.get("tests")) {
            (Some(t), _) if !t.is_null() => Some(t),
            (_, Some(t)) if truthy(t) => Some(t),
            _ => model.get("data_tests").filter(|t| !t.is_null()).or_else(|| model.get("tests")),
        };
        if let Some(t) = tests {
            out.insert("data_tests".into(), t.clone());
        }
        let mut config = model.get("config").and_then(Json::as_object).cloned().unwrap_or_default();
        if let Some(c) = self.entry.get("config").and_then(Json::as_object) {
            deep_merge(&mut config, c);
        }
        out.insert("config".into(), Json::Object(config));
        Ok(out)
    }

    /// The model's columns this version includes, then the version's own (a same-named one replaces
    /// the model's in place, as dbt's column dict does).
    fn columns(&self, model: &Map<String, Json>, file: &str, at: &str) -> Result<Vec<Json>> {
        let mut filter: Option<IncludeExclude> = None;
        let mut own = vec![];
        for c in self.entry.get("columns").and_then(Json::as_array).into_iter().flatten() {
            match c.as_object() {
                Some(m) if m.contains_key("include") || m.contains_key("exclude") => {
                    if filter.is_some() {
                        return Err(Error::project(file, format!("{at}: version can have at most one include/exclude element")));
                    }
                    filter = Some(IncludeExclude::parse(m, file, at)?);
                }
                _ => own.push(c.clone()),
            }
        }
        let filter = filter.unwrap_or_default();
        let col_name = |c: &Json| c.get("name").and_then(Json::as_str).map(String::from);
        let mut out: Vec<Json> = model
            .get("columns")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter(|c| col_name(c).is_some_and(|n| filter.includes(&n)))
            .cloned()
            .collect();
        for c in own {
            match out.iter_mut().find(|o| col_name(o).is_some() && col_name(o) == col_name(&c)) {
                Some(slot) => *slot = c,
                None => out.push(c),
            }
        }
        Ok(out)
    }
}

/// Python's truthiness of a YAML value (empty strings, lists and mappings are false).
fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
        Json::Number(_) => true,
    }
}

/// dbt's `deep_merge`: mappings merged key by key, anything else replaced.
fn deep_merge(base: &mut Map<String, Json>, over: &Map<String, Json>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Json::Object(old)), Json::Object(new)) => deep_merge(old, new),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// dbt's `IncludeExclude` of a version's columns: `include: all|*|[names]`, `exclude: [names]`.
#[derive(Debug, Default)]
struct IncludeExclude {
    /// None: every column.
    include: Option<Vec<String>>,
    exclude: Vec<String>,
}

impl IncludeExclude {
    fn parse(m: &Map<String, Json>, file: &str, at: &str) -> Result<IncludeExclude> {
        let names = |v: &Json, what: &str| -> Result<Vec<String>> {
            let list = v.as_array().ok_or_else(|| Error::project(file, format!("{at}: `{what}` must be a list of column names")))?;
            Ok(list.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        };
        let include = match m.get("include") {
            Some(Json::String(s)) if s == "all" || s == "*" => None,
            Some(Json::String(_)) | None => {
                return Err(Error::project(file, format!("{at}: include must be one of ('all', '*') or a list of strings")));
            }
            Some(other) => Some(names(other, "include")?),
        };
        let exclude = match m.get("exclude") {
            None | Some(Json::Null) => vec![],
            Some(v) => names(v, "exclude")?,
        };
        if !exclude.is_empty() && include.is_some() {
            return Err(Error::project(file, format!("{at}: exclude can only be specified if include is one of ('all', '*')")));
        }
        if let Some(key) = m.keys().find(|k| !["include", "exclude"].contains(&k.as_str())) {
            return Err(Error::project(file, format!("{at}: an include/exclude element has an unknown key `{key}`")));
        }
        Ok(IncludeExclude { include, exclude })
    }

    fn includes(&self, column: &str) -> bool {
        self.include.as_ref().is_none_or(|i| i.iter().any(|c| c == column)) && !self.exclude.iter().any(|c| c == column)
    }
}

/// dbt's `normalize_date` then `isoformat()`: a date is midnight, a time without an offset is in the
/// machine's time zone (`2024-06-30T00:00:00+00:00`). None when unset.
pub fn deprecation_date(v: Option<&Json>, file: &str, at: &str) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let s = match v {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
    };
    let bad = || Error::project(file, format!("{at}: deprecation_date `{s}` is not a date or a date and time (YYYY-MM-DD[THH:MM:SS[+HH:MM]])"));
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&s.replace(' ', "T")) {
        return Ok(Some(t));
    }
    let naive = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"].iter().find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok()))
        .ok_or_else(bad)?;
    let local = chrono::Local.from_local_datetime(&naive).earliest().ok_or_else(bad)?;
    Ok(Some(local.fixed_offset()))
}

/// Python's `datetime.isoformat()` (`2024-06-30T00:00:00+00:00`, microseconds only when set).
pub fn isoformat(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    use chrono::Timelike;
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn latest_is_the_highest_as_dbt_orders_them() {
        let m = model(json!({"versions": [{"v": 9}, {"v": 10}]}));
        assert_eq!(parse(&m, "k", "f.yml").unwrap().unwrap().latest, json!(10), "numbers compare as numbers");
        let m = model(json!({"versions": [{"v": "alpha"}, {"v": "beta"}]}));
        assert_eq!(parse(&m, "k", "f.yml").unwrap().unwrap().latest, json!("beta"));
        let m = model(json!({"latest_version": 1, "versions": [{"v": 1}, {"v": 2}]}));
        assert_eq!(parse(&m, "k", "f.yml").unwrap().unwrap().latest, json!(1));
        assert_eq!(compare(&json!("10"), &json!(9)), Ordering::Greater, "'10' parses as a float");
        assert_eq!(compare(&json!(1), &json!("a")), Ordering::Less, "mixed: compared as text");
    }

    #[test]
    fn bad_lists_are_dbts_errors() {
        let err = |m: Json| parse(&model(m), "dim", "f.yml").unwrap_err().to_string();
        assert!(err(json!({"latest_version": 5, "versions": [{"v": 1}, {"v": 2}]})).contains("latest_version: 5 is not one of model 'dim' versions: [1, 2]"));
        assert!(err(json!({"latest_version": 1})).contains("latest_version: 1 is not one of model 'dim' versions: [] "));
        assert!(err(json!({"versions": [{"v": 2}, {"v": 2}]})).contains("Found duplicate version: '2' in versions list of model 'dim'"));
        assert!(err(json!({"versions": [{"defined_in": "x"}]})).contains("needs a `v:`"));
        assert!(err(json!({"versions": [{"v": 1, "colums": []}]})).contains("unknown property `colums`"));
    }

    #[test]
    fn file_names_and_keys() {
        let m = model(json!({"versions": [{"v": 1}, {"v": 2, "defined_in": "dim_next"}]}));
        let vs = parse(&m, "dim", "f.yml").unwrap().unwrap();
        assert_eq!(vs.list[0].file_name, "dim_v1");
        assert_eq!(vs.list[1].file_name, "dim_next");
        assert_eq!(search_name("dim", &json!(2)), "dim.v2");
        assert_eq!(search_name("dim", &json!("beta")), "dim.vbeta");
        assert_eq!(given(Some(&json!(0))), None, "dbt's `if version:`");
    }

    #[test]
    fn a_version_entry_includes_excludes_and_overrides() {
        let m = model(json!({
            "name": "dim", "description": "top", "config": {"materialized": "table", "contract": {"enforced": false}},
            "columns": [{"name": "id"}, {"name": "name"}, {"name": "country"}],
            "data_tests": ["t"],
            "versions": [
                {"v": 1, "columns": [{"include": "all", "exclude": ["country"]}], "data_tests": []},
                {"v": 2, "description": "two", "config": {"contract": {"enforced": true}},
                 "columns": [{"include": ["id"]}, {"name": "id", "data_type": "int"}, {"name": "extra"}]},
                {"v": 3, "tests": []},
            ],
        }));
        let vs = parse(&m, "dim", "f.yml").unwrap().unwrap();
        let e1 = vs.list[0].entry(&m, "dim", "f.yml").unwrap();
        assert_eq!(e1["columns"], json!([{"name": "id"}, {"name": "name"}]));
        assert_eq!(e1["data_tests"], json!([]));
        assert_eq!(e1["description"], "top");
        let e2 = vs.list[1].entry(&m, "dim", "f.yml").unwrap();
        assert_eq!(e2["columns"], json!([{"name": "id", "data_type": "int"}, {"name": "extra"}]));
        assert_eq!(e2["config"], json!({"materialized": "table", "contract": {"enforced": true}}));
        assert_eq!(e2["description"], "two");
        let e3 = vs.list[2].entry(&m, "dim", "f.yml").unwrap();
        assert_eq!(e3["data_tests"], json!(["t"]), "an empty `tests:` is not renamed: the model's tests apply");
        let twice = model(json!({"columns": [{"include": "*"}, {"exclude": ["a"]}]}));
        let v = Version { v: json!(1), file_name: "x".into(), entry: twice };
        assert!(v.entry(&m, "dim", "f.yml").unwrap_err().to_string().contains("at most one include/exclude"));
    }

    #[test]
    fn deprecation_dates_normalise_like_dbt() {
        let d = deprecation_date(Some(&json!("2024-06-30T10:00:00+02:00")), "f", "a").unwrap().unwrap();
        assert_eq!(isoformat(&d), "2024-06-30T10:00:00+02:00");
        let d = deprecation_date(Some(&json!("2024-06-30")), "f", "a").unwrap().unwrap();
        assert!(isoformat(&d).starts_with("2024-06-30T00:00:00"), "{}", isoformat(&d));
        assert!(deprecation_date(Some(&json!("next year")), "f", "a").is_err());
        assert_eq!(deprecation_date(None, "f", "a").unwrap(), None);
    }
}
