//! What a pinned package is: its project name, its own packages and where its files are. Local
//! packages are read in place, git packages checked out and tarballs unpacked into the run's downloads
//! folder; hub packages are described by the hub without downloading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::hub::Hub;
use super::pinned::Pinned;
use super::spec::PackageSpec;
use super::{git, read_package_files, Render};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Metadata {
    /// The project name (`name:` of its dbt_project.yml): the folder it installs into.
    pub name: String,
    pub packages: Vec<PackageSpec>,
    /// Its files, when they are on disk already (local, git, tarball).
    pub dir: Option<PathBuf>,
    /// The commit a git package is at.
    pub sha: Option<String>,
    /// A hub package's tarball URL.
    pub tarball: Option<String>,
}

pub struct Fetcher<'a> {
    pub root: PathBuf,
    pub downloads: PathBuf,
    pub version_check: bool,
    pub render: &'a Render<'a>,
    pub warn: &'a dyn Fn(&str),
    hub: Option<Hub>,
    cache: HashMap<String, Metadata>,
}

impl<'a> Fetcher<'a> {
    pub fn new(root: &Path, downloads: &Path, version_check: bool, render: &'a Render<'a>, warn: &'a dyn Fn(&str)) -> Fetcher<'a> {
        Fetcher { root: root.to_path_buf(), downloads: downloads.to_path_buf(), version_check, render, warn, hub: None, cache: HashMap::new() }
    }

    /// The package hub, connected on first use (projects without hub packages never reach it).
    pub fn hub(&mut self) -> Result<&mut Hub> {
        if self.hub.is_none() {
            self.hub = Some(Hub::from_env()?);
        }
        self.hub.as_mut().ok_or_else(|| Error::Deps("package hub unavailable".into()))
    }

    pub fn metadata(&mut self, pinned: &Pinned) -> Result<Metadata> {
        let key = format!("{pinned:?}");
        if let Some(m) = self.cache.get(&key) {
            return Ok(m.clone());
        }
        let meta = match pinned {
            Pinned::Local { path } => self.local(path)?,
            Pinned::Git { url, subdirectory, revision, warn_unpinned, .. } => {
                self.git(url, subdirectory.as_deref(), revision, *warn_unpinned)?
            }
            Pinned::Hub { package, version, .. } => self.hub_meta(package, version)?,
            Pinned::Tarball { url, name, .. } => self.tarball(url, name)?,
        };
        self.cache.insert(key, meta.clone());
        Ok(meta)
    }

    /// A local path is relative to the root project (for transitive local packages too, as in dbt).
    fn local(&self, path: &str) -> Result<Metadata> {
        let dir = normalize(&self.root.join(path));
        if !dir.join("dbt_project.yml").is_file() {
            return Err(Error::Deps(format!("local package `{path}`: no dbt_project.yml in {}", dir.display())));
        }
        let (name, packages) = read_package_project(&dir, self.render)?;
        Ok(Metadata { name, packages, dir: Some(dir), sha: None, tarball: None })
    }

    fn git(&self, url: &str, subdirectory: Option<&str>, revision: &str, warn_unpinned: bool) -> Result<Metadata> {
        if warn_unpinned && ["HEAD", "main", "master"].contains(&revision) {
            (self.warn)(&format!(
                "WARNING: The git package \"{}\" \n\tis not pinned, using {}.\n\tThis can introduce breaking changes into your project without warning!\n\nSee https://docs.getdbt.com/docs/package-management#section-specifying-package-versions",
                git::display_url(url),
                if revision == "HEAD" { "HEAD (default branch)".to_string() } else { revision.to_string() }
            ));
        }
        let name = subdirectory.map(|s| format!("{url}/{s}")).unwrap_or_else(|| url.to_string());
        let checkout = git::checkout(url, revision, subdirectory, &self.downloads, &format!("{:x}", <md5::Md5 as md5::Digest>::digest(name.as_bytes())))?;
        let dir = subdirectory.map(|s| checkout.dir.join(s)).unwrap_or(checkout.dir);
        if !dir.join("dbt_project.yml").is_file() {
            let place = subdirectory.map(|s| format!(" in `{s}`")).unwrap_or_default();
            return Err(Error::Deps(format!("git package {}: no dbt_project.yml{place} at revision {revision}", git::display_url(url))));
        }
        let (project, packages) = read_package_project(&dir, self.render)?;
        Ok(Metadata { name: project, packages, dir: Some(dir), sha: Some(checkout.sha), tarball: None })
    }

    fn hub_meta(&mut self, package: &str, version: &str) -> Result<Metadata> {
        let meta = self.hub()?.versions(package)?.get(version).cloned().unwrap_or(Json::Null);
        let name = meta.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
        let tarball = meta.pointer("/downloads/tarball").and_then(Json::as_str).map(String::from);
        let file = format!("hub package {package} {version}");
        let packages = match meta.get("packages") {
            Some(Json::Array(list)) => list.iter().enumerate().map(|(i, p)| PackageSpec::parse(&file, i, p, p)).collect::<Result<_>>()?,
            _ => vec![],
        };
        if name.is_empty() || tarball.is_none() {
            return Err(Error::Deps(format!("package hub: {package} {version} has no name or no downloads.tarball")));
        }
        Ok(Metadata { name, packages, dir: None, sha: None, tarball })
    }

    fn tarball(&mut self, url: &str, name: &str) -> Result<Metadata> {
        let file = self.downloads.join(format!("{name}.tar.gz"));
        self.hub()?.download(url, &file)?;
        let dir = unpack_single_folder(&file, &self.downloads.join(format!("{name}_untarred")), url)?;
        let (_, packages) = read_package_project(&dir, self.render)?;
        Ok(Metadata { name: name.to_string(), packages, dir: Some(dir), sha: None, tarball: Some(url.to_string()) })
    }
}

/// Unpacks a .tar.gz into `into` and returns its one top folder (dbt requires exactly one).
pub fn unpack_single_folder(file: &Path, into: &Path, url: &str) -> Result<PathBuf> {
    if into.exists() {
        std::fs::remove_dir_all(into).map_err(|e| Error::io(into, e))?;
    }
    std::fs::create_dir_all(into).map_err(|e| Error::io(into, e))?;
    let reader = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let entries = archive.entries().map_err(|e| Error::Deps(format!("{url}: not a .tar.gz archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::Deps(format!("{url}: corrupt archive: {e}")))?;
        // unpack_in refuses entries that would land outside `into` (`../x`, absolute paths).
        entry.unpack_in(into).map_err(|e| Error::Deps(format!("{url}: cannot unpack: {e}")))?;
    }
    let children: Vec<PathBuf> = std::fs::read_dir(into).map_err(|e| Error::io(into, e))?.flatten().map(|e| e.path()).collect();
    match children.as_slice() {
        [only] if only.is_dir() => Ok(only.clone()),
        _ => Err(Error::Deps(format!(
            "Incorrect structure for package extracted from {url}. The extracted package needs to follow the structure <name>/<package_contents>."
        ))),
    }
}

/// A package's project name and packages (rendered as dbt renders a dependency's files).
pub fn read_package_project(dir: &Path, render: &Render) -> Result<(String, Vec<PackageSpec>)> {
    let project = dir.join("dbt_project.yml");
    let text = std::fs::read_to_string(&project).map_err(|e| Error::io(&project, e))?;
    let doc: Json = serde_yaml::from_str(&text).map_err(|e| Error::Deps(format!("{}: invalid YAML: {e}", project.display())))?;
    let name = doc.get("name").map(render).transpose()?.and_then(|n| n.as_str().map(String::from));
    let name = name.ok_or_else(|| Error::Deps(format!("{}: `name` is required", project.display())))?;
    let (packages, _) = read_package_files(dir, render)?;
    Ok((name, packages))
}

/// `a/b/../c` -> `a/c` without touching the disk (the path may be a symlink target later).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
