//! What aggregating, merging and writing reports can fail with: input that is not valid (a
//! snapshot file, a part to merge), and the operating system's refusals on files.

use std::path::{Path, PathBuf};

use shadowdiff_core::Location;

/// An error of the report stages; each names its file, or the part or snapshot entry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What was read is not valid (a snapshot entry, a part of another run): see the core's
    /// error.
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

impl From<shadowdiff_io::Error> for Error {
    fn from(error: shadowdiff_io::Error) -> Error {
        match error {
            shadowdiff_io::Error::Core(error) => Error::Core(error),
            shadowdiff_io::Error::Io { path, source } => Error::Io { path, source },
        }
    }
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

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A request that cannot be carried out (`report merge` of parts that do not fit).
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::Usage(message.into()))
    }
}
