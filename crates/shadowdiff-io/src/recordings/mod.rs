//! Reading and writing recordings: JSON Lines, plain or zstd-compressed, a file or a folder.
//!
//! Everything streams: readers hand out one line (or one exchange) at a time, so memory stays
//! flat however many exchanges a recording holds. Lines longer than [`Limits::max_line_bytes`]
//! are an error naming the file and line, not an allocation.
//!
//! The parts: `source` lists a path's files and opens each as decompressed bytes, `lines` reads
//! bounded lines, `raw` turns them into [`RawLines`], `parse` makes an [`Exchange`] of one
//! ([`parse_line`]), `pair` the two of a pair that `diff` judges, leaving out a body both share
//! ([`parse_pair`]), and `writer` holds [`RecordingWriter`].
//!
//! Errors name the place (`path:line: message`):
//! - `path:line: line is longer than the limit of N bytes`
//! - `path:line: invalid JSON: <serde message> at column N`
//! - `path:line: invalid exchange: <serde message> at column N`
//! - `path:line: text is not valid UTF-8 at column N; binary bodies belong in {"base64": ...}`
//! - `path:line: invalid exchange `ID`: request method "GE T" is not an HTTP method ...` (and
//!   the url, status and ts checks of `valid`)
//! - `path:line: not a recording: ...; move it out of the recordings folder, ...`
//! - `path:line: duplicate id `ID`, first used at path:line; ...` (from [`UniqueIds`])
//! - `path: recording is empty: no exchanges`
//! - `path: zstd stream is truncated or corrupt after line N: <zstd message>`
//! - `path: folder holds no recordings: expected files ending in .jsonl, ...`
//! - `path: <operating system error>` for files that cannot be opened or read.

mod framing;
mod gor;
mod har;
mod lines;
mod pair;
mod parse;
mod raw;
mod source;
mod unique;
mod valid;
mod writer;

use std::path::Path;

use shadowdiff_core::{Exchange, Location};

use crate::error::Result;

pub use pair::{parse_pair, ParsedPair};
pub use parse::parse_line;
pub use raw::RawLines;
pub use source::{is_recording_file, is_stdin, is_stream, Format};
pub use unique::UniqueIds;
pub use writer::RecordingWriter;

/// Caps that keep a reader's memory bounded on hostile or broken input.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The longest line accepted, in bytes after decompression.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_line_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One non-blank line of a recording, not yet parsed.
#[derive(Clone, Debug)]
pub struct RawLine {
    /// The bytes of the line, without the line end.
    pub bytes: Vec<u8>,
    /// The file and 1-based line number.
    pub location: Location,
    /// The id the exchange gets when the line has none: the line number, prefixed with the file
    /// name when the recording is a folder.
    pub fallback_id: String,
}

/// An exchange with the place it was read from.
#[derive(Clone, Debug)]
pub struct Record {
    /// The exchange.
    pub exchange: Exchange,
    /// Where it was read.
    pub location: Location,
}

/// Reads the exchanges of a recording file or folder one at a time.
pub fn read(path: &Path, limits: &Limits) -> Result<impl Iterator<Item = Result<Record>>> {
    let lines = RawLines::open(path, limits)?;
    Ok(lines.map(|line| {
        let line = line?;
        let exchange = parse_line(&line)?;
        Ok(Record {
            exchange,
            location: line.location,
        })
    }))
}

/// Counts the exchanges of the recordings (a progress bar's total, say); none when one of them
/// can be read only once (standard input, a pipe) or cannot be read.
pub fn count_exchanges(paths: &[std::path::PathBuf], limits: &Limits) -> Option<u64> {
    if paths.iter().any(|path| is_stream(path)) {
        return None;
    }
    let mut total = 0;
    for path in paths {
        total += RawLines::open(path, limits)
            .ok()?
            .filter(|line| line.is_ok())
            .count() as u64;
    }
    Some(total)
}
