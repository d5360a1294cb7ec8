//! The replay pipeline: read → filter → replay (async, bounded) → compare → in order.
//!
//! A reader thread deals the exchanges in chunks to the replay lanes (one thread and one
//! single-threaded runtime each); a lane replays each exchange against old, new and (when noise
//! is measured) noise at once, with its share of `concurrency` in flight, and judges it: in place
//! when the bodies are identical, on the rayon pool otherwise. Results come back in input order
//! (each lane keeps its order, and the chunks are taken back in the turn they were dealt), so
//! what the sink sees never depends on timing or on the number of threads.
//!
//! With a session (`--session`), the reader gives each exchange that carries a session value a
//! [`Turn`]: it is sent only once the exchange before it in the same session has been answered
//! (or ended otherwise), wherever that one is replayed; other sessions and exchanges of none go
//! on beside it, so sessions replay concurrently up to `concurrency`, each in input order.
//!
//! A run can stop before its end: a target fails too many calls in a row (counted as calls
//! finish, in any lane), or the caller's `interrupt` resolves (Ctrl-C). From that moment nothing
//! more is sent: calls in flight are dropped and no exchange starts; every exchange read and not
//! finished comes back as [`Outcome::NotRun`] with the reason (skips are still decided, as they
//! need no target). After an interruption the reader stops at once; after a target went down it
//! reads on to the end, so the rest of the recordings is counted too. Either way every exchange
//! read ends in exactly one outcome.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::stateful::{Book, CaptureRecord, Sending, StandIns, Stateful};
use shadowdiff_core::RuleSet;
use shadowdiff_core::SessionKey;
use shadowdiff_core::{judge, Pair};
use shadowdiff_core::{CaptureScope, Exchange, Request, SAFE_METHODS};
use shadowdiff_core::{Judged, Outcome, OutcomeError, Timing};
use shadowdiff_io::Limits;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::target::{CallError, Reply, Target};
use crate::targets::{NoiseSource, Targets};
use shadowdiff_core::Filters;
use shadowdiff_core::Partition;
use shadowdiff_io::InputIdentity;

/// Everything the pipeline needs besides the targets.
pub struct Plan {
    /// Recording files or folders, read in order.
    pub recordings: Vec<PathBuf>,
    /// Reader limits.
    pub limits: Limits,
    /// The comparator rules.
    pub rules: Arc<RuleSet>,
    /// Which exchanges replay.
    pub filters: Filters,
    /// Which share of the exchanges this run handles.
    pub partition: Option<Partition>,
    /// Exchanges in flight at most.
    pub concurrency: usize,
    /// Threads that replay, each with its share of `concurrency` (at most one per exchange in
    /// flight).
    pub lanes: usize,
    /// Exchanges started per second at most.
    pub rate: Option<f64>,
    /// Times a failed call may be sent again, with backoff, when its failure allows it.
    pub retries: u32,
    /// Failed calls in a row after which a target counts as down and the run stops.
    pub max_failures_in_a_row: u32,
    /// Where a request's session is (`--session`): the exchanges of one session are sent one
    /// after another, in input order, each once the one before was answered; different
    /// sessions, and exchanges of none, run concurrently.
    pub session: Option<SessionKey>,
    /// Which later exchanges see a value captured from an answer (`capture = [...]` in the
    /// rules): those of the same session, or every one.
    pub capture_scope: CaptureScope,
}

/// One finished exchange: its judgement and what the targets answered.
pub struct Finished {
    /// The exchange as read.
    pub exchange: Exchange,
    /// How it was judged.
    pub judged: Judged,
    /// Old's answer (absent when skipped).
    pub old: Option<std::result::Result<Reply, CallError>>,
    /// New's answer.
    pub new: Option<std::result::Result<Reply, CallError>>,
    /// The noise answer, when measured.
    pub noise: Option<std::result::Result<Reply, CallError>>,
    /// The values this exchange captured (`capture = [...]`), for the run's map of captures.
    pub captures: Vec<CaptureRecord>,
}

/// How the run ended, besides the outcomes it produced.
#[derive(Debug, Default)]
pub struct Ending {
    /// Set when the run stopped before its end: a target went down, or it was interrupted.
    pub stopped: Option<Stop>,
    /// Targets that were called and never answered, with the last error.
    pub unreachable: Vec<String>,
    /// What the reader read, when it read to the end of the input.
    pub input: Option<InputIdentity>,
    /// What the report should say about how the run went, such as sessions whose recordings
    /// are not in time order.
    pub notes: Vec<String>,
}

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Asked to stop (Ctrl-C, SIGTERM): nothing more is read.
    Interrupted,
    /// A target failed this many calls in a row: the rest of the recordings is still read, to
    /// be counted.
    TargetDown {
        /// `old`, `new` or `noise`.
        role: &'static str,
        /// The failed calls in a row.
        failures: u32,
        /// The last error.
        last: String,
    },
}

impl Stop {
    /// Why the exchanges left were not run, the same words for all of them, so that they
    /// group: `interrupted`, `target new failed 20 times in a row`.
    pub fn not_run_reason(&self) -> String {
        match self {
            Stop::Interrupted => "interrupted".to_string(),
            Stop::TargetDown { role, failures, .. } => {
                format!("target {role} failed {failures} times in a row")
            }
        }
    }

    /// Why the run is incomplete, with the last error of a target that went down.
    pub fn describe(&self) -> String {
        match self {
            Stop::Interrupted => self.not_run_reason(),
            Stop::TargetDown { last, .. } => format!("{} (last: {last})", self.not_run_reason()),
        }
    }
}

/// The stop of a run once decided: the first reason wins, and the lanes and the reader see it
/// at once.
pub(crate) struct Halt(watch::Sender<Option<Stop>>);

impl Halt {
    fn new() -> Halt {
        Halt(watch::channel(None).0)
    }

    /// Stops the run for `why`, unless it stopped already.
    fn stop(&self, why: Stop) {
        self.0.send_if_modified(|now| {
            let first = now.is_none();
            if first {
                *now = Some(why);
            }
            first
        });
    }

    /// Why the run stopped, if it did.
    fn reason(&self) -> Option<Stop> {
        self.0.borrow().clone()
    }

    /// Whether the run was interrupted, so that nothing more is read.
    pub(crate) fn interrupted(&self) -> bool {
        matches!(*self.0.borrow(), Some(Stop::Interrupted))
    }

    /// Resolves once the run stops, with why.
    async fn stopped(&self) -> Stop {
        let mut watching = self.0.subscribe();
        loop {
            if let Some(stop) = watching.borrow_and_update().clone() {
                return stop;
            }
            // The sender is `self`, alive as long as this borrow: `changed` cannot fail.
            let _ = watching.changed().await;
        }
    }
}

/// Exchanges handed between threads at once: the reader deals the recordings to the lanes in
/// chunks of this size, and each lane hands its finished exchanges back a chunk at a time.
pub(crate) const CHUNK: usize = 32;

/// How long a finished lane waits for its runtime's leftover blocking work (a name lookup).
const LANE_SHUTDOWN: Duration = Duration::from_millis(500);

/// Exchanges as the reader deals them: parsed with their position, or the error that ends
/// the input.
pub(crate) type Chunk = Vec<Result<(u64, Exchange, Stateful)>>;

/// Runs the plan, handing each exchange's outcome to `sink` in input order. Bad input stops
/// the run with an error (exit 2); a target that goes down, or `interrupt` resolving, stops it
/// early with [`Ending::stopped`] set: the sink still sees every exchange read, those not
/// finished as not run.
///
/// The replay runs on `lanes` threads, each with a single-threaded runtime that replays its
/// share of the exchanges (at most `concurrency / lanes` at once) and judges them, so an
/// exchange never moves between threads on its way. The reader deals chunks to the lanes in
/// turn and this task takes the finished chunks back in the same turn, so the order the sink
/// sees is the input order, whatever the timing.
pub async fn run(
    plan: Plan,
    targets: Arc<Targets>,
    interrupt: impl std::future::Future<Output = ()>,
    mut sink: impl FnMut(Finished),
) -> Result<Ending> {
    let concurrency = plan.concurrency.max(1);
    let lanes = plan.lanes.clamp(1, concurrency);
    let halt = Arc::new(Halt::new());
    let health = Arc::new(std::sync::Mutex::new(Health::new(
        plan.max_failures_in_a_row,
    )));
    let shared = Arc::new(Shared {
        targets,
        rules: plan.rules.clone(),
        filters: plan.filters.clone(),
        retries: plan.retries,
        pacer: plan.rate.map(|rate| Mutex::new(Pacer::new(rate))),
        halt: halt.clone(),
        health: health.clone(),
        book: Arc::default(),
    });
    let mut inputs = Vec::with_capacity(lanes);
    let mut running = Lanes {
        outputs: Vec::with_capacity(lanes),
        threads: Vec::with_capacity(lanes),
    };
    for lane in 0..lanes {
        let (input, chunks) = mpsc::channel::<Chunk>(2);
        let (finished, output) = mpsc::channel::<Vec<Result<Finished>>>(2);
        let thread = spawn_lane(
            lane,
            concurrency.div_ceil(lanes),
            shared.clone(),
            chunks,
            finished,
        )
        .map_err(|err| Error::Internal(format!("cannot start a replay thread: {err}")))?;
        inputs.push(input);
        running.outputs.push(output);
        running.threads.push(thread);
    }
    drop(shared);
    let out_of_time_order = Arc::new(OnceLock::new());
    let reader = crate::reader::spawn(&plan, inputs, halt.clone(), &out_of_time_order);
    let mut interrupt = std::pin::pin!(interrupt);
    let mut interrupted = false;
    for turn in 0.. {
        let chunk = loop {
            tokio::select! {
                biased;
                () = &mut interrupt, if !interrupted => {
                    interrupted = true;
                    halt.stop(Stop::Interrupted);
                }
                chunk = running.outputs[turn % lanes].recv() => break chunk,
            }
        };
        let Some(chunk) = chunk else {
            break;
        };
        for item in chunk {
            sink(item?);
        }
    }
    running.stop()?;
    // The reader ends once its chunks are dealt or refused; a panic there would otherwise look
    // like the end of the input.
    let input = reader
        .await
        .map_err(|err| Error::Internal(format!("the recording reader stopped: {err}")))?;
    let unreachable = health
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .unreachable();
    Ok(Ending {
        stopped: halt.reason(),
        unreachable,
        input,
        notes: out_of_time_order.get().cloned().into_iter().collect(),
    })
}

/// The lanes' threads and the receiving ends of their results. Dropping it (the run over, cut
/// short or abandoned) tells every lane to stop and waits until they have, so nothing holds the
/// targets any more and they can be stopped cleanly.
struct Lanes {
    outputs: Vec<mpsc::Receiver<Vec<Result<Finished>>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Lanes {
    /// Stops the lanes and waits for them; a lane that panicked (a bug) is an error, as its
    /// exchanges would otherwise be missing without a word.
    fn stop(mut self) -> Result<()> {
        if self.halt() {
            return Err(Error::Internal(
                "a replay thread failed unexpectedly (a bug: please report it)".into(),
            ));
        }
        Ok(())
    }

    /// Drops the results' receivers, which stops every lane, and joins the threads; says
    /// whether one of them panicked.
    fn halt(&mut self) -> bool {
        self.outputs.clear();
        // Every thread is joined, whatever an earlier one did.
        let mut panicked = false;
        for thread in self.threads.drain(..) {
            panicked |= thread.join().is_err();
        }
        panicked
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Starts one lane: a thread with a single-threaded runtime that replays the chunks it is dealt,
/// `in_flight` exchanges at once, and sends each chunk back finished, in order. It stops when
/// its chunks run out or when nobody takes its results any more.
fn spawn_lane(
    lane: usize,
    in_flight: usize,
    shared: Arc<Shared>,
    mut chunks: mpsc::Receiver<Chunk>,
    finished: mpsc::Sender<Vec<Result<Finished>>>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("replay-{lane}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    let failed = Error::Internal(format!("cannot start a replay runtime: {err}"));
                    let _ = finished.blocking_send(vec![Err(failed)]);
                    return;
                }
            };
            runtime.block_on(async move {
                // Each exchange carries whether it ends its chunk, so the chunk goes back whole.
                let exchanges = stream::unfold(&mut chunks, |chunks| async move {
                    let chunk = chunks.recv().await?;
                    let last = chunk.len().saturating_sub(1);
                    let tagged = chunk
                        .into_iter()
                        .enumerate()
                        .map(move |(i, item)| (item, i == last));
                    Some((stream::iter(tagged), chunks))
                })
                .flatten();
                let replayed = exchanges
                    .map(|(item, ends_chunk)| {
                        let shared = &shared;
                        async move {
                            let done = match item {
                                // Boxed, so that the queue of exchanges in flight moves a
                                // pointer, not the whole state of a replay, on every push.
                                Ok((seq, exchange, stateful)) => {
                                    Box::pin(shared.replay(seq, exchange, stateful, lane)).await
                                }
                                Err(err) => Err(err),
                            };
                            (done, ends_chunk)
                        }
                    })
                    .buffered(in_flight);
                let hand_back = async {
                    let mut replayed = std::pin::pin!(replayed);
                    let mut batch = Vec::with_capacity(CHUNK);
                    while let Some((done, ends_chunk)) = replayed.next().await {
                        batch.push(done);
                        if ends_chunk {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(CHUNK));
                            if finished.send(full).await.is_err() {
                                return;
                            }
                        }
                    }
                };
                tokio::select! {
                    _ = hand_back => {}
                    _ = finished.closed() => {}
                }
            });
            // A name lookup still running on the blocking pool must not hold the lane up.
            runtime.shutdown_timeout(LANE_SHUTDOWN);
        })
}

/// What every replay task shares.
struct Shared {
    targets: Arc<Targets>,
    rules: Arc<RuleSet>,
    filters: Filters,
    retries: u32,
    pacer: Option<Mutex<Pacer>>,
    halt: Arc<Halt>,
    /// Failed calls in a row per target, counted as exchanges finish, in any lane.
    health: Arc<std::sync::Mutex<Health>>,
    /// The values captured so far, by scope.
    book: Arc<Book>,
}

impl Shared {
    /// Replays one exchange (or skips it) and judges the answers on the rayon pool; once the
    /// run stops, an exchange not finished is not run.
    async fn replay(
        &self,
        seq: u64,
        exchange: Exchange,
        mut stateful: Stateful,
        lane: usize,
    ) -> Result<Finished> {
        let route = self
            .rules
            .route(&exchange.request.method, exchange.request.path());
        if let Some(reason) =
            self.filters
                .skip_reason(&exchange, &route.name, &route.rules.allow_methods)
        {
            return Ok(unanswered(
                seq,
                exchange,
                route.name,
                Outcome::Skipped(reason),
            ));
        }
        if let Some(stop) = self.halt.reason() {
            let outcome = Outcome::NotRun(stop.not_run_reason());
            return Ok(unanswered(seq, exchange, route.name, outcome));
        }
        let replayed = async {
            stateful.wait().await;
            let [old_request, new_request] = match stateful.sending(&exchange.request) {
                Sending::AsRecorded => [None, None],
                Sending::Rewritten(requests) => requests,
                Sending::Refused(why) => return Err(why),
            };
            let rewritten = |request: Option<Request>| {
                request.map(|request| Exchange {
                    request,
                    ..exchange.clone()
                })
            };
            let (old_exchange, new_exchange) = (rewritten(old_request), rewritten(new_request));
            let to_old = old_exchange.as_ref().unwrap_or(&exchange);
            let to_new = new_exchange.as_ref().unwrap_or(&exchange);
            if let Some(pacer) = &self.pacer {
                let start = pacer.lock().await.next();
                tokio::time::sleep_until(start).await;
            }
            let targets = &self.targets;
            // A write is sent once to each target: noise is measured on safe methods only.
            let safe = SAFE_METHODS.contains(&exchange.request.method.as_str());
            let noise_call = async {
                match &targets.noise {
                    _ if !safe => None,
                    NoiseSource::Off => None,
                    NoiseSource::Target(target) => Some(self.call(target, to_old, lane).await),
                    NoiseSource::Repeat => Some(self.call(&targets.old, to_old, lane).await),
                }
            };
            Ok(tokio::join!(
                self.call(&targets.old, to_old, lane),
                self.call(&targets.new, to_new, lane),
                noise_call
            ))
        };
        // Answers that are all in win over a stop decided meanwhile: they are kept.
        let answers = tokio::select! {
            biased;
            answers = replayed => answers,
            stop = self.halt.stopped() => {
                let outcome = Outcome::NotRun(stop.not_run_reason());
                return Ok(unanswered(seq, exchange, route.name, outcome));
            }
        };
        let (old, new, noise) = match answers {
            Ok(answers) => answers,
            Err(why) => {
                stateful.answered(Err("was not sent for want of a capture"), &self.book);
                let outcome = Outcome::Error(OutcomeError::new("capture_failed", why));
                return Ok(unanswered(seq, exchange, route.name, outcome));
            }
        };
        stateful.answered(Ok([&old, &new]), &self.book);
        let captures = stateful.captures();
        let stand_ins = stateful.stand_ins(&self.book, seq);
        // Answered: the next exchange of the session, and those needing its captures, may go.
        drop(stateful);
        let down = self
            .health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record([Some(&old), Some(&new), noise.as_ref()]);
        if let Some(stop) = down {
            self.halt.stop(stop);
        }
        let mut finished =
            judge_with(&self.rules, seq, exchange, old, new, noise, stand_ins).await?;
        finished.captures = captures;
        Ok(finished)
    }

    /// Calls a target, sending the request again (after a doubling backoff) only while the
    /// failure allows it: never once any byte of an answer arrived, and a method that is not
    /// idempotent only when it was certainly not sent ([`CallError::may_resend`]).
    async fn call(
        &self,
        target: &Target,
        exchange: &Exchange,
        lane: usize,
    ) -> std::result::Result<Reply, CallError> {
        let mut backoff = Duration::from_millis(50);
        let mut attempt = 0;
        loop {
            match target.call(exchange, lane).await {
                Err(err) if attempt < self.retries && err.may_resend(&exchange.request.method) => {
                    attempt += 1;
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                answer => return answer,
            }
        }
    }
}

/// Turns the answers of one exchange into an outcome, as `run` and `shadow` judge. Comparisons run on the rayon pool, off the I/O
/// threads, with the answers moved there and back uncopied; answers with identical bodies
/// are judged in place, as that takes no parsing.
pub async fn judge_answers(
    rules: &Arc<RuleSet>,
    seq: u64,
    exchange: Exchange,
    old: Answer,
    new: Answer,
    noise: Option<Answer>,
) -> Result<Finished> {
    judge_with(rules, seq, exchange, old, new, noise, None).await
}

/// [`judge_answers`], with the captured values old's and new's answers hold counted as the
/// recorded values they stand for.
async fn judge_with(
    rules: &Arc<RuleSet>,
    seq: u64,
    exchange: Exchange,
    old: Answer,
    new: Answer,
    noise: Option<Answer>,
    stand_ins: Option<StandIns>,
) -> Result<Finished> {
    let latency = |answer: Option<&Answer>| match answer {
        Some(Ok(reply)) => Some(reply.latency),
        _ => None,
    };
    let timing = Timing {
        old: latency(Some(&old)),
        new: latency(Some(&new)),
        noise: latency(noise.as_ref()),
    };
    let failed = [
        ("old", Some(&old)),
        ("new", Some(&new)),
        ("noise", noise.as_ref()),
    ]
    .into_iter()
    .find_map(|(role, answer)| match answer {
        Some(Err(err)) => Some((role, err)),
        _ => None,
    });
    if let Some((role, err)) = failed {
        let route = rules
            .route(&exchange.request.method, exchange.request.path())
            .name;
        let judged = Judged {
            id: exchange.id.clone(),
            seq,
            route,
            outcome: Outcome::Error(OutcomeError::failed_call(role, err.kind(), err)),
            noise: None,
            timing,
        };
        return Ok(Finished {
            exchange,
            judged,
            old: Some(old),
            new: Some(new),
            noise,
            captures: Vec::new(),
        });
    }
    let rules = rules.clone();
    let same = same_bodies(&old, &new, noise.as_ref());
    let judge = move || {
        judge_now(
            seq,
            exchange,
            [old, new],
            noise,
            &rules,
            timing,
            stand_ins.as_ref(),
        )
    };
    if same {
        // Identical bodies compare without parsing: cheaper here than a trip to the pool.
        return Ok(judge());
    }
    let (sender, receiver) = oneshot::channel::<Finished>();
    rayon::spawn(move || {
        let _ = sender.send(judge());
    });
    receiver
        .await
        .map_err(|_| Error::Internal("the comparison thread pool stopped".into()))
}

/// An exchange that ended without calling a target: skipped, or not run.
fn unanswered(seq: u64, exchange: Exchange, route: String, outcome: Outcome) -> Finished {
    let judged = Judged {
        id: exchange.id.clone(),
        seq,
        route,
        outcome,
        noise: None,
        timing: Timing::default(),
    };
    Finished {
        exchange,
        judged,
        old: None,
        new: None,
        noise: None,
        captures: Vec::new(),
    }
}

/// Compares the answers of one exchange; a comparison that panics (a bug) is an error outcome,
/// never a lost exchange.
fn judge_now(
    seq: u64,
    exchange: Exchange,
    [old, new]: [Answer; 2],
    noise: Option<Answer>,
    rules: &RuleSet,
    timing: Timing,
    stand_ins: Option<&StandIns>,
) -> Finished {
    let reconciled = match (stand_ins, response_of(&old), response_of(&new)) {
        (Some(stand_ins), Some(old), Some(new)) => stand_ins.reconcile(old, new),
        _ => None,
    };
    let pair = Pair {
        id: &exchange.id,
        seq,
        request: &exchange.request,
        old: reconciled
            .as_ref()
            .map(|(old, _)| old)
            .or(response_of(&old)),
        new: reconciled
            .as_ref()
            .map(|(_, new)| new)
            .or(response_of(&new)),
        noise: noise.as_ref().and_then(response_of),
    };
    let mut judged =
        catch_unwind(AssertUnwindSafe(|| judge(pair, rules))).unwrap_or_else(|_| Judged {
            id: exchange.id.clone(),
            seq,
            route: rules
                .route(&exchange.request.method, exchange.request.path())
                .name,
            outcome: Outcome::Error(OutcomeError::new(
                "comparison_failed",
                "the comparison of this exchange failed unexpectedly (a bug: please report it)",
            )),
            noise: None,
            timing: Timing::default(),
        });
    judged.timing = timing;
    Finished {
        exchange,
        judged,
        old: Some(old),
        new: Some(new),
        noise,
        captures: Vec::new(),
    }
}

/// Whether every answer has the same body bytes as old's.
fn same_bodies(old: &Answer, new: &Answer, noise: Option<&Answer>) -> bool {
    let Some(reference) = response_of(old) else {
        return false;
    };
    [Some(new), noise]
        .into_iter()
        .flatten()
        .all(|answer| response_of(answer).is_some_and(|r| r.body.bytes() == reference.body.bytes()))
}

/// What a target answered: a reply or why there was none.
pub type Answer = std::result::Result<Reply, CallError>;

/// The response of an answer, when there is one.
fn response_of(answer: &Answer) -> Option<&shadowdiff_core::Response> {
    answer.as_ref().ok().map(|reply| &reply.response)
}

/// Spaces exchange starts `1/rate` seconds apart.
struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    fn new(rate: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / rate.max(f64::MIN_POSITIVE)),
            next: None,
        }
    }

    /// The instant the next exchange may start.
    fn next(&mut self) -> Instant {
        let now = Instant::now();
        let at = self.next.map_or(now, |next| next.max(now));
        self.next = Some(at + self.interval);
        at
    }
}

/// Tracks failed calls in a row per target, in the order exchanges finish.
struct Health {
    limit: u32,
    targets: Vec<TargetHealth>,
}

#[derive(Default)]
struct TargetHealth {
    role: &'static str,
    failures_in_a_row: u32,
    answered: u64,
    called: u64,
    last_error: Option<String>,
}

impl Health {
    fn new(limit: u32) -> Health {
        Health {
            limit,
            targets: ["old", "new", "noise"]
                .into_iter()
                .map(|role| TargetHealth {
                    role,
                    ..TargetHealth::default()
                })
                .collect(),
        }
    }

    /// Counts the answers of one exchange (old, new, noise; none where not called); returns
    /// why the run must stop, if a target is down.
    fn record(&mut self, answers: [Option<&Answer>; 3]) -> Option<Stop> {
        let mut down = None;
        for (health, answer) in self.targets.iter_mut().zip(answers) {
            let Some(answer) = answer else { continue };
            health.called += 1;
            match answer {
                Ok(_) => {
                    health.answered += 1;
                    health.failures_in_a_row = 0;
                }
                Err(err) => {
                    health.failures_in_a_row += 1;
                    health.last_error = Some(err.to_string());
                    if health.failures_in_a_row >= self.limit && down.is_none() {
                        down = Some(Stop::TargetDown {
                            role: health.role,
                            failures: health.failures_in_a_row,
                            last: err.to_string(),
                        });
                    }
                }
            }
        }
        down
    }

    /// Targets that were called and never answered.
    fn unreachable(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter(|h| h.called > 0 && h.answered == 0)
            .map(|h| {
                format!(
                    "target {} never answered ({} calls; last: {})",
                    h.role,
                    h.called,
                    h.last_error.as_deref().unwrap_or("no answer")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{Body, Response};

    /// Old's and new's answers: a 200 when `true`, a refused connection otherwise.
    fn answers(old: bool, new: bool) -> [Answer; 2] {
        let answer = |ok: bool| {
            if ok {
                Ok(Reply {
                    response: Response {
                        status: 200,
                        headers: vec![],
                        body: Body::Empty,
                    },
                    latency: Duration::ZERO,
                })
            } else {
                Err(CallError::Refused("connection refused".into()))
            }
        };
        [answer(old), answer(new)]
    }

    fn record(health: &mut Health, old: bool, new: bool) -> Option<Stop> {
        let [old, new] = answers(old, new);
        health.record([Some(&old), Some(&new), None])
    }

    #[test]
    fn a_target_is_down_after_the_limit_of_failures_in_a_row() {
        let mut health = Health::new(3);
        assert_eq!(record(&mut health, true, false), None);
        assert_eq!(record(&mut health, true, false), None);
        assert_eq!(
            record(&mut health, true, true),
            None,
            "a success resets the count"
        );
        assert_eq!(record(&mut health, true, false), None);
        assert_eq!(record(&mut health, true, false), None);
        let down = record(&mut health, true, false).expect("down after 3 in a row");
        assert_eq!(down.not_run_reason(), "target new failed 3 times in a row");
        assert_eq!(
            down.describe(),
            "target new failed 3 times in a row (last: connection refused)"
        );
        assert!(health.unreachable().is_empty(), "new answered once");
    }

    #[test]
    fn a_target_that_never_answered_is_unreachable() {
        let mut health = Health::new(20);
        record(&mut health, true, false);
        record(&mut health, true, false);
        let unreachable = health.unreachable();
        assert_eq!(unreachable.len(), 1);
        assert!(
            unreachable[0].starts_with("target new never answered (2 calls"),
            "{unreachable:?}"
        );
    }

    #[test]
    fn the_pacer_spaces_starts_by_the_rate() {
        let mut pacer = Pacer::new(10.0);
        let first = pacer.next();
        let second = pacer.next();
        let third = pacer.next();
        assert_eq!(second - first, Duration::from_millis(100));
        assert_eq!(third - second, Duration::from_millis(100));
    }

    #[test]
    fn any_number_of_lanes_hands_exchanges_over_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recs.jsonl");
        let lines: Vec<String> = (0..203)
            .map(|i| {
                let method = if i % 10 == 3 { "POST" } else { "GET" };
                format!(
                    r#"{{"id":"r{i}","request":{{"method":"{method}","url":"/o/{i}","headers":[],"body":null}},"response":{{"status":200,"headers":[],"body":{{"text":"{i}"}}}}}}"#
                )
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        for (lanes, concurrency) in [(1, 1), (2, 5), (5, 7), (8, 3)] {
            let seen = runtime.block_on(async {
                let settings = crate::target::TargetSettings {
                    timeout: Duration::from_secs(5),
                    log_dir: dir.path().to_path_buf(),
                    lanes,
                    max_body_bytes: 1024,
                    data_dir: std::env::temp_dir().join("shadowdiff-test-data"),
                };
                let recorded = crate::target::TargetConfig {
                    url: Some("recorded".into()),
                    ..Default::default()
                };
                let targets = Arc::new(Targets {
                    old: Target::start("old", &recorded, &settings).await.unwrap(),
                    new: Target::start("new", &recorded, &settings).await.unwrap(),
                    noise: NoiseSource::Off,
                });
                let plan = Plan {
                    recordings: vec![path.clone()],
                    limits: Limits::default(),
                    rules: Arc::new(RuleSet::builtin()),
                    filters: Filters::default(),
                    partition: None,
                    concurrency,
                    lanes,
                    rate: None,
                    retries: 0,
                    max_failures_in_a_row: 20,
                    session: None,
                    capture_scope: CaptureScope::Session,
                };
                let mut seen = Vec::new();
                let ending = run(plan, targets, std::future::pending(), |done| {
                    seen.push((
                        done.judged.seq,
                        done.exchange.id.clone(),
                        done.judged.outcome,
                    ))
                })
                .await
                .unwrap();
                assert!(ending.stopped.is_none());
                seen
            });
            assert_eq!(seen.len(), 203, "lanes {lanes}: every exchange ends once");
            for (i, (seq, id, outcome)) in seen.iter().enumerate() {
                assert_eq!(
                    (*seq, id.as_str()),
                    (i as u64, format!("r{i}").as_str()),
                    "lanes {lanes}"
                );
                let skipped = matches!(outcome, Outcome::Skipped(_));
                assert_eq!(skipped, i % 10 == 3, "lanes {lanes}, r{i}: {outcome:?}");
            }
        }
    }
}
