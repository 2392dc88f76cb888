//! GitHub REST (keyless 60 requests/hour; an optional token gives 5,000): the config section, the headers
//! (GitHub's media type and API version, the bearer token) and the probe (`/rate_limit`, free of the limit,
//! reporting the quota left); the streams are in `streams.rs`.
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{note_field, secret_header, Api, Entry};
use crate::error::Result;
use crate::provider::Provider;
use crate::request::Request;
use crate::settings::{names, properties, secret, Document, Site};
use crate::stream::Stream;

mod streams;

pub const ENTRY: Entry = Entry {
    provider: Provider::GitHub,
    base_url: "https://api.github.com",
    per_minute: 60.0,
    properties: properties::<Section>,
    load,
};

/// GitHub's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// Optional GitHub token (5,000 requests/hour instead of 60 keyless).
    #[schemars(title = "GitHub token", extend("airbyte_secret" = true))]
    pub github_token: Option<String>,
    /// Repositories (owner/name) the github_* streams read.
    #[schemars(
        title = "GitHub repositories",
        inner(regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))
    )]
    pub github_repositories: Vec<String>,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            github_token: None,
            github_repositories: vec!["bitcoin/bitcoin".into()],
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let mut s: Section = doc.section()?;
    s.github_token = secret("github_token", s.github_token)?;
    names("github_repositories", &s.github_repositories, true)?;
    Ok(Arc::new(GitHub {
        site: ENTRY.site(doc, ENTRY.base_url)?,
        config: Arc::new(s),
    }))
}

struct GitHub {
    config: Arc<Section>,
    site: Site,
}

impl Api for GitHub {
    fn provider(&self) -> Provider {
        Provider::GitHub
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        if let Some(token) = &self.config.github_token {
            let value = secret_header("github_token", &format!("Bearer {token}"))?;
            headers.insert(AUTHORIZATION, value);
        }
        Ok(headers)
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        let config = || Arc::clone(&self.config);
        vec![
            Box::new(streams::RepositorySnapshots { config: config() }),
            Box::new(streams::CommitActivity { config: config() }),
            Box::new(streams::Releases { config: config() }),
        ]
    }

    /// Free of GitHub's rate limit.
    fn probe(&self) -> Option<Request> {
        Some(Request::new("/rate_limit"))
    }

    fn probe_note(&self, body: &Value) -> Option<String> {
        Some(format!(
            "GitHub: {} of {} requests left this hour",
            note_field(body, "/resources/core/remaining"),
            note_field(body, "/resources/core/limit")
        ))
    }
}
