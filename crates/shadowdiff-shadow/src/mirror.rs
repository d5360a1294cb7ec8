//! Off the client's path: exchanges taken from the queue, at most `concurrency` at once, sent to
//! the candidate (and, for safe methods, to the secondary, a second primary instance whose
//! answer tells noise from change), judged by the replay stage's `judge_answers` as `run`
//! judges, and handed to the recorder. The permit of a mirrored exchange travels with its
//! outcome and is released once the recorder has counted it, so the outcomes waiting for the
//! recorder are bounded too.

use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::Method;
use shadowdiff_core::{Body, Exchange, RuleSet, SAFE_METHODS};
use shadowdiff_replay::relay::{connection_tokens, is_connection_header, model_headers};
use shadowdiff_replay::{judge_answers, Reply, Target, HOP_BY_HOP};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinSet;

use crate::metrics::Role;
use crate::pending::{Pending, Tally};
use crate::recorder::Event;

/// One answered exchange waiting to be mirrored, as the proxy saw it.
pub struct Job {
    /// Its way to an outcome.
    pub pending: Pending,
    /// When the request arrived.
    pub arrived: std::time::SystemTime,
    /// The request.
    pub method: Method,
    /// The path and query.
    pub target: String,
    /// The request headers as the client sent them.
    pub request_headers: HeaderMap,
    /// The request body.
    pub request_body: Bytes,
    /// The primary's status.
    pub status: u16,
    /// The primary's headers.
    pub response_headers: HeaderMap,
    /// The primary's body.
    pub response_body: Bytes,
    /// How long the primary took.
    pub latency: Duration,
}

/// The mirrored targets and where outcomes go.
pub struct Mirror {
    /// The implementation being validated.
    pub candidate: Target,
    /// A second primary instance, for noise.
    pub secondary: Option<Target>,
    /// The comparator rules.
    pub rules: Arc<RuleSet>,
    /// Where the queue depth and latencies are counted.
    pub tally: Arc<Tally>,
    /// The recorder's inbox.
    pub events: Sender<Event>,
}

/// Takes exchanges off `jobs` until `close` fires and the queue is empty, mirroring at most
/// `concurrency` at once; returns once every mirrored exchange has been judged.
pub async fn dispatch(
    mirror: Arc<Mirror>,
    mut jobs: mpsc::Receiver<Job>,
    concurrency: usize,
    mut close: oneshot::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut closing = false;
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let job = tokio::select! {
            job = jobs.recv() => job,
            _ = &mut close, if !closing => {
                closing = true;
                jobs.close();
                continue;
            }
            Some(_) = running.join_next(), if !running.is_empty() => continue,
        };
        let Some(job) = job else {
            break;
        };
        mirror.tally.metrics.queue(-1);
        running.spawn(mirror.clone().run(job, permit));
    }
    while running.join_next().await.is_some() {}
}

impl Mirror {
    /// Mirrors one exchange and hands its outcome to the recorder.
    async fn run(self: Arc<Self>, job: Job, permit: tokio::sync::OwnedSemaphorePermit) {
        let Job {
            pending,
            arrived,
            method,
            target,
            request_headers,
            request_body,
            status,
            response_headers,
            response_body,
            latency,
        } = job;
        let listed = connection_tokens(&request_headers);
        let exchange = Exchange {
            id: pending.id(),
            ts: Some(humantime::format_rfc3339_millis(arrived).to_string()),
            request: shadowdiff_core::Request {
                method: method.as_str().to_string(),
                url: target,
                headers: model_headers(&request_headers, |name| {
                    HOP_BY_HOP.contains(&name) || listed.iter().any(|t| t == name)
                }),
                body: Body::from_bytes(request_body.to_vec()),
            },
            response: None,
            tags: Default::default(),
        };
        let answer_listed = connection_tokens(&response_headers);
        let old = Ok(Reply {
            response: shadowdiff_core::Response {
                status,
                headers: model_headers(&response_headers, |name| {
                    is_connection_header(name, &answer_listed)
                }),
                body: Body::from_bytes(response_body.to_vec()),
            },
            latency,
        });
        let safe = SAFE_METHODS.contains(&exchange.request.method.as_str());
        let secondary = async {
            match (&self.secondary, safe) {
                (Some(secondary), true) => Some(secondary.call(&exchange, 0).await),
                _ => None,
            }
        };
        let (new, noise) = tokio::join!(self.candidate.call(&exchange, 0), secondary);
        let metrics = &self.tally.metrics;
        if let Ok(reply) = &new {
            metrics.latency(Role::Candidate, reply.latency);
        }
        if let Some(Ok(reply)) = &noise {
            metrics.latency(Role::Secondary, reply.latency);
        }
        let seq = pending.seq();
        // A comparison pool that stopped (only while shutting down) leaves the exchange
        // pending: it counts as not run.
        if let Ok(finished) = judge_answers(&self.rules, seq, exchange, old, new, noise).await {
            pending.settle();
            let _ = self.events.send(Event::Judged(Box::new(finished), permit));
        }
    }
}
