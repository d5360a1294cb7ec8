//! What reading two stores can fail with: everything reading files can, and a source that could
//! not be used (unreachable, refused the password, failed a query while streaming).

use shadowdiff_core::Location;

/// An error of the data stage; each names its source (password redacted), query or row.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was read or set is not valid (bad SQL, a key column missing, a ragged CSV row).
    #[error(transparent)]
    Core(#[from] shadowdiff_core::Error),
    /// A file that cannot be read or written (an export, the outcomes, a spill file).
    #[error(transparent)]
    Read(#[from] shadowdiff_io::Error),
    /// A source that could not be used: unreachable, a wrong password, a connection lost.
    #[error("source {source_name}: {message}")]
    Source {
        /// The source's URL, its password redacted.
        source_name: String,
        /// What went wrong.
        message: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bad-input error at `location` (for a database, the location's path is the redacted
    /// source and its line the row).
    pub fn input(location: Location, message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::input(location, message))
    }

    /// A setting that cannot be carried out, named by its flag or key.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::Usage(message.into()))
    }

    /// A source that failed (exit 3).
    pub fn source(source: &crate::SourceUrl, message: impl Into<String>) -> Error {
        Error::Source {
            source_name: source.to_string(),
            message: message.into(),
        }
    }
}
