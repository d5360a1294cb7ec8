//! The proxy itself: an HTTP/1.1 server (hyper 1) whose every request is forwarded to the
//! upstream with the client replay uses (hyper-util, rustls), answered with what the upstream
//! said, and handed to the recording thread when selected.
//!
//! Each forwarded request runs in its own task, which answers the client first and then builds
//! the exchange and queues it on a bounded channel (waiting while the channel is full, so an
//! answered exchange is never dropped). A client that hangs up does not cancel the upstream call
//! or its recording. On Ctrl-C or SIGTERM the listener closes, open connections finish their
//! current request and close, and the recording thread empties the channel and finishes the
//! last part, all within `--drain-timeout`; whatever is still waiting on the upstream after that
//! is abandoned (its client gets no answer, so nothing answered is lost).
//!
//! An upstream body is read into memory up to `--max-body-bytes`. Beyond that, the client still
//! gets the whole answer, streamed: what was read, then the rest as it comes, outside
//! `--timeout`; the exchange is recorded without its response, tagged
//! [`NOT_RECORDED_TAG`] with the reason, so memory stays bounded whatever the upstream sends.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::{RotatingWriter, Settings, Summary};
use crate::client::{client, describe, HttpClient, HOP_BY_HOP};
use crate::error::{Error, Result};
use crate::relay::{
    accept_until, connection_tokens, declared_length, forwarded_request_headers,
    is_connection_header, model_headers, passed_back_headers, plain, read_up_to,
    send_resending_once, Kept, Relayed,
};
use crate::signal::stop_signal;
use shadowdiff_core::{Body, Exchange};

/// Exchanges queued for the recording thread at most; senders wait beyond that.
const QUEUE: usize = 4096;

/// The tag of an exchange recorded without its response because the body was over the cap.
pub const NOT_RECORDED_TAG: &str = "response_not_recorded";

/// What every request task shares.
struct Shared {
    client: HttpClient,
    settings: Settings,
    seq: AtomicU64,
    forwarded: AtomicU64,
    queue: mpsc::Sender<Exchange>,
}

/// Runs the proxy until Ctrl-C or SIGTERM: binds `settings.listen`, calls `listening` with the
/// bound address, serves, then drains and finishes the recording written by `writer`.
pub fn serve(
    settings: Settings,
    writer: RotatingWriter,
    listening: impl FnOnce(SocketAddr),
) -> Result<Summary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the async runtime: {err}")))?;
    let listener = runtime
        .block_on(TcpListener::bind(settings.listen))
        .map_err(|err| Error::usage(format!("--listen {}: {err}", settings.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|err| Error::usage(format!("--listen {}: {err}", settings.listen)))?;
    let stop = {
        let _entered = runtime.enter();
        stop_signal()?
    };
    let client = client(settings.timeout).map_err(Error::usage)?;

    let (queue, mut receiver) = mpsc::channel::<Exchange>(QUEUE);
    let (drained_tx, drained_rx) = oneshot::channel::<()>();
    let recorder = std::thread::Builder::new()
        .name("record-writer".into())
        .spawn(move || {
            let mut writer = writer;
            let mut failure = None;
            while let Some(exchange) = receiver.blocking_recv() {
                if failure.is_none() {
                    if let Err(err) = writer.write(&exchange) {
                        eprintln!(
                            "error: {err}; requests are still forwarded but no longer recorded"
                        );
                        failure = Some(err);
                    }
                }
            }
            let _ = drained_tx.send(());
            let written = writer.written();
            match failure {
                Some(err) => Err(err),
                None => writer.finish().map(|files| (written, files)),
            }
        })
        .map_err(|err| Error::Internal(format!("cannot start the recording thread: {err}")))?;

    let drain = settings.drain_timeout;
    let shared = Arc::new(Shared {
        client,
        settings,
        seq: AtomicU64::new(0),
        forwarded: AtomicU64::new(0),
        queue,
    });
    listening(addr);
    let forwarded = runtime.block_on(async move {
        let handler = shared.clone();
        let serve = move |request| handle(handler.clone(), request);
        let deadline = accept_until(listener, serve, stop, drain).await;
        let forwarded = shared.forwarded.load(Ordering::SeqCst);
        drop(shared);
        let _ = tokio::time::timeout_at(deadline, drained_rx).await;
        forwarded
    });
    drop(runtime);
    let (recorded, files) = recorder
        .join()
        .map_err(|_| Error::Internal("the recording thread stopped unexpectedly".into()))??;
    Ok(Summary {
        forwarded,
        recorded,
        files,
    })
}

/// Serves one request: reads its body, forwards it in a task of its own, answers with the result.
async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Relayed>, Infallible> {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let ts = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            return Ok(plain(
                StatusCode::BAD_REQUEST,
                format!("shadowdiff record: cannot read the request body: {err}\n"),
            ))
        }
    };
    let (answer_tx, answer_rx) = oneshot::channel();
    tokio::spawn(forward(shared, seq, ts, parts, body, answer_tx));
    Ok(answer_rx.await.unwrap_or_else(|_| {
        plain(
            StatusCode::BAD_GATEWAY,
            "shadowdiff record: the request was abandoned\n".into(),
        )
    }))
}

/// What the upstream answered, kept for the recording.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Kept,
}

/// Forwards one request, sends the answer to the client's connection, then records it.
async fn forward(
    shared: Arc<Shared>,
    seq: u64,
    ts: String,
    parts: hyper::http::request::Parts,
    body: Bytes,
    answer_tx: oneshot::Sender<Response<Relayed>>,
) {
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .to_string();
    let request_listed = connection_tokens(&parts.headers);
    let headers = forwarded_request_headers(&parts.headers);
    let url = format!("{}{}", shared.settings.upstream, target);
    let answer = ask_upstream(&shared, parts.method.clone(), &url, headers, body.clone()).await;
    let (to_client, answered) = match answer {
        Ok(answer) => {
            let (client_body, kept) = answer.body.split();
            let mut response = Response::new(client_body);
            *response.status_mut() =
                StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            passed_back_headers(&answer.headers, response.headers_mut());
            (response, Some((answer.status, answer.headers, kept)))
        }
        Err(reason) => {
            let text = format!("shadowdiff record: upstream error: {reason}\n");
            (plain(StatusCode::BAD_GATEWAY, text), None)
        }
    };
    let _ = answer_tx.send(to_client);
    shared.forwarded.fetch_add(1, Ordering::SeqCst);

    let settings = &shared.settings;
    if !settings
        .selection
        .records(seq, parts.method.as_str(), parts.uri.path())
    {
        return;
    }
    let mut request_headers = model_headers(&parts.headers, |name| {
        HOP_BY_HOP.contains(&name) || request_listed.iter().any(|t| t == name)
    });
    settings.redactor.apply(&mut request_headers);
    let mut tags = std::collections::BTreeMap::new();
    let response = answered.and_then(|(status, answer_headers, kept)| {
        let Some(body) = kept else {
            tags.insert(
                NOT_RECORDED_TAG.to_string(),
                format!(
                    "the body is larger than the cap of {} bytes (--max-body-bytes)",
                    settings.max_body_bytes
                ),
            );
            return None;
        };
        let listed = connection_tokens(&answer_headers);
        let mut headers =
            model_headers(&answer_headers, |name| is_connection_header(name, &listed));
        settings.redactor.apply(&mut headers);
        Some(shadowdiff_core::Response {
            status,
            headers,
            body: Body::from_bytes(body.to_vec()),
        })
    });
    let exchange = Exchange {
        id: format!("c{seq:06}"),
        ts: Some(ts),
        request: shadowdiff_core::Request {
            method: parts.method.as_str().to_string(),
            url: target,
            headers: request_headers,
            body: Body::from_bytes(body.to_vec()),
        },
        response,
        tags,
    };
    let _ = shared.queue.send(exchange).await;
}

/// Sends one request upstream (`Host` becomes the upstream's) and reads the answer, its body up to
/// `--max-body-bytes`, within `--timeout`; the error says what went wrong, on one line.
async fn ask_upstream(
    shared: &Shared,
    method: hyper::Method,
    url: &str,
    headers: HeaderMap,
    body: Bytes,
) -> std::result::Result<Answer, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|err| format!("`{url}` is not a URL to forward to: {err}"))?;
    let timeout = shared.settings.timeout;
    let call = async {
        let response = send_resending_once(&shared.client, &method, &uri, &headers, true, |_| {
            Full::new(body.clone())
        })
        .await
        .map_err(|err| describe(&err))?;
        let (parts, body) = response.into_parts();
        let declared = declared_length(&parts.headers);
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: read_up_to(body, declared, shared.settings.max_body_bytes).await?,
        })
    };
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {:.1} s", timeout.as_secs_f64())))
}
