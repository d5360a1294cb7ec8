//! `outcomes.jsonl.zst`: one line per exchange as it finishes, with what each target answered,
//! so a past run can be re-judged under new rules by `shadowdiff diff OUTCOMES` without replaying.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Body, Request, Response};
use crate::redact::Redactor;
use crate::report::Outcome;

use super::pipeline::Finished;
use super::target::{CallError, Reply};

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

impl OutcomeLine {
    /// The outcomes-file line of a finished exchange, secrets redacted.
    pub fn of(done: &Finished, redactor: &Redactor) -> OutcomeLine {
        let (outcome, reason, differences) = match &done.judged.outcome {
            Outcome::Compared(comparison) if comparison.differences.is_empty() => {
                ("equal", None, vec![])
            }
            Outcome::Compared(comparison) => (
                "different",
                None,
                comparison
                    .differences
                    .iter()
                    .map(|d| DifferenceLine {
                        signature: d.signature().to_string(),
                        path: d.target.place(),
                    })
                    .collect(),
            ),
            Outcome::Error(error) => ("error", Some(error.message.clone()), vec![]),
            Outcome::Skipped(reason) => ("skipped", Some(reason.clone()), vec![]),
            Outcome::NotRun(reason) => ("not_run", Some(reason.clone()), vec![]),
        };
        let mut request = done.exchange.request.clone();
        redactor.request(&mut request);
        let old_body = match &done.old {
            Some(Ok(reply)) => Some(reply.response.body.bytes()),
            _ => None,
        };
        // Old's body is kept whole; new's and noise's are left out when they repeat it.
        let kept = |result: &std::result::Result<Reply, CallError>, may_repeat: bool| {
            let same = may_repeat
                && matches!(result, Ok(reply) if Some(reply.response.body.bytes()) == old_body);
            let mut kept = answer(result, same);
            if let Some(response) = kept.response.as_mut() {
                redactor.response(response);
            }
            kept
        };
        OutcomeLine {
            id: done.exchange.id.clone(),
            seq: done.judged.seq,
            route: done.judged.route.clone(),
            outcome: outcome.to_string(),
            reason,
            request,
            old: done.old.as_ref().map(|r| kept(r, false)),
            new: done.new.as_ref().map(|r| kept(r, true)),
            noise: done.noise.as_ref().map(|r| kept(r, true)),
            differences,
        }
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

/// Writes outcome lines, zstd-compressed, to a temporary file that the caller renames into place
/// once the run is over (see `ReportFolder`), so a run that stops on bad input leaves none.
pub struct OutcomeWriter {
    encoder: zstd::stream::write::Encoder<'static, BufWriter<tempfile::NamedTempFile>>,
    path: PathBuf,
    line: Vec<u8>,
}

impl OutcomeWriter {
    /// Writes into `temp`, to become `path` (the name errors give).
    pub fn create(temp: tempfile::NamedTempFile, path: &Path) -> Result<OutcomeWriter> {
        let encoder = zstd::stream::write::Encoder::new(BufWriter::new(temp), 1)
            .map_err(|err| Error::io(path, err))?;
        Ok(OutcomeWriter {
            encoder,
            path: path.to_path_buf(),
            line: Vec::new(),
        })
    }

    /// Appends one line. It is serialised whole first, so the compressor sees one write per
    /// line rather than one per JSON token.
    pub fn write(&mut self, line: &OutcomeLine) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, line)
            .map_err(|err| Error::io(&self.path, err.into()))?;
        self.line.push(b'\n');
        self.encoder
            .write_all(&self.line)
            .map_err(|err| Error::io(&self.path, err))
    }

    /// Closes the zstd frame and returns the complete temporary file, to be renamed into place.
    pub fn finish(self) -> Result<tempfile::TempPath> {
        let path = self.path;
        let buffered = self.encoder.finish().map_err(|err| Error::io(&path, err))?;
        let temp = buffered
            .into_inner()
            .map_err(|err| Error::io(&path, err.into_error()))?;
        Ok(temp.into_temp_path())
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

/// Writes outcome lines into `temp` (to become `path`) on a thread of its own, so serialising
/// and compressing bodies never slows the replay; secrets are redacted on the way. The thread
/// returns the complete file, or the first error it met.
pub fn spawn_writer(
    temp: tempfile::NamedTempFile,
    path: &Path,
    redactor: Redactor,
) -> Result<(
    std::sync::mpsc::SyncSender<Finished>,
    std::thread::JoinHandle<Result<tempfile::TempPath>>,
)> {
    let mut writer = OutcomeWriter::create(temp, path)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Finished>(1024);
    let handle = std::thread::spawn(move || {
        for done in receiver {
            writer.write(&OutcomeLine::of(&done, &redactor))?;
        }
        writer.finish()
    });
    Ok((sender, handle))
}

/// One target's answer as the outcomes file keeps it; with `same_body`, without the body,
/// which is old's.
fn answer(result: &std::result::Result<Reply, CallError>, same_body: bool) -> Answer {
    match result {
        Ok(reply) => Answer {
            response: Some(Response {
                status: reply.response.status,
                headers: reply.response.headers.clone(),
                body: if same_body {
                    Body::Empty
                } else {
                    reply.response.body.clone()
                },
            }),
            error: None,
            latency_ms: reply.latency.as_secs_f64() * 1000.0,
            same_body,
        },
        Err(err) => Answer {
            response: None,
            error: Some(AnswerError {
                kind: err.kind().to_string(),
                message: err.to_string(),
            }),
            latency_ms: 0.0,
            same_body: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Body;

    #[test]
    fn lines_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.jsonl.zst");
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
        let temp = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        let mut writer = OutcomeWriter::create(temp, &path).unwrap();
        writer.write(&line).unwrap();
        writer.finish().unwrap().persist(&path).unwrap();
        let bytes = zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
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
        use crate::report::{Judged, Timing};
        use std::time::Duration;
        let reply = |body: &str| {
            Ok(Reply {
                response: Response {
                    status: 200,
                    headers: vec![("set-cookie".into(), "session=s3cr3t".into())],
                    body: Body::Text(body.into()),
                },
                latency: Duration::from_millis(3),
            })
        };
        let done = Finished {
            exchange: {
                let mut exchange = Exchange::request_only("r1", "GET", "/o/1");
                exchange.request.headers = vec![("authorization".into(), "Bearer s3cr3t".into())];
                exchange
            },
            judged: Judged {
                id: "r1".into(),
                seq: 4,
                route: "GET /o/{id}".into(),
                outcome: Outcome::Compared(Default::default()),
                noise: None,
                timing: Timing::default(),
            },
            old: Some(reply(r#"{"a":1}"#)),
            new: Some(reply(r#"{"a":1}"#)),
            noise: Some(reply(r#"{"a":2}"#)),
        };
        let line = OutcomeLine::of(&done, &Redactor::new(&[], vec![], false));
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
