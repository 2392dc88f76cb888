//! dbt-duckdb's files, as dbt-duckdb 1.10 renders them: a source's `external_location` (formatted
//! with the source's fields, quoted unless it is a function call or already quoted) and the
//! `external` materialization's plan — where it writes, the `COPY` options, and the view that reads
//! the file back. Only text here; `execute/external.rs` runs it.

use serde_json::{Map, Value as Json};

use crate::project::Config;

const FORMATS: &[&str] = &["csv", "parquet", "json"];

/// `external_location` formatted with `fields` (name, identifier, schema, database, tags and the
/// merged meta/config) by `formatter`: `newstyle` (`{name}`), `oldstyle` (`%(name)s`), `template`
/// (`$name`). Quoted as dbt-duckdb does: left alone when it contains `(` or starts with `'`.
pub fn source_location(template: &str, formatter: &str, fields: &Map<String, Json>) -> Result<String, String> {
    let text = match formatter {
        "newstyle" => newstyle(template, fields)?,
        "oldstyle" => oldstyle(template, fields)?,
        "template" => dollar(template, fields)?,
        other => return Err(format!("Formatter {other} not recognized. Must be one of 'newstyle', 'oldstyle', or 'template'.")),
    };
    Ok(if text.contains('(') || text.starts_with('\'') { text } else { format!("'{text}'") })
}

fn field<'a>(fields: &'a Map<String, Json>, key: &str) -> Result<&'a Json, String> {
    fields.get(key).ok_or_else(|| format!("external_location refers to `{key}`, which the source does not have (KeyError: '{key}')"))
}

/// Python's `str.format_map`: `{key}` (and `{key!s}`), `{{` and `}}` escapes.
fn newstyle(t: &str, fields: &Map<String, Json>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let key = name.strip_suffix("!s").unwrap_or(&name);
                if key.contains(['!', ':', '.', '[']) {
                    return Err(format!("external_location: the replacement field `{{{name}}}` is not supported (only `{{key}}`)"));
                }
                out.push_str(&py_str(field(fields, key)?));
            }
            '}' => return Err("external_location: Single '}' encountered in format string".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Python's `template % mapping` with `%(key)s` fields and `%%`.
fn oldstyle(t: &str, fields: &Map<String, Json>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = t;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some((key, r)) = after.strip_prefix('(').and_then(|a| a.split_once(")s")) {
            out.push_str(&py_str(field(fields, key)?));
            rest = r;
        } else {
            return Err("external_location: only `%(key)s` fields are supported with formatter: oldstyle".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Python's `string.Template(t).substitute(mapping)`: `$key`, `${key}`, `$$`.
fn dollar(t: &str, fields: &Map<String, Json>) -> Result<String, String> {
    let re = regex::Regex::new(r"\$(?:(\$)|\{([_a-zA-Z][_a-zA-Z0-9]*)\}|([_a-zA-Z][_a-zA-Z0-9]*))").map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut last = 0;
    for c in re.captures_iter(t) {
        let m = c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0));
        out.push_str(&t[last..m.0]);
        match (c.get(1), c.get(2).or(c.get(3))) {
            (Some(_), _) => out.push('$'),
            (None, Some(k)) => out.push_str(&py_str(field(fields, k.as_str())?)),
            _ => {}
        }
        last = m.1;
    }
    out.push_str(&t[last..]);
    Ok(out)
}

/// Python's `str()` of a YAML value.
pub fn py_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => crate::project::test_names::py_value_repr(other),
    }
}


/// What the `external` materialization runs for one model.
#[derive(Debug, PartialEq)]
pub struct ExternalPlan {
    /// Where the file (or partitioned folder) is written, as configured (relative to the project).
    pub location: String,
    pub format: String,
    /// The `COPY ... TO` options, as dbt-duckdb's `external_write_options` joins them.
    pub write_options: String,
    /// `read_parquet('…', union_by_name=False)` and the like: what the view selects from.
    pub read_call: String,
}

/// dbt-duckdb's `external` materialization: `location` (default `<external_root>/<identifier>.<format>`,
/// or a folder with `options.partition_by`), `format` (from the config, else the location's extension,
/// else parquet), `delimiter` and `options` as COPY options, and the `*_read_options` of the view.
pub fn plan(identifier: &str, config: &Config, external_root: &str) -> Result<ExternalPlan, String> {
    let mut options: Map<String, Json> = match config.get("options") {
        None => Map::new(),
        Some(Json::Object(o)) => o.iter().map(|(k, v)| (k.clone(), Json::String(py_str(v)))).collect(),
        Some(_) => return Err("The options argument must be a dictionary".into()),
    };
    for key in ["format", "delimiter"] {
        if let Some(v) = config.get(key).filter(|v| !matches!(v, Json::Bool(false)) && v.as_str() != Some("")) {
            options.insert(key.into(), Json::String(py_str(v)));
        }
    }
    let location = match config.get("location") {
        Some(l) => py_str(l),
        None if options.contains_key("partition_by") => format!("{external_root}/{identifier}"),
        None => format!("{external_root}/{identifier}.{}", config.str("format").unwrap_or("parquet")),
    };
    let format = match config.str("format") {
        Some(f) if !FORMATS.contains(&f) => return Err(format!("Invalid format: {f}. Allowed formats are: {}", FORMATS.join(", "))),
        Some(f) => f.to_string(),
        None => location.rsplit_once('.').map(|(_, e)| e.to_lowercase()).filter(|e| FORMATS.contains(&e.as_str())).unwrap_or_else(|| "parquet".into()),
    };
    let write_options = write_options(&location, &mut options);
    let read_location = read_location(&location, &options);
    let read_call = read_call(&format, &read_location, config);
    Ok(ExternalPlan { location, format, write_options, read_call })
}

/// dbt-duckdb's `external_write_options`.
fn write_options(location: &str, options: &mut Map<String, Json>) -> String {
    if !options.contains_key("format") {
        let file = location.rsplit('/').next().unwrap_or(location);
        let ext = file.rsplit_once('.').map(|(_, e)| e.to_lowercase()).filter(|_| !file.starts_with('.') || file.matches('.').count() > 1);
        let f = match ext {
            Some(e) if !e.is_empty() => e,
            _ if options.contains_key("delimiter") => "csv".into(),
            _ => "parquet".into(),
        };
        options.insert("format".into(), Json::String(f));
    }
    if options.get("format").and_then(Json::as_str) == Some("csv") && !options.contains_key("header") {
        options.insert("header".into(), Json::String("1".into()));
    }
    if let Some(v) = options.get("partition_by").and_then(Json::as_str) {
        if v.contains(',') && !v.starts_with('(') {
            let wrapped = format!("({v})");
            options.insert("partition_by".into(), Json::String(wrapped));
        }
    }
    options
        .iter()
        .map(|(k, v)| {
            let v = py_str(v);
            let quoted = ["delimiter", "quote", "escape", "null"].contains(&k.to_lowercase().as_str()) && !v.starts_with('\'');
            if quoted {
                format!("{k} '{v}'")
            } else {
                format!("{k} {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// dbt-duckdb's `external_read_location`: a partitioned or per-thread write is read back as a glob.
fn read_location(location: &str, options: &Map<String, Json>) -> String {
    let truthy = |k: &str| options.get(k).map(py_str).is_some_and(|v| !v.is_empty() && v != "False" && v != "false" && v != "0");
    if !truthy("partition_by") && !truthy("per_thread_output") {
        return location.to_string();
    }
    let mut globs = vec![location.to_string(), "*".to_string()];
    if let Some(p) = options.get("partition_by").map(py_str).filter(|p| !p.is_empty()) {
        globs.extend(p.split(',').map(|_| "*".to_string()));
    }
    let format = options.get("format").map(py_str).unwrap_or_else(|| "parquet".into());
    format!("{}.{format}", globs.join("/"))
}

/// `read_parquet('<location>', union_by_name=False)` (or `read_csv`/`read_json` with `auto_detect=True`),
/// the options rendered as the materialization's Jinja does (strings quoted, others as Python prints them).
fn read_call(format: &str, location: &str, config: &Config) -> String {
    let (func, key, default) = match format {
        "json" => ("read_json", "json_read_options", ("auto_detect", Json::Bool(true))),
        "csv" => ("read_csv", "csv_read_options", ("auto_detect", Json::Bool(true))),
        _ => ("read_parquet", "parquet_read_options", ("union_by_name", Json::Bool(false))),
    };
    let opts = config.get(key).and_then(Json::as_object).cloned().unwrap_or_else(|| Map::from_iter([(default.0.to_string(), default.1)]));
    let args: String = opts
        .iter()
        .map(|(k, v)| match v {
            Json::String(s) => format!(", {k}='{s}'"),
            other => format!(", {k}={}", crate::project::test_names::py_value_repr(other)),
        })
        .collect();
    format!("{func}('{location}'{args})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Map<String, Json> {
        serde_json::from_value(serde_json::json!({"name": "people", "identifier": "ppl", "schema": "files", "database": "dev", "tags": ["a"], "root": "data"})).unwrap()
    }

    #[test]
    fn source_locations_as_dbt_duckdb_formats_them() {
        let f = fields();
        assert_eq!(source_location("data/{name}.csv", "newstyle", &f).unwrap(), "'data/people.csv'");
        assert_eq!(source_location("{root}/{identifier}.parquet", "newstyle", &f).unwrap(), "'data/ppl.parquet'");
        assert_eq!(source_location("read_csv('data/{name}_*.csv', header = true)", "newstyle", &f).unwrap(), "read_csv('data/people_*.csv', header = true)");
        assert_eq!(source_location("'s3://b/{name}'", "newstyle", &f).unwrap(), "'s3://b/people'");
        assert_eq!(source_location("x/%(name)s.csv", "oldstyle", &f).unwrap(), "'x/people.csv'");
        assert_eq!(source_location("x/${name}_$schema.csv", "template", &f).unwrap(), "'x/people_files.csv'");
        assert_eq!(source_location("{{x}}/{tags}", "newstyle", &f).unwrap(), "'{x}/['a']'");
        assert!(source_location("{nope}", "newstyle", &f).unwrap_err().contains("nope"));
        assert!(source_location("x", "fancy", &f).unwrap_err().contains("Formatter fancy not recognized"));
    }

    fn cfg(v: Json) -> Config {
        Config(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn external_plans_match_dbt_duckdbs_sql() {
        // Each compared with the SQL dbt-duckdb 1.10.1 ran (target/run/…) on the same configs.
        let p = plan("people_ext", &cfg(serde_json::json!({})), "out").unwrap();
        assert_eq!((p.location.as_str(), p.write_options.as_str()), ("out/people_ext.parquet", "format parquet"));
        assert_eq!(p.read_call, "read_parquet('out/people_ext.parquet', union_by_name=False)");
        let p = plan("csv_out", &cfg(serde_json::json!({"format": "csv", "delimiter": "|"})), "out").unwrap();
        assert_eq!((p.location.as_str(), p.write_options.as_str()), ("out/csv_out.csv", "format csv, delimiter '|', header 1"));
        assert_eq!(p.read_call, "read_csv('out/csv_out.csv', auto_detect=True)");
        let p = plan("parted", &cfg(serde_json::json!({"options": {"partition_by": "a,b"}})), "out").unwrap();
        assert_eq!((p.location.as_str(), p.write_options.as_str()), ("out/parted", "partition_by (a,b), format parquet"));
        assert_eq!(p.read_call, "read_parquet('out/parted/*/*/*.parquet', union_by_name=False)");
        let p = plan("j", &cfg(serde_json::json!({"location": "x/j.json"})), ".").unwrap();
        assert_eq!((p.format.as_str(), p.write_options.as_str()), ("json", "format json"));
        assert!(plan("x", &cfg(serde_json::json!({"format": "xlsx"})), ".").unwrap_err().contains("Allowed formats are: csv, parquet, json"));
    }
}
