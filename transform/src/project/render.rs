//! Jinja in YAML files, rendered as dbt renders them before reading dbt_project.yml, packages.yml and
//! profiles.yml: every string value, with `env_var`, `var` (from `--vars` only) and `target`. A value
//! that is one `{{ expression }}` keeps the expression's type (`"{{ var('x', false) }}"` is `false`),
//! as dbt's native rendering does; anything else renders to text.

use minijinja::value::Value;
use minijinja::{Environment, Error as JinjaError, ErrorKind};
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::output::register_secret;

pub struct YamlRenderer {
    env: Environment<'static>,
    ctx: Value,
    /// The file named in errors.
    file: &'static str,
}

fn invalid(msg: String) -> JinjaError {
    JinjaError::new(ErrorKind::InvalidOperation, msg)
}

fn to_value(v: &Json) -> Value {
    Value::from(minijinja::value::Serde(v))
}

impl YamlRenderer {
    /// `secrets`: whether `DBT_ENV_SECRET_*` may be read (profiles.yml and packages.yml, not
    /// dbt_project.yml); the values read are registered for redaction.
    pub fn new(file: &'static str, cli_vars: &Map<String, Json>, target: Option<&Json>, secrets: bool) -> YamlRenderer {
        let mut env = Environment::new();
        env.add_function("env_var", move |name: String, default: Option<Value>| -> Result<Value, JinjaError> {
            if name.starts_with("DBT_ENV_SECRET") && !secrets {
                return Err(invalid(format!("secret env var `{name}` may only be used in profiles.yml and packages.yml")));
            }
            match std::env::var(&name) {
                Ok(v) => {
                    if name.starts_with("DBT_ENV_SECRET") {
                        register_secret(&v);
                    }
                    Ok(Value::from(v))
                }
                Err(_) => default.ok_or_else(|| invalid(format!("Env var required but not provided: '{name}'"))),
            }
        });
        let vars = cli_vars.clone();
        env.add_function("var", move |name: String, default: Option<Value>| -> Result<Value, JinjaError> {
            match (vars.get(&name), default) {
                (Some(v), _) => Ok(to_value(v)),
                (None, Some(d)) => Ok(d),
                (None, None) => Err(invalid(format!("Required var '{name}' not found in config: only --vars are visible in {file}"))),
            }
        });
        env.add_filter("as_bool", as_bool);
        env.add_filter("as_number", as_number);
        env.add_filter("as_text", |v: Value| v.to_string());
        env.add_filter("as_native", |v: Value| v);
        let ctx = match target {
            Some(t) => Value::from(std::collections::BTreeMap::from([("target", to_value(t))])),
            None => Value::from(std::collections::BTreeMap::<&str, Value>::new()),
        };
        YamlRenderer { env, ctx, file }
    }

    /// One value: strings rendered (natively when the whole string is one expression), others kept.
    pub fn render(&self, v: &Json) -> Result<Json> {
        let Json::String(s) = v else { return Ok(v.clone()) };
        if !s.contains("{{") && !s.contains("{%") {
            return Ok(v.clone());
        }
        let fail = |e: JinjaError| Error::project(self.file, crate::output::redact(&format!("could not render `{s}`: {}", e.detail().unwrap_or(&e.to_string()))));
        if let Some(expr) = single_expression(s) {
            let value = self.env.compile_expression(expr).and_then(|e| e.eval(self.ctx.clone())).map_err(fail)?;
            return serde_json::to_value(&value).map_err(|e| Error::project(self.file, format!("could not render `{s}`: {e}")));
        }
        self.env.render_str(s, self.ctx.clone()).map(Json::String).map_err(fail)
    }

    /// Every string of a YAML tree; `skip(path)` leaves a subtree as written (dbt renders `vars:`
    /// and hooks later, in the node's context).
    pub fn render_tree(&self, v: &Json, path: &mut Vec<String>, skip: &dyn Fn(&[String]) -> bool) -> Result<Json> {
        if skip(path) {
            return Ok(v.clone());
        }
        Ok(match v {
            Json::Object(map) => {
                let mut out = Map::new();
                for (k, item) in map {
                    path.push(k.clone());
                    let rendered = self.render_tree(item, path, skip);
                    path.pop();
                    out.insert(k.clone(), rendered?);
                }
                Json::Object(out)
            }
            Json::Array(items) => Json::Array(items.iter().map(|i| self.render_tree(i, path, skip)).collect::<Result<_>>()?),
            other => self.render(other)?,
        })
    }
}

/// The expression of a string that is exactly `{{ expr }}` (dbt returns its value, not its text).
fn single_expression(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%")).then_some(inner.trim())
}

fn as_bool(v: Value) -> Result<Value, JinjaError> {
    match v.as_str().map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if s == "true" => Ok(Value::from(true)),
        Some(s) if s == "false" => Ok(Value::from(false)),
        Some(s) => Err(invalid(format!("Could not convert value '{s}' into type 'bool'"))),
        None if v.kind() == minijinja::value::ValueKind::Bool => Ok(v),
        None => Err(invalid(format!("Could not convert value '{v}' into type 'bool'"))),
    }
}

fn as_number(v: Value) -> Result<Value, JinjaError> {
    if v.kind() == minijinja::value::ValueKind::Number {
        return Ok(v);
    }
    let s = v.to_string();
    let t = s.trim();
    t.parse::<i64>().map(Value::from).or_else(|_| t.parse::<f64>().map(Value::from)).map_err(|_| invalid(format!("Could not convert value '{s}' into type 'number'")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(file: &'static str) -> YamlRenderer {
        let vars = json!({"load": true, "n": 3}).as_object().cloned().unwrap_or_default();
        YamlRenderer::new(file, &vars, Some(&json!({"name": "dev", "schema": "main"})), false)
    }

    #[test]
    fn single_expressions_keep_their_type() {
        let r = r("dbt_project.yml");
        assert_eq!(r.render(&json!("{{ var('load', false) }}")).unwrap(), json!(true));
        assert_eq!(r.render(&json!("{{ var('missing', false) }}")).unwrap(), json!(false));
        assert_eq!(r.render(&json!("{{ var('n') + 1 }}")).unwrap(), json!(4));
        assert_eq!(r.render(&json!("{{- target.name == 'prod' -}}")).unwrap(), json!(false));
        assert_eq!(r.render(&json!("x_{{ target.name }}")).unwrap(), json!("x_dev"));
        assert_eq!(r.render(&json!("{{ env_var('TRANSFORM_TEST_UNSET_VAR', '7') | as_number }}")).unwrap(), json!(7));
        assert_eq!(r.render(&json!("plain")).unwrap(), json!("plain"));
    }

    #[test]
    fn errors_name_the_file_and_value() {
        let e = r("dbt_project.yml").render(&json!("{{ var('nope') }}")).unwrap_err().to_string();
        assert!(e.starts_with("dbt_project.yml: could not render `{{ var('nope') }}`") && e.contains("Required var 'nope'"), "{e}");
        let e = r("dbt_project.yml").render(&json!("{{ env_var('DBT_ENV_SECRET_X') }}")).unwrap_err().to_string();
        assert!(e.contains("may only be used in profiles.yml"), "{e}");
    }

    #[test]
    fn skipped_subtrees_stay_as_written() {
        let doc = json!({"name": "{{ 'p' ~ 1 }}", "vars": {"a": "{{ target.name }}"}, "models": {"+enabled": "{{ var('load') }}"}});
        let skip = |p: &[String]| p.first().is_some_and(|k| k == "vars");
        let out = r("dbt_project.yml").render_tree(&doc, &mut vec![], &skip).unwrap();
        assert_eq!(out, json!({"name": "p1", "vars": {"a": "{{ target.name }}"}, "models": {"+enabled": true}}));
    }
}
