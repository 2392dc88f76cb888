//! `transform debug`: check dbt_project.yml, the profile and the warehouse connection, printing the
//! connection details (never secrets); exit 1 when the connection test fails.


use crate::cli::CommonArgs;
use crate::error::Result;
use crate::events::Level;
use crate::output::printer;
use crate::project::dbt_project::DbtProject;
use crate::project::profiles;

pub fn run(a: CommonArgs) -> Result<i32> {
    let opts = a.options("debug", false);
    let p = printer();
    let project = DbtProject::load(&opts.project_dir)?;
    p.info(&format!("dbt_project.yml: OK (project `{}`, profile `{}`)", project.name, project.profile));
    let path = profiles::profiles_path(opts.profiles_dir.as_deref(), &opts.project_dir)?;
    let target = profiles::load_target(&path, &project.profile, opts.target.as_deref(), opts.threads)?;
    p.info(&format!("profiles.yml: OK ({}; target `{}`)", path.display(), target.name));
    let wh = crate::warehouse::adapters::connect(&target, &opts.project_dir)?;
    for (k, v) in wh.describe() {
        p.info(&format!("  {k}: {v}"));
    }
    match wh.query("select 1", 1) {
        Ok(_) => {
            p.info("Connection test: OK");
            Ok(0)
        }
        Err(e) => {
            p.note(Level::Error, &format!("Connection test: ERROR {e}"));
            Ok(1)
        }
    }
}
