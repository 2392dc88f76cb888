//! Reading what a response says beyond its body: error bodies of every shape (provider JSON envelopes, also
//! with HTTP 200; HTML pages; plain text) turned into one line of the provider's own words, and the headers
//! that steer retries and paging (`Retry-After`, `X-RateLimit-*`).
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::protocol::now_ms;

/// `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset` (epoch seconds) when nothing remains.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            // A silly value (negative, NaN, 1e300) must not panic: it becomes "now" or "too long to wait".
            return Some(Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some((at.timestamp_millis() - now_ms()).max(0) as u64)
                .map(Duration::from_millis);
        }
    }
    rate_limit_exhausted(headers)
}

/// The header a wait comes from, as sent (`Retry-After: 259200`, `X-RateLimit-Reset: 1767225600`).
pub fn wait_header(headers: &HeaderMap) -> Option<String> {
    let shown = |name: &str| {
        let value = headers.get(name)?.to_str().ok()?.trim();
        Some(format!(
            "{name}: {}",
            value.chars().take(64).collect::<String>()
        ))
    };
    shown("Retry-After").or_else(|| {
        rate_limit_exhausted(headers)?;
        shown("X-RateLimit-Reset")
    })
}

/// When `X-RateLimit-Remaining` (GitHub, Reddit) says nothing is left, how long until `X-RateLimit-Reset`.
/// GitHub sends the reset as epoch seconds, Reddit as seconds until the window ends: values below 10⁹ are
/// read as the latter.
pub fn rate_limit_exhausted(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let remaining: f64 = text("x-ratelimit-remaining")?.parse().ok()?;
    if remaining >= 1.0 {
        return None;
    }
    let reset: f64 = text("x-ratelimit-reset")?.parse().ok()?;
    if !reset.is_finite() || reset < 0.0 {
        return None;
    }
    let ms = if reset < 1e9 {
        reset * 1000.0
    } else {
        (reset * 1000.0 - now_ms() as f64).max(0.0)
    };
    Some(Duration::from_millis(ms.min(1e12) as u64))
}

pub fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    head.trim_start().starts_with('<')
        && (head.contains("<html") || head.contains("<!doctype") || head.contains("<head"))
}

/// The provider's own words from an error body of any shape, shortened to one line.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some((_, message)) = envelope_error(&value) {
            return message;
        }
        // GitHub: `{"message": "Not Found", "documentation_url": ...}`.
        if let Some(message) = value.get("message").and_then(Value::as_str) {
            return one_line(message);
        }
        return one_line(&value.to_string());
    }
    let text = String::from_utf8_lossy(body);
    if looks_like_html(body) {
        let lower = text.to_ascii_lowercase();
        let title = lower.find("<title>").and_then(|s| {
            lower[s..]
                .find("</title>")
                .map(|e| text[s + 7..s + e].trim().to_string())
        });
        return format!(
            "HTML page{}",
            title
                .map(|t| format!(" \"{}\"", one_line(&t)))
                .unwrap_or_default()
        );
    }
    if text.trim().is_empty() {
        "empty body".to_string()
    } else {
        one_line(&text)
    }
}

fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 300 {
        format!("{}…", flat.chars().take(300).collect::<String>())
    } else {
        flat
    }
}

/// Recognises the error envelopes of the providers: `{"status":{"error_code":N,"error_message":..}}`
/// (CoinGecko, CoinMarketCap; code 0 is success unless `error_message` says otherwise), `{"error": "..."}`
/// and `{"error":{"status":{..}}}` (CoinGecko, mempool.space) and `{"status":"error", "message"|"error": ..}`.
pub fn envelope_error(value: &Value) -> Option<(Option<i64>, String)> {
    let obj = value.as_object()?;
    if let Some(status) = obj.get("status").and_then(Value::as_object) {
        let code = status
            .get("error_code")
            .and_then(Value::as_i64)
            .filter(|c| *c != 0);
        // Code 0 is success, unless an error message says otherwise (an error body with code 0).
        let message = status
            .get("error_message")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if code.is_some() || message.is_some() {
            return Some((code, message.unwrap_or("no message").to_string()));
        }
    }
    if obj
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("error"))
    {
        let message = obj
            .get("message")
            .or_else(|| obj.get("error"))
            .map(plain)
            .unwrap_or_default();
        return Some((None, message));
    }
    match obj.get("error")? {
        Value::Null => None,
        // Reddit: `{"message": "Too Many Requests", "error": 429}`, also with HTTP 200, and
        // `{"reason": "private", "message": "Forbidden", "error": 403}`.
        Value::Number(n) => {
            let mut message = obj
                .get("message")
                .map(plain)
                .unwrap_or_else(|| "no message".into());
            if let Some(reason) = obj.get("reason").filter(|r| !r.is_null()) {
                message = format!("{message} (reason: {})", plain(reason));
            }
            Some((n.as_i64(), message))
        }
        Value::Object(inner) if inner.contains_key("status") => {
            envelope_error(&Value::Object(inner.clone()))
        }
        other => Some((None, plain(other))),
    }
}

fn plain(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn envelopes_of_every_shape_are_recognised() {
        let cases = [
            (
                r#"{"status":{"error_code":429,"error_message":"slow down"}}"#,
                Some((Some(429), "slow down")),
            ),
            (
                r#"{"error":{"status":{"error_code":10012,"error_message":"365 days"}}}"#,
                Some((Some(10012), "365 days")),
            ),
            (
                r#"{"error":"coin not found"}"#,
                Some((None, "coin not found")),
            ),
            (
                r#"{"reason":"private","message":"Forbidden","error":403}"#,
                Some((Some(403), "Forbidden (reason: private)")),
            ),
            (
                r#"{"status":"error","message":"bad chart"}"#,
                Some((None, "bad chart")),
            ),
            (
                r#"{"status":{"error_code":0,"error_message":null},"data":{}}"#,
                None,
            ),
            (
                r#"{"status":{"error_code":0,"error_message":"API disabled"}}"#,
                Some((None, "API disabled")),
            ),
            (r#"{"status":{"error_code":0,"error_message":" "}}"#, None),
            (r#"{"status":"ok","values":[]}"#, None),
            (r#"[1,2]"#, None),
        ];
        for (body, want) in cases {
            let got = envelope_error(&serde_json::from_str(body).unwrap());
            assert_eq!(got, want.map(|(c, m)| (c, m.to_string())), "{body}");
        }
    }

    #[test]
    fn error_messages_from_html_and_text() {
        assert_eq!(
            error_message(
                b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"
            ),
            "HTML page \"502 Bad Gateway\""
        );
        assert_eq!(
            error_message(b"  Too many\n requests "),
            "Too many requests"
        );
        assert_eq!(error_message(b""), "empty body");
    }

    #[test]
    fn retry_after_seconds_and_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", HeaderValue::from_static("1e300"));
        assert_eq!(retry_after(&h), Some(Duration::MAX));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(
            retry_after(&h),
            Some(Duration::from_secs(1)),
            "a small reset is seconds from now (Reddit)"
        );
    }

    #[test]
    fn rate_limit_reset_as_epoch_or_delta() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0.0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("42"));
        assert_eq!(rate_limit_exhausted(&h), Some(Duration::from_secs(42)));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("3"));
        assert_eq!(rate_limit_exhausted(&h), None);
    }
}
