//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay test: each feeds untrusted bytes through
//! one of the connector's parsers exactly as a command would. Not an API: the connector's library exposes
//! these and `cli::main` only.
use crate::config::Config;

/// The config parser (`check`, `discover` and `read` all start here).
pub fn config(text: &str) -> Result<(), String> {
    Config::from_json(text).map(drop).map_err(|e| e.to_string())
}
