//! `outcomes.jsonl.zst`: one line per exchange as it finishes, with what each target answered,
//! so a past run can be re-judged under new rules by `shadowdiff diff OUTCOMES` without replaying.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Request, Response};

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
    /// `equal`, `different`, `noise_only`, `error` or `skipped`, as judged during the run.
    pub outcome: String,
    /// Why it was skipped or failed, when it was.
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

/// Writes outcome lines, zstd-compressed, to a temporary file renamed into place by `finish`.
pub struct OutcomeWriter {
    encoder: zstd::stream::write::Encoder<'static, BufWriter<tempfile::NamedTempFile>>,
    path: PathBuf,
    line: Vec<u8>,
}

impl OutcomeWriter {
    /// Starts `path` (written for real only by [`OutcomeWriter::finish`]).
    pub fn create(path: &Path) -> Result<OutcomeWriter> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
        let temp = tempfile::Builder::new()
            .prefix(".outcomes")
            .tempfile_in(dir)
            .map_err(|err| Error::io(dir, err))?;
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

    /// Closes the zstd frame and moves the file into place.
    pub fn finish(self) -> Result<()> {
        let path = self.path;
        let buffered = self.encoder.finish().map_err(|err| Error::io(&path, err))?;
        let temp = buffered
            .into_inner()
            .map_err(|err| Error::io(&path, err.into_error()))?;
        temp.persist(&path)
            .map_err(|err| Error::io(&path, err.error))?;
        Ok(())
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
        let mut writer = OutcomeWriter::create(&path).unwrap();
        assert!(!path.exists(), "nothing under the final name before finish");
        writer.write(&line).unwrap();
        writer.finish().unwrap();
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
}
