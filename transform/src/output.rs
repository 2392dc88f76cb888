//! Everything the user sees: events (`events.rs`) printed as text lines (an indicatif bar on a TTY)
//! or dbt's JSON lines with `--log-format json`, filtered by level (`--log-level`, `--quiet`), copied
//! to logs/dbt.log; colours unless `NO_COLOR`; and the redaction of secret values (`DBT_ENV_SECRET_*`)
//! from every message before it is printed or written.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::events::{self, Event, Level};

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret value so `redact` hides it everywhere.
pub fn register_secret(value: &str) {
    if value.len() >= 3 {
        if let Ok(mut s) = SECRETS.write() {
            s.push(value.to_string());
        }
    }
}

pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(secrets) = SECRETS.read() {
        for s in secrets.iter() {
            out = out.replace(s.as_str(), "*****");
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How this invocation prints (from the resolved dbt flags; `main` passes them to `init`).
pub struct Settings {
    pub format: LogFormat,
    pub level: Option<Level>,
    pub quiet: bool,
    /// Colours: forced on or off (`--use-colors`/`--no-use-colors`), or only on a terminal.
    pub colors: Option<bool>,
    pub printer_width: usize,
    /// dbt.log: its path, format and lowest level (none: no file).
    pub log_file: Option<(std::path::PathBuf, LogFormat, Option<Level>)>,
}

struct LogFile {
    file: std::fs::File,
    format: LogFormat,
    level: Option<Level>,
}

pub struct Printer {
    format: LogFormat,
    level: Option<Level>,
    quiet: bool,
    color: bool,
    width: usize,
    invocation_id: String,
    file: Option<Mutex<LogFile>>,
    lock: Mutex<()>,
}

static PRINTER: OnceLock<Printer> = OnceLock::new();
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A UUID v4 shaped id for this invocation (dbt's `invocation_id`), from the clock and the process id.
fn new_invocation_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&(nanos, std::process::id()), &mut h);
    let a = std::hash::Hasher::finish(&h);
    std::hash::Hash::hash(&a, &mut h);
    let b = std::hash::Hasher::finish(&h);
    let hex = format!("{a:016x}{b:016x}");
    let variant = ["8", "9", "a", "b"][(b & 3) as usize];
    format!("{}-{}-4{}-{variant}{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
}

fn open_log_file(path: &std::path::Path) -> Option<std::fs::File> {
    let opened = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| std::fs::OpenOptions::new().create(true).append(true).open(path));
    match opened {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("warning: cannot write the log file {}: {e}", path.display());
            None
        }
    }
}

pub fn init(s: Settings) {
    let tty = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = s.format == LogFormat::Text && s.colors.unwrap_or(tty && !no_color);
    let file = s.log_file.and_then(|(path, format, level)| open_log_file(&path).map(|file| Mutex::new(LogFile { file, format, level })));
    let _ = PRINTER.set(Printer {
        format: s.format,
        level: s.level,
        quiet: s.quiet,
        color,
        width: s.printer_width,
        invocation_id: new_invocation_id(),
        file,
        lock: Mutex::new(()),
    });
}

pub fn printer() -> &'static Printer {
    PRINTER.get_or_init(|| Printer {
        format: LogFormat::Text,
        level: Some(Level::Info),
        quiet: false,
        color: false,
        width: 80,
        invocation_id: new_invocation_id(),
        file: None,
        lock: Mutex::new(()),
    })
}

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Plain,
}

/// dbt's thread names: `MainThread` for the main thread, the pool's own names for workers.
fn thread_name() -> String {
    match std::thread::current().name() {
        Some("main") | None => "MainThread".into(),
        Some(name) => name.to_string(),
    }
}

impl Printer {
    pub fn is_json(&self) -> bool {
        self.format == LogFormat::Json
    }

    /// This invocation's id (also in the artifacts' metadata).
    pub fn invocation_id(&self) -> &str {
        &self.invocation_id
    }

    /// The text width of result lines (`--printer-width`).
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn paint(&self, text: &str, tone: Tone) -> String {
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Plain => return text.to_string(),
        };
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A plain informational line (dbt's `Note` event in JSON).
    pub fn info(&self, msg: &str) {
        self.emit(events::note(Level::Info, msg));
    }

    /// A free-form message at `level`.
    pub fn note(&self, level: Level, msg: &str) {
        self.emit(events::note(level, msg));
    }

    fn shown(&self, level: Level) -> bool {
        let min = if self.quiet { Some(Level::Error) } else { self.level };
        min.is_some_and(|min| level >= min)
    }

    fn json_line(&self, e: &Event, ts: &chrono::DateTime<chrono::Utc>) -> String {
        let ts = ts.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let line = serde_json::json!({"data": e.data, "info": events::info(e, &self.invocation_id, &thread_name(), &ts)});
        redact(&events::sorted(line).to_string())
    }

    /// One event: on stdout (text or JSON, when its level is shown) and in dbt.log.
    pub fn emit(&self, e: Event) {
        let now = chrono::Utc::now();
        let _g = self.lock.lock();
        if let Some(file) = &self.file {
            if let Ok(mut f) = file.lock() {
                if f.level.is_some_and(|min| e.level >= min) {
                    let line = match f.format {
                        LogFormat::Json => self.json_line(&e, &now),
                        LogFormat::Text => redact(&format!(
                            "{} [{:<5}] [{}]: {}",
                            now.with_timezone(&chrono::Local).format("%H:%M:%S%.6f"),
                            e.level.as_str(),
                            thread_name(),
                            e.text.as_deref().unwrap_or(&e.msg)
                        )),
                    };
                    let _ = writeln!(f.file, "{line}");
                }
            }
        }
        if !self.shown(e.level) {
            return;
        }
        let line = match (self.format, &e.text) {
            (LogFormat::Json, _) => self.json_line(&e, &now),
            (LogFormat::Text, Some(text)) => redact(&format!("{} {text}", now.with_timezone(&chrono::Local).format("%H:%M:%S"))),
            (LogFormat::Text, None) => return,
        };
        let mut out = std::io::stdout().lock();
        let bar = ACTIVE_BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(out, "{line}");
            }),
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// A result line of dbt's shape: `3 of 9 OK created sql view model main.stg_x ..... [OK in 0.02s]`.
    pub fn result_line(&self, idx: usize, total: usize, what: &str, tag: &str, tone: Tone, secs: Option<f64>) -> String {
        let left = format!("{idx} of {total} {what} ");
        let dots = ".".repeat(self.width.saturating_sub(10).saturating_sub(left.len()).max(3));
        let status = self.paint(tag, tone);
        match secs {
            Some(secs) => format!("{left}{dots} [{status} in {secs:.2}s]"),
            None => format!("{left}{dots} [{status}]"),
        }
    }
}

/// A progress bar over `total` nodes when stdout is a TTY and the format is text; hidden otherwise.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(total: usize) -> Progress {
        let p = printer();
        if p.is_json() || !std::io::stdout().is_terminal() || total == 0 {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut active) = ACTIVE_BAR.lock() {
            *active = Some(bar.clone());
        }
        Progress(Some(bar))
    }
    pub fn set_running(&self, names: &str) {
        if let Some(b) = &self.0 {
            b.set_message(names.to_string());
        }
    }
    pub fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
            if let Ok(mut active) = ACTIVE_BAR.lock() {
                *active = None;
            }
        }
    }
}
