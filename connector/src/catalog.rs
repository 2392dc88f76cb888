//! The catalog both ways: `discover` builds it from the stream registry and the embedded schemas; `read`
//! parses the configured catalog the platform sends. A configured stream the connector does not know, or a
//! sync mode it does not offer, is reported per stream and skipped; the other streams still run.
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::stream::Stream;

/// The `catalog` payload of the CATALOG message.
pub fn discover(streams: &[Box<dyn Stream>]) -> Result<Value> {
    let entries = streams.iter().map(|s| {
        let spec = s.spec();
        let schema: Value = serde_json::from_str(spec.schema).map_err(|e| Error::Catalog {
            stream: spec.name.to_string(), message: format!("embedded schema is not JSON: {e}") })?;
        let incremental = spec.cursor_field.is_some();
        let mut entry = json!({
            "name": spec.name,
            "json_schema": schema,
            "supported_sync_modes": if incremental { json!(["full_refresh", "incremental"]) } else { json!(["full_refresh"]) },
            "source_defined_cursor": incremental,
            "source_defined_primary_key": spec.primary_key.iter().map(|k| vec![*k]).collect::<Vec<_>>(),
            "is_resumable": incremental,
        });
        if let Some(cursor) = spec.cursor_field {
            entry["default_cursor_field"] = json!([cursor]);
        }
        Ok(entry)
    }).collect::<Result<Vec<_>>>()?;
    Ok(json!({ "streams": entries }))
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    streams: Vec<RawConfiguredStream>,
}

#[derive(Debug, Deserialize)]
struct RawConfiguredStream {
    stream: RawStream,
    #[serde(default)]
    sync_mode: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawStream {
    name: String,
}

/// One stream the platform asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    pub name: String,
    /// True when the platform asked for `incremental` and the stream supports it.
    pub incremental: bool,
}

/// Parses a configured catalog: the streams to read, and a per-stream error for each unusable entry.
pub fn parse_configured(
    path: &str,
    text: &str,
    streams: &[Box<dyn Stream>],
) -> Result<(Vec<Selected>, Vec<Error>)> {
    let raw: RawCatalog = serde_json::from_str(text).map_err(|e| Error::Input {
        what: "catalog",
        path: path.to_string(),
        message: format!("not a configured catalog: {e}"),
    })?;
    let mut selected = Vec::new();
    let mut errors = Vec::new();
    for entry in raw.streams {
        let name = entry.stream.name;
        let Some(stream) = streams.iter().find(|s| s.spec().name == name) else {
            errors.push(Error::Catalog {
                stream: name,
                message: "is not a stream of this connector (run discover)".into(),
            });
            continue;
        };
        let incremental = match entry.sync_mode.as_ref().and_then(Value::as_str) {
            Some("incremental") => stream.spec().cursor_field.is_some(),
            Some("full_refresh") | None => false,
            Some(other) => {
                errors.push(Error::Catalog {
                    stream: name,
                    message: format!("sync_mode {other:?} is not full_refresh or incremental"),
                });
                continue;
            }
        };
        if selected.iter().any(|s: &Selected| s.name == name) {
            errors.push(Error::Catalog {
                stream: name,
                message: "is listed twice in the catalog".into(),
            });
            continue;
        }
        selected.push(Selected { name, incremental });
    }
    Ok((selected, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn all() -> Vec<Box<dyn Stream>> {
        Config::from_json("{}").unwrap().streams()
    }

    #[test]
    fn configured_catalog_tolerates_and_reports() {
        let all = all();
        let text = r#"{"streams":[
            {"stream":{"name":"coingecko_ohlc","json_schema":{}},"sync_mode":"incremental","destination_sync_mode":"append","x":1},
            {"stream":{"name":"coingecko_tickers"},"sync_mode":"incremental"},
            {"stream":{"name":"nope"},"sync_mode":"full_refresh"},
            {"stream":{"name":"blockchain_stats"},"sync_mode":"sideways"}]}"#;
        let (selected, errors) = parse_configured("c.json", text, &all).unwrap();
        assert_eq!(
            selected,
            vec![
                Selected {
                    name: "coingecko_ohlc".into(),
                    incremental: true
                },
                Selected {
                    name: "coingecko_tickers".into(),
                    incremental: false
                }
            ]
        );
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0].to_string().contains("nope") && errors[1].to_string().contains("sideways")
        );
        assert!(parse_configured("c.json", "{\"streams\": 3}", &all).is_err());
    }

    #[test]
    fn discover_is_truthful_about_cursors_and_keys() {
        let catalog = discover(&all()).unwrap();
        for s in catalog["streams"].as_array().unwrap() {
            let props = &s["json_schema"]["properties"];
            for key in s["source_defined_primary_key"].as_array().unwrap() {
                let field = &props[key[0].as_str().unwrap()];
                assert!(
                    field.is_object(),
                    "{}: primary key {key} not declared",
                    s["name"]
                );
                assert!(
                    !field["type"].to_string().contains("object")
                        && !field["type"].to_string().contains("array")
                );
            }
            if let Some(cursor) = s["default_cursor_field"].as_array() {
                assert!(
                    props[cursor[0].as_str().unwrap()].is_object(),
                    "{}: cursor not declared",
                    s["name"]
                );
            }
        }
    }
}
