//! Git packages, fetched with the `git` command line as dbt does: a shallow clone (sparse when a
//! `subdirectory` is wanted), then the revision — a commit, a tag (preferred) or a branch — checked out.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

fn is_commit(revision: &str) -> bool {
    revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Runs git in `cwd`; a failure quotes git's own message (URLs with credentials are never printed).
fn git(cwd: &Path, args: &[&str], what: &str) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| Error::Deps(format!("{what}: cannot run git ({e}); make sure git is installed and on PATH")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| l.starts_with("fatal:") || l.starts_with("error:")).unwrap_or(stderr.trim());
        return Err(Error::Deps(format!("{what}: {}", display_url(first))));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The URL without credentials (`https://user:token@host/x` -> `https://***@host/x`).
pub fn display_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => format!("{}***{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_string(),
    }
}

/// A checked-out package: the clone's directory and the commit it is at.
#[derive(Debug)]
pub struct Checkout {
    pub dir: PathBuf,
    pub sha: String,
}

/// Clones `url` into `downloads/<dirname>` and checks out `revision` (`HEAD` when none was given).
pub fn checkout(url: &str, revision: &str, subdirectory: Option<&str>, downloads: &Path, dirname: &str) -> Result<Checkout> {
    let what = format!("git package {}", display_url(url));
    let dir = downloads.join(dirname);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    let mut clone = vec!["clone", "--depth", "1"];
    if subdirectory.is_some() {
        clone.extend(["--filter=blob:none", "--sparse"]);
    }
    if revision != "HEAD" && !is_commit(revision) {
        clone.extend(["--branch", revision]);
    }
    clone.extend([url, dirname]);
    git(downloads, &clone, &format!("{what}: clone (revision {revision})"))?;
    if let Some(sub) = subdirectory {
        git(&dir, &["sparse-checkout", "set", sub], &format!("{what}: sparse checkout of {sub}"))?;
    }
    if is_commit(revision) {
        git(&dir, &["fetch", "origin", "--depth", "1", revision], &format!("{what}: fetch {revision}"))?;
        git(&dir, &["reset", "--hard", revision], &format!("{what}: checkout {revision}"))?;
    }
    let sha = git(&dir, &["rev-parse", "HEAD"], &format!("{what}: rev-parse"))?;
    Ok(Checkout { dir, sha })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = Command::new("git").args(args).current_dir(dir).env("GIT_AUTHOR_NAME", "t").env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t").env("GIT_COMMITTER_EMAIL", "t@t").status().unwrap().success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(display_url("https://me:tok@github.com/a/b.git"), "https://***@github.com/a/b.git");
        assert_eq!(display_url("git@github.com:a/b.git"), "git@github.com:a/b.git");
        assert_eq!(display_url("file:///tmp/x"), "file:///tmp/x");
    }

    #[test]
    fn checks_out_tags_branches_commits_and_subdirectories() {
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        sh(r, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(r.join("sub/pkg")).unwrap();
        std::fs::write(r.join("sub/pkg/dbt_project.yml"), "name: pkg\n").unwrap();
        std::fs::write(r.join("dbt_project.yml"), "name: one\n").unwrap();
        sh(r, &["add", "-A"]);
        sh(r, &["commit", "-qm", "one"]);
        sh(r, &["tag", "v1"]);
        std::fs::write(r.join("dbt_project.yml"), "name: two\n").unwrap();
        sh(r, &["commit", "-qam", "two"]);
        let url = format!("file://{}", r.display());
        let dl = tempfile::tempdir().unwrap();
        let tag = checkout(&url, "v1", None, dl.path(), "a").unwrap();
        assert_eq!(std::fs::read_to_string(tag.dir.join("dbt_project.yml")).unwrap(), "name: one\n");
        let head = checkout(&url, "HEAD", None, dl.path(), "b").unwrap();
        assert_eq!(std::fs::read_to_string(head.dir.join("dbt_project.yml")).unwrap(), "name: two\n");
        let by_sha = checkout(&url, &tag.sha, None, dl.path(), "c").unwrap();
        assert_eq!(by_sha.sha, tag.sha);
        let sub = checkout(&url, "main", Some("sub/pkg"), dl.path(), "d").unwrap();
        assert!(sub.dir.join("sub/pkg/dbt_project.yml").exists());
        let err = checkout(&url, "v9", None, dl.path(), "e").unwrap_err().to_string();
        assert!(err.contains("clone (revision v9)") && err.contains("v9"), "{err}");
    }
}
