//! The outcomes of a `shadow` process, in parts: `OUT/outcomes-000001.jsonl.zst`,
//! `OUT/outcomes-000002.jsonl.zst`, ... Each part is written under a hidden temporary name and
//! renamed into place whole (its zstd frame complete) once it holds `part_bytes` bytes of JSON,
//! when a report is asked for, and at the stop; so every part a reader sees is complete, name
//! order is time order, and `shadowdiff diff OUT` re-judges them all as one run's outcomes.

use std::path::{Path, PathBuf};

use shadowdiff_io::OutcomeWriter;
use shadowdiff_report::{Error, Result};

/// The name of part `number` (1-based).
pub fn part_name(number: u32) -> String {
    format!("outcomes-{number:06}.jsonl.zst")
}

/// The part being written and those finished.
pub struct Parts {
    dir: PathBuf,
    part_bytes: u64,
    current: Option<(OutcomeWriter, u64)>,
    finished: Vec<PathBuf>,
}

impl Parts {
    /// Writes parts into `dir` (created when missing), starting a new one past `part_bytes`.
    /// A folder that already holds a first part is refused: outcomes of two processes would
    /// read as one run.
    pub fn new(dir: &Path, part_bytes: u64) -> Result<Parts> {
        std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
        let first = dir.join(part_name(1));
        if first.exists() {
            return Err(Error::usage(format!(
                "{} already exists: give shadow an --out folder of its own (or move the \
                 earlier outcomes away)",
                first.display()
            )));
        }
        Ok(Parts {
            dir: dir.to_path_buf(),
            part_bytes: part_bytes.max(1),
            current: None,
            finished: Vec::new(),
        })
    }

    /// Appends one serialised outcome line (its newline included).
    pub fn write(&mut self, line: &[u8]) -> Result<()> {
        if self.current.is_none() {
            let name = part_name(self.number());
            let temp = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .tempfile_in(&self.dir)
                .map_err(|err| Error::io(&self.dir, err))?;
            let writer = OutcomeWriter::create(temp, &self.dir.join(&name))?;
            self.current = Some((writer, 0));
        }
        let (writer, written) = self.current.as_mut().expect("a part was just started");
        writer.write_serialised(line)?;
        *written += line.len() as u64;
        if *written >= self.part_bytes {
            self.finish_part()?;
        }
        Ok(())
    }

    /// Finishes the part being written, if any, and renames it into place.
    pub fn finish_part(&mut self) -> Result<()> {
        let Some((writer, _)) = self.current.take() else {
            return Ok(());
        };
        let path = self.dir.join(part_name(self.number()));
        let temp = writer.finish()?;
        temp.persist(&path)
            .map_err(|err| Error::io(&path, err.error))?;
        self.finished.push(path);
        Ok(())
    }

    /// Finishes the last part; returns every part written, in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.finish_part()?;
        Ok(self.finished)
    }

    fn number(&self) -> u32 {
        u32::try_from(self.finished.len() + 1).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn read_part(path: &Path) -> String {
        let mut text = String::new();
        zstd::stream::read::Decoder::new(std::fs::File::open(path).unwrap())
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn parts_rotate_past_the_size_and_each_is_complete() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = Parts::new(dir.path(), 20).unwrap();
        for i in 0..5 {
            parts
                .write(format!("{{\"line\":{i}}}\n").as_bytes())
                .unwrap();
        }
        let written = parts.finish().unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "outcomes-000001.jsonl.zst",
                "outcomes-000002.jsonl.zst",
                "outcomes-000003.jsonl.zst"
            ]
        );
        let all: String = written.iter().map(|p| read_part(p)).collect();
        assert_eq!(all.lines().count(), 5);
        assert_eq!(read_part(&written[0]), "{\"line\":0}\n{\"line\":1}\n");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_part_finished_early_is_complete_and_the_next_one_starts_on_the_next_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = Parts::new(dir.path(), 1 << 20).unwrap();
        parts.write(b"{\"a\":1}\n").unwrap();
        parts.finish_part().unwrap();
        parts.finish_part().unwrap();
        assert_eq!(read_part(&dir.path().join(part_name(1))), "{\"a\":1}\n");
        parts.write(b"{\"a\":2}\n").unwrap();
        let written = parts.finish().unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(read_part(&written[1]), "{\"a\":2}\n");
    }

    #[test]
    fn a_folder_with_earlier_parts_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(part_name(1)), b"").unwrap();
        let err = Parts::new(dir.path(), 10).err().expect("refused");
        assert!(err.to_string().contains("already exists"), "{err}");
    }
}
