//! Airbyte protocol messages and the one stdout writer. Every line on stdout is one JSON message written here;
//! records are assembled straight into a 1 MiB buffer (fewer, larger writes to the pipe) that is flushed after
//! each STATE, TRACE and at the end, so the platform sees checkpoints promptly. Human-readable text (LOG, TRACE, CONNECTION_STATUS) is redacted of
//! every configured secret before it is written, and LOG lines are copied to stderr.
use std::io::{Stdout, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::error::FailureType;
use crate::record::Record;

/// Milliseconds since the Unix epoch, the unit of every `emitted_at`.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The shared stdout writer. Cloning is cheap; all clones write to the same buffer.
#[derive(Clone)]
pub struct Output {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    out: Buffered,
    /// The start of the RECORD lines of the stream being written.
    head: Head,
    secrets: Vec<String>,
}

/// Bytes on their way to stdout, written out once they pass [`Buffered::CAPACITY`] and on every flush. Unlike
/// a `BufWriter`, its buffer is open: a RECORD line is assembled in place, not copied in.
struct Buffered {
    buf: Vec<u8>,
    stdout: Stdout,
}

impl Buffered {
    const CAPACITY: usize = 1024 * 1024;

    /// Writes the buffer out when it is full enough.
    fn spill(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= Self::CAPACITY {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut stdout = self.stdout.lock();
        stdout.write_all(&self.buf)?;
        self.buf.clear();
        stdout.flush()
    }
}

impl Drop for Buffered {
    /// What is left goes out, as a `BufWriter` does when dropped (an error has nowhere to go by then).
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.flush();
        }
    }
}

impl Output {
    pub fn stdout() -> Self {
        let out = Buffered {
            // Room for the line that crosses the threshold.
            buf: Vec::with_capacity(Buffered::CAPACITY + 64 * 1024),
            stdout: std::io::stdout(),
        };
        Output {
            inner: Arc::new(Mutex::new(Inner {
                out,
                head: Head::default(),
                secrets: Vec::new(),
            })),
        }
    }

    /// Registers values that must never appear in output text (API keys). Empty strings are ignored.
    pub fn add_secrets(&self, secrets: impl IntoIterator<Item = String>) {
        let mut inner = self.lock();
        inner
            .secrets
            .extend(secrets.into_iter().filter(|s| !s.is_empty()));
    }

    /// Replaces every registered secret in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        redact_with(&self.lock().secrets, text)
    }

    /// One RECORD line: the bytes serde_json writes for it, assembled by hand (`Record::write_json`), as
    /// records are the bulk of the output.
    pub fn record(&self, stream: &str, data: &Record, emitted_at: i64) -> std::io::Result<()> {
        let mut inner = self.lock();
        let Inner { out, head, .. } = &mut *inner;
        record_line(head, &mut out.buf, stream, data, emitted_at)?;
        out.spill()
    }

    /// A per-stream STATE; `record_count` is the number of records of this stream since its previous STATE.
    pub fn state(
        &self,
        stream: &str,
        stream_state: &Value,
        record_count: u64,
    ) -> std::io::Result<()> {
        let msg = json!({"type": "STATE", "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": stream_state},
            "sourceStats": {"recordCount": record_count as f64}}});
        self.write_flushed(&msg)
    }

    /// TRACE STREAM_STATUS with status STARTED, RUNNING, COMPLETE or INCOMPLETE.
    pub fn stream_status(&self, stream: &str, status: &str) -> std::io::Result<()> {
        self.trace(
            "STREAM_STATUS",
            json!({"stream_status": {
            "stream_descriptor": {"name": stream}, "status": status}}),
        )
    }

    /// TRACE STREAM_STATUS RUNNING with a RATE_LIMITED reason; `quota_reset_ms` is when the wait ends.
    pub fn rate_limited(&self, stream: &str, quota_reset_ms: i64) -> std::io::Result<()> {
        self.trace("STREAM_STATUS", json!({"stream_status": {
            "stream_descriptor": {"name": stream}, "status": "RUNNING",
            "reasons": [{"type": "RATE_LIMITED", "rate_limited": {"quota_reset": quota_reset_ms}}]}}))
    }

    /// TRACE ERROR, optionally naming the stream it belongs to.
    pub fn error(
        &self,
        message: &str,
        failure: FailureType,
        stream: Option<&str>,
    ) -> std::io::Result<()> {
        let message = self.redact(message);
        let mut error = json!({"message": message, "internal_message": message,
            "failure_type": failure.as_str()});
        if let Some(stream) = stream {
            error["stream_descriptor"] = json!({"name": stream});
        }
        eprintln!("ERROR {message}");
        self.trace("ERROR", json!({"error": error}))
    }

    /// A LOG message, also copied to stderr for people running the binary by hand.
    pub fn log(&self, level: &str, message: &str) -> std::io::Result<()> {
        let message = self.redact(message);
        eprintln!("{level} {message}");
        self.write_flushed(&json!({"type": "LOG", "log": {"level": level, "message": message}}))
    }

    pub fn connection_status(&self, succeeded: bool, message: Option<&str>) -> std::io::Result<()> {
        let mut status = json!({"status": if succeeded { "SUCCEEDED" } else { "FAILED" }});
        if let Some(message) = message {
            status["message"] = Value::String(self.redact(message));
        }
        self.write_flushed(&json!({"type": "CONNECTION_STATUS", "connectionStatus": status}))
    }

    pub fn spec(&self, spec: &Value) -> std::io::Result<()> {
        self.write_flushed(&json!({"type": "SPEC", "spec": spec}))
    }

    pub fn catalog(&self, catalog: &Value) -> std::io::Result<()> {
        self.write_flushed(&json!({"type": "CATALOG", "catalog": catalog}))
    }

    pub fn flush(&self) -> std::io::Result<()> {
        self.lock().out.flush()
    }

    fn trace(&self, kind: &str, mut body: Value) -> std::io::Result<()> {
        body["type"] = Value::String(kind.to_string());
        body["emitted_at"] = json!(now_ms() as f64);
        self.write_flushed(&json!({"type": "TRACE", "trace": body}))
    }

    fn write_flushed(&self, msg: &Value) -> std::io::Result<()> {
        let mut inner = self.lock();
        serde_json::to_writer(&mut inner.out.buf, msg)?;
        inner.out.buf.push(b'\n');
        inner.out.flush()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-write; the buffer is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The start of a RECORD line, `{"type":"RECORD","record":{"stream":"…","data":`, the same for all the
/// records of a stream: serialized once per stream, not once per record.
#[derive(Default)]
struct Head {
    stream: String,
    bytes: Vec<u8>,
}

/// Appends one RECORD line (with its newline) to `line`.
fn record_line(
    head: &mut Head,
    line: &mut Vec<u8>,
    stream: &str,
    data: &Record,
    emitted_at: i64,
) -> std::io::Result<()> {
    if head.stream != stream {
        head.bytes.clear();
        head.bytes
            .extend_from_slice(br#"{"type":"RECORD","record":{"stream":"#);
        serde_json::to_writer(&mut head.bytes, stream)?;
        head.bytes.extend_from_slice(br#","data":"#);
        head.stream = stream.to_string();
    }
    line.extend_from_slice(&head.bytes);
    data.write_json(line);
    line.extend_from_slice(br#","emitted_at":"#);
    line.extend_from_slice(itoa::Buffer::new().format(emitted_at).as_bytes());
    line.extend_from_slice(b"}}\n");
    Ok(())
}

fn redact_with(secrets: &[String], text: &str) -> String {
    secrets.iter().fold(text.to_string(), |acc, secret| {
        acc.replace(secret.as_str(), "***")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct RecordLine<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        record: RecordBody<'a>,
    }

    #[derive(Serialize)]
    struct RecordBody<'a> {
        stream: &'a str,
        data: &'a Record,
        emitted_at: i64,
    }

    #[test]
    fn a_record_line_is_what_serde_json_writes() {
        let mut data = Record::new();
        data.insert("price", json!(50000.0));
        data.insert("name", json!("a\"b"));
        let (mut head, mut line) = (Head::default(), Vec::new());
        record_line(&mut head, &mut line, "other", &data, 1).unwrap();
        line.clear();
        record_line(&mut head, &mut line, "s\"x", &data, 1_700_000_000_123).unwrap();
        let line_struct = RecordLine {
            kind: "RECORD",
            record: RecordBody {
                stream: "s\"x",
                data: &data,
                emitted_at: 1_700_000_000_123,
            },
        };
        let want = serde_json::to_string(&line_struct).unwrap() + "\n";
        assert_eq!(String::from_utf8(line).unwrap(), want);
    }

    #[test]
    fn redaction_replaces_every_secret() {
        let secrets = vec!["k3y".to_string(), "tok".to_string()];
        assert_eq!(
            redact_with(&secrets, "a k3y and tok, k3y"),
            "a *** and ***, ***"
        );
    }
}
