//! JSON text exactly as Python's `json.dumps(value, sort_keys=True)` writes it (`", "` and `": "`
//! separators, `\uXXXX` for non-ASCII, Python's float spelling): dbt hashes that text.

use serde_json::{Number, Value as Json};

/// `json.dumps(value, sort_keys=True)`.
pub fn dumps_sorted(value: &Json) -> String {
    let mut out = String::new();
    write(value, true, &mut out);
    out
}

/// `json.dumps(value)`: keys in their order.
pub fn dumps(value: &Json) -> String {
    let mut out = String::new();
    write(value, false, &mut out);
    out
}

fn write(value: &Json, sort: bool, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&number(n)),
        Json::String(s) => string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, sort, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if sort {
                keys.sort();
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(k, out);
                out.push_str(": ");
                write(&map[k], sort, out);
            }
            out.push('}');
        }
    }
}

/// A number as Python prints it: `1`, `1.0`, `0.5`, `1e+16`, `1e-05`.
pub fn number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if !f.is_finite() {
        return if f.is_nan() { "NaN".into() } else if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let exp = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
    if !(-4..16).contains(&exp) {
        // Rust: `1e16`, `1.5e-5`; Python: `1e+16`, `1.5e-05`.
        let s = format!("{f:e}");
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = e.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("+", e));
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_python_writes() {
        // Expected strings are Python 3.11's json.dumps(..., sort_keys=True) output.
        let v = json!({"b": [1, 1.0, 0.5, null, true], "a": "é\n\"x\"", "c": {"z": 1e16, "y": 0.00001}});
        assert_eq!(dumps_sorted(&v), r#"{"a": "\u00e9\n\"x\"", "b": [1, 1.0, 0.5, null, true], "c": {"y": 1e-05, "z": 1e+16}}"#);
        assert_eq!(dumps_sorted(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(dumps_sorted(&json!(123456.789)), "123456.789");
    }
}
