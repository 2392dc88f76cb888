//! blockchain.com (`api.blockchain.info`), keyless: the config section (which charts) and the probe; the
//! streams are in `streams.rs`.
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{Api, Entry};
use crate::error::{Error, Result};
use crate::provider::Provider;
use crate::request::Request;
use crate::settings::{properties, Document, Site};
use crate::stream::Stream;

mod streams;

pub const ENTRY: Entry = Entry {
    provider: Provider::BlockchainCom,
    base_url: "https://api.blockchain.info",
    per_minute: 30.0,
    properties: properties::<Section>,
    load,
};

/// blockchain.com's fields of the config.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct Section {
    /// blockchain.com chart names read by the blockchain_charts stream.
    #[schemars(title = "blockchain.com charts")]
    pub blockchain_charts: Vec<String>,
}

impl Default for Section {
    fn default() -> Self {
        let charts = [
            "n-transactions",
            "n-unique-addresses",
            "estimated-transaction-volume-usd",
            "output-volume",
            "hash-rate",
            "difficulty",
        ];
        Section {
            blockchain_charts: charts.map(String::from).to_vec(),
        }
    }
}

fn load(doc: &mut Document) -> Result<Arc<dyn Api>> {
    let s: Section = doc.section()?;
    for chart in &s.blockchain_charts {
        if chart.is_empty() || !chart.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::config(
                "blockchain_charts",
                format!("{chart:?} is not a chart name like \"hash-rate\""),
            ));
        }
    }
    Ok(Arc::new(BlockchainCom {
        site: ENTRY.site(doc, ENTRY.base_url)?,
        config: Arc::new(s),
    }))
}

struct BlockchainCom {
    config: Arc<Section>,
    site: Site,
}

impl Api for BlockchainCom {
    fn provider(&self) -> Provider {
        Provider::BlockchainCom
    }

    fn site(&self) -> &Site {
        &self.site
    }

    fn streams(&self) -> Vec<Box<dyn Stream>> {
        vec![
            Box::new(streams::Charts {
                config: Arc::clone(&self.config),
            }),
            Box::new(streams::Stats),
        ]
    }

    fn probe(&self) -> Option<Request> {
        Some(Request::new("/stats"))
    }
}
