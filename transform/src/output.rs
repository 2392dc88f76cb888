//! Everything the user sees: per-node lines (an indicatif bar on a TTY, plain lines otherwise,
//! JSON lines with `--log-format json`), colours unless `NO_COLOR`, and the redaction of secret
//! values (`DBT_ENV_SECRET_*`) from every message before it is printed or written.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub struct Printer {
    format: LogFormat,
    color: bool,
    lock: Mutex<()>,
}

static PRINTER: OnceLock<Printer> = OnceLock::new();
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

pub fn init(format: LogFormat) {
    let tty = std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && format == LogFormat::Text;
    let _ = PRINTER.set(Printer { format, color, lock: Mutex::new(()) });
}

pub fn printer() -> &'static Printer {
    PRINTER.get_or_init(|| Printer { format: LogFormat::Text, color: false, lock: Mutex::new(()) })
}

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Plain,
}

impl Printer {
    pub fn is_json(&self) -> bool {
        self.format == LogFormat::Json
    }

    fn paint(&self, text: &str, tone: Tone) -> String {
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

    /// A plain informational line (text mode) or a JSON event.
    pub fn info(&self, msg: &str) {
        self.event("info", msg, serde_json::json!({}));
    }

    pub fn event(&self, level: &str, msg: &str, data: serde_json::Value) {
        let msg = redact(msg);
        let _g = self.lock.lock();
        let mut out = std::io::stdout().lock();
        if self.is_json() {
            let line = serde_json::json!({
                "ts": chrono::Utc::now().to_rfc3339(), "level": level, "msg": msg, "data": data,
            });
            let _ = writeln!(out, "{line}");
        } else {
            let line = format!("{} {msg}", chrono::Local::now().format("%H:%M:%S"));
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
    }

    /// One node's result line: `3 of 9 OK created view model main.stg_x ...... [OK in 0.02s]`.
    #[allow(clippy::too_many_arguments)]
    pub fn node_line(&self, idx: usize, total: usize, what: &str, tag: &str, tone: Tone, secs: f64, data: serde_json::Value) {
        let left = format!("{idx} of {total} {what} ");
        let dots = ".".repeat(70usize.saturating_sub(left.len()).max(3));
        let status = self.paint(tag, tone);
        let level = match tone {
            Tone::Bad => "error",
            Tone::Warn => "warn",
            _ => "info",
        };
        if self.is_json() {
            self.event(level, &format!("{left}[{tag} in {secs:.2}s]"), data);
        } else {
            self.event(level, &format!("{left}{dots} [{status} in {secs:.2}s]"), data);
        }
    }

    pub fn paint_summary(&self, text: &str, tone: Tone) -> String {
        self.paint(text, tone)
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
