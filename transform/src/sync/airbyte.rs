//! Talking to an Airbyte source executable: `discover` (its catalog), the configured catalog sync
//! chooses (incremental where supported, `append_dedup` where a primary key exists, full refresh →
//! `overwrite`), and `read`, whose stdout is parsed one line at a time as it arrives.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::error::{Error, Result};

fn src_err(exe: &Path, message: impl Into<String>) -> Error {
    Error::Source { source_name: exe.display().to_string(), message: crate::output::redact(&message.into()) }
}

/// Runs `exe discover --config <config>` and returns the catalog's streams.
pub fn discover(exe: &Path, config: &Path) -> Result<Vec<Json>> {
    let out = Command::new(exe)
        .args(["discover", "--config"])
        .arg(config)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| src_err(exe, format!("cannot run: {e}")))?;
    let mut errors = vec![];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Json>(line) else { continue };
        match msg.get("type").and_then(Json::as_str) {
            Some("CATALOG") => {
                let streams = msg.pointer("/catalog/streams").and_then(Json::as_array).cloned().unwrap_or_default();
                return Ok(streams);
            }
            Some("TRACE") => errors.push(msg.get("trace").and_then(trace_error).unwrap_or_default()),
            _ => {}
        }
    }
    let why = errors.into_iter().find(|e| !e.is_empty()).unwrap_or_else(|| format!("exit status {}", out.status));
    Err(src_err(exe, format!("discover printed no CATALOG ({why})")))
}

/// The configured catalog for the discovered `streams` (all of them, or those named in `only`).
pub fn configured_catalog(streams: &[Json], only: &[String]) -> Result<Json> {
    let name = |s: &Json| s.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
    if let Some(missing) = only.iter().find(|o| !streams.iter().any(|s| &name(s) == *o)) {
        let names: Vec<String> = streams.iter().map(name).collect();
        return Err(Error::Usage(format!("--streams: the source has no stream `{missing}` (it has: {})", names.join(", "))));
    }
    let chosen = streams.iter().filter(|s| only.is_empty() || only.contains(&name(s)));
    let configured: Vec<Json> = chosen.map(configure).collect();
    Ok(json!({ "streams": configured }))
}

fn configure(s: &Json) -> Json {
    let modes = s.get("supported_sync_modes").and_then(Json::as_array).cloned().unwrap_or_default();
    let incremental = modes.iter().any(|m| m == "incremental");
    let pk = s.get("source_defined_primary_key").cloned().filter(|k| k.as_array().is_some_and(|a| !a.is_empty()));
    let dest = match (incremental, &pk) {
        (false, _) => "overwrite",
        (true, Some(_)) => "append_dedup",
        (true, None) => "append",
    };
    let mut c = json!({
        "stream": s,
        "sync_mode": if incremental { "incremental" } else { "full_refresh" },
        "destination_sync_mode": dest,
    });
    if let Some(pk) = pk {
        c["primary_key"] = pk;
    }
    if let Some(cursor) = s.get("default_cursor_field") {
        c["cursor_field"] = cursor.clone();
    }
    c
}

/// The message of a TRACE ERROR, if the `trace` object is one.
pub fn trace_error(t: &Json) -> Option<String> {
    if t.get("type").and_then(Json::as_str) != Some("ERROR") {
        return None;
    }
    let e = t.get("error")?;
    let text = e.get("message").and_then(Json::as_str).unwrap_or("(no message)");
    let kind = e.get("failure_type").and_then(Json::as_str).unwrap_or("error");
    Some(format!("{kind}: {text}"))
}

/// The message types sync acts on; others (SPEC, CATALOG, CONTROL…) are ignored.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub enum Kind {
    #[serde(rename = "RECORD")]
    Record,
    #[serde(rename = "STATE")]
    State,
    #[serde(rename = "TRACE")]
    Trace,
    #[serde(rename = "LOG")]
    Log,
    #[serde(other)]
    Other,
}

/// One Airbyte message, parsed straight into what sync needs (no generic JSON tree for the envelope).
#[derive(Debug, Deserialize)]
pub struct Message {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub record: Option<Record>,
    pub state: Option<Json>,
    pub trace: Option<Json>,
    pub log: Option<Json>,
}

#[derive(Debug, Deserialize)]
pub struct Record {
    pub stream: String,
    #[serde(default)]
    pub data: Fields,
    #[serde(default)]
    pub emitted_at: f64,
}

/// A record's top-level fields in emitted order: a plain list (no hashing, no ordered map).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Fields, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object (the record's data)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Fields, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Json>()? {
                    out.push(entry);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A running `read`: its stdout as Airbyte messages, one line at a time.
pub struct Reader {
    exe: PathBuf,
    child: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl Reader {
    pub fn start(exe: &Path, config: &Path, catalog: &Path, state: &Path) -> Result<Reader> {
        let mut child = Command::new(exe)
            .args(["read", "--config"])
            .arg(config)
            .arg("--catalog")
            .arg(catalog)
            .arg("--state")
            .arg(state)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| src_err(exe, format!("cannot run: {e}")))?;
        let stdout = child.stdout.take().ok_or_else(|| src_err(exe, "no stdout"))?;
        let lines = BufReader::with_capacity(1 << 20, stdout).lines();
        Ok(Reader { exe: exe.to_path_buf(), child, lines })
    }

    /// The next message; `Ok(None)` at the end of the output. A non-JSON line is an error.
    pub fn next_message(&mut self) -> Result<Option<Message>> {
        loop {
            let Some(line) = self.lines.next() else { return Ok(None) };
            let line = line.map_err(|e| src_err(&self.exe, format!("reading stdout: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&line).map(Some).map_err(|e| {
                let head: String = line.chars().take(120).collect();
                src_err(&self.exe, format!("printed a line that is not an Airbyte message ({e}): {head}"))
            });
        }
    }

    /// Waits for the source to exit; `Err` text when it failed.
    pub fn finish(mut self) -> std::result::Result<(), String> {
        drop(self.lines);
        match self.child.wait() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("exited with {s}")),
            Err(e) => Err(format!("cannot wait for it: {e}")),
        }
    }

    /// Stops the source after a sync-side error.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
