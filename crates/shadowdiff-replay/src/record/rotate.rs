//! The recording of a proxy session: parts of bounded size, each written atomically by
//! [`RecordingWriter`].
//!
//! `-o DIR/capture.jsonl.zst` gives `DIR/capture-000001.jsonl.zst`, `DIR/capture-000002.jsonl.zst`,
//! ...: every part is numbered (six digits), so name order is time order and `DIR` reads back as
//! one recording. The extension is kept as given (`.jsonl.zst`, `.jsonl`, or any other, which is
//! then treated as plain JSON Lines by the writer). A part is started when the first exchange
//! of it arrives, so a session that records nothing writes no file. Parts of an earlier session
//! are never overwritten: the session refuses to start instead.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use shadowdiff_core::Exchange;
use shadowdiff_io::RecordingWriter;

/// The extensions kept whole when numbering parts.
const COMPOUND_EXTENSIONS: &[&str] = &[".jsonl.zst", ".json.zst", ".jsonl", ".ndjson"];

/// The path of part `number` (1-based) of the recording `output`.
pub fn part_path(output: &Path, number: u32) -> PathBuf {
    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let split = COMPOUND_EXTENSIONS
        .iter()
        .find(|ext| lower.ends_with(*ext) && lower.len() > ext.len())
        .map(|ext| name.len() - ext.len())
        .or_else(|| name.rfind('.').filter(|&at| at > 0))
        .unwrap_or(name.len());
    let (stem, ext) = name.split_at(split);
    output.with_file_name(format!("{stem}-{number:06}{ext}"))
}

/// Writes exchanges into numbered parts; a new part starts once the current one holds
/// `rotate_bytes` bytes of JSON, so a part exceeds that by less than one exchange.
pub struct RotatingWriter {
    output: PathBuf,
    rotate_bytes: u64,
    current: Option<RecordingWriter>,
    parts: u32,
    finished: Vec<PathBuf>,
    written: u64,
}

impl RotatingWriter {
    /// Prepares to write parts of `output`; fails when the folder does not exist or the first
    /// part's name is taken.
    pub fn new(output: &Path, rotate_bytes: u64) -> Result<RotatingWriter> {
        let first = part_path(output, 1);
        let folder = match first.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(Error::usage(format!(
                "-o {}: the folder {} does not exist",
                output.display(),
                folder.display()
            )));
        }
        if first.exists() {
            return Err(Error::usage(format!(
                "-o {}: {} already exists; choose another name or move the earlier capture",
                output.display(),
                first.display()
            )));
        }
        Ok(RotatingWriter {
            output: output.to_path_buf(),
            rotate_bytes: rotate_bytes.max(1),
            current: None,
            parts: 0,
            finished: Vec::new(),
            written: 0,
        })
    }

    /// Appends one exchange, finishing the current part first when it is full.
    pub fn write(&mut self, exchange: &Exchange) -> Result<()> {
        let full = self
            .current
            .as_ref()
            .is_some_and(|writer| writer.bytes_written() >= self.rotate_bytes);
        if full {
            self.finish_part()?;
        }
        let writer = match &mut self.current {
            Some(writer) => writer,
            None => {
                self.parts += 1;
                self.current.insert(RecordingWriter::create(&part_path(
                    &self.output,
                    self.parts,
                ))?)
            }
        };
        writer.write(exchange)?;
        self.written += 1;
        Ok(())
    }

    /// Exchanges written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn finish_part(&mut self) -> Result<()> {
        if let Some(writer) = self.current.take() {
            writer.finish()?;
            self.finished.push(part_path(&self.output, self.parts));
        }
        Ok(())
    }

    /// Finishes the last part and returns every part written, in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.finish_part()?;
        Ok(self.finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_numbered_before_the_extension() {
        let p = |s: &str| part_path(Path::new(s), 2);
        assert_eq!(
            p("rec/capture.jsonl.zst"),
            Path::new("rec/capture-000002.jsonl.zst")
        );
        assert_eq!(p("capture.jsonl"), Path::new("capture-000002.jsonl"));
        assert_eq!(p("capture.log"), Path::new("capture-000002.log"));
        assert_eq!(p("capture"), Path::new("capture-000002"));
        assert!(p("a.jsonl.zst") < part_path(Path::new("a.jsonl.zst"), 10));
    }
}
