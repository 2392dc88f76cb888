//! The project's files on disk: listing a resource folder by extension (sorted, relative paths)
//! and reading one file, with errors naming the path.

use std::path::Path;

use crate::error::{Error, Result};

/// Recursively lists files under `dir` with the extension `ext`, sorted, as paths relative to `root`.
pub fn discover(root: &Path, dir: &str, ext: &str) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        if !d.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let p = entry.path();
            // The entry's own type needs no stat (a 10,000-model project is listed six times); a
            // symlink is followed, as `is_dir` does.
            let is_dir = match entry.file_type() {
                Ok(t) if !t.is_symlink() => t.is_dir(),
                _ => p.is_dir(),
            };
            if is_dir {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                let rel = p.strip_prefix(root).unwrap_or(&p);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn read(root: &Path, rel: &str) -> Result<String> {
    let p = root.join(rel);
    std::fs::read_to_string(&p).map_err(|e| Error::io(p, e))
}

/// A seed's checksum as dbt records it: sha256 of the stripped file up to 1 MiB, else (`path`, its path).
pub fn seed_checksum(root: &Path, rel: &str) -> Result<(String, String)> {
    const LIMIT: u64 = 1 << 20;
    let p = root.join(rel);
    let meta = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?;
    if meta.len() > LIMIT {
        return Ok(("path".into(), rel.to_string()));
    }
    // Bytes, not text: a seed that is not UTF-8 still gets a checksum (only its whitespace is stripped).
    let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
    Ok(("sha256".into(), super::digest::sha256_hex(bytes.trim_ascii())))
}

/// `rel/dir` for a package, `dir` for the root project.
pub fn under(rel: &str, dir: &str) -> String {
    if rel.is_empty() {
        dir.to_string()
    } else {
        format!("{rel}/{dir}")
    }
}
