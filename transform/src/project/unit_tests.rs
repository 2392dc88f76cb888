//! Unit tests (`unit_tests:` in property files, dbt 1.8+) as project data: the tested model, the
//! `given` inputs (`ref(…)`, `source(…)`, `this`) and `expect` rows in dict, csv or sql form (inline
//! or a `fixture:` file under `<test-path>/fixtures/`), and `overrides` (macros, vars, env_vars),
//! checked as dbt checks them. Running one is `execute::unit_test`.

use serde_json::{Map, Value as Json};

use super::config::{validate_keys, UNIT_TEST_KEYS};
use super::dbt_project::Tree;
use super::files::{discover, read};
use super::nodes::{Node, Project, Resource};
use super::versions;
pub use super::unit_spec::{parse_input, Given, Input, Overrides, Rows, UnitSpec};
use crate::error::{suggest, Error, Result};

const ENTRY: &[&str] = &["name", "model", "description", "given", "expect", "overrides", "config", "versions"];
const FIXTURE_KEYS: &[&str] = &["input", "rows", "format", "fixture"];
const OVERRIDE_KEYS: &[&str] = &["macros", "vars", "env_vars"];

fn bad(file: &str, test: &str, msg: impl std::fmt::Display) -> Error {
    Error::project(file, format!("unit test {test}: {msg}"))
}

fn csv_rows(text: &str) -> Result<Vec<Map<String, Json>>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else { return Ok(vec![]) };
    let header = split_csv(header);
    lines
        .map(|l| {
            let cells = split_csv(l);
            if cells.len() != header.len() {
                return Err(format!("csv row `{l}` has {} values for {} columns", cells.len(), header.len()));
            }
            // Empty values are NULL, as in dbt.
            Ok(header.iter().zip(cells).map(|(h, v)| (h.clone(), if v.is_empty() { Json::Null } else { Json::String(v) })).collect())
        })
        .collect()
}

/// One CSV line (RFC 4180 quoting).
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) = (vec![], String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

impl Project {
    /// A fixture file `<name>.csv` or `<name>.sql` under a `fixtures/` folder of the test paths of
    /// the project that defines the unit test (`file`): a package's tests read the package's fixtures.
    fn fixture_file(&self, file: &str, name: &str, ext: &str) -> Result<Option<String>> {
        let owner = self.projects().into_iter().find(|(_, rel)| !rel.is_empty() && file.starts_with(&format!("{rel}/")));
        let (cfg, prefix) = owner.unwrap_or((&self.cfg, ""));
        for dir in &cfg.test_paths {
            for rel in discover(&self.root, &super::files::under(prefix, &format!("{dir}/fixtures")), ext)? {
                if std::path::Path::new(&rel).file_stem().is_some_and(|s| s == name) {
                    return Ok(Some(read(&self.root, &rel)?));
                }
            }
        }
        Ok(None)
    }

    /// A seed's rows (dict fixtures of a seed input may omit `rows:`).
    fn seed_rows(&self, name: &str) -> Result<Option<Vec<Map<String, Json>>>> {
        let Some(seed) = self.nodes.values().find(|n| n.resource == Resource::Seed && n.name == name) else { return Ok(None) };
        Ok(csv_rows(&read(&self.root, &seed.original_file_path)?).ok())
    }

    /// The rows of a `given` or `expect` entry, in its `format`.
    fn fixture_rows(&self, f: &Map<String, Json>, file: &str, test: &str, input: Option<&Input>) -> Result<Rows> {
        if let Some(k) = f.keys().find(|k| !FIXTURE_KEYS.contains(&k.as_str()) || (input.is_none() && k.as_str() == "input")) {
            return Err(bad(file, test, format!("unknown fixture key `{k}`{}", crate::error::did_you_mean(&suggest(k, FIXTURE_KEYS.iter().copied())))));
        }
        let format = f.get("format").and_then(Json::as_str).unwrap_or("dict");
        let fixture = f.get("fixture").and_then(Json::as_str);
        let inline = f.get("rows");
        let text = |ext: &str| -> Result<String> {
            match (inline, fixture) {
                (Some(Json::String(s)), _) => Ok(s.clone()),
                (None, Some(name)) => self.fixture_file(file, name, ext)?.ok_or_else(|| bad(file, test, format!("File not found for fixture '{name}' (looked for fixtures/{name}.{ext} under the test paths)"))),
                _ => Err(bad(file, test, format!("rows which do not match format {format}. Expected string."))),
            }
        };
        match format {
            "dict" => match inline {
                Some(Json::Array(rows)) => rows
                    .iter()
                    .map(|r| r.as_object().cloned().ok_or_else(|| bad(file, test, "each dict row must be a mapping")))
                    .collect::<Result<Vec<_>>>()
                    .map(Rows::Dicts),
                None | Some(Json::Null) => match input {
                    Some(Input::Ref { name, .. }) => self.seed_rows(name)?.map(Rows::Dicts).ok_or_else(|| bad(file, test, "a given without `rows:` must be a seed")),
                    _ => Ok(Rows::Dicts(vec![])),
                },
                Some(_) => Err(bad(file, test, "rows which do not match format dict")),
            },
            "csv" => csv_rows(&text("csv")?).map(Rows::Dicts).map_err(|e| bad(file, test, e)),
            "sql" => Ok(Rows::Sql(text("sql")?)),
            other => Err(bad(file, test, format!("unknown fixture format `{other}` (dict, csv, sql)"))),
        }
    }

    /// A `unit_tests:` entry of `file` (under the resource folder `dir`) as a unit-test node.
    pub(super) fn add_unit_test(&mut self, package: &str, e: &Map<String, Json>, file: &str, dir: &str) -> Result<()> {
        let name = e.get("name").and_then(Json::as_str).ok_or_else(|| Error::project(file, "a unit test entry has no `name`"))?;
        if let Some(k) = e.keys().find(|k| !ENTRY.contains(&k.as_str())) {
            return Err(Error::UnknownKey { file: file.into(), what: "property", key: k.clone(), at: format!("unit_tests.{name}"), suggestion: suggest(k, ENTRY.iter().copied()) });
        }
        let model_field = e.get("model").and_then(Json::as_str).ok_or_else(|| bad(file, name, "`model:` is required"))?;
        // dbt's `model: orders` or `model: orders 2` (a version after a space).
        let mut words = model_field.split_whitespace();
        let model_name = words.next().unwrap_or_default();
        let pinned = words.next().map(|v| Json::String(v.to_string()));
        let models = self.tested_models(package, model_name, pinned.as_ref(), e.get("versions"), file, name)?;
        let inner = file.strip_prefix(dir).unwrap_or(file).trim_start_matches('/');
        let mut fqn = vec![package.to_string()];
        fqn.extend(inner.split('/').map(String::from));
        fqn.pop();
        fqn.extend([model_name.to_string(), name.to_string()]);
        let mut config = self.tree_config(package, Tree::UnitTests, &fqn)?;
        let own = e.get("config").and_then(Json::as_object).cloned().unwrap_or_default();
        validate_keys(&own, UNIT_TEST_KEYS, file, &format!("unit_tests.{name}.config"))?;
        config.merge(&own);
        for (model, version) in models {
            let mut spec = self.unit_spec(e, file, name, &model)?;
            // One test per tested version, named `<test>_v<v>` (the manifest keeps the test's name).
            let node_name = match &version {
                Some(v) => format!("{name}_v{}", versions::text(v)),
                None => name.to_string(),
            };
            spec.manifest.insert("name".into(), Json::from(name));
            spec.manifest.insert("version".into(), version.clone().unwrap_or(Json::Null));
            let mut node = self.new_node(package, Resource::UnitTest, &node_name, file, inner.to_string(), fqn.clone(), String::new(), config.clone());
            node.unique_id = format!("unit_test.{package}.{model_field}.{node_name}");
            node.description = e.get("description").and_then(Json::as_str).unwrap_or_default().to_string();
            node.depends_on = vec![model];
            node.unit = Some(spec);
            self.insert(node)?;
        }
        Ok(())
    }

    /// The model (unique id, version) a unit test tests, as dbt's `process_models_for_unit_test`: an
    /// unversioned model, or every version of a versioned one kept by `versions: {include|exclude}`.
    fn tested_models(&self, package: &str, model: &str, pinned: Option<&Json>, wanted: Option<&Json>, file: &str, test: &str) -> Result<Vec<(String, Option<Json>)>> {
        let of_model = |n: &&Node| n.resource == Resource::Model && n.name == model && n.package_name == package;
        let tested = self.nodes.values().filter(of_model).find(|n| match pinned {
            Some(v) => n.version.as_ref().is_some_and(|x| versions::text(x) == versions::text(v)),
            None => n.version.is_none() || n.is_latest_version(),
        });
        let tested = tested.ok_or_else(|| bad(file, test, format!("Unable to find model '{package}.{model}' for unit test '{test}' in {file}")))?;
        let list = |k: &str| wanted.and_then(|w| w.get(k)).and_then(Json::as_array).filter(|a| !a.is_empty());
        let (include, exclude) = (list("include"), list("exclude"));
        if tested.version.is_none() {
            if include.is_some() || exclude.is_some() {
                return Err(bad(file, test, format!("Unit test '{test}' should not have a versions include or exclude when referencing non-versioned model '{model}'")));
            }
            return Ok(vec![(tested.unique_id.clone(), None)]);
        }
        let has = |l: Option<&Vec<Json>>, v: &Json| l.is_some_and(|l| l.iter().any(|x| versions::same(x, v)));
        let kept: Vec<(String, Option<Json>)> = self
            .nodes
            .values()
            .filter(of_model)
            .filter_map(|n| Some((n, n.version.as_ref()?)))
            .filter(|(_, v)| if exclude.is_some() { !has(exclude, v) } else { include.is_none() || has(include, v) })
            .map(|(n, v)| (n.unique_id.clone(), Some(v.clone())))
            .collect();
        if kept.is_empty() {
            return Err(bad(file, test, format!("Unit test '{test}' referenced a version of '{model}' which was not found.")));
        }
        Ok(kept)
    }

    fn unit_spec(&self, e: &Map<String, Json>, file: &str, name: &str, model: &str) -> Result<UnitSpec> {
        let mut given = vec![];
        let mut manifest_given = vec![];
        for g in e.get("given").and_then(Json::as_array).into_iter().flatten() {
            let g = g.as_object().ok_or_else(|| bad(file, name, "each `given` entry must be a mapping"))?;
            let text = g.get("input").and_then(Json::as_str).ok_or_else(|| bad(file, name, "each `given` entry needs an `input:`"))?;
            let input = parse_input(text).ok_or_else(|| bad(file, name, format!("invalid input `{text}`: use ref('…'), source('…', '…') or this")))?;
            let rows = self.fixture_rows(g, file, name, Some(&input))?;
            manifest_given.push(fixture_json(g, &rows, Some(text)));
            given.push(Given { input, rows });
        }
        let expect = e.get("expect").and_then(Json::as_object).ok_or_else(|| bad(file, name, "`expect:` is required"))?;
        let expect_rows = self.fixture_rows(expect, file, name, None)?;
        let overrides = overrides(e.get("overrides"), file, name)?;
        let mut manifest = Map::new();
        manifest.insert("given".into(), Json::Array(manifest_given));
        manifest.insert("expect".into(), fixture_json(expect, &expect_rows, None));
        manifest.insert(
            "overrides".into(),
            serde_json::json!({"macros": overrides.macros, "vars": overrides.vars, "env_vars": overrides.env_vars}),
        );
        // dbt's `UnitTestNodeVersions`: both keys, null when unset.
        let versions = e.get("versions").and_then(Json::as_object).map(|v| {
            serde_json::json!({"include": v.get("include").cloned().unwrap_or(Json::Null), "exclude": v.get("exclude").cloned().unwrap_or(Json::Null)})
        });
        manifest.insert("versions".into(), versions.unwrap_or(Json::Null));
        Ok(UnitSpec { model: model.to_string(), given, expect: expect_rows, overrides, manifest })
    }
}

fn overrides(v: Option<&Json>, file: &str, name: &str) -> Result<Overrides> {
    let Some(o) = v.and_then(Json::as_object) else { return Ok(Overrides::default()) };
    if let Some(k) = o.keys().find(|k| !OVERRIDE_KEYS.contains(&k.as_str())) {
        return Err(bad(file, name, format!("unknown override `{k}` (macros, vars, env_vars)")));
    }
    let map = |k: &str| o.get(k).and_then(Json::as_object).cloned().unwrap_or_default();
    Ok(Overrides { macros: map("macros"), vars: map("vars"), env_vars: map("env_vars") })
}

/// A fixture as dbt's manifest shows it: rows normalized (csv → dicts of strings), format, fixture.
fn fixture_json(f: &Map<String, Json>, rows: &Rows, input: Option<&str>) -> Json {
    let rows = match rows {
        Rows::Dicts(d) => Json::Array(d.iter().cloned().map(Json::Object).collect()),
        Rows::Sql(s) => Json::String(s.clone()),
    };
    let mut out = Map::new();
    if let Some(i) = input {
        out.insert("input".into(), Json::from(i));
    }
    out.insert("rows".into(), rows);
    out.insert("format".into(), f.get("format").cloned().unwrap_or(Json::from("dict")));
    out.insert("fixture".into(), f.get("fixture").cloned().unwrap_or(Json::Null));
    Json::Object(out)
}

/// dbt's check, once in-file configs are known: a unit test of an incremental model must say
/// whether `is_incremental()` is true.
pub fn check_incremental_overrides(project: &Project) -> Result<()> {
    for n in project.nodes.values() {
        let Some(u) = &n.unit else { continue };
        let Some(model) = project.nodes.get(&u.model) else { continue };
        if model.config.materialized() == "incremental" && !u.overrides.macros.get("is_incremental").is_some_and(Json::is_boolean) {
            return Err(bad(
                &n.original_file_path,
                &n.name,
                format!("Boolean override for 'is_incremental' must be provided for unit test '{}' in model '{}'", n.name, model.name),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_parse_like_dbt_refs() {
        assert_eq!(parse_input(" this "), Some(Input::This));
        assert_eq!(parse_input("ref('stg')"), Some(Input::Ref { name: "stg".into(), version: None }));
        assert_eq!(parse_input("ref(\"pkg\", \"m\", v=2)"), Some(Input::Ref { name: "m".into(), version: Some("2".into()) }));
        assert_eq!(parse_input("source('raw', 'orders')"), Some(Input::Source { source: "raw".into(), table: "orders".into() }));
        assert_eq!(parse_input("model('x')"), None);
    }

    #[test]
    fn csv_fixtures_become_string_dicts_with_nulls() {
        let rows = csv_rows("id,name\n1,\"a, b\"\n2,\n").unwrap();
        assert_eq!(rows[0]["name"], Json::from("a, b"));
        assert_eq!(rows[1]["name"], Json::Null);
        assert!(csv_rows("a,b\n1").unwrap_err().contains("1 values for 2 columns"));
    }
}
