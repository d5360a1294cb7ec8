//! What a stateful replay adds to the pipeline: the exchanges of one session sent one after
//! another (`--session`), and values captured from answers carried into later requests
//! (`capture = [...]` in the rules).
//!
//! The reader decides everything that could depend on timing, in input order, before anything is
//! sent: each exchange's [`Turn`] in its session, the earlier exchanges whose recorded values its
//! request carries (found in its recorded request against the recorded responses read so far),
//! and the places it captures itself. A lane then waits for those exchanges, rewrites the request
//! for each target with that target's values, and once answered records its own captures; a
//! capture that failed turns every exchange needing it into an error outcome, never a request
//! with the recorded value.
//!
//! Memory: the map of captured values lives for the run (a value captured first may be used
//! last): one entry per captured value, not per exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::watch;

use shadowdiff_core::{
    reconcile, rewrite_request, CapturePlace, CaptureScope, Captured, Exchange, Redactor, Request,
    Response, RuleSet, SessionKey, REDACTED,
};

use crate::pipeline::Answer;
use crate::time_order::{WINDOW, WINDOW_BYTES};

/// An exchange's place in its session: it is sent once the exchange before it in the session
/// was answered (or ended otherwise), and the one after it waits for it in turn. Nothing is ever
/// sent on the channels: the sender of an exchange is dropped when it is answered, skipped, not
/// run or cancelled, which is what its follower waits for, so a follower is never left waiting.
///
/// No wait can deadlock: an exchange only ever waits for exchanges before it in the input; the
/// unanswered exchange that comes first waits for nothing, and the lanes take chunks in input
/// order, so it is always being replayed.
pub(crate) struct Turn {
    after: Option<watch::Receiver<()>>,
    _done: watch::Sender<()>,
}

/// An exchange that captures values: what it captures, and, once answered, what each target
/// answered in their place.
pub(crate) struct Producer {
    /// The exchange's id and route, to name it when one of its captures failed.
    id: String,
    route: String,
    /// Its position in the input: captures count for it and the exchanges after it only.
    seq: u64,
    /// Each place captured, with its recorded value.
    places: Vec<(CapturePlace, Captured)>,
    /// Resolves when the exchange has ended, answered or not.
    done: watch::Receiver<()>,
    /// Set when the exchange was sent (or failed for want of a capture): per place, old's and
    /// new's values, or why there are none. Unset when it was skipped or not run.
    answered: OnceLock<Vec<Result<[Captured; 2], String>>>,
}

/// What the reader decided about one exchange of a stateful replay.
#[derive(Default)]
pub(crate) struct Stateful {
    turn: Option<Turn>,
    /// The scope its captured values live in: the session, or the whole run.
    scope: Option<String>,
    /// The recorded values its request carries, with the exchange that captured each.
    needs: Vec<(String, Arc<Producer>)>,
    /// The capturing exchanges before it to wait for (in a run scope, the last of them too).
    waits: Vec<Arc<Producer>>,
    /// Its own captures, and what ends them.
    own: Option<(Arc<Producer>, watch::Sender<()>)>,
}

/// The reader's side: sessions in flight and captured values read so far, in input order.
pub(crate) struct Dealer {
    session: Option<SessionKey>,
    scope: CaptureScope,
    captures: bool,
    /// The last exchange dealt of each session, so the next one can wait for it. Sessions whose
    /// last exchange has ended are dropped now and then, so the map holds about the sessions in
    /// flight.
    last: HashMap<String, Last>,
    prune_at: usize,
    /// Set, once, when an exchange is dealt after one recorded later in its session (beyond the
    /// reader's window of time order).
    out_of_time_order: Arc<OnceLock<String>>,
    /// Recorded values by scope, with the exchange that captured each (the latest one).
    recorded: HashMap<(String, String), Arc<Producer>>,
    /// In a run scope, the last capturing exchange dealt.
    last_producer: Option<Arc<Producer>>,
}

impl Dealer {
    /// A dealer for `session` (none: no sessions) and the captures of the rules, if `captures`.
    /// `out_of_time_order` is told, once, of sessions not recorded in time order.
    pub(crate) fn new(
        session: Option<SessionKey>,
        scope: CaptureScope,
        captures: bool,
        out_of_time_order: &Arc<OnceLock<String>>,
    ) -> Dealer {
        Dealer {
            session,
            scope,
            captures,
            last: HashMap::new(),
            prune_at: 1024,
            out_of_time_order: out_of_time_order.clone(),
            recorded: HashMap::new(),
            last_producer: None,
        }
    }

    /// What `exchange`, at `seq` of the input, waits for and captures under `rules`. Without a
    /// session or captures, nothing: the route is not even looked up.
    pub(crate) fn deal(&mut self, seq: u64, exchange: &Exchange, rules: &RuleSet) -> Stateful {
        if self.session.is_none() && !self.captures {
            return Stateful::default();
        }
        let request = &exchange.request;
        let found = rules.route(&request.method, request.path());
        let (route, rules) = (found.name.as_str(), found.rules);
        let session = self.session.as_ref().and_then(|key| key.of(request, route));
        let mut stateful = Stateful {
            turn: session.clone().map(|session| self.turn(session, exchange)),
            ..Stateful::default()
        };
        if !self.captures {
            return stateful;
        }
        let scope = match self.scope {
            CaptureScope::Run => String::new(),
            CaptureScope::Session => match session {
                Some(session) => session,
                None => return stateful,
            },
        };
        let mut needs: Vec<(String, Arc<Producer>)> = Vec::new();
        rewrite_request(&exchange.request, |text| {
            if !needs.iter().any(|(seen, _)| seen == text) {
                if let Some(producer) = self.recorded.get(&(scope.clone(), text.to_string())) {
                    needs.push((text.to_string(), producer.clone()));
                }
            }
            None
        });
        let mut waits: Vec<Arc<Producer>> = Vec::new();
        let before = needs
            .iter()
            .map(|(_, producer)| producer)
            .chain(self.last_producer.as_ref());
        for producer in before {
            if !waits.iter().any(|seen| seen.seq == producer.seq) {
                waits.push(producer.clone());
            }
        }
        stateful.needs = needs;
        stateful.waits = waits;
        if let Some(recorded) = &exchange.response {
            let places: Vec<(CapturePlace, Captured)> = rules
                .captures
                .iter()
                .filter_map(|place| Some((place.clone(), place.find(recorded).ok()?)))
                .collect();
            if !places.is_empty() {
                let (ended, done) = watch::channel(());
                let producer = Arc::new(Producer {
                    id: exchange.id.clone(),
                    route: route.to_string(),
                    seq,
                    places,
                    done,
                    answered: OnceLock::new(),
                });
                for (_, value) in &producer.places {
                    self.recorded
                        .insert((scope.clone(), value.text().to_string()), producer.clone());
                }
                if self.scope == CaptureScope::Run {
                    self.last_producer = Some(producer.clone());
                }
                stateful.own = Some((producer, ended));
            }
        }
        stateful.scope = Some(scope);
        stateful
    }

    /// The turn of `exchange`, the next of `session`.
    fn turn(&mut self, session: String, exchange: &Exchange) -> Turn {
        let (done, follower) = watch::channel(());
        let at = exchange
            .ts
            .as_deref()
            .and_then(|ts| humantime::parse_rfc3339_weak(ts).ok());
        let before = self.last.insert(
            session.clone(),
            Last {
                ended: follower,
                at,
                id: exchange.id.clone(),
            },
        );
        if let (Some(before), Some(at)) = (&before, at) {
            if before.at.is_some_and(|earlier| at < earlier) {
                let _ = self.out_of_time_order.set(format!(
                    "the recordings are not in time order within session {session}: {} is \
                     recorded before {} but comes too far after it in the file to be put back \
                     in time order (run looks {WINDOW} exchanges or {} MiB ahead), so it \
                     replays after it",
                    exchange.id,
                    before.id,
                    WINDOW_BYTES >> 20
                ));
            }
        }
        if self.last.len() >= self.prune_at {
            self.last.retain(|_, last| last.ended.has_changed().is_ok());
            self.prune_at = (self.last.len() * 2).max(1024);
        }
        Turn {
            after: before.map(|before| before.ended),
            _done: done,
        }
    }
}

/// The last exchange dealt of a session: what ends it, when it was recorded, its id.
struct Last {
    ended: watch::Receiver<()>,
    at: Option<std::time::SystemTime>,
    id: String,
}

/// What to send each target: the request rewritten with its values, or why the exchange cannot
/// be sent.
pub(crate) enum Sending {
    /// The request as recorded goes to every target.
    AsRecorded,
    /// Old's and new's own requests (none: as recorded for that target).
    Rewritten([Option<Request>; 2]),
    /// A capture this exchange needs failed.
    Refused(String),
}

impl Stateful {
    /// Waits until the exchange before this one in its session, and every capturing exchange it
    /// depends on, has ended.
    pub(crate) async fn wait(&mut self) {
        if let Some(mut after) = self.turn.as_mut().and_then(|turn| turn.after.take()) {
            // Resolves (with an error) when the exchange before has ended.
            let _ = after.changed().await;
        }
        for producer in &self.waits {
            let _ = producer.done.clone().changed().await;
        }
    }

    /// What to send each target, once [`Stateful::wait`] returned.
    pub(crate) fn sending(&self, request: &Request) -> Sending {
        if self.needs.is_empty() {
            return Sending::AsRecorded;
        }
        let mut values: [HashMap<&str, &Captured>; 2] = [HashMap::new(), HashMap::new()];
        for (text, producer) in &self.needs {
            let Some(answered) = producer.answered.get() else {
                // Skipped or not run: nothing was created, so the recorded value stands.
                continue;
            };
            let Some(position) = producer
                .places
                .iter()
                .position(|(_, recorded)| recorded.text() == text)
            else {
                continue;
            };
            match &answered[position] {
                Ok([old, new]) => {
                    values[0].insert(text, old);
                    values[1].insert(text, new);
                }
                Err(why) => {
                    return Sending::Refused(format!(
                        "needs the value captured at {} of {} ({}), which {why}",
                        producer.places[position].0, producer.id, producer.route
                    ))
                }
            }
        }
        let [old, new] = values.map(|values| {
            rewrite_request(request, |text| {
                values.get(text).map(|value| (*value).clone())
            })
        });
        if old.is_none() && new.is_none() {
            Sending::AsRecorded
        } else {
            Sending::Rewritten([old, new])
        }
    }

    /// Records what old and new answered in the places this exchange captures, and adds the
    /// values to `book`; `Err` when it was never sent, with the reason its followers are given.
    pub(crate) fn answered(&self, answers: Result<[&Answer; 2], &str>, book: &Book) {
        let Some((producer, _)) = &self.own else {
            return;
        };
        let values: Vec<Result<[Captured; 2], String>> = producer
            .places
            .iter()
            .map(|(place, _)| match answers {
                Err(why) => Err(why.to_string()),
                Ok([old, new]) => Ok([captured(place, "old", old)?, captured(place, "new", new)?]),
            })
            .collect();
        if let Some(scope) = &self.scope {
            book.add(scope, producer.seq, &producer.places, &values);
        }
        let _ = producer.answered.set(values);
    }

    /// What this exchange captured, for the run's map of captures.
    pub(crate) fn captures(&self) -> Vec<CaptureRecord> {
        let Some((producer, _)) = &self.own else {
            return Vec::new();
        };
        let Some(answered) = producer.answered.get() else {
            return Vec::new();
        };
        producer
            .places
            .iter()
            .zip(answered)
            .map(|((place, recorded), answered)| CaptureRecord {
                place: place.clone(),
                recorded: recorded.clone(),
                answered: answered.clone(),
            })
            .collect()
    }

    /// The recorded values that old's and new's values stand for when this exchange's answers
    /// are compared: the captures of its scope made by it and the exchanges before it.
    pub(crate) fn stand_ins(&self, book: &Arc<Book>, seq: u64) -> Option<StandIns> {
        Some(StandIns {
            book: book.clone(),
            scope: self.scope.clone()?,
            seq,
        })
    }
}

/// One value of the run's map of captures: where it was captured, the recorded value, and old's
/// and new's (or why they have none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRecord {
    /// The place captured (`$.id`, `header:location`).
    pub place: CapturePlace,
    /// The value in the recorded response.
    pub recorded: Captured,
    /// Old's and new's values, or why a target has none.
    pub answered: Result<[Captured; 2], String>,
}

impl CaptureRecord {
    /// The record as a line of the run's `captures.jsonl`, for exchange `id` on `route`; values
    /// at a secret place are written as `[redacted]`.
    pub fn to_json_line(&self, id: &str, route: &str, redactor: &Redactor) -> String {
        let secret = self.place.is_secret(redactor);
        let value = |captured: &Captured| {
            if secret {
                serde_json::Value::from(REDACTED)
            } else {
                captured.to_json()
            }
        };
        let mut line = serde_json::json!({
            "id": id,
            "route": route,
            "capture": self.place.to_string(),
            "recorded": value(&self.recorded),
        });
        match &self.answered {
            Ok([old, new]) => {
                line["old"] = value(old);
                line["new"] = value(new);
            }
            Err(why) => line["error"] = serde_json::Value::from(why.as_str()),
        }
        line.to_string()
    }
}

/// The value `role` answered at `place`, or why there is none.
fn captured(place: &CapturePlace, role: &str, answer: &Answer) -> Result<Captured, String> {
    match answer {
        Err(err) => Err(format!("{role} did not answer ({err})")),
        Ok(reply) if reply.response.status >= 400 => Err(format!(
            "{role} answered with status {}",
            reply.response.status
        )),
        Ok(reply) => place
            .find(&reply.response)
            .map_err(|why| format!("{role} did not capture: {why}")),
    }
}

/// The captured values of a run, by scope: for each old value, the recorded value it stands for
/// and new's value in its place, with the position of the exchange that captured it.
#[derive(Default)]
pub(crate) struct Book(Mutex<HashMap<String, HashMap<String, Vec<Entry>>>>);

struct Entry {
    seq: u64,
    recorded: Captured,
    new: String,
}

impl Book {
    fn add(
        &self,
        scope: &str,
        seq: u64,
        places: &[(CapturePlace, Captured)],
        values: &[Result<[Captured; 2], String>],
    ) {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let by_old = book.entry(scope.to_string()).or_default();
        for ((_, recorded), value) in places.iter().zip(values) {
            if let Ok([old, new]) = value {
                by_old
                    .entry(old.text().to_string())
                    .or_default()
                    .push(Entry {
                        seq,
                        recorded: recorded.clone(),
                        new: new.text().to_string(),
                    });
            }
        }
    }

    /// The recorded value that old's `old` and new's `new` both stand for, captured at or
    /// before `seq` in `scope`.
    fn stands_for(&self, scope: &str, seq: u64, old: &str, new: &str) -> Option<Captured> {
        let book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        book.get(scope)?
            .get(old)?
            .iter()
            .rev()
            .find(|entry| entry.seq <= seq && entry.new == new)
            .map(|entry| entry.recorded.clone())
    }
}

/// What one exchange's answers are compared with: the captured values of its scope up to it.
pub(crate) struct StandIns {
    book: Arc<Book>,
    scope: String,
    seq: u64,
}

impl StandIns {
    /// Old's and new's responses with values standing for one recorded value replaced by it;
    /// none when there are none.
    pub(crate) fn reconcile(&self, old: &Response, new: &Response) -> Option<(Response, Response)> {
        reconcile(old, new, |a, b| {
            self.book.stands_for(&self.scope, self.seq, a, b)
        })
    }
}
