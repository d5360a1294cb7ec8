//! What a proxy needs to pass HTTP/1.1 messages on unchanged, shared by `record` and
//! `shadowdiff shadow`: which headers belong to the connection rather than the message, a body
//! read into memory up to a cap (and streamed past it), and header pairs in shadowdiff's model.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use http_body_util::{BodyExt as _, BodyStream, Either, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::Connect;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{describe, HOP_BY_HOP};

/// A body passed on by a proxy: read whole, or larger than the cap and streamed.
pub type Relayed = Either<Full<Bytes>, StreamBody<Streamed>>;

/// A body over the cap: the chunks already read, then the rest as it comes.
pub type Streamed = stream::Chain<
    stream::Iter<std::vec::IntoIter<std::result::Result<Frame<Bytes>, hyper::Error>>>,
    BodyStream<Incoming>,
>;

/// Whether a response header describes the connection (hop-by-hop, or listed in
/// `Connection`) and so is not passed on; `content-length` is kept, as the body is sent as is.
pub fn is_connection_header(name: &str, listed: &[String]) -> bool {
    (name != CONTENT_LENGTH.as_str() && HOP_BY_HOP.contains(&name))
        || listed.iter().any(|token| token == name)
}

/// The lower-case header names a `Connection` header lists (they describe the connection too).
pub fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .filter(|token| !token.is_empty())
        .collect()
}

/// The request headers to forward: all but `Host` (the upstream gets its own), the hop-by-hop
/// ones and those `Connection` lists, repeats kept in order.
pub fn forwarded_request_headers(headers: &HeaderMap) -> HeaderMap {
    let listed = connection_tokens(headers);
    let mut forwarded = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let lower = name.as_str();
        if name == HOST || HOP_BY_HOP.contains(&lower) || listed.iter().any(|t| t == lower) {
            continue;
        }
        forwarded.append(name.clone(), value.clone());
    }
    forwarded
}

/// The response headers to pass back to the client: all but those describing the upstream's
/// connection, repeats kept in order.
pub fn passed_back_headers(headers: &HeaderMap, out: &mut HeaderMap) {
    let listed = connection_tokens(headers);
    for (name, value) in headers {
        if !is_connection_header(name.as_str(), &listed) {
            out.append(name.clone(), value.clone());
        }
    }
}

/// A short plain-text answer of the proxy itself (a 502 when the upstream failed).
pub fn plain(status: StatusCode, text: String) -> Response<Relayed> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(text))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A body as a proxy holds it.
pub enum Kept {
    /// Read whole, within the cap.
    Whole(Bytes),
    /// Over the cap: the chunks read so far and the rest to come, to be streamed on.
    OverCap {
        /// The chunks already read.
        read: Vec<Bytes>,
        /// The rest of the body.
        rest: Incoming,
    },
}

impl Kept {
    /// The body to pass on, and the bytes to keep (none when over the cap).
    pub fn split(self) -> (Relayed, Option<Bytes>) {
        match self {
            Kept::Whole(bytes) => (Either::Left(Full::new(bytes.clone())), Some(bytes)),
            Kept::OverCap { read, rest } => {
                let read: Vec<_> = read
                    .into_iter()
                    .map(|chunk| Ok(Frame::data(chunk)))
                    .collect();
                let frames = stream::iter(read).chain(BodyStream::new(rest));
                (Either::Right(StreamBody::new(frames)), None)
            }
        }
    }
}

/// The `content-length` a message declares, when it is a number.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
}

/// Reads a body whole while it stays within `cap` bytes; a larger one (or one whose
/// `content-length` says so) is handed back with what was read, to be streamed.
pub async fn read_up_to(
    mut body: Incoming,
    declared: Option<u64>,
    cap: u64,
) -> std::result::Result<Kept, String> {
    let mut read = Vec::new();
    let mut size = 0u64;
    if declared.is_some_and(|length| length > cap) {
        return Ok(Kept::OverCap { read, rest: body });
    }
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|err| describe(&err))?.into_data() else {
            continue;
        };
        size += data.len() as u64;
        read.push(data);
        if size > cap {
            return Ok(Kept::OverCap { read, rest: body });
        }
    }
    Ok(Kept::Whole(match read.len() {
        1 => read.remove(0),
        _ => Bytes::from(read.concat()),
    }))
}

/// Header pairs in shadowdiff's model, leaving out those `skip` names (given lower-case).
pub fn model_headers(headers: &HeaderMap, skip: impl Fn(&str) -> bool) -> shadowdiff_core::Headers {
    headers
        .iter()
        .filter(|(name, _)| !skip(name.as_str()))
        .map(|(name, value): (&HeaderName, &HeaderValue)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The methods RFC 9110 (§9.2.2) defines as idempotent: sending one of them twice has the effect
/// of sending it once, so they alone may be sent again after a failure.
pub const IDEMPOTENT: &[&str] = &["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];

/// Sends `method uri` with `headers` and the body `body(attempt)` gives (attempt 0, then 1),
/// once more on a fresh connection when the request is `held_whole`, its method idempotent, and
/// the upstream closed or reset the connection before any answer began: it closed an idle
/// keep-alive connection just as the request was written on it, which says nothing about the
/// upstream itself.
pub async fn send_resending_once<C, B>(
    client: &Client<C, B>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    held_whole: bool,
    mut body: impl FnMut(u32) -> B,
) -> Result<Response<Incoming>, hyper_util::client::legacy::Error>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let resendable = held_whole && IDEMPOTENT.contains(&method.as_str());
    let mut attempt = 0;
    loop {
        let mut request = Request::new(body(attempt));
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = headers.clone();
        match client.request(request).await {
            Err(err) if resendable && attempt == 0 && closed_before_answer(&err) => attempt += 1,
            answered => return answered,
        }
    }
}

/// Whether the upstream closed (or reset) the connection before an answer's head arrived.
fn closed_before_answer(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut source = Some(err);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
                return true;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            );
        }
        source = cause.source();
    }
    false
}

/// Serves HTTP/1.1 (keep-alive and pipelining included) on `listener` with `handle` until
/// `stop`, then lets open connections finish their request, within `drain`; returns the
/// deadline of the drain.
pub async fn accept_until<F, Fut>(
    listener: TcpListener,
    handle: F,
    stop: impl Future<Output = ()>,
    drain: Duration,
) -> Instant
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Relayed>, Infallible>> + Send + 'static,
{
    let (stopping_tx, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let handle = handle.clone();
                    let mut stopping = stopping.clone();
                    connections.spawn(async move {
                        let service = service_fn(handle);
                        let connection =
                            http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(connection);
                        tokio::select! {
                            _ = connection.as_mut() => return,
                            _ = stopping.changed() => {}
                        }
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    });
                }
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let deadline = Instant::now() + drain;
    let _ = stopping_tx.send(true);
    let _ = tokio::time::timeout_at(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    deadline
}
