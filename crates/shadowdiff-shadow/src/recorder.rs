//! The recorder thread: each judged exchange is added to the aggregate, counted in the metrics
//! (its real differences, those neither noise in this exchange nor accepted by the snapshot,
//! by signature), written to the mismatch log and to the outcome parts. A report asked for
//! (SIGHUP, `--report-every`) finishes the current part and hands a copy of the aggregate to
//! the caller's report function, so the report folder and its parts agree.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use shadowdiff_core::{Difference, Judged, Outcome, Redactor};
use shadowdiff_replay::{outcome_line, Finished};
use shadowdiff_report::{Aggregate, Snapshot};
use tokio::sync::OwnedSemaphorePermit;

use crate::metrics::Counted;
use crate::mismatch_log::MismatchLog;
use crate::parts::Parts;
use crate::pending::Tally;
use crate::Moment;

/// What the recorder is told.
pub enum Event {
    /// A mirrored exchange was judged; the permit is released once it is counted.
    Judged(Box<Finished>, OwnedSemaphorePermit),
    /// Write the report of what has been judged so far.
    Report(Moment),
}

/// The report function: called with a copy of the aggregate.
pub type Report = Box<dyn FnMut(Aggregate, Moment) + Send>;

/// The recorder's state.
pub struct Recorder {
    /// Where outcomes are counted.
    pub tally: Arc<Tally>,
    /// The accepted differences.
    pub snapshot: Arc<Snapshot>,
    /// Secrets kept out of the outcome parts.
    pub redactor: Redactor,
    /// The mismatch log.
    pub log: MismatchLog,
    /// The outcome parts.
    pub parts: Parts,
    /// Writes a report.
    pub report: Report,
}

/// What the recorder did, once its inbox closed.
pub struct Recorded {
    /// Exchanges judged.
    pub judged: u64,
    /// The parts written.
    pub parts: shadowdiff_report::Result<Vec<PathBuf>>,
}

impl Recorder {
    /// Handles events until every sender is gone.
    pub fn run(mut self, events: Receiver<Event>) -> Recorded {
        let mut judged = 0;
        let mut failure = None;
        for event in events {
            match event {
                Event::Judged(done, permit) => {
                    judged += 1;
                    if let Err(err) = self.record(&done, failure.is_none()) {
                        eprintln!(
                            "shadowdiff shadow: error: {err}; exchanges are still judged but \
                             their outcomes are no longer written"
                        );
                        failure = Some(err);
                    }
                    drop(permit);
                }
                Event::Report(moment) => {
                    if failure.is_none() {
                        if let Err(err) = self.parts.finish_part() {
                            eprintln!("shadowdiff shadow: error: {err}");
                            failure = Some(err);
                        }
                    }
                    let copy = self.tally.aggregate().clone();
                    (self.report)(copy, moment);
                }
            }
        }
        Recorded {
            judged,
            parts: match failure {
                Some(err) => Err(err),
                None => self.parts.finish(),
            },
        }
    }

    fn record(&mut self, done: &Finished, write: bool) -> shadowdiff_report::Result<()> {
        let judged = &done.judged;
        self.tally
            .aggregate()
            .add(judged, Some(&done.exchange.request));
        let (counted, real) = classify(judged, &self.snapshot);
        let signatures: Vec<String> = real
            .iter()
            .map(|d| d.signature().to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let metrics = &self.tally.metrics;
        metrics.judged(&judged.route, counted, &signatures);
        if !real.is_empty() {
            let logged = self
                .log
                .log(&judged.id, &judged.route, &done.exchange.request, &real);
            for _ in 0..logged.suppressed {
                metrics.suppressed();
            }
        }
        if !write {
            return Ok(());
        }
        let mut line = serde_json::to_vec(&outcome_line(done, &self.redactor))
            .expect("an outcome line always serialises");
        line.push(b'\n');
        self.parts.write(&line)
    }
}

/// How a judged exchange counts, and its real differences: neither noise in this exchange (the
/// secondary differs from the primary so too) nor accepted by the snapshot on its route.
pub fn classify<'a>(judged: &'a Judged, snapshot: &Snapshot) -> (Counted, Vec<&'a Difference>) {
    let comparison = match &judged.outcome {
        Outcome::Compared(comparison) => comparison,
        Outcome::Error(_) | Outcome::Skipped(_) | Outcome::NotRun(_) => {
            return (Counted::Error, Vec::new())
        }
    };
    if comparison.differences.is_empty() {
        return (Counted::Equal, Vec::new());
    }
    let noise: BTreeSet<String> = judged
        .noise
        .iter()
        .flat_map(|noise| noise.differences.iter())
        .map(|d| d.signature().to_string())
        .collect();
    let mut accepted = false;
    let mut real = Vec::new();
    for difference in &comparison.differences {
        let signature = difference.signature().to_string();
        if noise.contains(&signature) {
            continue;
        }
        if snapshot.find(&judged.route, &signature).is_some() {
            accepted = true;
            continue;
        }
        real.push(difference);
    }
    let counted = if !real.is_empty() {
        Counted::Different
    } else if accepted {
        Counted::Accepted
    } else {
        Counted::Noise
    };
    (counted, real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{Body, Judged, Response, RuleSet, Timing};

    fn response(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Text(body.into()),
        }
    }

    fn judged(old: &str, new: &str, noise: Option<&str>) -> Judged {
        let rules = RuleSet::builtin();
        let request = shadowdiff_core::Request {
            method: "GET".into(),
            url: "/orders/1".into(),
            headers: Vec::new(),
            body: Body::Empty,
        };
        let (old, new) = (response(old), response(new));
        let noise = noise.map(response);
        let mut judged = shadowdiff_core::judge(
            shadowdiff_core::Pair {
                id: "s1",
                seq: 1,
                request: &request,
                old: Some(&old),
                new: Some(&new),
                noise: noise.as_ref(),
            },
            &rules,
        );
        judged.timing = Timing::default();
        judged
    }

    fn snapshot(text: &str) -> Snapshot {
        Snapshot::parse(text, std::path::Path::new("shadowdiff.snap")).unwrap()
    }

    #[test]
    fn real_differences_are_neither_noise_nor_accepted() {
        let none = snapshot("");
        let equal = judged(r#"{"a":1}"#, r#"{"a":1}"#, None);
        assert_eq!(classify(&equal, &none).0, Counted::Equal);
        let changed = judged(r#"{"a":1,"b":1}"#, r#"{"a":2,"b":2}"#, None);
        let (counted, real) = classify(&changed, &none);
        assert_eq!((counted, real.len()), (Counted::Different, 2));
        // `a` differs in old against itself too: noise in this exchange.
        let noisy = judged(
            r#"{"a":1,"b":1}"#,
            r#"{"a":2,"b":1}"#,
            Some(r#"{"a":3,"b":1}"#),
        );
        assert_eq!(classify(&noisy, &none), (Counted::Noise, Vec::new()));
        let accepting = snapshot(
            "[[accepted]]\nroute = \"GET /orders/{id}\"\nsignature = \"body $.b changed\"\nmax_rate = 1.0\nreason = \"b is new\"\n",
        );
        let (counted, real) = classify(&changed, &accepting);
        assert_eq!(counted, Counted::Different);
        assert_eq!(real.len(), 1);
        assert_eq!(real[0].signature().to_string(), "body $.a changed");
        let only_b = judged(r#"{"a":1,"b":1}"#, r#"{"a":1,"b":2}"#, None);
        assert_eq!(
            classify(&only_b, &accepting),
            (Counted::Accepted, Vec::new())
        );
    }
}
