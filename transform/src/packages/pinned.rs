//! A package pinned to one version (a hub version, a git revision, a local path, a tarball URL):
//! how dbt names it in its messages, and its package-lock.yml entry.

use serde_json::{json, Value as Json};

/// A package pinned to one version.
#[derive(Debug, Clone, PartialEq)]
pub enum Pinned {
    Local { path: String },
    /// `revision` is what was asked for until the checkout replaces it with the commit.
    Git { url: String, written: String, subdirectory: Option<String>, revision: String, warn_unpinned: bool },
    Hub { package: String, version: String, latest: String },
    Tarball { url: String, written: String, name: String },
}

impl Pinned {
    /// The name dbt prints in `Installing …`.
    pub fn display_name(&self) -> String {
        match self {
            Pinned::Local { path } => path.clone(),
            Pinned::Git { url, subdirectory: Some(s), .. } => format!("{}/{s}", super::git::display_url(url)),
            Pinned::Git { url, .. } => super::git::display_url(url),
            Pinned::Hub { package, .. } => package.clone(),
            Pinned::Tarball { name, .. } => name.clone(),
        }
    }

    /// dbt's `Installed from …` wording.
    pub fn version_text(&self) -> String {
        match self {
            Pinned::Local { path } => format!("<local @ {path}>"),
            Pinned::Git { revision, .. } if revision == "HEAD" => "HEAD (default revision)".into(),
            Pinned::Git { revision, .. } => format!("revision {revision}"),
            Pinned::Hub { version, .. } => format!("version {version}"),
            Pinned::Tarball { url, .. } => format!("tarball (url: {url})"),
        }
    }

    /// The lock entry (dbt's `to_dict()`), before `name` is added.
    pub fn lock_entry(&self) -> serde_json::Map<String, Json> {
        let v = match self {
            Pinned::Local { path } => json!({"local": path}),
            Pinned::Git { written, revision, subdirectory, .. } => {
                let mut v = json!({"git": written, "revision": revision});
                if let Some(s) = subdirectory {
                    v["subdirectory"] = json!(s);
                }
                v
            }
            Pinned::Hub { package, version, .. } => json!({"package": package, "version": version}),
            Pinned::Tarball { written, name, .. } => json!({"tarball": written, "name": name}),
        };
        v.as_object().cloned().unwrap_or_default()
    }
}

