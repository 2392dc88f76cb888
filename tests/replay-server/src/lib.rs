//! A loopback HTTP/1.1 server that replays recorded API responses from a routes file (see `routes.rs`), with
//! fault injection (status sequences, `Retry-After`, delays, truncated bodies, HTML pages, redirects, bodies of
//! any size streamed as they are written). Hand-written on
//! std sockets on purpose: a truncated body or a stalled answer is one line here and awkward in a framework.
//! Every request is logged (method, path, query, headers) for tests, and served at `GET /__requests`.
mod routes;
mod synthetic;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

pub use routes::{parse_iso, Generate, Response, Route, RoutesFile};

/// One request as the server saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Logged {
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Raw request target, query included, as received.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

struct Shared {
    routes: RoutesFile,
    /// Next response index per route.
    cursors: Vec<usize>,
    log: Vec<Logged>,
    /// Where synthetic series end (Unix seconds); None = the real time.
    clock: Option<i64>,
}

/// A running server; it stops accepting when the process ends (tests) or never (the binary).
pub struct ReplayServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
}

impl ReplayServer {
    /// Loads `routes_file` and serves it on `127.0.0.1:port` (0 = any free port) from a background thread.
    pub fn start(routes_file: &Path, port: u16) -> Result<ReplayServer, String> {
        let routes = RoutesFile::load(routes_file)?;
        Self::serve(routes, port)
    }

    pub fn serve(routes: RoutesFile, port: u16) -> Result<ReplayServer, String> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let cursors = vec![0; routes.routes.len()];
        let shared = Arc::new(Mutex::new(Shared {
            routes,
            cursors,
            log: Vec::new(),
            clock: None,
        }));
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    let _ = handle(stream, &shared);
                });
            }
        });
        Ok(ReplayServer { addr, shared })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fixes the clock synthetic series end at (Unix seconds), e.g. a day later for an incremental re-read.
    pub fn set_clock(&self, now: Option<i64>) {
        lock(&self.shared).clock = now;
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared).log.clone()
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

fn handle(stream: TcpStream, shared: &Mutex<Shared>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let (path, query) = split_target(&target);
    let (response, now) = {
        let mut s = lock(shared);
        let now = s.clock.unwrap_or_else(synthetic::system_now);
        s.log.push(Logged {
            path: path.clone(),
            query: query.clone(),
            target: target.clone(),
            headers,
        });
        let response = if path == "/__requests" {
            let body = serde_json::to_string(&s.log).unwrap_or_default();
            Response::text(200, body)
        } else {
            next_response(&mut s, &path, &query)
        };
        (response, now)
    };
    write_response(stream, &response, now, &target, &path, &query)
}

fn next_response(s: &mut Shared, path: &str, query: &[(String, String)]) -> Response {
    let Some(i) = s.routes.find(path, query) else {
        let body = serde_json::json!({"error": format!("replay-server: no route for GET {path}")});
        return Response::text(404, body.to_string());
    };
    let responses = &s.routes.routes[i].responses;
    let n = s.cursors[i].min(responses.len().saturating_sub(1));
    s.cursors[i] += 1;
    responses
        .get(n)
        .cloned()
        .unwrap_or_else(|| Response::text(500, "route has no responses".into()))
}

fn write_response(
    mut stream: TcpStream,
    r: &Response,
    now: i64,
    target: &str,
    path: &str,
    query: &[(String, String)],
) -> std::io::Result<()> {
    if r.delay_ms > 0 {
        std::thread::sleep(Duration::from_millis(r.delay_ms));
    }
    if let Some(Generate::HugeArray {
        bytes,
        announce_length,
    }) = r.generate
    {
        return write_huge(stream, r.status, bytes, announce_length);
    }
    if let (Some(generate), None) = (&r.generate, r.truncate_at) {
        // Generated bodies can be hundreds of MB: streamed in chunks, never held whole.
        stream.write_all(head(r, target, "Transfer-Encoding: chunked", false).as_bytes())?;
        let mut chunked = Chunked {
            stream,
            buf: Vec::with_capacity(CHUNK),
        };
        generate.write(now, path, query, &mut chunked)?;
        return chunked.finish();
    }
    let body = r.body_bytes(now, path, query);
    let html = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    let head = head(r, target, &format!("Content-Length: {}", body.len()), html);
    stream.write_all(head.as_bytes())?;
    let end = r.truncate_at.unwrap_or(body.len()).min(body.len());
    stream.write_all(&body[..end])?;
    stream.flush()?;
    // For a truncated body, closing now leaves the client short of Content-Length: a broken transfer.
    stream.shutdown(std::net::Shutdown::Both)
}

const CHUNK: usize = 64 * 1024;

/// HTTP/1.1 chunked transfer coding over the socket, one chunk per 64 KiB written.
struct Chunked {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Chunked {
    fn send(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            write!(self.stream, "{:x}\r\n", self.buf.len())?;
            self.stream.write_all(&self.buf)?;
            self.stream.write_all(b"\r\n")?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.send()?;
        self.stream.write_all(b"0\r\n\r\n")?;
        self.stream.flush()?;
        self.stream.shutdown(std::net::Shutdown::Both)
    }
}

impl Write for Chunked {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The status line and headers (ending with the blank line); `length` is the framing header.
fn head(r: &Response, target: &str, length: &str, html: bool) -> String {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n{length}\r\nConnection: close\r\n",
        r.status,
        reason(r.status),
    );
    if let Some(prefix) = &r.redirect {
        head.push_str(&format!("Location: {prefix}{target}\r\n"));
    }
    let has_type = r
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type"));
    if !has_type {
        head.push_str(if html {
            "Content-Type: text/html\r\n"
        } else {
            "Content-Type: application/json\r\n"
        });
    }
    for (k, v) in &r.headers {
        let v = v
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        head.push_str(&format!("{k}: {}\r\n", expand_now(&v)));
    }
    head.push_str("\r\n");
    head
}

/// A JSON array of `bytes` bytes (`[0,0,…,0]`), written in 64 KiB pieces as it goes (never held whole), with or
/// without a `Content-Length`; without one the body ends when the connection closes.
fn write_huge(
    mut stream: TcpStream,
    status: u16,
    bytes: u64,
    announce_length: bool,
) -> std::io::Result<()> {
    let bytes = bytes.max(2);
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nConnection: close\r\n",
        reason(status)
    );
    if announce_length {
        head.push_str(&format!("Content-Length: {bytes}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    const PIECE: usize = 64 * 1024;
    let filler = b"0,".repeat(PIECE / 2);
    stream.write_all(b"[")?;
    let mut left = bytes - 2;
    while left > 0 {
        let n = left.min(PIECE as u64) as usize;
        let mut piece = filler[..n].to_vec();
        // `[0,0,]` is not JSON: a comma ending the last piece becomes a space.
        if let Some(last) = piece.last_mut().filter(|_| left == n as u64) {
            if *last == b',' {
                *last = b' ';
            }
        }
        stream.write_all(&piece)?;
        left -= n as u64;
    }
    stream.write_all(b"]")?;
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Both)
}

/// A header value `{now+N}` becomes the Unix time N seconds from now (for `X-RateLimit-Reset`).
fn expand_now(value: &str) -> String {
    let Some(n) = value
        .strip_prefix("{now+")
        .and_then(|v| v.strip_suffix('}'))
    else {
        return value.to_string();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (now + n.parse::<u64>().unwrap_or(0)).to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        402 => "Payment Required",
        403 => "Forbidden",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    (percent_decode(path), pairs)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_split_and_decoded() {
        let (path, query) = split_target("/a%20b?x=1&y=2024-01-01&z=a%2Cb");
        assert_eq!(path, "/a b");
        assert_eq!(
            query,
            vec![
                ("x".into(), "1".into()),
                ("y".into(), "2024-01-01".into()),
                ("z".into(), "a,b".into())
            ]
        );
        assert_eq!(percent_decode("%4"), "%4");
    }

    fn get(server: &ReplayServer, target: &str) -> (String, Vec<u8>) {
        use std::io::Read;
        let mut conn = TcpStream::connect(server.addr).unwrap();
        write!(conn, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        (head, raw[split + 4..].to_vec())
    }

    #[test]
    fn huge_arrays_are_json_of_the_asked_size_and_redirects_keep_the_target() {
        let routes: RoutesFile = serde_json::from_value(serde_json::json!({"routes": [
            {"path": "/even", "responses": [{"generate": {"kind": "huge_array", "bytes": 200_000, "announce_length": true}}]},
            {"path": "/odd", "responses": [{"generate": {"kind": "huge_array", "bytes": 200_001, "announce_length": false}}]},
            {"path": "/moved*", "responses": [{"status": 302, "redirect": "http://elsewhere:1/new"}]}]}))
        .unwrap();
        let server = ReplayServer::serve(routes, 0).unwrap();
        for (path, len) in [("/even", 200_000), ("/odd", 200_001)] {
            let (head, body) = get(&server, path);
            assert_eq!(body.len(), len);
            assert_eq!(head.contains("Content-Length: 200000"), path == "/even");
            let items: Vec<u8> = serde_json::from_slice(&body).unwrap();
            assert_eq!(items.len(), (len - 1) / 2);
        }
        let (head, _) = get(&server, "/moved/a?b=1");
        assert!(head.starts_with("HTTP/1.1 302 Found"), "{head}");
        assert!(
            head.contains("Location: http://elsewhere:1/new/moved/a?b=1"),
            "{head}"
        );
    }

    #[test]
    fn generated_bodies_are_sent_chunked() {
        use std::io::Read;
        let routes: RoutesFile = serde_json::from_str(
            r#"{"routes": [{"path": "/charts/*", "responses": [{"generate": {"kind": "synthetic_blockchain_chart"}}]}]}"#,
        )
        .expect("routes");
        let server = ReplayServer::serve(routes, 0).expect("serve");
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream
            .write_all(b"GET /charts/hash-rate?start=2012-01-01&timespan=3000days HTTP/1.1\r\n\r\n")
            .expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8(raw).expect("utf-8");
        let (head, mut rest) = text.split_once("\r\n\r\n").expect("head");
        assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
        let (mut body, mut chunks) = (String::new(), 0);
        loop {
            let (size, after) = rest.split_once("\r\n").expect("chunk size");
            let size = usize::from_str_radix(size, 16).expect("hex size");
            if size == 0 {
                break;
            }
            body.push_str(&after[..size]);
            rest = &after[size + 2..];
            chunks += 1;
        }
        let chart: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
        assert_eq!(chart["values"].as_array().expect("values").len(), 3000);
        assert!(chunks > 1, "a 3000-point body spans several chunks");
    }
}
