//! Tiny HTTP/1.1 servers for integration tests: a real socket on `127.0.0.1:0`, a thread per
//! connection, keep-alive, `Content-Length` and chunked request bodies, and a behaviour that
//! decides per request whether to answer, hang, reset, close or send garbage.
//!
//! ```ignore
//! let server = TestServer::start(|request| json(200, &format!(r#"{{"path":"{}"}}"#, request.path)));
//! run(&["run", "--old", &server.url(), ...]);
//! assert_eq!(server.hits(), 3);
//! ```
//!
//! Only std and `socket2` (for `SO_LINGER 0`, which std cannot set on stable): no async runtime,
//! so a test can start as many servers as it likes and they stop when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest request line or header line read.
const MAX_LINE: u64 = 64 * 1024;
/// The most header lines read per request.
const MAX_HEADERS: usize = 256;
/// The largest request body read.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The size of each chunk of an [`Action::Endless`] body.
pub const ENDLESS_CHUNK: usize = 64 * 1024;

/// A request as the test server read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRequest {
    /// The method, as sent (`GET`).
    pub method: String,
    /// The request target: path and query (`/orders/1?expand=items`).
    pub path: String,
    /// The headers in the order sent, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it was sent chunked.
    pub body: Vec<u8>,
}

impl TestRequest {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, lossily.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The digits the last segment of the path starts with, the query aside: `12` for
    /// `/orders/12?expand=items` and `/account/12`, empty for `/orders`.
    pub fn id(&self) -> String {
        let path = self.path.split('?').next().unwrap_or_default();
        let last = path.rsplit('/').next().unwrap_or_default();
        last.chars().take_while(|c| c.is_ascii_digit()).collect()
    }
}

/// What the server does with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Answer. `content-length` is added unless `headers` has one (a wrong one makes a bad
    /// response on purpose); `connection: close` in `headers` closes after the answer.
    Respond {
        /// The status code.
        status: u16,
        /// Headers in order, repeats kept.
        headers: Vec<(String, String)>,
        /// The body (not sent for HEAD requests).
        body: Vec<u8>,
    },
    /// Read the request and never answer, until the client hangs up or the server drops.
    Hang,
    /// Close the connection with `SO_LINGER 0`, so the client sees a TCP reset.
    Reset,
    /// Close the connection cleanly (FIN) without answering.
    Close,
    /// Write `not http\r\n\r\n` and close.
    Garbage,
    /// Write these bytes as they are, then close cleanly: an answer cut short in its head or
    /// its body (see [`short_body`], [`partial_head`]).
    Raw(Vec<u8>),
    /// A chunked 200 whose body never ends: chunks of [`ENDLESS_CHUNK`] bytes, a millisecond
    /// apart (at most about 64 MB/s, so a client that keeps it all fills memory slowly), until
    /// the client hangs up or the server stops.
    Endless,
    /// Wait, then do the other action (responses that finish out of order, slow targets).
    Delayed(Duration, Box<Action>),
}

/// An answer with `content-type: application/json`.
pub fn json(status: u16, body: &str) -> Action {
    Action::Respond {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// An answer with `content-type: text/plain`.
pub fn text(status: u16, body: &str) -> Action {
    Action::Respond {
        status,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// A 200 whose `content-length` announces `declared` bytes while only `body` is sent before the
/// connection closes.
pub fn short_body(declared: usize, body: &str) -> Action {
    Action::Raw(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n{body}"
        )
        .into_bytes(),
    )
}

/// The first bytes of a response head, then the connection closes.
pub fn partial_head() -> Action {
    Action::Raw(b"HTTP/1.1 200 OK\r\ncontent-ty".to_vec())
}

/// The URL of a port nothing listens on (bound, then closed): connecting is refused.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}")
}

/// A server that answers one request per connection and closes the connection 30 ms later
/// without saying so (no `connection: close`): a keep-alive client that sends its next request
/// on that connection within the 30 ms sees it closed before any answer. Returns its URL.
pub fn answer_once_then_close() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else {
                return;
            };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok",
                );
                std::thread::sleep(Duration::from_millis(30));
            });
        }
    });
    url
}

type Behaviour = dyn Fn(&TestRequest) -> Action + Send + Sync + 'static;

/// A running test server; dropping it stops accepting, closes every connection (hanging ones
/// too) and joins its threads.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// What the accept thread, the connection threads and the handle share.
struct Shared {
    addr: SocketAddr,
    behaviour: Box<Behaviour>,
    /// Stop after answering this many requests, as a process that dies.
    dies_after: Option<usize>,
    hits: AtomicUsize,
    requests: Mutex<Vec<TestRequest>>,
    stopped: AtomicBool,
    next_id: AtomicU64,
    /// Open connections (a clone of each stream, to shut it down) and every connection thread.
    connections: Mutex<Connections>,
}

#[derive(Default)]
struct Connections {
    open: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on a free port of 127.0.0.1 that answers every request with `behaviour`.
    pub fn start(behaviour: impl Fn(&TestRequest) -> Action + Send + Sync + 'static) -> TestServer {
        TestServer::launch(Box::new(behaviour), None)
    }

    /// Starts a server that answers `n` requests with `behaviour` and then dies: it closes its
    /// listener (new connections are refused) and every open connection, answering nothing more.
    pub fn dies_after(
        n: usize,
        behaviour: impl Fn(&TestRequest) -> Action + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::launch(Box::new(behaviour), Some(n))
    }

    fn launch(behaviour: Box<Behaviour>, dies_after: Option<usize>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            addr,
            behaviour,
            dies_after,
            hits: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            connections: Mutex::new(Connections::default()),
        });
        let accept = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("test-server-{}", addr.port()))
                .spawn(move || accept_loop(listener, shared))
                .expect("spawn the accept thread")
        };
        if dies_after == Some(0) {
            shared.stop();
        }
        TestServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many requests were read (answered or not).
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Every request read so far, in the order they were read.
    pub fn requests(&self) -> Vec<TestRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Whether the server has stopped (dropped, or died after its requests).
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let threads = std::mem::take(&mut lock(&self.shared.connections).threads);
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl Shared {
    /// Stops accepting and shuts every open connection down; idempotent.
    fn stop(&self) {
        {
            let connections = lock(&self.connections);
            if self.stopped.swap(true, Ordering::SeqCst) {
                return;
            }
            for stream in connections.open.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        // Wakes the accept thread, which then sees the flag and closes the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            if shared.stopped.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let mut connections = lock(&shared.connections);
        if shared.stopped.load(Ordering::SeqCst) {
            break;
        }
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        connections.open.insert(id, handle);
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("test-conn-{id}"))
                .spawn(move || {
                    serve(&shared, &stream);
                    // The last handles close here: with SO_LINGER 0 set, that sends the reset.
                    lock(&shared.connections).open.remove(&id);
                    drop(stream);
                })
                .expect("spawn a connection thread")
        };
        connections.threads.push(thread);
    }
}

/// Serves one connection until it closes, an action ends it, or the server stops.
fn serve(shared: &Shared, stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream);
    loop {
        let (request, keep_alive) = match read_request(&mut reader, stream) {
            Ok(Some(read)) => read,
            Ok(None) => return,
            Err(message) => {
                let _ = write_response(
                    stream,
                    false,
                    false,
                    400,
                    &[("content-type".into(), "text/plain".into())],
                    message.as_bytes(),
                );
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        };
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let index = shared.hits.fetch_add(1, Ordering::SeqCst);
        lock(&shared.requests).push(request.clone());
        if shared.dies_after.is_some_and(|n| index >= n) {
            shared.stop();
            return;
        }
        let action = (shared.behaviour)(&request);
        let keep_open = perform(action, stream, &request, keep_alive);
        if shared.dies_after == Some(index + 1) {
            shared.stop();
            return;
        }
        if !keep_open {
            return;
        }
    }
}

/// Does `action`; returns whether the connection stays open for another request.
fn perform(action: Action, stream: &TcpStream, request: &TestRequest, keep_alive: bool) -> bool {
    match action {
        Action::Respond {
            status,
            headers,
            body,
        } => {
            let head_only = request.method.eq_ignore_ascii_case("HEAD");
            let closes = !keep_alive
                || headers.iter().any(|(n, v)| {
                    n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
                });
            let written = write_response(stream, !closes, head_only, status, &headers, &body);
            written.is_ok() && !closes
        }
        Action::Hang => {
            let mut sink = [0u8; 4096];
            let mut reader = stream;
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            false
        }
        Action::Reset => {
            let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
            false
        }
        Action::Close => {
            let _ = stream.shutdown(Shutdown::Both);
            false
        }
        Action::Garbage => {
            let mut writer = stream;
            let _ = writer.write_all(b"not http\r\n\r\n");
            let _ = stream.shutdown(Shutdown::Write);
            false
        }
        Action::Endless => {
            let mut writer = stream;
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                         transfer-encoding: chunked\r\n\r\n";
            let mut chunk = format!("{ENDLESS_CHUNK:x}\r\n").into_bytes();
            chunk.resize(chunk.len() + ENDLESS_CHUNK, b'x');
            chunk.extend_from_slice(b"\r\n");
            let mut sent = writer.write_all(head);
            while sent.is_ok() {
                sent = writer.write_all(&chunk);
                std::thread::sleep(Duration::from_millis(1));
            }
            false
        }
        Action::Raw(bytes) => {
            let mut writer = stream;
            let _ = writer.write_all(&bytes);
            let _ = stream.shutdown(Shutdown::Write);
            false
        }
        Action::Delayed(delay, then) => {
            std::thread::sleep(delay);
            perform(*then, stream, request, keep_alive)
        }
    }
}

fn write_response(
    stream: &TcpStream,
    keep_alive: bool,
    head_only: bool,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    let has = |wanted: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(wanted));
    if !has("content-length") {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    if !keep_alive && !has("connection") {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(body);
    }
    let mut writer = stream;
    writer.write_all(&out)?;
    writer.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it.
fn wants_keep_alive(version: &str, request: &TestRequest) -> bool {
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
    if version == "HTTP/1.0" {
        has("keep-alive")
    } else {
        !has("close")
    }
}

/// One line without its line ending; `None` at a clean end of input.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|err| format!("read failed: {err}"))?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if read as u64 == MAX_LINE {
            "line too long".into()
        } else {
            "connection closed mid-line".into()
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| "line is not UTF-8".into())
}

/// Reads one request and whether the client keeps the connection open after it; `Ok(None)`
/// when the client closed between requests.
fn read_request(
    reader: &mut impl BufRead,
    stream: &TcpStream,
) -> Result<Option<(TestRequest, bool)>, String> {
    let mut line = String::new();
    // Empty lines before a request line are allowed (RFC 9112 §2.2).
    while line.is_empty() {
        match read_line(reader)? {
            Some(next) => line = next,
            None => return Ok(None),
        }
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("bad request line {line:?}"));
    };
    if method.is_empty() || !path.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(format!("bad request line {line:?}"));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or("connection closed in the headers")?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err("too many headers".into());
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        if name.is_empty() || name.ends_with([' ', '\t']) {
            return Err(format!("bad header name {name:?}"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut request = TestRequest {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    if chunked && !lengths.is_empty() {
        return Err("both transfer-encoding and content-length".into());
    }
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        let mut writer = stream;
        writer
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|err| format!("write failed: {err}"))?;
    }
    request.body = if chunked {
        read_chunked(reader)?
    } else if let Some(first) = lengths.first() {
        if lengths.iter().any(|l| l != first) {
            return Err("conflicting content-length headers".into());
        }
        let length: usize = first
            .parse()
            .map_err(|_| format!("bad content-length {first:?}"))?;
        if length > MAX_BODY {
            return Err("body too large".into());
        }
        let mut body = vec![0; length];
        reader
            .read_exact(&mut body)
            .map_err(|err| format!("body cut short: {err}"))?;
        body
    } else {
        Vec::new()
    };
    let keep_alive = wants_keep_alive(version, &request);
    Ok(Some((request, keep_alive)))
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or("connection closed in a chunk size")?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| format!("bad chunk size {line:?}"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(reader)?
                .ok_or("connection closed in the trailers")?
                .is_empty()
            {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err("body too large".into());
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|err| format!("chunk cut short: {err}"))?;
        if read_line(reader)? != Some(String::new()) {
            return Err("chunk not followed by CRLF".into());
        }
    }
}
