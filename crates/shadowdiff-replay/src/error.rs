//! What replaying, re-judging and recording can fail with: everything reading can, a target
//! that cannot be used, and a failure of shadowdiff itself (a thread or runtime that would not
//! start), which is neither the user's input nor a target's fault.

use std::path::Path;

use shadowdiff_core::Location;

/// An error of the replay stage; each names its file, flag or target.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was read or set is not valid: see the core's error.
    #[error(transparent)]
    Core(#[from] shadowdiff_core::Error),
    /// A recording, outcomes or rule file that cannot be read or written.
    #[error(transparent)]
    Read(#[from] shadowdiff_io::Error),
    /// A target that could not be used (unreachable, crashed, too many errors).
    #[error("target {target}: {message}")]
    Target {
        /// The role or name of the target (`old`, `new`, `noise`).
        target: String,
        /// What went wrong.
        message: String,
    },
    /// shadowdiff itself failed: a thread, a runtime or a signal handler could not start, or
    /// one stopped unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bad-input error at `location`.
    pub fn input(location: Location, message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::input(location, message))
    }

    /// A bad-configuration error at `location`.
    pub fn config(location: Location, message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::config(location, message))
    }

    /// A setting that cannot be carried out, named by its flag or key.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::Usage(message.into()))
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Read(shadowdiff_io::Error::io(path, source))
    }
}
