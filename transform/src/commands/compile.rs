//! `transform compile`: render the selected models and tests to SQL under `target/compiled/`, on
//! all cores, writing the manifest meanwhile; a single selected node's SQL is also printed.

use std::time::Instant;

use crate::artifacts;
use crate::cli::SelectCommand;
use crate::compile;
use crate::error::{Error, Result};
use crate::output::printer;
use crate::project::Resource;
use crate::select;

pub fn run(a: SelectCommand) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(&a.common.options("compile", false), true)?;
    let ids = select::selected(&m, &a.selection, &[Resource::Model, Resource::Snapshot, Resource::Test], select::load_state(&a.selection)?.as_ref())?;
    write_all(&m, &ids)?;
    printer().info(&format!("Compiled {} nodes into {} in {:.2}s", ids.len(), m.target_dir().join("compiled").display(), start.elapsed().as_secs_f64()));
    if let [only] = ids.as_slice() {
        // Like dbt: compiling one node shows its SQL.
        printer().info(&format!("Compiled node '{}' is:\n{}", m.node(only)?.name, m.compile(only)?));
    }
    Ok(0)
}

/// Renders `ids` to target/compiled/ on all cores, writing the manifest meanwhile (also `docs generate`).
pub fn write_all(m: &compile::Manifest, ids: &[String]) -> Result<()> {
    // Nodes compile independently: split them over the cores, and write the manifest meanwhile.
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(m.target.threads.max(2));
    let chunk = ids.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| -> Result<()> {
        let manifest = scope.spawn(|| artifacts::write_manifest(m));
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<()> {
                    for id in part {
                        m.write_compiled(m.node(id)?, &m.compile(id)?)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| Error::Usage("a compile worker panicked".into()))??;
        }
        manifest.join().map_err(|_| Error::Usage("the manifest writer panicked".into()))?
    })?;
    Ok(())
}
