//! `transform sync`: connect to the profile's warehouse (no project files are read) and run one
//! Airbyte sync into its raw schema (`sync/`).

use crate::cli::SyncArgs;
use crate::compile;
use crate::error::Result;
use crate::sync;

pub fn run(a: SyncArgs) -> Result<i32> {
    let wh = compile::connect(&a.common.options("sync", false))?;
    let request = sync::Request {
        source: &a.source,
        config: &a.config,
        raw_schema: &a.raw_schema,
        streams: &a.streams,
        batch_size: a.batch_size,
    };
    sync::run(wh, &request)
}
