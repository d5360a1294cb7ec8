//! The client's path: every request is forwarded to the primary and its answer (status,
//! headers with their repeats, body bytes) goes back as it came. Only then is the exchange
//! handed to the mirroring queue, with `try_send`: a full queue makes a skipped exchange, never
//! a wait, so nothing the candidate does can delay or change a client's answer.
//!
//! Each request runs in a task of its own (a client that hangs up cancels neither the primary
//! call nor the mirroring). A request body is read into memory up to `--max-body-bytes`, an
//! answer body too when the exchange is to be mirrored; past the cap the body is streamed
//! through and the exchange skipped as too large, so memory stays bounded whatever either side
//! sends. An idempotent request held whole is sent again, once, when the primary closed its
//! pooled connection before answering (a keep-alive race, not a failure of the primary).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use shadowdiff_core::{Filters, RuleSet};
use shadowdiff_replay::relay::{
    declared_length, forwarded_request_headers, passed_back_headers, plain, read_up_to,
    send_resending_once, Kept, Relayed,
};
use shadowdiff_replay::{describe, sampled, RelayClient};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::metrics::{Role, Skip};
use crate::mirror::Job;
use crate::pending::{Pending, Tally};

/// The reason of an exchange skipped because the mirroring queue was full.
pub const QUEUE_FULL: &str = "shadow queue full";

/// What every request task shares.
pub struct Proxy {
    /// Requests received so far.
    pub seq: AtomicU64,
    /// The primary's base URL.
    pub primary: String,
    /// The client of the primary calls.
    pub client: RelayClient,
    /// The longest a primary call may take.
    pub timeout: Duration,
    /// The largest body kept for mirroring.
    pub max_body_bytes: u64,
    /// The comparator rules (routes, allowed methods).
    pub rules: Arc<RuleSet>,
    /// Which exchanges are mirrored.
    pub filters: Filters,
    /// The share mirrored.
    pub sample: f64,
    /// Where outcomes are counted.
    pub tally: Arc<Tally>,
    /// The mirroring queue.
    pub queue: mpsc::Sender<Job>,
}

/// Serves one request: forwards it in a task of its own and answers with what the primary said.
pub async fn handle(
    proxy: Arc<Proxy>,
    request: Request<Incoming>,
) -> Result<Response<Relayed>, Infallible> {
    let (answer_tx, answer_rx) = oneshot::channel();
    tokio::spawn(forward(proxy, request, answer_tx));
    Ok(answer_rx.await.unwrap_or_else(|_| {
        plain(
            StatusCode::BAD_GATEWAY,
            "shadowdiff shadow: the request was abandoned\n".into(),
        )
    }))
}

/// Why an exchange is not mirrored, decided before anything is read.
fn refusal(
    proxy: &Proxy,
    seq: u64,
    method: &str,
    route: &shadowdiff_core::RouteMatch<'_>,
) -> Option<(Skip, String)> {
    if let Some(reason) = proxy.filters.route_or_method_skip(method, || &route.name) {
        return Some((Skip::Filtered, reason));
    }
    if let Some(reason) = proxy
        .filters
        .method_refusal(&method.to_ascii_uppercase(), &route.rules.allow_methods)
    {
        return Some((Skip::NotAllowed, reason));
    }
    if !sampled(seq, proxy.sample) {
        return Some((
            Skip::NotSampled,
            format!("not in the --sample of {}", proxy.sample),
        ));
    }
    None
}

/// Forwards one request, answers the client, then hands the exchange to the mirroring queue.
async fn forward(
    proxy: Arc<Proxy>,
    request: Request<Incoming>,
    answer_tx: oneshot::Sender<Response<Relayed>>,
) {
    let seq = proxy.seq.fetch_add(1, Ordering::SeqCst) + 1;
    proxy.tally.metrics.request();
    let arrived = SystemTime::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let route = proxy.rules.route(method, parts.uri.path());
    let mut refused = refusal(&proxy, seq, method, &route);
    let pending = Pending::new(seq, route.name, proxy.tally.clone());
    let cap = proxy.max_body_bytes;
    let kept = match read_up_to(body, declared_length(&parts.headers), cap).await {
        Ok(kept) => kept,
        Err(reason) => {
            let text = format!("shadowdiff shadow: cannot read the request body: {reason}\n");
            let _ = answer_tx.send(plain(StatusCode::BAD_REQUEST, text));
            pending.skip(
                Skip::Incomplete,
                format!("the request body could not be read: {reason}"),
            );
            return;
        }
    };
    let (mut to_primary, request_body) = kept.split();
    if refused.is_none() && request_body.is_none() {
        refused = Some(too_large("request", cap));
    }
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .to_string();
    let url = format!("{}{}", proxy.primary, target);
    let uri: hyper::Uri = match url.parse() {
        Ok(uri) => uri,
        Err(err) => {
            let text = format!("shadowdiff shadow: `{url}` is not a URL to forward to: {err}\n");
            let _ = answer_tx.send(plain(StatusCode::BAD_GATEWAY, text));
            pending.skip(Skip::PrimaryFailed, format!("primary: {err}"));
            return;
        }
    };
    let headers = forwarded_request_headers(&parts.headers);
    let started = Instant::now();
    let mirrored = refused.is_none();
    let held_whole = request_body.is_some();
    let call = async {
        let response = send_resending_once(
            &proxy.client,
            &parts.method,
            &uri,
            &headers,
            held_whole,
            |attempt| match (&request_body, attempt) {
                (Some(bytes), 1..) => Either::Left(Full::new(bytes.clone())),
                _ => std::mem::replace(&mut to_primary, Either::Left(Full::new(Bytes::new()))),
            },
        )
        .await
        .map_err(|err| describe(&err))?;
        let (head, body) = response.into_parts();
        let kept = if mirrored {
            read_up_to(body, declared_length(&head.headers), cap).await?
        } else {
            Kept::OverCap {
                read: Vec::new(),
                rest: body,
            }
        };
        Ok::<_, String>((head, kept))
    };
    let answered = tokio::time::timeout(proxy.timeout, call)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer within {:.1} s",
                proxy.timeout.as_secs_f64()
            ))
        });
    let (head, kept) = match answered {
        Ok(answered) => answered,
        Err(reason) => {
            let text = format!("shadowdiff shadow: primary error: {reason}\n");
            let _ = answer_tx.send(plain(StatusCode::BAD_GATEWAY, text));
            pending.skip(Skip::PrimaryFailed, format!("primary: {reason}"));
            return;
        }
    };
    let latency = started.elapsed();
    proxy.tally.metrics.latency(Role::Primary, latency);
    let (to_client, response_body) = kept.split();
    let mut response = Response::new(to_client);
    *response.status_mut() = head.status;
    passed_back_headers(&head.headers, response.headers_mut());
    let _ = answer_tx.send(response);

    if let Some((why, reason)) = refused {
        pending.skip(why, reason);
        return;
    }
    let Some(response_body) = response_body else {
        let (why, reason) = too_large("response", cap);
        pending.skip(why, reason);
        return;
    };
    hand_over(
        &proxy,
        Job {
            pending,
            arrived,
            method: parts.method,
            target,
            request_headers: parts.headers,
            request_body: request_body.unwrap_or_else(Bytes::new),
            status: head.status.as_u16(),
            response_headers: head.headers,
            response_body,
            latency,
        },
    );
}

/// Queues the exchange for mirroring, or skips it when the queue is full.
fn hand_over(proxy: &Proxy, job: Job) {
    proxy.tally.metrics.queue(1);
    if let Err(refused) = proxy.queue.try_send(job) {
        proxy.tally.metrics.queue(-1);
        let (job, why) = match refused {
            mpsc::error::TrySendError::Full(job) => (job, Skip::QueueFull),
            mpsc::error::TrySendError::Closed(job) => (job, Skip::Stopping),
        };
        let reason = match why {
            Skip::QueueFull => QUEUE_FULL.to_string(),
            _ => "the proxy was stopping".to_string(),
        };
        job.pending.skip(why, reason);
    }
}

/// The skip of a body over the cap.
fn too_large(what: &str, cap: u64) -> (Skip, String) {
    (
        Skip::TooLarge,
        format!("the {what} body is larger than --max-body-bytes ({cap} bytes): forwarded, not mirrored"),
    )
}
