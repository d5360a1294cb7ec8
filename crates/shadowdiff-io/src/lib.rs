//! shadowdiff's reading and writing: recordings in every supported format (native JSON Lines,
//! HAR, GoReplay; plain, gzip or zstd; files, folders and pipes), the join of two recordings by
//! id behind `shadowdiff diff`, the outcomes file, and comparator rule files. Everything streams:
//! memory stays flat in the number of exchanges.
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod error;
mod input;
mod join;
mod outcomes;
mod recordings;
mod rules;

pub use error::{Error, Result};
pub use input::{InputDigest, InputIdentity};
pub use join::{join, Joined, Side, Sizes};
pub use outcomes::OutcomeWriter;
pub use recordings::{
    count_exchanges, is_recording_file, is_stdin, is_stream, parse_line, parse_pair, read, Format,
    Limits, ParsedPair, RawLine, RawLines, Record, RecordingWriter, UniqueIds,
};
pub use rules::load_rules;
