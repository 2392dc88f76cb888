//! dbt's package resolution: entries naming the same package are merged (hub version ranges
//! intersected, git revisions collected), each package is pinned (a hub version, a git commit), its own
//! packages are read and resolved in turn, and two packages with one project name are an error.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::fetch::{Fetcher, Metadata};
pub use super::pinned::Pinned;
use super::semver::{self, Spec};
use super::spec::{PackageSpec, Source};
use crate::error::{Error, Result};

/// What packages.yml asks for one package, merged over every entry naming it.
#[derive(Debug, Clone)]
enum Wanted {
    Local { path: String },
    Git { url: String, written: String, subdirectory: Option<String>, revisions: Vec<String>, warn_unpinned: bool },
    Hub { package: String, versions: Vec<String>, prerelease: bool },
    Tarball { url: String, written: String, name: String },
}

fn kind(w: &Wanted) -> &'static str {
    match w {
        Wanted::Local { .. } => "LocalUnpinnedPackage",
        Wanted::Git { .. } => "GitUnpinnedPackage",
        Wanted::Hub { .. } => "RegistryUnpinnedPackage",
        Wanted::Tarball { .. } => "TarballUnpinnedPackage",
    }
}

fn wanted(spec: &PackageSpec) -> Wanted {
    let written = |key: &str, fallback: &str| spec.unrendered.get(key).and_then(Json::as_str).unwrap_or(fallback).to_string();
    match &spec.source {
        Source::Local { path } => Wanted::Local { path: path.clone() },
        Source::Git { url, revision, subdirectory, warn_unpinned } => Wanted::Git {
            url: url.clone(),
            written: written("git", url),
            subdirectory: subdirectory.clone(),
            revisions: revision.iter().cloned().collect(),
            warn_unpinned: *warn_unpinned,
        },
        Source::Hub { package, versions, install_prerelease } => {
            Wanted::Hub { package: package.clone(), versions: versions.clone(), prerelease: *install_prerelease }
        }
        Source::Tarball { url, name } => Wanted::Tarball { url: url.clone(), written: written("tarball", url), name: name.clone() },
    }
}

/// Every name an entry may be merged under: a git URL matches itself with or without `.git`.
fn names(w: &Wanted) -> Vec<String> {
    match w {
        Wanted::Local { path } => vec![path.clone()],
        Wanted::Hub { package, .. } => vec![package.clone()],
        Wanted::Tarball { url, .. } => vec![url.clone()],
        Wanted::Git { url, subdirectory, .. } => {
            let other = url.strip_suffix(".git").map(String::from).unwrap_or_else(|| format!("{url}.git"));
            let with = |u: &str| subdirectory.as_ref().map(|s| format!("{u}/{s}")).unwrap_or_else(|| u.to_string());
            vec![with(url), with(&other)]
        }
    }
}

/// Packages by merge key, in first-seen order.
#[derive(Default)]
struct Listing(IndexMap<String, Wanted>);

impl Listing {
    fn key(&self, w: &Wanted) -> String {
        let all = names(w);
        all.iter().find(|n| self.0.contains_key(*n)).cloned().unwrap_or_else(|| all[0].clone())
    }

    fn incorporate(&mut self, w: Wanted) -> Result<String> {
        let key = self.key(&w);
        let merged = match (self.0.get(&key), w) {
            (None, w) => w,
            (Some(Wanted::Hub { package, versions, prerelease }), Wanted::Hub { versions: more, .. }) => {
                Wanted::Hub { package: package.clone(), versions: [versions.clone(), more].concat(), prerelease: *prerelease }
            }
            (Some(Wanted::Git { url, written, subdirectory, revisions, warn_unpinned }), Wanted::Git { revisions: more, warn_unpinned: w2, .. }) => {
                Wanted::Git {
                    url: url.clone(),
                    written: written.clone(),
                    subdirectory: subdirectory.clone(),
                    revisions: [revisions.clone(), more].concat(),
                    warn_unpinned: *warn_unpinned && w2,
                }
            }
            (Some(old @ Wanted::Local { .. }), Wanted::Local { .. }) | (Some(old @ Wanted::Tarball { .. }), Wanted::Tarball { .. }) => old.clone(),
            (Some(old), new) => {
                return Err(Error::Deps(format!(
                    "Cannot incorporate {} ({}) in {} ({}): mismatched types",
                    names(&new)[0],
                    kind(&new),
                    names(old)[0],
                    kind(old)
                )))
            }
        };
        self.0.insert(key.clone(), merged);
        Ok(key)
    }
}

/// A resolved package: how it is pinned, its project name and where its files are.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub pinned: Pinned,
    pub meta: Metadata,
}

/// Resolves with one fetcher, so a package is checked out or described once per run.
pub struct Resolver<'f, 'a> {
    pub fetcher: &'f mut Fetcher<'a>,
}

impl Resolver<'_, '_> {
    /// Pins one merged entry: a hub version from the index, a git revision, a local path.
    fn pin(&mut self, w: &Wanted) -> Result<Pinned> {
        Ok(match w {
            Wanted::Local { path } => Pinned::Local { path: path.clone() },
            Wanted::Tarball { url, written, name } => Pinned::Tarball { url: url.clone(), written: written.clone(), name: name.clone() },
            Wanted::Git { url, written, subdirectory, revisions, warn_unpinned } => {
                let mut distinct: Vec<&String> = revisions.iter().collect();
                distinct.sort();
                distinct.dedup();
                if distinct.len() > 1 {
                    let set: Vec<String> = distinct.iter().map(|r| format!("'{r}'")).collect();
                    return Err(Error::Deps(format!(
                        "git dependencies should contain exactly one version. {} contains: {{{}}}",
                        names(w)[0],
                        set.join(", ")
                    )));
                }
                let revision = distinct.first().map(|r| r.to_string()).unwrap_or_else(|| "HEAD".into());
                Pinned::Git { url: url.clone(), written: written.clone(), subdirectory: subdirectory.clone(), revision, warn_unpinned: *warn_unpinned }
            }
            Wanted::Hub { package, versions, prerelease } => self.pin_hub(package, versions, *prerelease)?,
        })
    }

    fn pin_hub(&mut self, package: &str, versions: &[String], prerelease: bool) -> Result<Pinned> {
        let check = self.fetcher.version_check;
        let hub = self.fetcher.hub()?;
        if !hub.index()?.iter().any(|p| p == package) {
            return Err(Error::Deps(format!("Package {package} was not found in the package index")));
        }
        let wanted: Vec<Spec> = versions.iter().map(|v| Spec::parse(v).map_err(|e| Error::Deps(format!("Version error for package {package}: {e}")))).collect::<Result<_>>()?;
        let range = semver::reduce_versions(&wanted).map_err(|e| Error::Deps(format!("Version error for package {package}: {e}")))?;
        let dbt = Spec::parse(super::DBT_VERSION).map_err(Error::Deps)?;
        let compatible: Vec<String> = hub
            .versions(package)?
            .iter()
            .filter(|(_, meta)| !check || dbt_compatible(&dbt, meta))
            .map(|(v, _)| v.clone())
            .collect();
        let with_pre = prerelease || wanted.iter().any(|w| w.prerelease.is_some());
        let installable = semver::installable(&compatible, with_pre);
        let Some(version) = semver::newest_in(&range, &installable) else {
            let listed: Vec<String> = installable.iter().map(|v| format!("'{v}'")).collect();
            let mut msg = format!(
                "Could not find a matching compatible version for package {package}\n  Requested range: {range}\n  Compatible versions: [{}]\n",
                listed.join(", ")
            );
            if check {
                msg.push_str("\n  Not shown: package versions incompatible with installed version of dbt-core\n  To include them, run 'transform deps --no-version-check'");
            }
            return Err(Error::Deps(msg));
        };
        let latest = installable.last().cloned().unwrap_or_else(|| version.clone());
        Ok(Pinned::Hub { package: package.to_string(), version, latest })
    }

    /// Resolves packages.yml with its transitive packages (dbt's `resolve_packages`).
    pub fn resolve(&mut self, specs: &[PackageSpec], root_name: &str) -> Result<Vec<Resolved>> {
        let mut done = Listing::default();
        let mut pending: Vec<Wanted> = specs.iter().map(wanted).collect();
        let mut seen_meta: HashMap<String, ()> = HashMap::new();
        while !pending.is_empty() {
            let mut next = Listing::default();
            for w in pending {
                let key = done.incorporate(w)?;
                let pinned = self.pin(&done.0[&key])?;
                let meta = self.fetcher.metadata(&pinned)?;
                if seen_meta.insert(format!("{key}@{pinned:?}"), ()).is_none() {
                    for dep in &meta.packages {
                        next.incorporate(wanted(dep))?;
                    }
                }
            }
            pending = next.0.into_values().collect();
        }
        let wanted: Vec<Wanted> = done.0.into_values().collect();
        self.pin_all(&wanted, root_name)
    }

    /// Resolves the flat list of a package-lock.yml (no transitive reading: the lock has them all).
    pub fn resolve_lock(&mut self, specs: &[PackageSpec], root_name: &str) -> Result<Vec<Resolved>> {
        let mut listing = Listing::default();
        for s in specs {
            listing.incorporate(wanted(s))?;
        }
        let wanted: Vec<Wanted> = listing.0.into_values().collect();
        self.pin_all(&wanted, root_name)
    }

    fn pin_all(&mut self, wanted: &[Wanted], root_name: &str) -> Result<Vec<Resolved>> {
        let mut out: Vec<Resolved> = vec![];
        for w in wanted {
            let pinned = self.pin(w)?;
            let meta = self.fetcher.metadata(&pinned)?;
            if meta.name == root_name {
                return Err(Error::Deps(format!(
                    "Found a dependency with the same name as the root project \"{root_name}\". Package names must be unique in a project. Please rename one of these packages."
                )));
            }
            if out.iter().any(|r| r.meta.name == meta.name) {
                return Err(Error::Deps(format!(
                    "Found duplicate project \"{}\". This occurs when a dependency has the same project name as some other dependency.",
                    meta.name
                )));
            }
            let pinned = match (pinned, &meta.sha) {
                (Pinned::Git { url, written, subdirectory, warn_unpinned, .. }, Some(sha)) => {
                    Pinned::Git { url, written, subdirectory, revision: sha.clone(), warn_unpinned }
                }
                (p, _) => p,
            };
            out.push(Resolved { pinned, meta });
        }
        Ok(out)
    }
}

/// Whether a hub version's `require_dbt_version` admits the dbt version transform implements.
fn dbt_compatible(dbt: &Spec, meta: &Json) -> bool {
    let required: Vec<Spec> = match meta.get("require_dbt_version") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => vec![],
    }
    .iter()
    .filter_map(|s| Spec::parse(s).ok())
    .collect();
    semver::compatible(dbt, &required)
}
