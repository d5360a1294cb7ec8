//! The raw lines of a recording file or folder: files opened one at a time, in order, and read
//! line by line with bounded memory; blank lines skipped but counted.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::gor::GorRecords;
use super::har::HarEntries;
use super::lines::{Line, LineReader};
use super::source::{self, Compression, FailFlag, Format};
use super::{Limits, RawLine};
use crate::error::{Error, Result};
use shadowdiff_core::Location;

/// The UTF-8 byte order mark, dropped from the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The raw lines of a recording file or folder, in order.
///
/// Only the current file is open and only the current line is held. A line longer than the limit
/// is an error item and reading goes on with the next line; an error about a whole file (it
/// cannot be read, its zstd stream is corrupt, it holds no exchanges) ends the iteration.
pub struct RawLines {
    files: std::vec::IntoIter<PathBuf>,
    folder: bool,
    limits: Limits,
    format: Option<Format>,
    current: Option<Current>,
    done: bool,
}

/// The file being read, by format. HAR and GoReplay readers turn their records into native
/// exchange lines, so everything downstream reads them as if they were JSON Lines.
enum Current {
    Lines(OpenFile),
    Converted {
        path: PathBuf,
        records: Box<dyn Iterator<Item = Result<RawLine>> + Send>,
        seen: u64,
    },
}

/// The file being read.
struct OpenFile {
    path: PathBuf,
    /// The fallback id prefix: `"<file name>:"` in a folder, empty for a single file.
    id_prefix: String,
    lines: LineReader<Box<dyn BufRead + Send>>,
    compression: Compression,
    file_failed: FailFlag,
    /// Non-blank lines seen so far; none by the end means the file is empty.
    non_blank: u64,
}

impl RawLines {
    /// Opens a recording file or folder. A missing path, or a folder without recording files,
    /// is an error here; a single file is opened at once, the files of a folder as they are
    /// reached.
    pub fn open(path: &Path, limits: &Limits) -> Result<RawLines> {
        RawLines::open_files(path, limits, None)
    }

    /// Opens a file or folder whose files all hold `format`, whatever their names.
    pub fn open_as(path: &Path, limits: &Limits, format: Format) -> Result<RawLines> {
        RawLines::open_files(path, limits, Some(format))
    }

    fn open_files(path: &Path, limits: &Limits, format: Option<Format>) -> Result<RawLines> {
        let listing = source::list(path)?;
        let mut lines = RawLines {
            files: listing.files.into_iter(),
            folder: listing.folder,
            limits: limits.clone(),
            format,
            current: None,
            done: false,
        };
        if !lines.folder {
            lines.current = lines.open_next()?;
        }
        Ok(lines)
    }

    /// Opens the next file, if there is one.
    fn open_next(&mut self) -> Result<Option<Current>> {
        let Some(path) = self.files.next() else {
            return Ok(None);
        };
        let id_prefix = if self.folder {
            let name = path.file_name().unwrap_or(path.as_os_str());
            format!("{}:", name.to_string_lossy())
        } else {
            String::new()
        };
        let stream = source::open(&path, self.format)?;
        let records: Box<dyn Iterator<Item = Result<RawLine>> + Send> = match stream.format {
            Format::Native => {
                return Ok(Some(Current::Lines(OpenFile {
                    path,
                    id_prefix,
                    lines: LineReader::new(stream.reader, self.limits.max_line_bytes),
                    compression: stream.compression,
                    file_failed: stream.file_failed,
                    non_blank: 0,
                })));
            }
            Format::Har => Box::new(HarEntries::open(&path, &id_prefix, stream, &self.limits)?),
            Format::Gor => Box::new(GorRecords::open(&path, &id_prefix, stream, &self.limits)?),
        };
        Ok(Some(Current::Converted {
            path,
            records,
            seen: 0,
        }))
    }

    fn next_item(&mut self) -> Option<Result<RawLine>> {
        loop {
            if self.current.is_none() {
                match self.open_next() {
                    Ok(Some(file)) => self.current = Some(file),
                    Ok(None) => return None,
                    Err(err) => return Some(Err(err)),
                }
            }
            let file = match self.current.as_mut()? {
                Current::Lines(file) => file,
                Current::Converted {
                    path,
                    records,
                    seen,
                } => match records.next() {
                    Some(item) => {
                        *seen += 1;
                        return Some(item);
                    }
                    None if *seen == 0 => {
                        return Some(Err(Error::input(
                            Location::file(path.as_path()),
                            "recording is empty: no exchanges",
                        )));
                    }
                    None => {
                        self.current = None;
                        continue;
                    }
                },
            };
            match file.lines.next_line() {
                Err(err) => return Some(Err(file.read_error(err))),
                Ok(None) => {
                    if file.non_blank == 0 {
                        return Some(Err(Error::input(
                            Location::file(&file.path),
                            "recording is empty: no exchanges",
                        )));
                    }
                    self.current = None;
                }
                Ok(Some((number, Line::TooLong))) => {
                    file.non_blank += 1;
                    return Some(Err(Error::input(
                        Location::line(&file.path, number),
                        format!(
                            "line is longer than the limit of {} bytes",
                            self.limits.max_line_bytes
                        ),
                    )));
                }
                Ok(Some((number, Line::Complete(mut bytes)))) => {
                    if number == 1 && bytes.starts_with(BOM) {
                        bytes.drain(..BOM.len());
                    }
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if file.non_blank == 0 {
                        if let Some(reason) = not_a_recording(&bytes) {
                            let err = file.not_a_recording(number, &reason, self.folder);
                            self.done = true;
                            return Some(Err(err));
                        }
                    }
                    file.non_blank += 1;
                    return Some(Ok(RawLine {
                        bytes,
                        location: Location::line(&file.path, number),
                        fallback_id: format!("{}{number}", file.id_prefix),
                    }));
                }
            }
        }
    }
}

impl OpenFile {
    /// The error for a file whose first line (`number`) shows it is not a recording, saying what
    /// one is and what to do.
    fn not_a_recording(&self, number: u64, reason: &str, folder: bool) -> Error {
        let what_to_do = if folder {
            "move it out of the recordings folder, or name the recording files one by one"
        } else {
            "name a recording instead"
        };
        Error::input(
            Location::line(&self.path, number),
            format!(
                "not a recording: {reason}. A recording holds one exchange a line \
                 ({{\"request\": {{...}}, \"response\": {{...}}}}), or is a HAR (.har) or \
                 GoReplay (.gor) file; {what_to_do}"
            ),
        )
    }

    /// The error for a failed read: corrupt data when the decoder failed, else I/O.
    fn read_error(&self, err: io::Error) -> Error {
        if self.compression != Compression::None && !self.file_failed.is_set() {
            Error::input(
                Location::file(&self.path),
                format!(
                    "{} stream is truncated or corrupt after line {}: {err}",
                    self.compression.name(),
                    self.lines.lines_read()
                ),
            )
        } else {
            Error::io(&self.path, err)
        }
    }
}

impl Iterator for RawLines {
    type Item = Result<RawLine>;

    fn next(&mut self) -> Option<Result<RawLine>> {
        if self.done {
            return None;
        }
        let item = self.next_item();
        let ends = match &item {
            None => true,
            Some(Ok(_)) => false,
            Some(Err(err)) => !is_line_error(err),
        };
        if ends {
            self.done = true;
            self.current = None;
        }
        item
    }
}

impl std::iter::FusedIterator for RawLines {}

/// Whether an error is about one line only, so that reading can go on after it.
fn is_line_error(err: &Error) -> bool {
    err.input_location()
        .is_some_and(|location| location.line.is_some())
}

/// Why the first line of a native file shows that the file is something else (a pretty-printed
/// JSON document, a JSON array, an object such as package.json), if it does. A line that is
/// merely broken JSON is left to the parser to describe; a row's outcomes line (`shadowdiff
/// data`) has no request and is read as it is.
fn not_a_recording(first: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        request: Option<IgnoredAny>,
    }
    if shadowdiff_core::is_row_line(first) {
        return None;
    }
    if first.trim_ascii_start().starts_with(b"[") {
        return Some("it is a JSON array".into());
    }
    match serde_json::from_slice::<Probe>(first) {
        Ok(Probe { request: Some(_) }) => None,
        Ok(Probe { request: None }) => Some("its first line is a JSON object without `request`".into()),
        Err(err) if err.is_eof() && matches!(first.trim_ascii_end().last(), Some(b'{' | b',')) => Some(
            "its first line starts a JSON document that goes on over several lines, where each \
             line should be a whole exchange"
                .into(),
        ),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_that_are_not_recordings_are_told_by_their_first_line() {
        let exchange = br#"{"id":"r1","request":{"method":"GET","url":"/"}}"#;
        assert_eq!(not_a_recording(exchange), None);
        assert_eq!(
            not_a_recording(br#"{"id":"r1","request":{"method":"GE"#),
            None
        );
        for (line, reason) in [
            (&b"{"[..], "goes on over several lines"),
            (b"  [", "JSON array"),
            (br#"[{"request":{}}]"#, "JSON array"),
            (br#"{"name":"app","version":"1.0.0"}"#, "without `request`"),
            (br#"{"name": "app","#, "goes on over several lines"),
        ] {
            let found = not_a_recording(line).unwrap_or_default();
            assert!(
                found.contains(reason),
                "{}: {found}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(not_a_recording(br#"{"id":"r1" x}"#), None);
    }
}
