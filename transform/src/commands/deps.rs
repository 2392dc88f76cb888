//! `transform deps`, for workflows that run it before every command (Cosmos, dbt Cloud-style CI): with
//! no packages.yml / dependencies.yml packages there is nothing to install and it succeeds, as dbt does;
//! a project that lists packages gets an error saying packages are not installed by this build.

use serde_json::Value as Json;

use crate::cli::CommonArgs;
use crate::error::{Error, Result};
use crate::output::printer;

pub fn run(a: CommonArgs) -> Result<i32> {
    for file in ["packages.yml", "dependencies.yml"] {
        let path = a.project_dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let doc = crate::project::dbt_project::parse_yaml(&text, file)?;
        if doc.get("packages").and_then(Json::as_array).is_some_and(|p| !p.is_empty()) {
            return Err(Error::project(file, "lists packages, and this transform does not install dbt packages"));
        }
    }
    printer().emit(crate::events::deps_no_packages());
    Ok(0)
}
