//! `transform clean`: delete the `clean-targets` of dbt_project.yml (target/ by default), refusing
//! any path outside the project.

use crate::cli::CommonArgs;
use crate::error::{Error, Result};
use crate::output::printer;
use crate::project::dbt_project::DbtProject;

pub fn run(a: CommonArgs) -> Result<i32> {
    let project = DbtProject::load(&a.project_dir)?;
    let root = a.project_dir.canonicalize().map_err(|e| Error::io(&a.project_dir, e))?;
    for t in &project.clean_targets {
        let path = root.join(t);
        let Ok(resolved) = path.canonicalize() else { continue };
        if !resolved.starts_with(&root) || resolved == root {
            return Err(Error::project("dbt_project.yml", format!("clean-targets entry `{t}` is outside the project; refusing to delete it")));
        }
        std::fs::remove_dir_all(&resolved).map_err(|e| Error::io(&resolved, e))?;
        printer().info(&format!("Cleaned {t}/"));
    }
    Ok(0)
}
