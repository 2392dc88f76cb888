//! `transform debug`: check dbt_project.yml, the profile and the warehouse connection, printing the
//! connection details (never secrets); exit 1 when the connection test fails.


use crate::cli::CommonArgs;
use crate::error::Result;
use crate::events::Level;
use crate::output::printer;
use crate::project::dbt_project::DbtProject;
use crate::project::render::YamlRenderer;

pub fn run(a: CommonArgs) -> Result<i32> {
    let opts = a.options("debug", false);
    let p = printer();
    let vars = crate::compile::cli_vars(opts.vars.as_deref())?;
    let (target, _, _) = crate::compile::load_target(&opts, &vars)?;
    let (database, schema) = crate::warehouse::adapters::target_location(&target);
    let target_json = crate::jinja::target_value(&target, &database, &schema);
    let renderer = YamlRenderer::new("dbt_project.yml", &vars, Some(&target_json), false);
    let project = DbtProject::load_with(&opts.project_dir, &renderer)?;
    p.info(&format!("dbt_project.yml: OK (project `{}`, profile `{}`)", project.name, project.profile));
    p.info(&format!("profiles.yml: OK ({}; target `{}`)", target.profiles_file.display(), target.name));
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
