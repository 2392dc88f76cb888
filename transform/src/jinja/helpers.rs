//! dbt's base-context functions that need no node: `tojson`, `fromjson`, `toyaml`, `fromyaml`, `zip`,
//! `set`, `local_md5`, `print`, `diff_of_two_dicts`. JSON is written as Python's `json.dumps` writes it.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};
use serde_json::Value as Json;

use super::mutable::List;
use crate::packages::pyjson;

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn to_json(v: &Value) -> Result<Json, Error> {
    serde_json::to_value(v).map_err(|e| invalid(format!("cannot serialize {v}: {e}")))
}

/// `tojson(value, sort_keys=False)`.
fn tojson(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let sort: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    let j = to_json(&value)?;
    Ok(Value::from(if sort.unwrap_or(false) { pyjson::dumps_sorted(&j) } else { pyjson::dumps(&j) }))
}

/// `fromjson(string, default=None)`.
fn fromjson(text: String, default: Option<Value>) -> Result<Value, Error> {
    match serde_json::from_str::<Json>(&text) {
        Ok(j) => Ok(super::mutable::from_json(&j)),
        Err(_) if default.is_some() => Ok(default.unwrap_or_default()),
        Err(e) => Err(invalid(format!("fromjson: {e}"))),
    }
}

/// `toyaml(value, default=None, sort_keys=False)`.
fn toyaml(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let _default: Option<Value> = kwargs.get("default")?;
    let _sort: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    serde_yaml::to_string(&to_json(&value)?).map(Value::from).map_err(|e| invalid(format!("toyaml: {e}")))
}

/// `fromyaml(string, default=None)`.
fn fromyaml(text: String, default: Option<Value>) -> Result<Value, Error> {
    match serde_yaml::from_str::<Json>(&text) {
        Ok(j) => Ok(super::mutable::from_json(&j)),
        Err(_) if default.is_some() => Ok(default.unwrap_or_default()),
        Err(e) => Err(invalid(format!("fromyaml: {e}"))),
    }
}

/// `zip(a, b, ...)`: a list of tuples, as long as the shortest input.
fn zip(args: &[Value]) -> Result<Value, Error> {
    let lists: Vec<Vec<Value>> = args.iter().map(|a| a.try_iter().map(|i| i.collect())).collect::<Result<_, _>>()?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(List::value((0..n).map(|i| Value::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>())).collect()))
}

/// `set(iterable)`: the distinct items, first occurrence first.
fn set(items: Value) -> Result<Value, Error> {
    let mut out: Vec<Value> = vec![];
    for i in items.try_iter()? {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(List::value(out))
}

fn local_md5(text: String) -> String {
    format!("{:x}", <md5::Md5 as md5::Digest>::digest(text.as_bytes()))
}

fn print_fn(msg: Value) -> Value {
    println!("{msg}");
    Value::from("")
}

/// `diff_of_two_dicts(a, b)`: the keys of `a` with values missing from `b`'s.
fn diff_of_two_dicts(a: Value, b: Value) -> Result<Value, Error> {
    let out = super::mutable::map(a.try_iter()?.filter_map(|k| {
        let va = a.get_item(&k).ok()?;
        let vb = b.get_item(&k).unwrap_or_default();
        let missing: Vec<Value> = va.try_iter().ok()?.filter(|x| !vb.try_iter().map(|mut i| i.any(|y| y == *x)).unwrap_or(false)).collect();
        (!missing.is_empty()).then(|| (k, Value::from(missing)))
    }));
    Ok(out)
}

pub fn register(env: &mut Environment<'_>) {
    env.add_function("tojson", tojson);
    env.add_function("fromjson", fromjson);
    env.add_function("toyaml", toyaml);
    env.add_function("fromyaml", fromyaml);
    env.add_function("zip", zip);
    env.add_function("zip_strict", zip);
    env.add_function("set", set);
    env.add_function("set_strict", set);
    env.add_function("local_md5", local_md5);
    env.add_function("print", print_fn);
    env.add_function("diff_of_two_dicts", diff_of_two_dicts);
}

#[cfg(test)]
mod tests {
    use crate::jinja::test_render as render;

    #[test]
    fn json_yaml_zip_set_and_md5_are_pythons() {
        assert_eq!(render("{{ tojson({'b': 1, 'a': [True, none]}) }} {{ tojson({'b': 1, 'a': 2}, sort_keys=True) }}"), r#"{"b": 1, "a": [true, null]} {"a": 2, "b": 1}"#);
        assert_eq!(render("{{ fromjson('{\"x\": [1, 2]}')['x'][1] }} {{ fromjson('nope', 0) }} {{ fromyaml('a: [1, 2]')['a'] | length }} {{ toyaml({'a': 1}) }}"), "2 0 2 a: 1\n");
        assert_eq!(render("{% for a, b in zip([1, 2, 3], ['x', 'y']) %}{{ a }}{{ b }}{% endfor %} {{ set([1, 2, 1]) | length }} {{ local_md5('abc') }}"), "1x2y 2 900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(render("{% set j = fromjson('{\"l\": []}') %}{% do j['l'].append(1) %}{{ j['l'] }}"), "[1]");
    }
}
