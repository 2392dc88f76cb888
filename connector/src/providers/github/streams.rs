//! GitHub's streams, per configured repository (each repository is its own state partition): repository
//! counters (with the contributor count from the `Link rel="last"` page of `/contributors?per_page=1`), weekly
//! commit activity and releases. The HTTP client polls the statistics' 202 "being computed", reads 204 as
//! empty and waits out `X-RateLimit-*`.
use std::sync::Arc;

use serde_json::{Map, Value};

use super::Section;
use crate::provider::Provider;
use crate::record::{
    boolean, from_unix_seconds, int, parse_date, text, time_value, timestamp, Record,
};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

fn per_repository(config: &Section, request: impl Fn(&str) -> Request) -> Vec<Slice> {
    config
        .github_repositories
        .iter()
        .map(|repo| Slice {
            partition: repo.clone(),
            request: request(repo),
        })
        .collect()
}

/// `owner/name` from a request path `/repos/owner/name/...`.
fn repository(page: &Page) -> Result<String, String> {
    let mut parts = page.request.path.trim_start_matches('/').split('/').skip(1);
    match (parts.next(), parts.next()) {
        (Some(owner), Some(name)) => Ok(format!("{owner}/{name}")),
        _ => Err(format!("no repository in {}", page.request.path)),
    }
}

/// `github_repository_snapshots`: `/repos/{repo}`, then its contributor count; one row per read.
pub struct RepositorySnapshots {
    pub config: Arc<Section>,
}

static SNAPSHOTS: StreamSpec = StreamSpec {
    name: "github_repository_snapshots",
    provider: Provider::GitHub,
    schema: include_str!("../../../../schemas/github_repository_snapshots.json"),
    cursor_field: Some("snapshot_at"),
    primary_key: &["full_name", "snapshot_at"],
};

const COUNTERS: [&str; 6] = [
    "stargazers_count",
    "forks_count",
    "watchers_count",
    "subscribers_count",
    "open_issues_count",
    "network_count",
];

impl Stream for RepositorySnapshots {
    fn spec(&self) -> &StreamSpec {
        &SNAPSHOTS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        per_repository(&self.config, |repo| Request::new(format!("/repos/{repo}")))
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let repo = repository(page)?;
        let Some(memo) = &page.request.memo else {
            // The repository document: keep its counters in the memo and ask for the contributor count.
            let doc = page
                .json()
                .as_object()
                .ok_or("expected a repository object")?;
            let mut kept = Map::new();
            for key in COUNTERS
                .iter()
                .chain(&["full_name", "pushed_at", "archived"])
            {
                kept.insert(
                    key.to_string(),
                    doc.get(*key).cloned().unwrap_or(Value::Null),
                );
            }
            let next = Request::new(format!("/repos/{repo}/contributors"))
                .param("per_page", 1)
                .param("anon", 1)
                .memo(Value::Object(kept));
            return Ok(Some(next));
        };
        let doc: Value = serde_json::from_str(memo).map_err(|e| e.to_string())?;
        // One contributor per page: the last page's number is the count (no Link = zero or one page).
        let contributors = page
            .link_page("last")
            .map(u64::from)
            .unwrap_or_else(|| page.json().as_array().map_or(0, |a| a.len() as u64));
        let mut r = Record::new();
        let name = text(doc.get("full_name"));
        r.insert(
            "full_name",
            if name.is_null() {
                Value::String(repo)
            } else {
                name
            },
        );
        r.insert("snapshot_at", time_value(cx.now));
        for key in COUNTERS {
            r.insert(key, int(doc.get(key)));
        }
        r.insert("contributors_count", Value::from(contributors));
        r.insert("pushed_at", timestamp(doc.get("pushed_at")));
        r.insert("archived", boolean(doc.get("archived")));
        out.push(r);
        Ok(None)
    }
}

/// `github_commit_activity`: `/repos/{repo}/stats/commit_activity`, the last 52 weeks (Sunday 00:00 UTC).
pub struct CommitActivity {
    pub config: Arc<Section>,
}

static COMMITS: StreamSpec = StreamSpec {
    name: "github_commit_activity",
    provider: Provider::GitHub,
    schema: include_str!("../../../../schemas/github_commit_activity.json"),
    cursor_field: Some("week"),
    primary_key: &["repository", "week"],
};

impl Stream for CommitActivity {
    fn spec(&self) -> &StreamSpec {
        &COMMITS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        per_repository(&self.config, |repo| {
            Request::new(format!("/repos/{repo}/stats/commit_activity"))
        })
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let repo = repository(page)?;
        // 204 (an empty repository) comes as null: no weeks.
        let weeks = match page.json() {
            Value::Null => return Ok(None),
            body => body.as_array().ok_or("expected an array of weeks")?,
        };
        for w in weeks {
            let week = w
                .get("week")
                .and_then(from_unix_seconds)
                .ok_or_else(|| format!("a week without `week`: {w}"))?;
            let days = w
                .get("days")
                .and_then(Value::as_array)
                .map(|d| d.iter().map(|v| int(Some(v))).collect());
            let mut r = Record::new();
            r.insert("repository", Value::String(repo.clone()));
            r.insert("week", time_value(week));
            r.insert("total", int(w.get("total")));
            r.insert("days", days.map(Value::Array).unwrap_or(Value::Null));
            out.push(r);
        }
        Ok(None)
    }
}

/// `github_releases`: `/repos/{repo}/releases`, newest first, 100 per page. When the `Link` header has a
/// `last` page, pages are read from there back to page 1 (`prev`), so each page is newer than the one
/// before it and the `published_at` cursor only moves forward. When page 1 already reaches back to the
/// cursor (the usual incremental sync), it is the only page read.
pub struct Releases {
    pub config: Arc<Section>,
}

static RELEASES: StreamSpec = StreamSpec {
    name: "github_releases",
    provider: Provider::GitHub,
    schema: include_str!("../../../../schemas/github_releases.json"),
    cursor_field: Some("published_at"),
    primary_key: &["repository", "id"],
};

fn releases_page(repo: &str, page: u32) -> Request {
    Request::new(format!("/repos/{repo}/releases"))
        .param("per_page", 100)
        .param("page", page)
        .memo("backward")
}

impl Stream for Releases {
    fn spec(&self) -> &StreamSpec {
        &RELEASES
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        per_repository(&self.config, |repo| {
            Request::new(format!("/repos/{repo}/releases"))
                .param("per_page", 100)
                .param("page", 1)
        })
    }

    fn parse(
        &self,
        _cx: &Ctx,
        page: &Page,
        state: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let repo = repository(page)?;
        let releases = page
            .json()
            .as_array()
            .ok_or("expected an array of releases")?;
        let current: u32 = page
            .request
            .get_param("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        // Page 1 reaches back to the cursor: nothing newer is on the later pages, so they are not read.
        let cursor = state.time(&repo);
        let reaches_cursor = cursor.is_some_and(|c| {
            releases.iter().any(|r| {
                r.get("published_at")
                    .and_then(Value::as_str)
                    .and_then(parse_date)
                    .is_some_and(|p| p <= c)
            })
        });
        if page.request.memo.is_none() && !reaches_cursor {
            if let Some(last) = page.link_page("last").filter(|l| *l > 1) {
                return Ok(Some(releases_page(&repo, last)));
            }
        }
        for rel in releases {
            let mut r = Record::new();
            r.insert("repository", Value::String(repo.clone()));
            r.insert("id", int(rel.get("id")));
            for key in ["tag_name", "name", "html_url"] {
                r.insert(key, text(rel.get(key)));
            }
            r.insert("draft", boolean(rel.get("draft")));
            r.insert("prerelease", boolean(rel.get("prerelease")));
            r.insert("created_at", timestamp(rel.get("created_at")));
            r.insert("published_at", timestamp(rel.get("published_at")));
            r.insert("author_login", text(rel.pointer("/author/login")));
            out.push(r);
        }
        Ok((page.request.memo.is_some() && current > 1).then(|| releases_page(&repo, current - 1)))
    }
}
