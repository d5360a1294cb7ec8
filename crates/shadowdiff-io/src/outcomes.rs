//! Writing `outcomes.jsonl.zst`: one outcome line per exchange as it finishes, so a past run can
//! be re-judged under new rules by `shadowdiff diff OUTCOMES` without replaying.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

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

    /// Appends one line (an exchange's `OutcomeLine` or a row's `RowLine`). It is serialised whole
    /// first, so the compressor sees one write per line rather than one per JSON token.
    pub fn write(&mut self, line: &impl serde::Serialize) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, line)
            .map_err(|err| Error::io(&self.path, err.into()))?;
        self.line.push(b'\n');
        self.encoder
            .write_all(&self.line)
            .map_err(|err| Error::io(&self.path, err))
    }

    /// Appends one line already serialised, its newline included.
    pub fn write_serialised(&mut self, line: &[u8]) -> Result<()> {
        self.encoder
            .write_all(line)
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
    use shadowdiff_core::OutcomeLine;

    #[test]
    fn lines_are_written_one_a_line_into_one_complete_zstd_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.jsonl.zst");
        let lines: Vec<OutcomeLine> = (1..=3)
            .map(|i| {
                serde_json::from_str(&format!(
                    r#"{{"id":"r{i}","seq":{i},"route":"GET /o/{{id}}","outcome":"equal","request":{{"method":"GET","url":"/o/{i}"}}}}"#
                ))
                .unwrap()
            })
            .collect();
        let temp = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        let mut writer = OutcomeWriter::create(temp, &path).unwrap();
        for line in &lines {
            writer.write(line).unwrap();
        }
        assert!(
            !path.exists(),
            "nothing appears under the final name before finish"
        );
        writer.finish().unwrap().persist(&path).unwrap();
        let bytes = zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let back: Vec<OutcomeLine> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(back, lines);
        assert!(text.ends_with('\n'), "{text}");
    }
}
