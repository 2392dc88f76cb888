//! `--sync-every`: the dashboard's one writer. On that interval it runs `transform sync` (incremental:
//! the saved state) and then `transform build` (incremental models) as child processes of this binary,
//! holding the writer lock so the refresher never reads meanwhile, then asks for a refresh.

use std::ffi::OsString;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use super::live::Live;
use crate::output::printer;

pub struct Plan {
    pub every: Duration,
    /// Arguments after `transform sync` / `transform build` (the serve command's project flags included).
    pub sync: Vec<OsString>,
    pub build: Vec<OsString>,
}

/// `5m`, `30s`, `1h`, `500ms`, `90` (seconds).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().map_err(|_| format!("`{text}` is not an interval like 30s, 5m or 1h"))?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m or h")),
    };
    match ms {
        0 => Err("the interval must be more than 0".into()),
        ms => Ok(Duration::from_millis(ms)),
    }
}

pub fn spawn(live: Arc<Live>, plan: Plan) {
    std::thread::spawn(move || loop {
        run_once(&live, &plan);
        std::thread::sleep(plan.every);
    });
}

fn run_once(live: &Live, plan: &Plan) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return printer().info(&format!("dashboard: cannot find this program to run sync: {e}")),
    };
    {
        let _writing = live.writer.lock();
        let step = |name: &str, args: &[OsString]| -> Option<i32> {
            let status = Command::new(&exe).arg(name).args(args).status();
            match status {
                Ok(s) => s.code(),
                Err(e) => {
                    printer().info(&format!("dashboard: `transform {name}` could not start: {e}"));
                    None
                }
            }
        };
        // sync exits 1 when a source reported errors but loaded what it read: build on that data too.
        match step("sync", &plan.sync) {
            Some(0 | 1) => {
                if let Some(code) = step("build", &plan.build).filter(|c| *c > 1) {
                    printer().info(&format!("dashboard: `transform build` exited {code}; serving the previous data"));
                }
            }
            Some(code) => printer().info(&format!("dashboard: `transform sync` exited {code}; build skipped")),
            None => {}
        }
    }
    live.poke();
}

#[cfg(test)]
mod tests {
    use super::parse_interval;
    use std::time::Duration;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert!(parse_interval("5 minutes").is_err());
        assert_eq!(parse_interval("300ms"), Ok(Duration::from_millis(300)));
        assert!(parse_interval("0s").is_err());
    }
}
