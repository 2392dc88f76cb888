//! Reading the config one section at a time. A section is a serde type with `///` docs and `#[schemars]`
//! titles and bounds, defined where it is used (each provider's in its folder, `http` in `http/policy.rs`).
//! Parsing names the field path of a type error (serde_path_to_error), rejects the values outside the
//! bounds the section's schema advertises (the schema `spec` prints: the two cannot drift), and keeps
//! every `airbyte_secret` value for redaction. Also the checks that several sections share.
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::record::kind;

mod schema;
pub mod site;

pub use schema::{numbered, properties, Properties};
pub use site::Site;

/// The config document while its sections are read; `{}` and `null` are the empty config.
pub struct Document {
    root: Value,
    secrets: Vec<String>,
}

impl Document {
    pub fn parse(text: &str) -> Result<Document> {
        let root = match serde_json::from_str(text) {
            Ok(Value::Null) => Value::Object(Map::new()),
            Ok(mut root @ Value::Object(_)) => {
                drop_nulls(&mut root);
                root
            }
            Ok(other) => {
                return Err(Error::config(
                    "(root)",
                    format!("expected a JSON object, got {}", kind(&other)),
                ))
            }
            Err(e) => return Err(Error::config("(root)", e)),
        };
        Ok(Document {
            root,
            secrets: Vec::new(),
        })
    }

    /// A section whose fields sit at the top level of the config; unknown fields are other sections'.
    pub fn section<T: DeserializeOwned + Serialize + JsonSchema>(&mut self) -> Result<T> {
        let section: T = serde_path_to_error::deserialize(&self.root).map_err(|e| {
            let field = e.path().to_string();
            Error::config(
                if field == "." { "(root)".into() } else { field },
                e.inner(),
            )
        })?;
        let shown = serde_json::to_value(&section).map_err(|e| Error::config("(root)", e))?;
        let schema = schema::of::<T>();
        self.check("", &shown, &schema)?;
        Ok(section)
    }

    /// The value at `path` (`["rate_limits", "github"]`), if present and not null.
    pub fn get(&self, path: &[&str]) -> Result<Option<&Value>> {
        let mut at = &self.root;
        for (i, key) in path.iter().enumerate() {
            at = match at {
                Value::Object(map) => match map.get(*key) {
                    None | Some(Value::Null) => return Ok(None),
                    Some(v) => v,
                },
                other => {
                    return Err(Error::config(
                        path[..i].join("."),
                        format!("expected an object, got {}", kind(other)),
                    ))
                }
            };
        }
        Ok(Some(at))
    }

    /// Every secret the sections read (trimmed, non-empty), for redaction.
    pub fn into_secrets(self) -> Vec<String> {
        self.secrets
    }

    /// Walks a section's values beside its schema: bounds, secrets, nested sections.
    fn check(&mut self, prefix: &str, value: &Value, schema: &Value) -> Result<()> {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return Ok(());
        };
        for (name, prop) in props {
            let field = format!("{prefix}{name}");
            let v = value.get(name).unwrap_or(&Value::Null);
            if prop.get("properties").is_some() {
                self.check(&format!("{field}."), v, prop)?;
            } else if prop.get("airbyte_secret") == Some(&Value::Bool(true)) {
                self.secrets.extend(
                    v.as_str()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            } else if let Some(n) = v.as_f64() {
                let bound = |key| prop.get(key).and_then(Value::as_f64);
                within(&field, n, bound("minimum"), bound("maximum"))?;
            }
        }
        Ok(())
    }
}

/// A field set to `null` is a field not set: it takes its default, as every field is optional.
fn drop_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(drop_nulls);
    }
}

/// A number within the bounds its schema gives; the bounds keep every derived `Duration` representable.
pub fn within(field: &str, v: f64, min: Option<f64>, max: Option<f64>) -> Result<()> {
    let (lo, hi) = (min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX));
    if v.is_finite() && v >= lo && v <= hi {
        return Ok(());
    }
    let show = |b: Option<f64>| b.map(|b| b.to_string()).unwrap_or_default();
    Err(Error::config(
        field,
        format!("{v} is outside {}..={}", show(min), show(max)),
    ))
}

/// A key or token from config field `field`: trimmed, empty means not set. It travels in an HTTP header, so
/// it must be visible ASCII: a line break, another control character, a space or a non-ASCII character in it
/// is refused, by position (the key itself is never echoed).
pub fn secret(field: &str, value: Option<String>) -> Result<Option<String>> {
    let Some(key) = value
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
    else {
        return Ok(None);
    };
    if let Some((i, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = match c {
            '\r' | '\n' => "a line break",
            c if c.is_control() => "a control character",
            c if c.is_whitespace() => "a space",
            _ => "a non-ASCII character",
        };
        return Err(Error::config(
            field,
            format!(
                "contains {what} (character {} of the key), which cannot be sent in an HTTP header; paste the key alone",
                i + 1
            ),
        ));
    }
    Ok(Some(key))
}

/// A plain, non-empty identifier that is safe in a URL path (a coin id, a currency).
pub fn identifier(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.contains(['/', '?', '#', '&']) {
        return Err(Error::config(
            field,
            format!("{v:?} must be a plain, non-empty identifier"),
        ));
    }
    Ok(v.to_string())
}

/// Names made of letters, digits, `-`, `_` and `.` (subreddits), or two of them around a `/` (repositories).
pub fn names(field: &str, names: &[String], owner_name: bool) -> Result<()> {
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    for name in names {
        let ok = if owner_name {
            name.split_once('/')
                .is_some_and(|(o, r)| plain(o) && plain(r))
        } else {
            plain(name)
        };
        if !ok {
            let want = if owner_name {
                "an owner/name like \"bitcoin/bitcoin\""
            } else {
                "a subreddit name like \"Bitcoin\""
            };
            return Err(Error::config(field, format!("{name:?} is not {want}")));
        }
    }
    Ok(())
}

/// Reads one optional value with serde, naming `field` on a type error.
pub fn value<T: for<'de> Deserialize<'de>>(field: &str, v: Option<&Value>) -> Result<Option<T>> {
    v.map(|v| T::deserialize(v).map_err(|e| Error::config(field, e)))
        .transpose()
}
