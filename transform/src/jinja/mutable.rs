//! Python's mutable `list` and `dict` for templates: dbt code builds lists with `{% do x.append(y) %}`
//! and dicts with `{% do d.update({k: v}) %}`, which minijinja's immutable values cannot do. List and
//! dict literals are rewritten to build these (`literals.rs`); everything else sees a normal sequence
//! or map.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::value::{from_args, Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A Python list.
#[derive(Default)]
pub struct List(Mutex<Vec<Value>>);

impl List {
    pub fn value(items: Vec<Value>) -> Value {
        Value::from_object(List(Mutex::new(items)))
    }
    fn items(&self) -> Vec<Value> {
        lock(&self.0).clone()
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(lock(&self.0).iter()).finish()
    }
}

/// Python's index rules: negative counts from the end.
fn position(len: usize, index: i64) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = lock(&self.0);
        let i = position(items.len(), key.as_i64()?)?;
        items.get(i).cloned()
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.items())
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(lock(&self.0).len())
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let mut items = lock(&self.0);
        match method {
            "append" => {
                let (v,): (Value,) = from_args(args)?;
                items.push(v);
                Ok(Value::from(()))
            }
            "extend" => {
                let (v,): (Value,) = from_args(args)?;
                items.extend(v.try_iter()?);
                Ok(Value::from(()))
            }
            "insert" => {
                let (at, v): (i64, Value) = from_args(args)?;
                let len = items.len() as i64;
                let at = if at < 0 { (len + at).max(0) } else { at.min(len) };
                items.insert(at as usize, v);
                Ok(Value::from(()))
            }
            "pop" => {
                let (at,): (Option<i64>,) = from_args(args)?;
                let len = items.len();
                let i = position(len, at.unwrap_or(-1)).ok_or_else(|| invalid("pop from empty list or index out of range"))?;
                Ok(items.remove(i))
            }
            "remove" => {
                let (v,): (Value,) = from_args(args)?;
                let i = items.iter().position(|x| *x == v).ok_or_else(|| invalid(format!("list.remove(x): {v} not in list")))?;
                items.remove(i);
                Ok(Value::from(()))
            }
            "index" => {
                let (v,): (Value,) = from_args(args)?;
                let i = items.iter().position(|x| *x == v).ok_or_else(|| invalid(format!("{v} is not in list")))?;
                Ok(Value::from(i))
            }
            "count" => {
                let (v,): (Value,) = from_args(args)?;
                Ok(Value::from(items.iter().filter(|x| **x == v).count()))
            }
            "reverse" => {
                items.reverse();
                Ok(Value::from(()))
            }
            "sort" => {
                items.sort();
                Ok(Value::from(()))
            }
            "clear" => {
                items.clear();
                Ok(Value::from(()))
            }
            "copy" => Ok(List::value(items.clone())),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// A Python dict (insertion-ordered).
#[derive(Default)]
pub struct Dict(Mutex<IndexMap<Value, Value>>);

impl Dict {
    pub fn value(entries: IndexMap<Value, Value>) -> Value {
        Value::from_object(Dict(Mutex::new(entries)))
    }
    /// A mutable copy of any map value (`{...}` literals, `dict(...)`).
    pub fn from_map(v: &Value) -> Result<Value, Error> {
        let mut entries = IndexMap::new();
        for k in v.try_iter()? {
            let item = v.get_item(&k)?;
            entries.insert(k, item);
        }
        Ok(Dict::value(entries))
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(lock(&self.0).iter()).finish()
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        lock(&self.0).get(key).cloned()
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).keys().cloned().collect())
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(lock(&self.0).len())
    }
    fn call_method(self: &Arc<Self>, _state: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let mut map = lock(&self.0);
        match method {
            "update" => {
                let (rest, kwargs): (&[Value], minijinja::value::Kwargs) = from_args(args)?;
                if let Some(other) = rest.first() {
                    for k in other.try_iter()? {
                        let v = other.get_item(&k)?;
                        map.insert(k, v);
                    }
                }
                for k in kwargs.args() {
                    map.insert(Value::from(k), kwargs.get::<Value>(k)?);
                }
                Ok(Value::from(()))
            }
            "get" => {
                let (k, default): (Value, Option<Value>) = from_args(args)?;
                Ok(map.get(&k).cloned().unwrap_or_else(|| default.unwrap_or(Value::from(()))))
            }
            "setdefault" => {
                let (k, default): (Value, Option<Value>) = from_args(args)?;
                Ok(map.entry(k).or_insert_with(|| default.unwrap_or(Value::from(()))).clone())
            }
            "pop" => {
                let (k, default): (Value, Option<Value>) = from_args(args)?;
                match (map.shift_remove(&k), default) {
                    (Some(v), _) => Ok(v),
                    (None, Some(d)) => Ok(d),
                    (None, None) => Err(invalid(format!("KeyError: {k}"))),
                }
            }
            "keys" => Ok(Value::from(map.keys().cloned().collect::<Vec<_>>())),
            "values" => Ok(Value::from(map.values().cloned().collect::<Vec<_>>())),
            "items" => Ok(Value::from(map.iter().map(|(k, v)| Value::from(vec![k.clone(), v.clone()])).collect::<Vec<_>>())),
            "copy" => Ok(Dict::value(map.clone())),
            "clear" => {
                map.clear();
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `__list(seq)`: what a rewritten `[...]` literal calls.
pub fn list_fn(items: Value) -> Result<Value, Error> {
    Ok(List::value(items.try_iter()?.collect()))
}

/// `__dict(map)`: what a rewritten `{...}` literal calls.
pub fn dict_fn(map: Value) -> Result<Value, Error> {
    Dict::from_map(&map)
}

/// The `list` filter and `dict()` global, returning mutable values as Python does.
pub fn list_filter(v: Value) -> Result<Value, Error> {
    if let Some(s) = v.as_str() {
        return Ok(List::value(s.chars().map(|c| Value::from(c.to_string())).collect()));
    }
    list_fn(v)
}

pub fn dict_global(base: Option<Value>, kwargs: minijinja::value::Kwargs) -> Result<Value, Error> {
    let mut entries = IndexMap::new();
    if let Some(base) = base {
        for k in base.try_iter()? {
            let v = base.get_item(&k)?;
            entries.insert(k, v);
        }
    }
    for k in kwargs.args() {
        entries.insert(Value::from(k), kwargs.get::<Value>(k)?);
    }
    Ok(Dict::value(entries))
}

/// A JSON value as template values, with mutable lists and dicts (`fromjson`, `fromyaml`).
pub fn from_json(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Array(items) => List::value(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Dict::value(map.iter().map(|(k, v)| (Value::from(k.clone()), from_json(v))).collect()),
        other => Value::from(minijinja::value::Serde(other)),
    }
}

/// A dict from `(key, value)` pairs (what dbt hands templates as dicts: `load_result`, metadata).
pub fn map<K: Into<Value>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
    Dict::value(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

#[cfg(test)]
mod tests {
    use crate::jinja::test_render as render;

    #[test]
    fn dbt_list_and_dict_idioms_work() {
        assert_eq!(render("{% set x = [] %}{% do x.append(1) %}{% do x.append('a') %}{{ x | join(',') }} {{ x | length }} {{ x[0] }} {{ x[-1] }}"), "1,a 2 1 a");
        assert_eq!(render("{% set d = {} %}{% do d.update({'a': []}) %}{% do d['a'].append(3) %}{{ d['a'][0] }} {{ 'a' in d }} {{ d.keys() | list | join }}"), "3 True a");
        assert_eq!(render("{% set c = {} %}{% for k, v in {'x': 1, 'y': 2}.items() %}{% do c.update({k: v * 2}) %}{% endfor %}{{ c | tojson }}"), r#"{"x": 2, "y": 4}"#);
        assert_eq!(render("{% macro f(l=[]) %}{% do l.append(1) %}{{ l | length }}{% endmacro %}{{ f() }}{{ f() }}"), "11");
        assert_eq!(render("{% set x = [3,1,2] %}{% do x.sort() %}{{ x }} {{ x.pop() }} {{ x }} {{ x == [1, 2] }}"), "[1, 2, 3] 3 [1, 2] True");
        assert_eq!(render("{% set l = 'ab' | list %}{% do l.append('c') %}{{ l | join }}{{ [1] + [2] }}"), "abc[1, 2]");
        assert_eq!(render("{% set n = dict(a=1) %}{% do n.update(b=2) %}{{ n.get('b') }}{{ n.get('z', 'no') }}{{ n | length }}{% for k in n %}{{ k }}{% endfor %}"), "2no2ab");
        assert_eq!(render("{{ [1, 2][1:] }} {{ 2 in [1, 2] }} {{ [] is sequence }} {{ {} is mapping }} {{ [1,2] | map('string') | join('-') }}"), "[2] True True True 1-2");
        assert!(render("{% set x = [] %}{{ x.pop() }}").contains("pop from empty list"));
    }
}
