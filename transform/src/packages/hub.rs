//! The dbt package hub's API, as dbt reads it: `api/v1/index.json` (every package name) and
//! `api/v1/<namespace>/<name>.json` (its versions), under `DBT_PACKAGE_HUB_URL` (default
//! https://hub.getdbt.com/). Tarball downloads are streamed to disk. Answers are cached per run.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

pub const DEFAULT_HUB_URL: &str = "https://hub.getdbt.com/";
const ATTEMPTS: usize = 5;

pub struct Hub {
    base: String,
    client: reqwest::Client,
    rt: tokio::runtime::Runtime,
    index: Option<Vec<String>>,
    packages: HashMap<String, Map<String, Json>>,
}

impl Hub {
    /// The hub at `DBT_PACKAGE_HUB_URL` (dbt's variable), else hub.getdbt.com.
    pub fn from_env() -> Result<Hub> {
        let base = std::env::var("DBT_PACKAGE_HUB_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_HUB_URL.into());
        Hub::new(&base)
    }

    pub fn new(base: &str) -> Result<Hub> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Error::Deps(format!("cannot start the HTTP runtime: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("transform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Deps(format!("cannot build the HTTP client: {e}")))?;
        // dbt joins by plain concatenation; a missing slash would glue `api` to the host's path.
        let base = if base.ends_with('/') { base.to_string() } else { format!("{base}/") };
        Ok(Hub { base, client, rt, index: None, packages: HashMap::new() })
    }

    fn url(&self, name: &str) -> String {
        format!("{}api/v1/{name}.json", self.base)
    }

    /// GET a JSON document, retrying connection errors and server errors as dbt does (5 attempts).
    fn get_json(&self, url: &str) -> Result<Json> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt as u64));
            }
            let sent = self.rt.block_on(async { self.client.get(url).send().await?.error_for_status()?.json::<Json>().await });
            match sent {
                Ok(v) => return Ok(v),
                Err(e) if e.status().is_some_and(|s| s.is_client_error()) => {
                    return Err(Error::Deps(format!("package hub: GET {url}: HTTP {}", e.status().map(|s| s.as_u16()).unwrap_or(0))));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Deps(format!("External connection exception occurred: GET {url}: {last}")))
    }

    /// Every package name on the hub (`namespace/name`).
    pub fn index(&mut self) -> Result<&[String]> {
        if self.index.is_none() {
            let url = self.url("index");
            let names = match self.get_json(&url)? {
                Json::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(String::from)).collect(),
                other => return Err(Error::Deps(format!("package hub: {url} is not a list but {}", kind(&other)))),
            };
            self.index = Some(names);
        }
        Ok(self.index.as_deref().unwrap_or_default())
    }

    /// The versions of `package` (`"1.3.3" -> {name, packages, downloads, require_dbt_version, ...}`).
    pub fn versions(&mut self, package: &str) -> Result<&Map<String, Json>> {
        if !self.packages.contains_key(package) {
            let url = self.url(package);
            let doc = self.get_json(&url)?;
            let versions = check_package_doc(&url, doc)?;
            self.packages.insert(package.to_string(), versions);
        }
        Ok(&self.packages[package])
    }

    /// Streams `url` into `dest` (a file), retrying like the JSON calls.
    pub fn download(&self, url: &str, dest: &Path) -> Result<()> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt as u64));
            }
            match self.rt.block_on(stream_to(&self.client, url, dest)) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(Error::Deps(format!("External connection exception occurred: GET {url}: {last}")))
    }
}

async fn stream_to(client: &reqwest::Client, url: &str, dest: &Path) -> Result<(), String> {
    let mut resp = client.get(url).send().await.and_then(|r| r.error_for_status()).map_err(|e| e.to_string())?;
    let mut file = std::fs::File::create(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        file.write_all(&chunk).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(())
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// dbt's checks of a package document: `name` and `versions`, and `name`/`packages`/`downloads` in each.
fn check_package_doc(url: &str, doc: Json) -> Result<Map<String, Json>> {
    let Json::Object(mut top) = doc else { return Err(Error::Deps(format!("package hub: {url} is not a mapping"))) };
    if !top.contains_key("name") {
        return Err(Error::Deps(format!("package hub: {url} has no `name`")));
    }
    let Some(Json::Object(versions)) = top.remove("versions") else {
        return Err(Error::Deps(format!("package hub: {url} has no `versions` mapping")));
    };
    for (v, meta) in &versions {
        for key in ["name", "packages", "downloads"] {
            if meta.get(key).is_none() {
                return Err(Error::Deps(format!("package hub: {url}: version {v} has no `{key}`")));
            }
        }
    }
    Ok(versions)
}
