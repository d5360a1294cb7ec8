//! A small HTTP/1.1 server (hyper 1 on a multi-threaded tokio runtime) that serves a handler
//! `Fn(&Request) -> Response` over the `shadowdiff::model` types, for the example services.
//!
//! Each hyper request becomes a [`Request`] (method, path and query, headers in order with
//! repeats, body bytes); the handler's [`Response`] is written back with its status, its headers
//! in order with repeats, and its body. Hop-by-hop headers and `content-length` in the handler's
//! response are dropped: hyper frames the body itself. Connections are kept alive. SIGTERM or
//! Ctrl-C stops accepting, lets requests in flight finish (for a few seconds at most), and exits.
//!
//! Nothing a client sends makes the server panic: malformed HTTP gets hyper's own 400, a body
//! over [`MAX_BODY`] gets 413, and a handler that panics anyway answers 500.

// Shared by the example services through `#[path]`; each of them uses only a part of it.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use shadowdiff_core::{Body, Request, Response};
use shadowdiff_replay::HOP_BY_HOP;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The largest request body read, in bytes; a larger one is answered 413.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// How long requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(5);

/// The handler a server calls for every request.
pub type Handler = dyn Fn(&Request) -> Response + Send + Sync + 'static;

/// The command line of an example service: `--port N` (or `--port=N`), `--db PATH`, and
/// `--help`.
#[derive(Debug, PartialEq, Eq)]
pub enum Args {
    /// Serve on this port of 127.0.0.1 (0 picks a free one, shown in the start line).
    Serve {
        /// The port.
        port: u16,
        /// The SQLite file the service keeps its data in, when it keeps it.
        db: Option<PathBuf>,
    },
    /// Print the usage and exit.
    Help,
}

/// Parses the arguments after the program name; `default_port` applies without `--port`.
pub fn parse_args(
    args: impl IntoIterator<Item = String>,
    default_port: u16,
) -> Result<Args, String> {
    let mut port = default_port;
    let mut db = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || match &inline {
            Some(value) => Ok(value.clone()),
            None => args.next().ok_or_else(|| format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Args::Help),
            "--port" | "-p" => {
                let value = value()?;
                port = value
                    .parse()
                    .map_err(|_| format!("`{value}` is not a port number (0-65535)"))?;
            }
            "--db" => db = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    Ok(Args::Serve { port, db })
}

/// The whole `main` of an example service called `name` (`orders v1`): parses the command
/// line, makes the handler (`make`, given `--db`), serves it until SIGTERM or Ctrl-C, and maps
/// failures to exit codes (2 bad usage, 1 the server could not run).
pub fn main<H>(
    name: &str,
    default_port: u16,
    make: impl FnOnce(Option<&std::path::Path>) -> Result<H, String>,
) -> ExitCode
where
    H: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let program = std::env::args().next().unwrap_or_else(|| name.to_string());
    let usage = format!(
        "usage: {program} [--port N] [--db PATH]\n\nServes the example {name} on \
         http://127.0.0.1:N (default {default_port}; 0 picks a free port), keeping its orders \
         in the SQLite file PATH (created and seeded when new; without it, nothing it is sent \
         is kept). Stops on SIGTERM or Ctrl-C."
    );
    match parse_args(std::env::args().skip(1), default_port) {
        Ok(Args::Help) => {
            println!("{usage}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{name}: {message}\n\n{usage}");
            ExitCode::from(2)
        }
        Ok(Args::Serve { port, db }) => {
            let handler = match make(db.as_deref()) {
                Ok(handler) => handler,
                Err(err) => {
                    eprintln!("{name}: {err}");
                    return ExitCode::FAILURE;
                }
            };
            match serve(name, port, Arc::new(handler)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("{name}: {err}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Serves `handler` on `127.0.0.1:port` until SIGTERM or Ctrl-C, on a multi-threaded runtime.
/// Logs `NAME listening on http://127.0.0.1:PORT` to stderr once it accepts connections.
pub fn serve(name: &str, port: u16, handler: Arc<Handler>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .map_err(|err| {
                std::io::Error::new(
                    err.kind(),
                    format!("cannot listen on 127.0.0.1:{port}: {err}"),
                )
            })?;
        eprintln!("{name} listening on http://{}", listener.local_addr()?);
        accept_until_stopped(listener, handler, stop_signal()).await;
        eprintln!("{name} stopped");
        Ok(())
    })
}

/// Accepts connections until `stop` completes, then drains the connections in flight.
async fn accept_until_stopped(
    listener: TcpListener,
    handler: Arc<Handler>,
    stop: impl std::future::Future<Output = ()>,
) {
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Only a latency tweak: a socket that refuses it still works.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, handler.clone(), stopping_rx.clone()));
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    eprintln!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut stop => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    // Receivers only fail to get this when their connection already ended.
    let _ = stopping_tx.send(true);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "{} connections still open after {DRAIN:?}; closing them",
            connections.len()
        );
        connections.abort_all();
    }
}

/// Serves one keep-alive connection; on the stop signal it finishes the request in flight.
async fn connection(
    stream: tokio::net::TcpStream,
    handler: Arc<Handler>,
    mut stopping: watch::Receiver<bool>,
) {
    let service = service_fn(move |request| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(answer(&*handler, request).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let stop = async move {
        // An error means the server is gone, which is a stop too.
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    // Connection errors (a client that hangs up mid-request) concern that client only.
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stop => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Reads one hyper request, calls the handler, and builds hyper's response.
async fn answer(
    handler: &Handler,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            let (status, message) = if err.is::<http_body_util::LengthLimitError>() {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over {MAX_BODY} bytes\n"),
                )
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {err}\n"),
                )
            };
            return plain(status, message);
        }
    };
    let request = Request {
        method: parts.method.as_str().to_string(),
        url: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |pq| pq.as_str().to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Body::from_bytes(body.to_vec()),
    };
    match catch_unwind(AssertUnwindSafe(|| handler(&request))) {
        Ok(response) => to_hyper(response),
        Err(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the handler failed on this request\n".to_string(),
        ),
    }
}

/// The handler's response as hyper's: hop-by-hop headers dropped, invalid ones skipped.
fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let Ok(status) = StatusCode::from_u16(response.status) else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the handler answered an invalid status {}\n",
                response.status
            ),
        );
    };
    let mut out = hyper::Response::new(Full::new(Bytes::from(match response.body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
    })));
    *out.status_mut() = status;
    let headers = out.headers_mut();
    for (name, value) in &response.headers {
        if HOP_BY_HOP.iter().any(|hop| name.eq_ignore_ascii_case(hop)) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    out
}

/// A `text/plain` response of the server itself.
fn plain(status: StatusCode, message: String) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(message)));
    *out.status_mut() = status;
    out.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    out
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Per-request seeds and the wall clock, for services whose answers carry realistic noise.
///
/// Seeds mix the process's start time with a request counter, so every request of every run
/// gets different request ids, timestamps and shuffles; the counter is the only shared state.
#[derive(Debug)]
pub struct NoiseSource {
    start: u64,
    counter: AtomicU64,
}

impl NoiseSource {
    /// A source seeded from the current time.
    pub fn from_start_time() -> NoiseSource {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        NoiseSource {
            start: nanos ^ u64::from(std::process::id()).rotate_left(32),
            counter: AtomicU64::new(0),
        }
    }

    /// The next request's seed, and the wall clock in Unix milliseconds.
    pub fn next(&self) -> (u64, u64) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let seed = mix(self.start ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        (seed, now_ms())
    }
}

/// The wall clock in Unix milliseconds (0 before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A bijective 64-bit mix (the splitmix64 finaliser), so nearby inputs give unrelated seeds.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
