//! Reddit (keyless, `www.reddit.com` with the connector's descriptive User-Agent, which Reddit requires): the
//! config section (which subreddits) and the probe (the first subreddit's `about.json`); the stream is in
//! `streams.rs`.
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Entry};
use crate::error::Result;
use crate::provider::Provider;
use crate::request::Request;
use crate::settings::{names, properties, Document, Site};
use crate::stream::Stream;

mod streams;

pub const ENTRY: Entry = Entry {
    provider: Provider::Reddit,
    base_url: "https://www.reddit.com",
    per_minute: 10.0,
    properties: properties::<Section>,
    load,
};

/// Reddit's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// Subreddits (without r/) reddit_subreddit_snapshots reads.
    #[schemars(title = "Subreddits", inner(regex(pattern = r"^[A-Za-z0-9_.-]+$")))]
    pub reddit_subreddits: Vec<String>,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            reddit_subreddits: vec!["Bitcoin".into()],
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let s: Section = doc.section()?;
    names("reddit_subreddits", &s.reddit_subreddits, false)?;
    Ok(Arc::new(Reddit {
        site: ENTRY.site(doc, ENTRY.base_url)?,
        config: Arc::new(s),
    }))
}

struct Reddit {
    config: Arc<Section>,
    site: Site,
}

impl Api for Reddit {
    fn provider(&self) -> Provider {
        Provider::Reddit
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        vec![Box::new(streams::SubredditSnapshots {
            config: Arc::clone(&self.config),
        })]
    }

    fn probe(&self) -> Option<Request> {
        let sub = self.config.reddit_subreddits.first()?;
        Some(Request::new(format!("/r/{sub}/about.json")))
    }
}
