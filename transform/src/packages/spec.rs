//! What `packages.yml` (or `dependencies.yml`) asks for: one `PackageSpec` per entry, validated as dbt
//! validates it, plus dbt's `sha1_hash` of the list (written to package-lock.yml, so a lock file made by
//! dbt is reused by transform and the other way round).

use serde_json::{json, Map, Value as Json};

use super::pyjson;
use crate::error::{Error, Result};

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Local { path: String },
    Git { url: String, revision: Option<String>, subdirectory: Option<String>, warn_unpinned: bool },
    Hub { package: String, versions: Vec<String>, install_prerelease: bool },
    Tarball { url: String, name: String },
}

/// One entry: its source, the optional `name:`, the rendered entry and the entry as written.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    pub source: Source,
    pub rendered: Map<String, Json>,
    pub unrendered: Json,
}

const LOCAL_KEYS: &[&str] = &["local", "name"];
const GIT_KEYS: &[&str] = &["git", "revision", "warn-unpinned", "subdirectory", "name"];
const HUB_KEYS: &[&str] = &["package", "version", "install_prerelease", "name"];
const TARBALL_KEYS: &[&str] = &["tarball", "name"];

fn text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(pyjson::number(n)),
        _ => None,
    }
}

fn bad(file: &str, index: usize, message: String) -> Error {
    Error::project(file, format!("package {} is malformed: {message} (see https://docs.getdbt.com/docs/package-management)", index + 1))
}

impl PackageSpec {
    /// Validates one rendered entry (`index` counts from 0; `file` names packages.yml or the lock).
    pub fn parse(file: &str, index: usize, rendered: &Json, unrendered: &Json) -> Result<PackageSpec> {
        let map = rendered.as_object().ok_or_else(|| bad(file, index, format!("expected a mapping, got `{rendered}`")))?;
        let (kind, keys) = [("local", LOCAL_KEYS), ("git", GIT_KEYS), ("package", HUB_KEYS), ("tarball", TARBALL_KEYS)]
            .into_iter()
            .find(|(k, _)| map.contains_key(*k))
            .ok_or_else(|| match map.get("private") {
                Some(p) => Error::Deps(format!(
                    "Cannot resolve private package {} because git provider integration is missing. Please use a \"git\" package instead.",
                    text(p).unwrap_or_default()
                )),
                None => bad(file, index, "an entry needs one of `local`, `git`, `package` or `tarball`".into()),
            })?;
        if let Some(extra) = map.keys().find(|k| !keys.contains(&k.as_str())) {
            return Err(bad(file, index, format!("unknown key `{extra}` in a `{kind}` package (allowed: {})", keys.join(", "))));
        }
        let value = map.get(kind).and_then(text).unwrap_or_default();
        if value.is_empty() {
            let what = if kind == "package" { "hub" } else { kind };
            return Err(bad(file, index, format!("A {what} package is missing the value. It is a required property.")));
        }
        let source = match kind {
            "local" => Source::Local { path: value },
            "git" => Source::Git {
                url: value,
                revision: map.get("revision").and_then(text),
                subdirectory: map.get("subdirectory").and_then(text),
                warn_unpinned: map.get("warn-unpinned").and_then(Json::as_bool) != Some(false),
            },
            "tarball" => Source::Tarball {
                url: value,
                name: map.get("name").and_then(text).ok_or_else(|| bad(file, index, "a tarball package needs a `name`".into()))?,
            },
            _ => hub_source(file, index, value, map)?,
        };
        Ok(PackageSpec { source, rendered: map.clone(), unrendered: unrendered.clone() })
    }

    /// The key dbt merges entries by: a hub name, a git URL (+ subdirectory), a local path.
    pub fn key(&self) -> String {
        match &self.source {
            Source::Local { path } => path.clone(),
            Source::Git { url, subdirectory: Some(s), .. } => format!("{url}/{s}"),
            Source::Git { url, .. } => url.clone(),
            Source::Hub { package, .. } => package.clone(),
            Source::Tarball { url, .. } => url.clone(),
        }
    }

    /// The entry as dbt's `to_dict()` gives it (defaults filled, `unrendered` inside): hashed for the lock.
    fn contract(&self) -> Json {
        let get = |k: &str| self.rendered.get(k).cloned().unwrap_or(Json::Null);
        let mut d = match &self.source {
            Source::Local { .. } => json!({"local": get("local")}),
            Source::Tarball { .. } => json!({"tarball": get("tarball"), "name": get("name")}),
            Source::Git { .. } => json!({
                "git": get("git"), "revision": get("revision"), "warn-unpinned": get("warn-unpinned"),
                "subdirectory": get("subdirectory"),
            }),
            Source::Hub { .. } => json!({
                "package": get("package"), "version": get("version"),
                "install_prerelease": self.rendered.get("install_prerelease").cloned().unwrap_or(Json::Bool(false)),
            }),
        };
        if let Some(obj) = d.as_object_mut() {
            obj.insert("unrendered".into(), self.unrendered.clone());
            if let Some(name) = self.rendered.get("name").filter(|n| !n.is_null()) {
                obj.insert("name".into(), name.clone());
            }
        }
        d
    }
}

fn hub_source(file: &str, index: usize, package: String, map: &Map<String, Json>) -> Result<Source> {
    let versions: Vec<String> = match map.get("version") {
        Some(Json::Array(list)) => list.iter().filter_map(text).collect(),
        Some(v) => text(v).into_iter().collect(),
        None => vec![],
    };
    if versions.is_empty() {
        return Err(bad(file, index, format!("{package} is missing the version. When installing from the Hub package index, version is a required property")));
    }
    if !package.contains('/') {
        return Err(bad(
            file,
            index,
            format!("{package} was not found in the package index. Packages on the index require a namespace, e.g dbt-labs/dbt_utils"),
        ));
    }
    Ok(Source::Hub { package, versions, install_prerelease: map.get("install_prerelease").and_then(Json::as_bool).unwrap_or(false) })
}

/// dbt's `sha1_hash`: the sorted JSON (Python's `json.dumps(sort_keys=True)`) of each entry, one a line.
pub fn sha1_hash(specs: &[PackageSpec]) -> String {
    let mut lines: Vec<String> = specs.iter().map(|s| pyjson::dumps_sorted(&s.contract())).collect();
    lines.sort();
    sha1_smol::Sha1::from(lines.join("\n")).digest().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Result<PackageSpec> {
        let v: Json = serde_yaml::from_str(yaml).unwrap();
        PackageSpec::parse("packages.yml", 0, &v, &v)
    }

    #[test]
    fn hashes_like_dbt() {
        // dbt 1.10's sha1_hash for these packages.yml entries (recorded from `dbt deps`).
        let local = spec("local: ../tiny_utils").unwrap();
        assert_eq!(sha1_hash(std::slice::from_ref(&local)), "008a14db20b0ff5fcd05806fe4db9c08d07a02e1");
        let git = spec("{git: 'file:///tmp/ref/gitrepo', revision: v1.0.0}").unwrap();
        assert_eq!(sha1_hash(&[local, git]), "ac8f00f419151abd0260b89fd163735769c211d8");
    }

    #[test]
    fn rejects_what_dbt_rejects() {
        let e = spec("{package: tiny_hub, version: 1.0.0}").unwrap_err().to_string();
        assert!(e.contains("Packages on the index require a namespace"), "{e}");
        let e = spec("{package: acme/tiny_hub}").unwrap_err().to_string();
        assert!(e.contains("acme/tiny_hub is missing the version"), "{e}");
        let e = spec("{local: ../x, bogus: 1}").unwrap_err().to_string();
        assert!(e.contains("unknown key `bogus` in a `local` package"), "{e}");
        let e = spec("{local: ''}").unwrap_err().to_string();
        assert!(e.contains("A local package is missing the value"), "{e}");
        let e = spec("{private: acme/x}").unwrap_err().to_string();
        assert!(e.contains("Cannot resolve private package acme/x"), "{e}");
        let e = spec("{wat: 1}").unwrap_err().to_string();
        assert!(e.contains("needs one of"), "{e}");
    }

    #[test]
    fn hub_versions_may_be_a_list_or_numbers() {
        let s = spec("{package: a/b, version: ['>=1.0.0', '<2.0.0']}").unwrap();
        assert_eq!(s.source, Source::Hub { package: "a/b".into(), versions: vec![">=1.0.0".into(), "<2.0.0".into()], install_prerelease: false });
        assert_eq!(spec("{git: x, revision: 1.0}").unwrap().source, Source::Git {
            url: "x".into(), revision: Some("1.0".into()), subdirectory: None, warn_unpinned: true
        });
    }
}
