//! dbt's global flags of this invocation (`--target-path`, `--profile`, `--quiet`, `--no-write-json`,
//! `--warn-error`, …), resolved once from the command line and their `DBT_*` variables (a flag beats
//! its variable, which beats the default; `cli.rs` does the resolving) and readable from any layer.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::events::Level;
use crate::output::LogFormat;

#[derive(Debug, Clone)]
pub struct Flags {
    pub log_format: LogFormat,
    pub log_format_file: LogFormat,
    /// The lowest level printed on stdout; `None` prints nothing (dbt's `--log-level none`).
    pub log_level: Option<Level>,
    pub log_level_file: Option<Level>,
    /// The directory of dbt.log (`--log-path`; default `<project>/logs`).
    pub log_path: Option<PathBuf>,
    /// Overrides dbt_project.yml's `target-path`.
    pub target_path: Option<PathBuf>,
    /// Overrides dbt_project.yml's `profile:`.
    pub profile: Option<String>,
    pub quiet: bool,
    pub write_json: bool,
    pub use_colors: Option<bool>,
    /// Warnings (tests of severity warn, freshness past warn_after) count as errors.
    pub warn_error: bool,
    pub printer_width: usize,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            log_format: LogFormat::Text,
            log_format_file: LogFormat::Text,
            log_level: Some(Level::Info),
            log_level_file: Some(Level::Debug),
            log_path: None,
            target_path: None,
            profile: None,
            quiet: false,
            write_json: true,
            use_colors: None,
            warn_error: false,
            printer_width: 80,
        }
    }
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// The invocation's flags (the defaults until `init`, e.g. in unit tests).
pub fn get() -> &'static Flags {
    FLAGS.get_or_init(Flags::default)
}

pub fn init(flags: Flags) {
    let _ = FLAGS.set(flags);
}

/// A non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A boolean variable as dbt reads it: `1/true/t/yes/y/on` or `0/false/f/no/n/off`, any case.
pub fn env_bool(name: &str) -> Result<Option<bool>> {
    let Some(v) = env(name) else { return Ok(None) };
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(Some(true)),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(Some(false)),
        _ => Err(Error::Usage(format!("{name}={v:?} is not a boolean (true/false, 1/0)"))),
    }
}

/// A `--x/--no-x` pair: the flag given wins, then the variable, then `default`.
pub fn pair(yes: bool, no: bool, var: &str, default: bool) -> Result<bool> {
    Ok(match (yes, no) {
        (true, _) => true,
        (_, true) => false,
        _ => env_bool(var)?.unwrap_or(default),
    })
}

/// `--log-format`/`--log-format-file`: dbt's `text`, `default` and `debug` are text, `json` is JSON.
pub fn log_format(raw: Option<&str>, var: &str, default: LogFormat) -> Result<LogFormat> {
    match raw.map(String::from).or_else(|| env(var)).as_deref() {
        None => Ok(default),
        Some("text" | "default" | "debug") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(Error::Usage(format!("log format `{other}` ({var}): expected text, debug, json or default"))),
    }
}

/// `--log-level`/`--log-level-file`: debug, info, warn, error or none.
pub fn log_level(raw: Option<&str>, var: &str, default: Option<Level>) -> Result<Option<Level>> {
    match raw.map(String::from).or_else(|| env(var)).as_deref() {
        None => Ok(default),
        Some("debug") => Ok(Some(Level::Debug)),
        Some("info") => Ok(Some(Level::Info)),
        Some("warn") => Ok(Some(Level::Warn)),
        Some("error") => Ok(Some(Level::Error)),
        Some("none") => Ok(None),
        Some(other) => Err(Error::Usage(format!("log level `{other}` ({var}): expected debug, info, warn, error or none"))),
    }
}

/// `--warn-error-options`: `{include: all}` (or `"*"`, or `error: all`) is `--warn-error`; lists of single
/// event names are refused, since transform does not name its warnings by dbt event.
pub fn warn_error_options(raw: Option<&str>) -> Result<bool> {
    let Some(text) = raw.map(String::from).or_else(|| env("DBT_WARN_ERROR_OPTIONS")) else { return Ok(false) };
    let v: serde_json::Value = serde_yaml::from_str(&text).map_err(|e| Error::Usage(format!("--warn-error-options {text}: {e}")))?;
    let include = v.get("include").or_else(|| v.get("error"));
    let some_excluded = v.get("exclude").or_else(|| v.get("warn")).and_then(|e| e.as_array()).is_some_and(|e| !e.is_empty());
    match include.and_then(|i| i.as_str()) {
        Some("all" | "*") if !some_excluded => Ok(true),
        _ if include.is_none() && !some_excluded => Ok(false),
        _ => Err(Error::Usage(format!(
            "--warn-error-options {text}: only `{{include: all}}` is supported (transform has no per-event warning list)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warn_error_options_all_is_warn_error() {
        assert!(warn_error_options(Some("{include: all}")).unwrap());
        assert!(warn_error_options(Some("{\"error\": \"*\"}")).unwrap());
        assert!(!warn_error_options(Some("{}")).unwrap());
        assert!(warn_error_options(Some("{include: [NoNodesForSelectionCriteria]}")).is_err());
    }

    #[test]
    fn log_formats_follow_dbt_names() {
        assert_eq!(log_format(Some("debug"), "X_UNSET_1", LogFormat::Json).unwrap(), LogFormat::Text);
        assert_eq!(log_format(None, "X_UNSET_1", LogFormat::Json).unwrap(), LogFormat::Json);
        assert!(log_format(Some("yaml"), "X_UNSET_1", LogFormat::Text).is_err());
    }
}
