//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay test (`tests/fuzz_corpus.rs`): each feeds
//! untrusted bytes through one of the connector's parsers exactly as a command would, and checks what must
//! hold whatever the input (no panic, and the invariants asserted below). Not an API: the library exposes
//! these and `cli::main` only.
use reqwest::header::{HeaderMap, HeaderValue};

use crate::catalog;
use crate::config::Config;
use crate::http;
use crate::state::{self, StreamState};

/// The config parser (`check`, `discover` and `read` all start here); a valid config also builds every
/// provider's headers (its keys must be sendable).
pub fn config(text: &str) -> Result<(), String> {
    let config = Config::from_json(text).map_err(|e| e.to_string())?;
    for api in &config.providers {
        api.headers().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The configured-catalog parser, against every stream of the default config: the streams selected.
pub fn catalog(text: &str) -> Result<usize, String> {
    let streams = default_config().streams();
    let (selected, _) =
        catalog::parse_configured("fuzz", text, &streams).map_err(|e| e.to_string())?;
    Ok(selected.len())
}

/// The `--state` parser, then each stream's state as `read` takes it. A state that was accepted reads back
/// to itself: its checkpoint, parsed again, gives the same checkpoint.
pub fn state(text: &str) -> Result<usize, String> {
    let input = state::parse_input("fuzz", text).map_err(|e| e.to_string())?;
    for (stream, cursors) in &input {
        let Ok(st) = StreamState::from_input(stream, Some(cursors)) else {
            continue;
        };
        let value = st.to_value();
        let again = StreamState::from_input(stream, value.as_object())
            .map(|s| s.to_value())
            .map_err(|e| format!("a checkpoint does not read back: {e}"))?;
        assert_eq!(again, value, "a checkpoint reads back to itself");
    }
    Ok(input.len())
}

/// One HTTP answer judged by every provider's rules (error envelopes, HTML pages, truncated JSON, rate-limit
/// headers): `status`, an optional `Retry-After` value and the body. The outcomes, one per provider.
pub fn answer(status: u16, retry_after: Option<&str>, body: &[u8]) -> Vec<Result<(), String>> {
    let mut headers = HeaderMap::new();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert("retry-after", value);
    }
    let status = status.clamp(100, 599);
    default_config()
        .providers
        .iter()
        .map(|api| {
            http::judge(api.as_ref(), status, headers.clone(), body.to_vec())
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Every provider, CoinMarketCap's error codes included (it reads them only with a key); read once.
fn default_config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(
        || match Config::from_json(r#"{"coinmarketcap_api_key": "fuzz"}"#) {
            Ok(config) => config,
            Err(e) => unreachable!("the fuzzing config is valid: {e}"),
        },
    )
}

/// Splits a fuzz input for [`answer`]: a first line `STATUS [RETRY-AFTER]` (like `429 5`), then the body. An
/// input without such a line is a whole body with status 200.
pub fn split_answer(data: &[u8]) -> (u16, Option<String>, &[u8]) {
    let head = data.iter().take(64).position(|b| *b == b'\n');
    let parsed = head.and_then(|end| {
        let line = std::str::from_utf8(&data[..end]).ok()?;
        let mut words = line.split_whitespace();
        let status = words.next()?.parse::<u16>().ok()?;
        Some((status, words.next().map(str::to_string), &data[end + 1..]))
    });
    parsed.unwrap_or((200, None, data))
}
