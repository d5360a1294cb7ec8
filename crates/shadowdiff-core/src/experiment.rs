//! Shadow calls inside a Rust service, in the manner of GitHub's Scientist: the control (the
//! old code) runs and its result is what the caller gets, always; the candidate (the new code)
//! runs beside it, its errors and panics caught, and the two results are compared under the
//! service's rules; each compared call is published to a [`Sink`], such as an outcomes file
//! that `shadowdiff diff` judges into the same reports, gate and snapshot as a replay.
//!
//! Results are compared as JSON: both sides' values are serialised with serde and compared as a
//! `200 application/json` response body would be, so the route's ignore rules, tolerances and
//! array rules apply to them.

use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::model::{Body, Request, Response};
use crate::shadow::{Shadow, ShadowCall};

/// Where an experiment's compared calls go; any `Fn(&ShadowCall)` is one.
pub trait Sink: Send + Sync {
    /// Receives one compared call (its outcome line is [`ShadowCall::to_outcome_line`]).
    fn publish(&self, call: &ShadowCall<'_>);
}

impl<F: Fn(&ShadowCall<'_>) + Send + Sync> Sink for F {
    fn publish(&self, call: &ShadowCall<'_>) {
        self(call)
    }
}

/// One named experiment: a control and a candidate compared call after call; cheap to share
/// between threads (`&Experiment` is all a call needs).
pub struct Experiment<S> {
    name: String,
    shadow: Shadow,
    sink: S,
    sample: f64,
    calls: AtomicU64,
}

impl<S: Sink> Experiment<S> {
    /// An experiment called `name` (the calls' ids are `NAME-1`, `NAME-2`, ...), comparing
    /// under `shadow`'s rules and publishing to `sink`; every call is compared.
    pub fn new(name: &str, shadow: Shadow, sink: S) -> Experiment<S> {
        Experiment {
            name: name.to_string(),
            shadow,
            sink,
            sample: 1.0,
            calls: AtomicU64::new(0),
        }
    }

    /// Runs the candidate on a share `rate` (0 to 1) of the calls only, chosen by the call's
    /// number, so the same sequence of calls gives the same choice.
    pub fn sample(mut self, rate: f64) -> Experiment<S> {
        self.sample = rate.clamp(0.0, 1.0);
        self
    }

    /// Runs `control` and returns its result, unchanged. When it succeeds (and the call is in
    /// the sample), runs `candidate` too and publishes the comparison of the two values; a
    /// candidate that returns an error or panics is published as an error outcome (`new_error`,
    /// `new_panic`) and never reaches the caller. `request` names the call (its route groups
    /// the reports); a control that fails is not compared.
    pub fn run<T, E>(
        &self,
        request: &Request,
        control: impl FnOnce() -> Result<T, E>,
        candidate: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize,
        E: Display,
    {
        let number = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let started = Instant::now();
        let controlled = control();
        let control_took = started.elapsed();
        let Ok(value) = &controlled else {
            return controlled;
        };
        if !in_sample(number, self.sample) {
            return controlled;
        }
        let Some(old) = as_response(value) else {
            return controlled;
        };
        let id = format!("{}-{number}", self.name);
        let started = Instant::now();
        let tried = catch_unwind(AssertUnwindSafe(candidate));
        let took = started.elapsed();
        let old = (old, control_took);
        let call = match tried {
            Ok(Ok(new)) => match as_response(&new) {
                Some(new) => self.shadow.compare(&id, request, old, (new, took)),
                None => self.shadow.new_failed(
                    &id,
                    request,
                    old,
                    "error",
                    "the candidate's value does not serialise to JSON",
                ),
            },
            Ok(Err(err)) => self
                .shadow
                .new_failed(&id, request, old, "error", &err.to_string()),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| text.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "the candidate panicked".to_string());
                self.shadow
                    .new_failed(&id, request, old, "panic", &format!("panicked: {message}"))
            }
        };
        self.sink.publish(&call);
        controlled
    }

    /// Calls run so far, compared or not.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

/// Whether call `number` is in a sample of `rate`.
fn in_sample(number: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    let hash = xxhash_rust::xxh3::xxh3_64(&number.to_le_bytes());
    (hash as f64 / u64::MAX as f64) < rate
}

/// A value as the JSON response the engine compares; none when it does not serialise.
fn as_response<T: Serialize>(value: &T) -> Option<Response> {
    let body = serde_json::to_string(value).ok()?;
    Some(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(body),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::rules::RuleSet;

    #[derive(Serialize)]
    struct Quote {
        id: u32,
        total: f64,
        at: String,
    }

    fn quotes(lines: &Mutex<Vec<String>>) -> Experiment<impl Sink + '_> {
        let rules = "[[route]]\nmatch = \"GET /quotes/{id}\"\nignore = [\"$.at\"]\n";
        let shadow = Shadow::new(RuleSet::parse(rules, Path::new("quotes.toml")).unwrap());
        Experiment::new("quotes", shadow, move |call: &ShadowCall<'_>| {
            lines.lock().unwrap().push(call.to_outcome_line());
        })
    }

    fn get(id: u32) -> Request {
        Request {
            method: "GET".into(),
            url: format!("/quotes/{id}"),
            headers: vec![],
            body: Body::Empty,
        }
    }

    fn quote(id: u32, total: f64) -> Result<Quote, String> {
        Ok(Quote {
            id,
            total,
            at: format!("t{id}-{total}"),
        })
    }

    #[test]
    fn the_control_is_returned_and_the_candidate_compared_under_the_rules() {
        let lines = Mutex::new(Vec::new());
        let experiment = quotes(&lines);
        let equal = experiment.run(&get(1), || quote(1, 10.0), || quote(1, 10.0));
        assert_eq!(equal.unwrap().total, 10.0);
        let changed = experiment.run(&get(2), || quote(2, 10.0), || quote(2, 11.0));
        assert_eq!(changed.unwrap().total, 10.0, "the caller gets the control");
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains(
                r#""id":"quotes-1","seq":0,"route":"GET /quotes/{id}","outcome":"equal""#
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains(r#""outcome":"different""#),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("$.total"), "{}", lines[1]);
    }

    #[test]
    fn candidate_errors_and_panics_are_caught_and_published_as_errors() {
        let lines = Mutex::new(Vec::new());
        let experiment = quotes(&lines);
        let failed = experiment.run(&get(3), || quote(3, 1.0), || Err("store down".to_string()));
        assert!(failed.is_ok());
        let panicked = experiment.run(
            &get(4),
            || quote(4, 1.0),
            || -> Result<Quote, String> { panic!("index out of bounds") },
        );
        assert_eq!(panicked.unwrap().id, 4);
        let lines = lines.lock().unwrap();
        assert!(
            lines[0].contains(r#""outcome":"error""#) && lines[0].contains("store down"),
            "{}",
            lines[0]
        );
        assert!(lines[1].contains(r#""kind":"panic""#), "{}", lines[1]);
        assert!(
            lines[1].contains("panicked: index out of bounds"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn a_failing_control_is_returned_and_not_compared_and_the_sample_is_kept() {
        let lines = Mutex::new(Vec::new());
        let experiment = quotes(&lines);
        let ran = std::cell::Cell::new(false);
        let failed: Result<Quote, String> = experiment.run(
            &get(5),
            || Err("old failed".into()),
            || {
                ran.set(true);
                quote(5, 1.0)
            },
        );
        assert_eq!(failed.err().as_deref(), Some("old failed"));
        assert!(
            !ran.get(),
            "the candidate does not run when the control fails"
        );
        assert!(lines.lock().unwrap().is_empty());

        let none = Mutex::new(Vec::new());
        let sampled = quotes(&none).sample(0.0);
        for id in 0..20 {
            sampled
                .run(&get(id), || quote(id, 1.0), || quote(id, 2.0))
                .unwrap();
        }
        assert!(none.lock().unwrap().is_empty());
        assert_eq!(sampled.calls(), 20);
    }
}
