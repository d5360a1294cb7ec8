//! Reading and writing recordings: JSON Lines, plain or zstd-compressed, a file or a folder.
//!
//! Everything streams: readers hand out one line (or one exchange) at a time, so memory stays
//! flat however many exchanges a recording holds. Lines longer than [`Limits::max_line_bytes`]
//! are an error naming the file and line, not an allocation.

use std::path::{Path, PathBuf};

use crate::error::{Location, Result};
use crate::model::Exchange;

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

/// The raw lines of a recording file or folder, in order.
pub struct RawLines {
    _todo: PathBuf,
}

impl RawLines {
    /// Opens a recording file or folder.
    pub fn open(path: &Path, limits: &Limits) -> Result<RawLines> {
        todo!("{} {limits:?}", path.display())
    }
}

impl Iterator for RawLines {
    type Item = Result<RawLine>;

    fn next(&mut self) -> Option<Result<RawLine>> {
        todo!()
    }
}

/// Parses one line into an exchange; errors name the file and line.
pub fn parse_line(line: &RawLine) -> Result<Exchange> {
    todo!("{line:?}")
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
