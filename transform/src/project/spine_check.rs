//! dbt's parse-time rule that a project with semantic models has a time spine of day grain or finer:
//! a model with `time_spine:` (`time_spine`), or the legacy model named `metricflow_time_spine`.

use super::nodes::{Node, Project, Resource};
use super::time_spine::{GRANULARITIES, LEGACY_MODEL};
use crate::error::{Error, Result};

/// The enabled node `ref('metricflow_time_spine')` would find, if any (root project first).
pub fn legacy_model(project: &Project) -> Option<&Node> {
    let by_name = project.by_name();
    by_name.get(LEGACY_MODEL).and_then(|c| c.first()).map(|(_, n)| *n)
}

/// dbt's parse-time rule: semantic models need a time spine of day grain or finer.
pub fn check_project(project: &Project) -> Result<()> {
    let Some(first) = project.semantic.values().find(|n| n.resource == Resource::SemanticModel) else { return Ok(()) };
    let rank = |g: &str| GRANULARITIES.iter().position(|x| *x == g);
    let day = rank("day");
    let configured = project.nodes.values().filter(|n| n.resource == Resource::Model && n.config.enabled()).filter_map(|n| {
        let spine = n.time_spine.as_ref()?;
        let column = n.columns.iter().find(|c| c.name == spine.standard_granularity_column)?;
        rank(column.granularity.as_deref()?)
    });
    let legacy = legacy_model(project).map(|_| day).into_iter().flatten();
    match configured.chain(legacy).min() {
        Some(finest) if Some(finest) <= day => Ok(()),
        _ => Err(Error::project(
            &first.original_file_path,
            "The semantic layer requires a time spine model with granularity DAY or smaller in the project, but none was found. \
             Guidance on creating this model can be found on our docs site (https://docs.getdbt.com/docs/build/metricflow-time-spine).",
        )),
    }
}
