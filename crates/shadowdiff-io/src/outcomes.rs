//! Writing `outcomes.jsonl.zst`: one outcome line per exchange as it finishes, so a past run can
//! be re-judged under new rules by `shadowdiff diff OUTCOMES` without replaying.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use shadowdiff_core::OutcomeLine;

use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{is_outcome_line, Answer, AnswerError, Body, Request, Response};

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
}
