//! `transform parse`: load and render the project without a warehouse connection and write
//! `target/manifest.json`.

use std::time::Instant;

use crate::artifacts;
use crate::cli::CommonArgs;
use crate::compile;
use crate::error::Result;
use crate::output::printer;
use crate::project::Resource;

pub fn run(a: CommonArgs) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(&a.options("parse", false), false)?;
    let written = Instant::now();
    artifacts::write_manifest(&m)?;
    compile::timing("manifest", written);
    let count = |r: Resource| m.project.nodes.values().filter(|n| n.resource == r).count();
    printer().info(&format!(
        "Parsed {} models, {} snapshots, {} data tests, {} unit tests, {} seeds, {} sources, {} macros in {:.2}s",
        count(Resource::Model),
        count(Resource::Snapshot),
        count(Resource::Test),
        count(Resource::UnitTest),
        count(Resource::Seed),
        m.project.sources.len(),
        m.engine.shared.macros.count(),
        start.elapsed().as_secs_f64()
    ));
    // No warehouse is open: skip freeing a project-sized structure right before the process exits.
    std::mem::forget(m);
    Ok(0)
}
