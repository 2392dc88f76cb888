//! A `type: bigquery` target of profiles.yml, with dbt-bigquery's keys: `method` (service-account +
//! `keyfile`, service-account-json + `keyfile_json`, oauth = application default credentials),
//! `project`/`database`, `dataset`/`schema`, `location`, job limits and cost controls, and
//! `api_base_url` (emulators, private endpoints: a fixed token, no Google credentials).

use std::path::PathBuf;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::profiles::Target;

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// A service-account key file (`method: service-account`, `keyfile`).
    KeyFile(PathBuf),
    /// An inline service-account key (`method: service-account-json`, `keyfile_json`): kept out of `Debug`.
    KeyJson(Secret),
    /// Application default credentials (`method: oauth`).
    Oauth,
    /// `api_base_url` set and no other method: emulators accept any bearer token.
    FixedToken,
}

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub project: String,
    pub dataset: String,
    pub location: Option<String>,
    pub auth: Auth,
    pub job_execution_timeout_seconds: u64,
    pub job_retries: u32,
    /// `INTERACTIVE` or `BATCH` (the REST spelling).
    pub priority: String,
    pub maximum_bytes_billed: Option<i64>,
    pub api_base_url: Option<String>,
}

fn bad(target: &Target, key: &str, why: &str) -> Error {
    Error::Profile { message: format!("target `{}` (type bigquery): `{key}` {why}", target.name) }
}

/// A string field, also accepting the aliases dbt-bigquery allows.
fn text(target: &Target, keys: &[&str]) -> Result<Option<String>> {
    for key in keys {
        match target.fields.get(*key) {
            None | Some(Json::Null) => continue,
            Some(Json::String(s)) if !s.trim().is_empty() => return Ok(Some(s.trim().to_string())),
            Some(Json::String(_)) => return Err(bad(target, key, "is empty")),
            Some(Json::Number(n)) => return Ok(Some(n.to_string())),
            Some(_) => return Err(bad(target, key, "must be a string")),
        }
    }
    Ok(None)
}

/// A non-negative integer field (YAML number or an `env_var()`-rendered string).
fn integer(target: &Target, key: &str) -> Result<Option<u64>> {
    match target.fields.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(target, key, "must be a non-negative integer")),
        Some(Json::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(target, key, &format!("must be a non-negative integer, got `{s}`"))),
        Some(_) => Err(bad(target, key, "must be a non-negative integer")),
    }
}

fn auth(target: &Target, api_base_url: Option<&str>) -> Result<Auth> {
    let method = text(target, &["method"])?;
    match (method.as_deref(), api_base_url) {
        (None, Some(_)) => Ok(Auth::FixedToken),
        (None, None) => Err(bad(target, "method", "is required: service-account, service-account-json or oauth")),
        (Some("oauth"), _) => Ok(Auth::Oauth),
        (Some("service-account"), _) => {
            let file = text(target, &["keyfile"])?.ok_or_else(|| bad(target, "keyfile", "is required with method service-account"))?;
            Ok(Auth::KeyFile(PathBuf::from(file)))
        }
        (Some("service-account-json"), _) => {
            let key = match target.fields.get("keyfile_json") {
                Some(Json::Object(m)) => Json::Object(m.clone()).to_string(),
                Some(Json::String(s)) if !s.trim().is_empty() => s.clone(),
                _ => return Err(bad(target, "keyfile_json", "is required with method service-account-json (a mapping or a JSON string)")),
            };
            register_key_secrets(&key);
            Ok(Auth::KeyJson(Secret(key)))
        }
        (Some(other), _) => Err(bad(target, "method", &format!("`{other}` is not supported (service-account, service-account-json, oauth)"))),
    }
}

/// The private key (and the whole blob) never reach logs or errors.
fn register_key_secrets(key: &str) {
    crate::output::register_secret(key);
    if let Ok(Json::Object(m)) = serde_json::from_str::<Json>(key) {
        for field in ["private_key", "private_key_id"] {
            if let Some(v) = m.get(field).and_then(Json::as_str) {
                crate::output::register_secret(v);
            }
        }
    }
}

impl Profile {
    pub fn parse(target: &Target) -> Result<Profile> {
        let project = text(target, &["project", "database"])?.ok_or_else(|| bad(target, "project", "is required (alias: database)"))?;
        let dataset = text(target, &["dataset", "schema"])?.ok_or_else(|| bad(target, "dataset", "is required (alias: schema)"))?;
        let api_base_url = text(target, &["api_base_url"])?.map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &api_base_url {
            if !u.starts_with("http://") && !u.starts_with("https://") {
                return Err(bad(target, "api_base_url", &format!("must be an http(s) URL, got `{u}`")));
            }
        }
        let priority = match text(target, &["priority"])?.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("interactive") => "INTERACTIVE".to_string(),
            Some("batch") => "BATCH".to_string(),
            Some(other) => return Err(bad(target, "priority", &format!("must be interactive or batch, got `{other}`"))),
        };
        if target.fields.get("impersonate_service_account").is_some() {
            return Err(bad(target, "impersonate_service_account", "is not supported yet; use a key file or application default credentials"));
        }
        let maximum_bytes_billed = integer(target, "maximum_bytes_billed")?
            .map(|b| i64::try_from(b).map_err(|_| bad(target, "maximum_bytes_billed", "is too large")))
            .transpose()?;
        Ok(Profile {
            auth: auth(target, api_base_url.as_deref())?,
            project,
            dataset,
            location: text(target, &["location"])?,
            job_execution_timeout_seconds: integer(target, "job_execution_timeout_seconds")?.unwrap_or(300).max(1),
            job_retries: integer(target, "job_retries")?.unwrap_or(1).min(100) as u32,
            priority,
            maximum_bytes_billed,
            api_base_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(yaml: &str) -> Target {
        let fields: serde_json::Map<String, Json> = serde_yaml::from_str(yaml).expect("yaml");
        Target {
            profile_name: "p".into(),
            name: "prod".into(),
            adapter_type: "bigquery".into(),
            threads: 1,
            fields,
            profiles_file: PathBuf::from("profiles.yml"),
        }
    }

    fn err(yaml: &str) -> String {
        Profile::parse(&target(yaml)).expect_err("should fail").to_string()
    }

    #[test]
    fn service_account_keyfile_with_all_keys() {
        let p = Profile::parse(&target(
            "type: bigquery\nmethod: service-account\nkeyfile: /k.json\nproject: p1\ndataset: d1\nlocation: EU\n\
             threads: 4\njob_execution_timeout_seconds: 600\njob_retries: 3\npriority: batch\nmaximum_bytes_billed: '1000000'\n",
        ))
        .expect("parse");
        assert_eq!(p.auth, Auth::KeyFile(PathBuf::from("/k.json")));
        assert_eq!((p.project.as_str(), p.dataset.as_str(), p.location.as_deref()), ("p1", "d1", Some("EU")));
        assert_eq!((p.job_execution_timeout_seconds, p.job_retries, p.priority.as_str()), (600, 3, "BATCH"));
        assert_eq!(p.maximum_bytes_billed, Some(1_000_000));
        assert_eq!(p.api_base_url, None);
    }

    #[test]
    fn aliases_defaults_and_oauth() {
        let p = Profile::parse(&target("type: bigquery\nmethod: oauth\ndatabase: p2\nschema: d2\n")).expect("parse");
        assert_eq!((p.project.as_str(), p.dataset.as_str()), ("p2", "d2"));
        assert_eq!(p.auth, Auth::Oauth);
        assert_eq!((p.job_execution_timeout_seconds, p.job_retries, p.priority.as_str(), p.location), (300, 1, "INTERACTIVE", None));
    }

    #[test]
    fn emulator_url_means_fixed_token() {
        let p = Profile::parse(&target("type: bigquery\nproject: p\ndataset: d\napi_base_url: http://127.0.0.1:9050/bigquery/v2/\n")).expect("parse");
        assert_eq!(p.auth, Auth::FixedToken);
        assert_eq!(p.api_base_url.as_deref(), Some("http://127.0.0.1:9050/bigquery/v2"));
    }

    #[test]
    fn inline_key_is_kept_secret() {
        let yaml = "type: bigquery\nmethod: service-account-json\nproject: p\ndataset: d\nkeyfile_json:\n  type: service_account\n  private_key: '-----BEGIN PRIVATE KEY-----TOPSECRET'\n";
        let p = Profile::parse(&target(yaml)).expect("parse");
        assert!(matches!(&p.auth, Auth::KeyJson(s) if s.0.contains("TOPSECRET")));
        assert!(!format!("{p:?}").contains("TOPSECRET"), "Debug must not show the key");
        assert!(!crate::output::redact("key: -----BEGIN PRIVATE KEY-----TOPSECRET").contains("TOPSECRET"));
    }

    #[test]
    fn bad_values_name_the_key() {
        assert!(err("type: bigquery\nmethod: oauth\ndataset: d\n").contains("`project` is required"));
        assert!(err("type: bigquery\nmethod: oauth\nproject: p\n").contains("`dataset` is required"));
        assert!(err("type: bigquery\nproject: p\ndataset: d\n").contains("`method` is required"));
        assert!(err("type: bigquery\nmethod: service-account\nproject: p\ndataset: d\n").contains("`keyfile` is required"));
        assert!(err("type: bigquery\nmethod: token\nproject: p\ndataset: d\n").contains("`method` `token` is not supported"));
        assert!(err("type: bigquery\nmethod: oauth\nproject: p\ndataset: d\npriority: urgent\n").contains("`priority`"));
        assert!(err("type: bigquery\nmethod: oauth\nproject: p\ndataset: d\njob_retries: many\n").contains("`job_retries` must be a non-negative integer"));
        assert!(err("type: bigquery\nmethod: oauth\nproject: p\ndataset: d\nmaximum_bytes_billed: -5\n").contains("`maximum_bytes_billed`"));
        assert!(err("type: bigquery\nproject: p\ndataset: d\napi_base_url: localhost:9050\n").contains("`api_base_url` must be an http(s) URL"));
        assert!(err("type: bigquery\nmethod: service-account-json\nproject: p\ndataset: d\n").contains("`keyfile_json` is required"));
    }
}
