//! The live dashboard (`transform dashboard serve|export`): panels defined in the project's
//! `dashboards/*.yml` (`spec`), compiled to SQL over the marts (`queries`), run on read-only
//! connections into snapshots of columnar JSON (`snapshot`, `columnar`, `health`), kept current by the
//! refresher and the optional sync loop (`live`, `writer`), served over HTTP (`server`) or written
//! out as static files (`export`).

pub mod columnar;
pub mod export;
pub mod health;
pub mod live;
pub mod queries;
pub mod server;
pub mod snapshot;
pub mod spec;
pub mod writer;

use std::sync::Arc;

use crate::compile::{self, Options};
use crate::error::Result;

/// Loads the project (no connection), the dashboard file and compiles its panels, then takes the
/// first snapshot on a read-only connection.
pub fn open(opts: &Options, dashboard: Option<&str>) -> Result<Arc<live::Live>> {
    let m = compile::load(opts, false)?;
    let d = spec::load(&opts.project_dir, dashboard)?;
    let panels = queries::compile(&m, &d)?;
    let wh = crate::warehouse::adapters::connect_read_only(&m.target, &m.project.root)?;
    let first = snapshot::take(&m, wh.as_ref(), &panels, 1, None, None);
    drop(wh);
    for p in &panels {
        if let Some(e) = first.panels.get(&p.panel.name).and_then(|d| d.error.as_deref()) {
            crate::output::printer().info(&format!("dashboard: panel `{}` ({}): {e}", p.panel.name, d.file));
        }
    }
    Ok(live::Live::new(m, d, panels, first))
}
