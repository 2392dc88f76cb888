//! Talking to an Airbyte source executable: `discover` (its catalog), the configured catalog sync
//! chooses (incremental where supported, `append_dedup` where a primary key exists, full refresh →
//! `overwrite`), and `read`, whose stdout is read one line at a time as it arrives; the message
//! shapes sync reads (borrowed from the line); the config's secrets (from `spec`) for redaction.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde::Deserialize;
use serde_json::value::RawValue;
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

/// One Airbyte message: its type and its members as raw slices of the line (parsed only as needed).
#[derive(Debug, Deserialize)]
pub struct Message<'a> {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(borrow, default)]
    pub record: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub state: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub trace: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub log: Option<&'a RawValue>,
}

/// A RECORD's `record`: the stream, its data (raw) and when it was emitted (ms since the epoch).
#[derive(Debug, Deserialize)]
pub struct Record<'a> {
    #[serde(borrow)]
    pub stream: Cow<'a, str>,
    #[serde(borrow)]
    pub data: &'a RawValue,
    #[serde(default)]
    pub emitted_at: f64,
}

/// The stream a TRACE STREAM_STATUS COMPLETE reports finished, if `t` is one.
pub fn stream_complete(t: &Json) -> Option<&str> {
    let s = t.get("stream_status").filter(|_| t.get("type").and_then(Json::as_str) == Some("STREAM_STATUS"))?;
    (s.get("status").and_then(Json::as_str) == Some("COMPLETE")).then(|| s.pointer("/stream_descriptor/name").and_then(Json::as_str))?
}

/// The values of `config` at the paths its spec marks `airbyte_secret` (Airbyte's secret rule).
pub fn secrets(spec: &Json, config: &Json) -> Vec<String> {
    let mut out = vec![];
    if spec.get("airbyte_secret").and_then(Json::as_bool) == Some(true) {
        match config {
            Json::String(s) if !s.is_empty() => out.push(s.clone()),
            Json::Null | Json::String(_) => {}
            other => out.push(other.to_string()),
        }
    }
    for (name, sub) in spec.get("properties").and_then(Json::as_object).into_iter().flatten() {
        if let Some(v) = config.get(name) {
            out.extend(secrets(sub, v));
        }
    }
    for alt in ["oneOf", "anyOf", "allOf"].iter().filter_map(|k| spec.get(*k).and_then(Json::as_array)).flatten() {
        out.extend(secrets(alt, config));
    }
    if let (Some(items), Some(list)) = (spec.get("items"), config.as_array()) {
        out.extend(list.iter().flat_map(|v| secrets(items, v)));
    }
    out
}

/// Registers the config's secret values for redaction, from `exe spec` (a source without a usable
/// spec is run anyway; its output is then redacted only of the warehouse's own secrets).
pub fn register_secrets(exe: &Path, config: &Path) {
    let Ok(out) = Command::new(exe).arg("spec").stderr(Stdio::null()).output() else { return };
    let Ok(text) = std::fs::read_to_string(config) else { return };
    let Ok(config) = serde_json::from_str::<Json>(&text) else { return };
    let spec = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .find(|m| m["type"] == "SPEC")
        .map(|m| m["spec"]["connectionSpecification"].clone());
    for secret in secrets(&spec.unwrap_or_default(), &config) {
        crate::output::register_secret(&secret);
    }
}

/// A running `read` (the process; its stdout is the `Lines` that `start` returns).
pub struct Reader {
    child: Child,
}

/// The stdout of a running `read`, one line at a time.
pub struct Lines {
    exe: PathBuf,
    out: Box<dyn BufRead + Send>,
    /// Lines read so far (the number of the last line returned).
    pub line: u64,
}

impl Reader {
    pub fn start(exe: &Path, config: &Path, catalog: &Path, state: &Path) -> Result<(Reader, Lines)> {
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
        Ok((Reader { child }, Lines::new(exe, BufReader::with_capacity(1 << 20, stdout))))
    }

    /// Waits for the source to exit; `Err` text when it failed.
    pub fn finish(mut self) -> std::result::Result<(), String> {
        match self.child.wait() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("exited with {s}")),
            Err(e) => Err(format!("cannot wait for it: {e}")),
        }
    }

    /// Stops the source (after a sync-side error); its stdout then ends.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lines {
    /// Lines of `out`, as the output of the source `exe` (named in errors).
    pub fn new(exe: &Path, out: impl BufRead + Send + 'static) -> Lines {
        Lines { exe: exe.to_path_buf(), out: Box::new(out), line: 0 }
    }

    /// Reads the next line into `buf` (without its newline); false at the end of the output.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        buf.clear();
        let n = self.out.read_until(b'\n', buf).map_err(|e| src_err(&self.exe, format!("reading stdout: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_follow_the_spec_marks() {
        let spec = json!({"properties": {
            "api_key": {"type": "string", "airbyte_secret": true}, "name": {"type": "string"},
            "auth": {"oneOf": [{"properties": {"token": {"airbyte_secret": true}}}]},
            "keys": {"type": "array", "items": {"type": "string", "airbyte_secret": true}}}});
        let config = json!({"api_key": "k1", "name": "visible", "auth": {"token": "t1"}, "keys": ["a1", "a2"]});
        assert_eq!(secrets(&spec, &config), vec!["k1", "t1", "a1", "a2"]);
    }

    #[test]
    fn stream_complete_reads_the_status_trace() {
        let t = json!({"type": "STREAM_STATUS", "stream_status": {"stream_descriptor": {"name": "s"}, "status": "COMPLETE"}});
        assert_eq!(stream_complete(&t), Some("s"));
        let running = json!({"type": "STREAM_STATUS", "stream_status": {"stream_descriptor": {"name": "s"}, "status": "RUNNING"}});
        assert_eq!(stream_complete(&running), None);
    }
}
