//! mempool.space (`/api`), keyless: the config section (how far back a first sync reads blocks) and the
//! probe; the streams are in `streams.rs`.
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Entry};
use crate::error::Result;
use crate::provider::Provider;
use crate::request::Request;
use crate::settings::{properties, Document, Site};
use crate::stream::Stream;

mod streams;

pub const ENTRY: Entry = Entry {
    provider: Provider::MempoolSpace,
    base_url: "https://mempool.space/api",
    per_minute: 60.0,
    properties: properties::<Section>,
    load,
};

/// mempool.space's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// On a first sync, how many of the most recent blocks mempool_blocks reads.
    #[schemars(title = "mempool.space blocks backfill", range(min = 1, max = 100_000))]
    pub mempool_blocks_backfill: u32,
}

impl Default for Section {
    fn default() -> Self {
        Section {
            mempool_blocks_backfill: 144,
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let s: Section = doc.section()?;
    Ok(Arc::new(MempoolSpace {
        site: ENTRY.site(doc, ENTRY.base_url)?,
        config: Arc::new(s),
    }))
}

struct MempoolSpace {
    config: Arc<Section>,
    site: Site,
}

impl Api for MempoolSpace {
    fn provider(&self) -> Provider {
        Provider::MempoolSpace
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        vec![
            Box::new(streams::Hashrate),
            Box::new(streams::DifficultyAdjustments),
            Box::new(streams::Blocks {
                config: Arc::clone(&self.config),
            }),
        ]
    }

    fn probe(&self) -> Option<Request> {
        Some(Request::new("/v1/difficulty-adjustment"))
    }
}
