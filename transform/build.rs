//! Brings the dashboard's charting library (ECharts, pinned by `web/package-lock.json`) from the npm
//! registry with `npm ci` into OUT_DIR, for the binary to embed; it is never committed. Without npm, or
//! offline with an empty npm cache, the build still succeeds: the generated `web_vendor.rs` then holds the
//! reason, and `transform dashboard serve` prints it with the way to get the library.
//! `TRANSFORM_WEB_NODE_MODULES=DIR` uses an already installed `node_modules` instead (offline builds).

use std::path::{Path, PathBuf};
use std::process::Command;

const LIBRARY: &str = "echarts/dist/echarts.min.js";
const LICENSE: &str = "echarts/LICENSE";

fn main() {
    for f in ["web/package.json", "web/package-lock.json"] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=TRANSFORM_WEB_NODE_MODULES");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let code = match node_modules(&out) {
        Ok(dir) => format!(
            "pub const ECHARTS: Result<&[u8], &str> = Ok(include_bytes!({:?}));\npub const ECHARTS_LICENSE: &str = include_str!({:?});\n",
            dir.join(LIBRARY),
            dir.join(LICENSE)
        ),
        Err(why) => {
            println!("cargo:warning=the dashboard's charting library is not embedded: {why}");
            format!("pub const ECHARTS: Result<&[u8], &str> = Err({why:?});\npub const ECHARTS_LICENSE: &str = \"\";\n")
        }
    };
    std::fs::write(out.join("web_vendor.rs"), code).expect("write OUT_DIR/web_vendor.rs");
}

/// A `node_modules` folder holding the library: the one named by the environment, or `npm ci` of the lock.
fn node_modules(out: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("TRANSFORM_WEB_NODE_MODULES") {
        let dir = PathBuf::from(dir);
        return match dir.join(LIBRARY).is_file() {
            true => Ok(dir),
            false => Err(format!("TRANSFORM_WEB_NODE_MODULES={} has no {LIBRARY}", dir.display())),
        };
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let work = out.join("web");
    std::fs::create_dir_all(&work).map_err(|e| format!("create {}: {e}", work.display()))?;
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(manifest.join("web").join(f), work.join(f)).map_err(|e| format!("copy web/{f}: {e}"))?;
    }
    let npm = Command::new("npm")
        .args(["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&work)
        .output()
        .map_err(|e| format!("npm could not be run ({e}); install Node.js with npm, then rebuild"))?;
    if !npm.status.success() {
        let stderr = String::from_utf8_lossy(&npm.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("`npm ci` in web/ failed ({}): {last}", npm.status));
    }
    let dir = work.join("node_modules");
    match dir.join(LIBRARY).is_file() {
        true => Ok(dir),
        false => Err(format!("`npm ci` installed no {LIBRARY}")),
    }
}
