//! `profiles.yml`: found in `--profiles-dir`, `DBT_PROFILES_DIR`, the project dir, then `~/.dbt/`;
//! the target chosen by `--target` or the profile's `target:`, whose values are rendered as dbt does
//! (`env_var()`, secrets allowed and registered for redaction; `var()` from --vars; one-expression values
//! keep their type). The target's raw fields are kept so each warehouse adapter parses its own keys.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use super::dbt_project::parse_yaml;
use super::render::YamlRenderer;

#[derive(Debug, Clone)]
pub struct Target {
    pub profile_name: String,
    pub name: String,
    pub adapter_type: String,
    pub threads: usize,
    /// All keys of the target (type, path, schema, ...), after env_var rendering.
    pub fields: Map<String, Json>,
    pub profiles_file: PathBuf,
}

impl Target {
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Json::as_str)
    }
}

/// Where profiles.yml is looked up, in dbt's order.
pub fn profiles_path(explicit: Option<&Path>, project_dir: &Path) -> Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![];
    if let Some(d) = explicit {
        dirs.push(d.to_path_buf());
    } else {
        if let Ok(d) = std::env::var("DBT_PROFILES_DIR") {
            dirs.push(PathBuf::from(d));
        }
        dirs.push(project_dir.to_path_buf());
        if let Ok(home) = std::env::var("HOME") {
            dirs.push(Path::new(&home).join(".dbt"));
        }
    }
    let tried: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    dirs.into_iter()
        .map(|d| d.join("profiles.yml"))
        .find(|p| p.exists())
        .ok_or_else(|| Error::Profile { message: format!("profiles.yml not found (looked in: {})", tried.join(", ")) })
}

/// `threads:` as dbt's profile schema has it: an integer, and (unlike dbt, which crashes on it) at least 1.
fn positive_threads(v: &Json) -> Option<usize> {
    v.as_u64().filter(|n| *n >= 1).and_then(|n| usize::try_from(n).ok())
}

pub fn load_target(path: &Path, profile: &str, target: Option<&str>, threads: Option<usize>, vars: &Map<String, Json>) -> Result<Target> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc = parse_yaml(&text, "profiles.yml")?;
    let renderer = YamlRenderer::new("profiles.yml", vars, None, true);
    let rendered = |v: &Json| renderer.render(v).map_err(|e| Error::Profile { message: e.to_string().trim_start_matches("profiles.yml: ").to_string() });
    let prof = doc.get(profile).and_then(Json::as_object).ok_or_else(|| Error::Profile {
        message: format!("profile `{profile}` (named in dbt_project.yml) not found in {}", path.display()),
    })?;
    let name = match target {
        Some(t) => t.to_string(),
        None => match prof.get("target").map(&rendered).transpose()? {
            Some(Json::String(t)) => t,
            _ => "dev".to_string(),
        },
    };
    let outputs = prof.get("outputs").and_then(Json::as_object).ok_or_else(|| Error::Profile {
        message: format!("profile `{profile}` has no `outputs:`"),
    })?;
    let raw = outputs.get(&name).and_then(Json::as_object).cloned().ok_or_else(|| {
        let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
        Error::Profile {
            message: format!(
                "target `{name}` not found in profile `{profile}` (targets: {}){}",
                names.join(", "),
                crate::error::did_you_mean(&crate::error::suggest(&name, names.iter().copied()))
            ),
        }
    })?;
    let fields = match renderer.render_tree(&Json::Object(raw), &mut vec![], &|_| false) {
        Ok(Json::Object(f)) => f,
        Ok(_) => Map::new(),
        Err(e) => return Err(Error::Profile { message: e.to_string().trim_start_matches("profiles.yml: ").to_string() }),
    };
    let adapter_type = fields.get("type").and_then(Json::as_str).unwrap_or_default().to_string();
    let configured = match fields.get("threads") {
        None => 1,
        Some(v) => positive_threads(v).ok_or_else(|| Error::Profile {
            message: format!(
                "target `{name}` of profile `{profile}` ({}): at path ['threads']: {v} is not a positive integer (the number of threads, 1 or more)",
                path.display()
            ),
        })?,
    };
    Ok(Target {
        profile_name: profile.into(),
        name,
        adapter_type,
        threads: threads.unwrap_or(configured).max(1),
        fields,
        profiles_file: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads(value: &str) -> Result<usize> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("profiles.yml");
        std::fs::write(&path, format!("p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      threads: {value}\n")).expect("write");
        load_target(&path, "p", None, None, &Map::new()).map(|t| t.threads)
    }

    #[test]
    fn threads_must_be_a_positive_integer_and_the_error_names_the_field() {
        assert_eq!(threads("3").expect("valid"), 3);
        for bad in ["-3", "0", "1.5", "abc"] {
            let e = threads(bad).expect_err(bad).to_string();
            assert!(e.contains("at path ['threads']") && e.contains("target `dev` of profile `p`"), "{bad}: {e}");
        }
    }
}
