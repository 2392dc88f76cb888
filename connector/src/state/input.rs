//! The `--state` file in every shape the platform sends, read into one state object per stream name.
//!
//! Accepted shapes: a list of STREAM messages, a list of GLOBAL/LEGACY messages, a bare LEGACY object
//! (`{"stream_name": {...}}`), `[]`, `null` and an empty file. Unknown keys are ignored. Anything else is
//! rejected with an error naming the file and the element at fault.
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::record::kind;

/// Stream name → that stream's state object, as found in the input.
pub type InputState = HashMap<String, Map<String, Value>>;

/// Parses the text of a `--state` file.
pub fn parse_input(path: &str, text: &str) -> Result<InputState> {
    let bad = |message: String| Error::Input {
        what: "state",
        path: path.to_string(),
        message,
    };
    if text.trim().is_empty() {
        return Ok(InputState::new());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let mut out = InputState::new();
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                add_message(&mut out, item).map_err(|m| bad(format!("element {i}: {m}")))?;
            }
        }
        Value::Object(obj) if obj.contains_key("type") => {
            add_message(&mut out, Value::Object(obj)).map_err(bad)?
        }
        Value::Object(obj) => add_legacy(&mut out, obj),
        other => {
            return Err(bad(format!(
                "expected a list of state messages or an object, got {}",
                kind(&other)
            )))
        }
    }
    Ok(out)
}

fn add_message(out: &mut InputState, item: Value) -> Result<(), String> {
    let Value::Object(mut msg) = item else {
        return if item.is_null() {
            Ok(())
        } else {
            Err(format!("expected an object, got {}", kind(&item)))
        };
    };
    let kind_name = msg.get("type").and_then(Value::as_str).map(str::to_string);
    match kind_name.as_deref() {
        Some("STREAM") | None if msg.contains_key("stream") => {
            add_stream(out, msg.remove("stream"))
        }
        Some("GLOBAL") => {
            let global = msg.remove("global").unwrap_or(Value::Null);
            let states = global
                .get("stream_states")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            states
                .into_iter()
                .try_for_each(|s| add_stream(out, Some(s)))
        }
        Some("LEGACY") | None if msg.contains_key("data") => {
            match msg.remove("data") {
                Some(Value::Object(data)) => add_legacy(out, data),
                Some(Value::Null) | None => {}
                Some(other) => {
                    return Err(format!(
                        "LEGACY data must be an object, got {}",
                        kind(&other)
                    ))
                }
            }
            Ok(())
        }
        Some("STREAM") => Ok(()),
        Some(other) => Err(format!(
            "unknown state type {other:?} (expected STREAM, GLOBAL or LEGACY)"
        )),
        None => Err("a state message needs a `type`".to_string()),
    }
}

fn add_stream(out: &mut InputState, stream: Option<Value>) -> Result<(), String> {
    let Some(stream) = stream.filter(|s| !s.is_null()) else {
        return Ok(());
    };
    let name = stream
        .pointer("/stream_descriptor/name")
        .and_then(Value::as_str)
        .ok_or("a STREAM state needs stream.stream_descriptor.name")?;
    match stream.get("stream_state") {
        Some(Value::Object(state)) => {
            out.insert(name.to_string(), state.clone());
            Ok(())
        }
        None | Some(Value::Null) => Ok(()),
        Some(other) => Err(format!(
            "stream_state of {name:?} must be an object, got {}",
            kind(other)
        )),
    }
}

/// A legacy blob: keys are stream names, values their state objects; other values are ignored.
fn add_legacy(out: &mut InputState, data: Map<String, Value>) {
    for (name, value) in data {
        if let Value::Object(state) = value {
            out.insert(name, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<InputState> {
        parse_input("state.json", text)
    }

    #[test]
    fn stream_list_is_used() {
        let s = parse(r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a","namespace":null},
            "stream_state":{"timestamp":"2024-01-01T00:00:00Z"}},"sourceStats":{"recordCount":1.0},"extra":1}]"#).unwrap();
        assert_eq!(s["a"]["timestamp"], "2024-01-01T00:00:00Z");
    }

    #[test]
    fn legacy_shapes_are_used() {
        let s = parse(r#"{"a": {"timestamp": "2024-01-01"}, "junk": 3}"#).unwrap();
        assert!(s.contains_key("a") && !s.contains_key("junk"));
        let s = parse(r#"[{"type":"LEGACY","data":{"b":{"height":5}}}]"#).unwrap();
        assert_eq!(s["b"]["height"], 5);
        let s = parse(r#"{"type":"GLOBAL","global":{"stream_states":[{"stream_descriptor":{"name":"c"},"stream_state":{}}]}}"#).unwrap();
        assert!(s.contains_key("c"));
    }

    #[test]
    fn empty_shapes_are_empty() {
        for text in [
            "",
            "  ",
            "null",
            "[]",
            "[null]",
            "{}",
            r#"[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":null}}]"#,
        ] {
            assert!(parse(text).unwrap().is_empty(), "{text}");
        }
    }

    #[test]
    fn garbage_is_rejected_with_the_culprit() {
        let err = parse("[{\"type\":\"STREAM\"").unwrap_err().to_string();
        assert!(
            err.contains("state.json") && err.contains("not JSON"),
            "{err}"
        );
        let err = parse(r#"[1]"#).unwrap_err().to_string();
        assert!(err.contains("element 0"), "{err}");
        let err = parse(r#"[{"type":"WHAT"}]"#).unwrap_err().to_string();
        assert!(err.contains("WHAT"), "{err}");
        assert!(parse("\"text\"").is_err());
    }
}
