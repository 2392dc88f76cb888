//! `transform run --dry-run` (alias `--estimate`): compiles the selected models and asks the warehouse
//! how many bytes each would process. On BigQuery that is a dry-run job per model: nothing runs and
//! nothing is billed. Models whose upstream relations do not exist yet report BigQuery's error.


use crate::cli::RunArgs;
use crate::compile;
use crate::error::{Error, Result};
use crate::events::Level;
use crate::output::printer;
use crate::project::Resource;

fn human(bytes: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let (mut v, mut i) = (bytes as f64, 0);
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 { format!("{bytes} B") } else { format!("{v:.1} {}", units[i]) }
}

/// Prints one line per model and the total; exit code 1 when a model could not be estimated.
pub fn run(a: &RunArgs, command: &str, kinds: &[Resource]) -> Result<i32> {
    let m = compile::load(&a.common.options(command, a.full_refresh()?), true)?;
    let ids = crate::select::selected(&m, &a.selection, &kinds.iter().copied().filter(|k| matches!(k, Resource::Model | Resource::Test)).collect::<Vec<_>>(), crate::select::load_state(&a.selection)?.as_ref())?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let p = printer();
    let (mut total, mut failed) = (0i64, 0usize);
    for id in &ids {
        let node = m.node(id)?;
        let sql = m.compile(id)?;
        // The dry-run job is labelled with the node (as when it runs).
        match wh.clone().for_node(id).estimate_bytes(&sql) {
            Ok(Some(bytes)) => {
                total += bytes;
                p.info(&format!("{:<60} {:>12}  ({bytes} bytes)", node.name, human(bytes)));
            }
            Ok(None) => p.info(&format!("{:<60} (no estimate on {})", node.name, wh.adapter_type())),
            Err(e) => {
                failed += 1;
                p.note(Level::Error, &format!("{:<60} ERROR {e}", node.name));
            }
        }
    }
    p.info(&format!("Dry run: {} nodes would process {} ({total} bytes); {failed} could not be estimated", ids.len(), human(total)));
    Ok(i32::from(failed > 0))
}
