//! Turning a model file's node into a model version, as dbt's `ModelPatchParser` does: the node of
//! `defined_in` (default `<name>_v<v>.sql`; the latest version may also be `<name>.sql`) gets the
//! id `model.<pkg>.<name>.v<v>`, the model's name, `v<v>` at the end of its fqn, its version and the
//! latest. A version whose file is missing is an error naming the file dbt looked for. Also dbt's
//! deprecation warnings of models past (or reading models near) their `deprecation_date`.

use serde_json::Value as Json;

use super::nodes::{Project, Resource};
use super::versions::{self, Version};
use crate::error::{Error, Result};

impl Project {
    /// Claims the node of version `v` of model `name` (in `package`) and returns its new unique id.
    pub fn claim_version(&mut self, package: &str, name: &str, v: &Version, latest: &Json, file: &str) -> Result<String> {
        let model = |n: &str| format!("model.{package}.{n}");
        let candidates = [Some(model(&v.file_name)), versions::same(&v.v, latest).then(|| model(name))];
        let old = candidates
            .into_iter()
            .flatten()
            .find(|uid| self.nodes.get(uid).is_some_and(|n| n.resource == Resource::Model && n.version.is_none()));
        let Some(old) = old else {
            return Err(Error::project(
                file,
                format!(
                    "Did not find matching node for patch with name '{}' in the 'models' section of file '{file}': \
                     version {} of model '{name}' needs a model file named {}.sql (or `defined_in:` naming its file)",
                    v.file_name,
                    versions::text(&v.v),
                    v.file_name
                ),
            ));
        };
        let Some(mut node) = self.nodes.remove(&old) else { return Err(Error::Usage(old)) };
        let formatted = format!("v{}", versions::text(&v.v));
        node.unique_id = format!("{}.{formatted}", model(name));
        node.name = name.to_string();
        if let Some(last) = node.fqn.last_mut() {
            *last = name.to_string();
        }
        node.fqn.push(formatted);
        node.version = Some(v.v.clone());
        node.latest_version = Some(latest.clone());
        let uid = node.unique_id.clone();
        self.insert(node)?;
        Ok(uid)
    }
}

impl Project {
    /// dbt's `check_for_model_deprecations`, once the graph is known: a model past its
    /// `deprecation_date` (DeprecatedModel), and each model reading a model with a deprecation date
    /// (DeprecatedReference once it has passed, UpcomingReferenceDeprecation before). Warnings, or
    /// errors under `--warn-error`.
    pub fn warn_deprecations(&self) -> Result<()> {
        let now = chrono::Utc::now();
        let mut dated: Vec<_> = self.nodes.values().filter(|n| n.resource == Resource::Model).filter_map(|n| {
            let date = n.deprecation_date.as_deref()?;
            Some((n, date, chrono::DateTime::parse_from_rfc3339(date).ok()? < now))
        }).collect();
        // dbt's order: unversioned models (as parsed) before the versions (re-added when patched).
        dated.sort_by_key(|(n, _, _)| n.version.is_some());
        for (node, date, past) in dated {
            let version = node.version.as_ref().map(versions::text);
            let dotted = version.as_ref().map(|v| format!(".v{v}")).unwrap_or_default();
            if past {
                let msg = format!("Model {}{dotted} has passed its deprecation date of {date}. This model should be disabled or removed.", node.name);
                let data = serde_json::json!({"model_name": node.name, "model_version": version.clone().unwrap_or_default(), "deprecation_date": date});
                emit(crate::events::model_deprecation("DeprecatedModel", "I065", msg, data))?;
            }
            let latest = node.latest_version.as_ref().map(versions::text).unwrap_or_else(|| "None".into());
            let children = self.nodes.values().filter(|c| c.resource == Resource::Model && c.depends_on.contains(&node.unique_id));
            for child in children {
                let (event, code, when, verb) = if past {
                    ("DeprecatedReference", "I067", "was deprecated on", "Migrate now")
                } else {
                    ("UpcomingReferenceDeprecation", "I066", "is slated for deprecation on", "Try it out")
                };
                let mut msg = format!("While compiling '{}': Found a reference to {}{dotted}, which {when} '{date}'. ", child.name, node.name);
                if version.as_ref().is_some_and(|v| *v != latest) {
                    msg.push_str(&format!(
                        "A new version of '{}' is available. {verb}: {{{{ ref('{}', '{}', v='{latest}') }}}}.",
                        node.name, node.package_name, node.name
                    ));
                }
                let data = serde_json::json!({
                    "model_name": child.name, "ref_model_package": node.package_name, "ref_model_name": node.name,
                    "ref_model_version": version.clone().unwrap_or_default(), "ref_model_latest_version": latest,
                    "ref_model_deprecation_date": date,
                });
                emit(crate::events::model_deprecation(event, code, msg, data))?;
            }
        }
        Ok(())
    }
}

/// A warning, or under `--warn-error` the error dbt's `warn_or_error` raises.
fn emit(e: crate::events::Event) -> Result<()> {
    if crate::flags::get().warn_error {
        return Err(Error::Usage(format!("Compilation Error\n  {}", e.msg)));
    }
    crate::output::printer().emit(e);
    Ok(())
}
