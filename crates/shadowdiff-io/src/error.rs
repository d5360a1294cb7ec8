//! What reading and writing files can fail with: the core's refusals of what was read, and the
//! operating system's on the file itself.

use std::path::{Path, PathBuf};

use shadowdiff_core::Location;

/// An error of reading or writing recordings, outcomes or rule files; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was read is not valid (bad JSON, a bad rule): see the core's error.
    #[error(transparent)]
    Core(#[from] shadowdiff_core::Error),
    /// A file or folder that cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
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

    /// A request that cannot be carried out (`report merge` of parts that do not fit).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::Usage(message.into()))
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The place a bad-input error names, if it is one.
    pub fn input_location(&self) -> Option<&Location> {
        match self {
            Error::Core(shadowdiff_core::Error::Input { location, .. }) => Some(location),
            _ => None,
        }
    }
}
