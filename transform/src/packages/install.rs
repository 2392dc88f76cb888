//! Puts resolved packages into `packages-install-path/<project name>`: local packages as a symlink (a
//! copy where symlinks are unavailable), git checkouts moved in, hub tarballs downloaded and unpacked.

use std::path::{Path, PathBuf};

use super::fetch::{unpack_single_folder, Fetcher};
use super::pinned::Pinned;
use super::resolve::Resolved;
use crate::error::{Error, Result};

/// Empties the install folder (dbt deletes and recreates it).
pub fn reset(install_dir: &Path) -> Result<()> {
    if std::fs::symlink_metadata(install_dir).is_ok() {
        remove(install_dir)?;
    }
    std::fs::create_dir_all(install_dir).map_err(|e| Error::io(install_dir, e))
}

fn remove(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
    .map_err(|e| Error::io(path, e))
}

/// Installs one package; returns its folder.
pub fn install(r: &Resolved, install_dir: &Path, fetcher: &mut Fetcher) -> Result<PathBuf> {
    let dest = install_dir.join(&r.meta.name);
    if std::fs::symlink_metadata(&dest).is_ok() {
        remove(&dest)?;
    }
    match (&r.pinned, &r.meta.dir) {
        (Pinned::Local { .. }, Some(src)) => link_or_copy(src, &dest)?,
        (Pinned::Git { .. } | Pinned::Tarball { .. }, Some(src)) => move_dir(src, &dest)?,
        (Pinned::Hub { package, version, .. }, _) => {
            let url = r.meta.tarball.clone().unwrap_or_default();
            let file = fetcher.downloads.join(format!("{}.{version}.tar.gz", package.replace('/', "_")));
            fetcher.hub()?.download(&url, &file)?;
            let top = unpack_single_folder(&file, &fetcher.downloads.join(format!("{}_untarred", r.meta.name)), &url)?;
            move_dir(&top, &dest)?;
        }
        (p, None) => return Err(Error::Deps(format!("{}: nothing was fetched to install", p.display_name()))),
    }
    Ok(dest)
}

#[cfg(unix)]
fn link_or_copy(src: &Path, dest: &Path) -> Result<()> {
    std::os::unix::fs::symlink(src, dest).or_else(|_| copy_dir(src, dest))
}

#[cfg(not(unix))]
fn link_or_copy(src: &Path, dest: &Path) -> Result<()> {
    copy_dir(src, dest)
}

/// A rename, or a copy and delete across file systems (the downloads folder is in the temp dir).
fn move_dir(src: &Path, dest: &Path) -> Result<()> {
    if std::fs::rename(src, dest).is_ok() {
        return Ok(());
    }
    copy_dir(src, dest)?;
    std::fs::remove_dir_all(src).map_err(|e| Error::io(src, e))
}

fn copy_dir(src: &Path, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    for entry in std::fs::read_dir(src).map_err(|e| Error::io(src, e))? {
        let entry = entry.map_err(|e| Error::io(src, e))?;
        let (from, to) = (entry.path(), dest.join(entry.file_name()));
        if entry.file_type().map_err(|e| Error::io(&from, e))?.is_dir() {
            copy_dir(&from, &to)?;
        } else {
            std::fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
    }
    Ok(())
}
