//! dbt's identifiers of generic data tests, so a name copied from dbt's docs or logs selects the same test:
//! the full name (`synthesize_generic_test_names`: `<test>_<target>_<flattened args>`), the short alias past
//! 63 characters (`<first 30 chars of test_target>_<md5 of the full name>`), and the unique_id suffix (the last
//! 10 hex digits of the md5 of the name and a Python `repr` of the test's metadata, as dbt hashes it).

use md5::{Digest, Md5};
use serde_json::{Map, Value as Json};

fn md5_hex(text: &str) -> String {
    super::digest::hex(&Md5::digest(text.as_bytes()))
}

/// Python's `str()` of a YAML scalar as dbt sees it (`True`, `None`, `1`, `1.5`, the string itself).
fn py_str(v: &Json) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a str: single quotes unless the text holds `'` and no `"`, with Python's escapes.
pub fn py_repr_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_repr_str(&mut out, s);
    out
}

/// `py_repr_str`, appended to `out`.
fn push_repr_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `repr()` of a YAML value (`True`, `None`, `['a', 'b']`, `{'k': 1}`).
pub fn py_value_repr(v: &Json) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(b) => if *b { "True" } else { "False" }.into(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => py_repr_str(s),
        Json::Array(a) => format!("[{}]", a.iter().map(py_value_repr).collect::<Vec<_>>().join(", ")),
        Json::Object(o) => format!("{{{}}}", o.iter().map(|(k, v)| format!("{}: {}", py_repr_str(k), py_value_repr(v))).collect::<Vec<_>>().join(", ")),
    }
}

/// Python's `repr()` of dicts, lists and strs (what dbt's `get_hashable_md` leaves: every scalar is a str).
fn py_repr(v: &Json) -> String {
    match v {
        Json::Object(m) => {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr(v))).collect();
            format!("{{{}}}", items.join(", "))
        }
        Json::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Json::String(s) => py_repr_str(s),
        scalar => py_repr_str(&py_str(scalar)),
    }
}

/// `py_repr` of dbt's `get_hashable_md` (dict keys sorted, every scalar its Python `str()`), appended
/// to `out` without building the hashable copy (every generic test's unique id goes through it).
fn push_hashable_repr(out: &mut String, v: &Json) {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_repr_str(out, k);
                out.push_str(": ");
                push_hashable_repr(out, &m[k]);
            }
            out.push('}');
        }
        Json::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_hashable_repr(out, x);
            }
            out.push(']');
        }
        Json::String(s) => push_repr_str(out, s),
        scalar => push_repr_str(out, &py_str(scalar)),
    }
}

/// `re.sub("[^0-9a-zA-Z_]+", "_", s)`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        let keep = c.is_ascii_alphanumeric() || c == '_';
        if keep || !in_run {
            out.push(if keep { c } else { '_' });
        }
        in_run = !keep;
    }
    out
}

/// (short name for the compiled file and alias, full name for the unique_id and fqn). `test_type` is the
/// test's macro name (prefixed `source_` for a source's test, `<namespace>_` for a package's), `target` the
/// model name or `<source>_<table>`, `args` the macro keyword arguments (column_name included, model skipped).
pub fn synthesize(test_type: &str, target: &str, args: &Map<String, Json>) -> (String, String) {
    let mut keys: Vec<&String> = args.keys().filter(|k| k.as_str() != "model").collect();
    keys.sort();
    let parts: Vec<String> = keys
        .into_iter()
        .flat_map(|k| match &args[k] {
            Json::Object(m) => m.values().map(py_str).collect::<Vec<_>>(),
            Json::Array(a) => a.iter().map(py_str).collect(),
            scalar => vec![py_str(scalar)],
        })
        .map(|p| clean(&p))
        .collect();
    let identifier = format!("{test_type}_{target}");
    let full = format!("{identifier}_{}", parts.join("__"));
    if full.len() >= 64 {
        let head: String = identifier.chars().take(30).collect();
        (format!("{head}_{}", md5_hex(&full)), full)
    } else {
        (full.clone(), full)
    }
}

/// The 10-hex-digit suffix of a generic test's unique_id: md5(name + repr(hashable(test_metadata)))[-10:].
pub fn unique_id_hash(name: &str, test_metadata: &Json) -> String {
    let mut text = String::with_capacity(name.len() + 256);
    text.push_str(name);
    push_hashable_repr(&mut text, test_metadata);
    let digest = md5_hex(&text);
    digest[digest.len() - 10..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected values are dbt-core 1.10's, read from its manifest for the same YAML.
    #[test]
    fn not_null_on_a_model_column_matches_dbt() {
        let args = json!({"column_name": "order_id", "model": "{{ get_where_subquery(ref('stg_orders')) }}"});
        let (short, full) = synthesize("not_null", "stg_orders", args.as_object().unwrap());
        assert_eq!((short.as_str(), full.as_str()), ("not_null_stg_orders_order_id", "not_null_stg_orders_order_id"));
        let md = json!({"namespace": null, "name": "not_null", "kwargs": args});
        assert_eq!(unique_id_hash(&full, &md), "81cfe2fe64");
    }

    #[test]
    fn long_names_get_dbt_s_truncated_md5_alias() {
        let args = json!({"column_name": "status", "values": ["placed", "shipped", "completed", "returned"],
                          "model": "{{ get_where_subquery(ref('stg_orders')) }}"});
        let (short, full) = synthesize("accepted_values", "stg_orders", args.as_object().unwrap());
        assert_eq!(full, "accepted_values_stg_orders_status__placed__shipped__completed__returned");
        assert_eq!(short, "accepted_values_stg_orders_7c9e0be389dac14a09b2140966f0792f");
        let md = json!({"namespace": null, "name": "accepted_values", "kwargs": args});
        assert_eq!(unique_id_hash(&full, &md), "7511f2d274");
    }

    #[test]
    fn hashable_repr_sorts_keys_and_stringifies_scalars() {
        let mut out = String::new();
        push_hashable_repr(&mut out, &json!({"b": [1, true, {"z": null, "y": 1.5}], "a": "it's"}));
        assert_eq!(out, "{'a': \"it's\", 'b': ['1', 'True', {'y': '1.5', 'z': 'None'}]}");
    }

    #[test]
    fn python_repr_picks_quotes_like_python() {
        assert_eq!(py_repr_str("ref('x')"), "\"ref('x')\"");
        assert_eq!(py_repr_str("a\"b'c"), "'a\"b\\'c'");
        assert_eq!(py_repr(&json!({"b": [1, true], "a": null})), "{'b': ['1', 'True'], 'a': 'None'}");
    }
}
