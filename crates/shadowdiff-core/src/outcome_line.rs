//! `outcomes.jsonl.zst`: one line per exchange as it finishes, with what each target answered,
//! so a past run can be re-judged under new rules by `shadowdiff diff OUTCOMES` without replaying.

use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::{Body, Request, Response};
use crate::outcome::{Judged, Outcome};
use crate::redact::Redactor;

/// One line of the outcomes file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeLine {
    /// The exchange id.
    pub id: String,
    /// Its position in the recordings read, which orders examples in reports.
    #[serde(default)]
    pub seq: u64,
    /// The route it belongs to.
    pub route: String,
    /// `equal`, `different`, `noise_only`, `error`, `skipped` or `not_run`, as judged during
    /// the run.
    pub outcome: String,
    /// Why it was skipped, failed or not run, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The replayed request.
    pub request: Request,
    /// What the old target answered (absent when skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Answer>,
    /// What the new target answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Answer>,
    /// What the noise target (or old, asked again) answered, when noise was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Answer>,
    /// The differences found between old and new, as signatures with their concrete places.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<DifferenceLine>,
}

/// One target's answer: a response or an error, and how long it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The response, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// Why there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AnswerError>,
    /// How long the call took, in milliseconds (timing, not behaviour).
    pub latency_ms: f64,
    /// The body is the old answer's, byte for byte, and is not repeated: `response.body` is
    /// null here. Most answers of a good migration are, so this halves the file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_body: bool,
}

/// The body of an answer that is a response.
fn body_of<'b>(answered: &'b Option<Answered<'_>>) -> Option<&'b [u8]> {
    match answered {
        Some(Answered::Response(response, _)) => Some(response.body.bytes()),
        _ => None,
    }
}

/// What one target answered, while its outcome line is built: borrowed (the line copies what it
/// keeps) or owned (it moves into the line).
#[derive(Clone, Debug)]
pub enum Answered<'a> {
    /// A response, and how long it took to arrive.
    Response(Cow<'a, Response>, Duration),
    /// A failed call: a stable kind for grouping (`timeout`, `refused`, `reset`,
    /// `bad_response`, `crashed`) and what happened.
    Failed(&'a str, &'a str),
}

/// What each target answered for one exchange.
#[derive(Clone, Debug, Default)]
pub struct Answers<'a> {
    /// The old implementation's answer (absent when the exchange was skipped).
    pub old: Option<Answered<'a>>,
    /// The new implementation's answer.
    pub new: Option<Answered<'a>>,
    /// The noise answer (old asked again), when noise was measured.
    pub noise: Option<Answered<'a>>,
}

impl OutcomeLine {
    /// The outcomes-file line of a judged exchange, secrets redacted. Old's body is kept whole;
    /// new's and noise's are left out (`same_body`) when they repeat it byte for byte. What is
    /// given owned moves into the line; what is borrowed is copied.
    pub fn new(
        request: Cow<'_, Request>,
        judged: &Judged,
        answers: Answers<'_>,
        redactor: &Redactor,
    ) -> OutcomeLine {
        let (outcome, reason, differences) = match &judged.outcome {
            Outcome::Compared(comparison) if comparison.differences.is_empty() => {
                ("equal", None, vec![])
            }
            Outcome::Compared(comparison) => (
                "different",
                None,
                DifferenceLine::all(&comparison.differences),
            ),
            Outcome::Error(error) => ("error", Some(error.message.clone()), vec![]),
            Outcome::Skipped(reason) => ("skipped", Some(reason.clone()), vec![]),
            Outcome::NotRun(reason) => ("not_run", Some(reason.clone()), vec![]),
        };
        let mut request = request.into_owned();
        redactor.request(&mut request);
        let old_body = body_of(&answers.old);
        // Old's body is kept whole; new's and noise's are left out when they repeat it.
        let repeats =
            |answered: &Option<Answered<'_>>| old_body.is_some() && body_of(answered) == old_body;
        let (new_repeats, noise_repeats) = (repeats(&answers.new), repeats(&answers.noise));
        let kept = |answered: Answered<'_>, same_body: bool| match answered {
            Answered::Response(response, latency) => {
                let mut kept = match response {
                    Cow::Owned(mut response) => {
                        if same_body {
                            response.body = Body::Empty;
                        }
                        response
                    }
                    Cow::Borrowed(response) => Response {
                        status: response.status,
                        headers: response.headers.clone(),
                        body: if same_body {
                            Body::Empty
                        } else {
                            response.body.clone()
                        },
                    },
                };
                redactor.response(&mut kept);
                Answer {
                    response: Some(kept),
                    error: None,
                    latency_ms: latency.as_secs_f64() * 1000.0,
                    same_body,
                }
            }
            Answered::Failed(kind, message) => Answer {
                response: None,
                error: Some(AnswerError {
                    kind: kind.to_string(),
                    message: message.to_string(),
                }),
                latency_ms: 0.0,
                same_body: false,
            },
        };
        let Answers { old, new, noise } = answers;
        OutcomeLine {
            id: judged.id.clone(),
            seq: judged.seq,
            route: judged.route.clone(),
            outcome: outcome.to_string(),
            reason,
            request,
            old: old.map(|a| kept(a, false)),
            new: new.map(|a| kept(a, new_repeats)),
            noise: noise.map(|a| kept(a, noise_repeats)),
            differences,
        }
    }

    /// The line as the outcomes file holds it: one JSON object, no line end.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an outcome line always serialises")
    }

    /// Puts the old answer's body back into the answers stored as `same_body`.
    pub fn restore_bodies(&mut self) {
        let Some(body) = self
            .old
            .as_ref()
            .and_then(|a| a.response.as_ref())
            .map(|r| r.body.clone())
        else {
            return;
        };
        for answer in [self.new.as_mut(), self.noise.as_mut()]
            .into_iter()
            .flatten()
        {
            if answer.same_body {
                if let Some(response) = answer.response.as_mut() {
                    response.body = body.clone();
                    answer.same_body = false;
                }
            }
        }
    }
}

/// A failed call, as the report groups it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerError {
    /// `timeout`, `refused`, `reset`, `bad_response` or `crashed`.
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// A difference as the outcomes file lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DifferenceLine {
    /// The signature (`body $.items[*].price changed`).
    pub signature: String,
    /// The concrete place (`$.items[3].price`), none for the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl DifferenceLine {
    /// The lines of a comparison's differences, in its order.
    pub(crate) fn all(differences: &[crate::compare::Difference]) -> Vec<DifferenceLine> {
        differences
            .iter()
            .map(|d| DifferenceLine {
                signature: d.signature().to_string(),
                path: d.target.place(),
            })
            .collect()
    }
}

/// Whether a line read from a recording path is an outcomes-file line rather than an exchange.
pub fn is_outcome_line(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        outcome: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        route: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes)
        .map(|probe| probe.outcome.is_some() && probe.route.is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Body;

    #[test]
    fn lines_round_trip_through_json() {
        let line = OutcomeLine {
            id: "r1".into(),
            seq: 7,
            route: "GET /o/{id}".into(),
            outcome: "different".into(),
            reason: None,
            request: Request {
                method: "GET".into(),
                url: "/o/1".into(),
                headers: vec![],
                body: Body::Empty,
            },
            old: Some(Answer {
                response: Some(Response {
                    status: 200,
                    headers: vec![],
                    body: Body::Text("{}".into()),
                }),
                error: None,
                latency_ms: 1.5,
                same_body: false,
            }),
            new: Some(Answer {
                response: None,
                error: Some(AnswerError {
                    kind: "timeout".into(),
                    message: "no response".into(),
                }),
                latency_ms: 10.0,
                same_body: false,
            }),
            noise: Some(Answer {
                response: Some(Response {
                    status: 200,
                    headers: vec![],
                    body: Body::Empty,
                }),
                error: None,
                latency_ms: 2.0,
                same_body: true,
            }),
            differences: vec![],
        };
        let text = line.to_json();
        let mut back: OutcomeLine = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, line);
        assert!(text.contains("\"same_body\":true"), "{text}");
        back.restore_bodies();
        let noise = back.noise.as_ref().unwrap();
        assert!(!noise.same_body);
        assert_eq!(
            noise.response.as_ref().unwrap().body,
            Body::Text("{}".into())
        );
        assert!(is_outcome_line(text.trim_end().as_bytes()));
        assert!(!is_outcome_line(
            br#"{"id":"r1","request":{"method":"GET","url":"/"}}"#
        ));
    }

    #[test]
    fn a_line_keeps_old_whole_names_repeats_and_redacts_secrets() {
        use crate::model::Exchange;
        use crate::outcome::Timing;
        let reply = |body: &str| Response {
            status: 200,
            headers: vec![("set-cookie".into(), "session=s3cr3t".into())],
            body: Body::Text(body.into()),
        };
        let (one, same, other) = (
            reply(r#"{"a":1}"#),
            reply(r#"{"a":1}"#),
            reply(r#"{"a":2}"#),
        );
        let took = Duration::from_millis(3);
        let mut exchange = Exchange::request_only("r1", "GET", "/o/1");
        exchange.request.headers = vec![("authorization".into(), "Bearer s3cr3t".into())];
        let judged = Judged {
            id: "r1".into(),
            seq: 4,
            route: "GET /o/{id}".into(),
            outcome: Outcome::Compared(Default::default()),
            noise: None,
            timing: Timing::default(),
        };
        let answers = Answers {
            old: Some(Answered::Response(Cow::Borrowed(&one), took)),
            new: Some(Answered::Response(Cow::Borrowed(&same), took)),
            noise: Some(Answered::Response(Cow::Borrowed(&other), took)),
        };
        let redactor = Redactor::new(&[], vec![], false);
        let line = OutcomeLine::new(
            Cow::Borrowed(&exchange.request),
            &judged,
            answers,
            &redactor,
        );
        let owned = Answers {
            old: Some(Answered::Response(Cow::Owned(one.clone()), took)),
            new: Some(Answered::Response(Cow::Owned(same.clone()), took)),
            noise: Some(Answered::Response(Cow::Owned(other.clone()), took)),
        };
        let moved = OutcomeLine::new(
            Cow::Owned(exchange.request.clone()),
            &judged,
            owned,
            &redactor,
        );
        assert_eq!(
            moved, line,
            "what is moved in is stored as what is borrowed"
        );
        assert_eq!((line.outcome.as_str(), line.seq), ("equal", 4));
        let body = |answer: &Option<Answer>| {
            answer
                .as_ref()
                .unwrap()
                .response
                .as_ref()
                .unwrap()
                .body
                .clone()
        };
        assert_eq!(body(&line.old), Body::Text(r#"{"a":1}"#.into()));
        assert!(line.new.as_ref().unwrap().same_body);
        assert_eq!(
            body(&line.new),
            Body::Empty,
            "a repeated body is stored once"
        );
        assert!(!line.noise.as_ref().unwrap().same_body);
        assert_eq!(body(&line.noise), Body::Text(r#"{"a":2}"#.into()));
        let text = serde_json::to_string(&line).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(
            text.contains("authorization") && text.contains("set-cookie"),
            "{text}"
        );
    }
}
