//! The core's errors and the places they name: a file and line ([`Location`]) or the flag or
//! settings table a value came from ([`Origin`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where something was read from: a file and, when known, a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file as the user named it (or as found inside a named folder).
    pub path: PathBuf,
    /// The 1-based line, when the problem is on one line.
    pub line: Option<u64>,
}

impl Location {
    /// A location on one line of a file.
    pub fn line(path: impl Into<PathBuf>, line: u64) -> Location {
        Location {
            path: path.into(),
            line: Some(line),
        }
    }

    /// A location naming a whole file.
    pub fn file(path: impl Into<PathBuf>) -> Location {
        Location {
            path: path.into(),
            line: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path.display(), line),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// Where a setting was given, so that an error about it names the flag, or the file and the
/// line of the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (`--old`).
    Flag(String),
    /// A table of a settings file (`[targets.old]`) and the lines of its keys.
    File {
        /// The settings file.
        path: PathBuf,
        /// The table's dotted name (`targets.old`).
        table: String,
        /// The table's own line (under `""`) and its keys' (`url`, `headers.set.x`).
        lines: BTreeMap<String, u64>,
    },
}

impl Origin {
    /// A bad-setting error about `key` of this origin: `--old: MESSAGE`, or
    /// `FILE:LINE: [TABLE] KEY: MESSAGE` with the key's line (the table's when it has none).
    pub fn error(&self, key: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        match self {
            Origin::Flag(flag) => Error::Usage(format!("{flag}: {message}")),
            Origin::File { path, table, lines } => {
                let line = lines.get(key).or_else(|| lines.get("")).copied();
                let label = if key.is_empty() {
                    format!("[{table}]")
                } else {
                    format!("[{table}] {key}")
                };
                Error::config(
                    Location {
                        path: path.clone(),
                        line,
                    },
                    format!("{label}: {message}"),
                )
            }
        }
    }
}

/// What the core can refuse: input it cannot read as an exchange or an outcome line, and rules
/// or settings that are not valid. Every error names its place and reads well after "error: ".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An exchange or an outcome line that cannot be read as one.
    #[error("{location}: {message}")]
    Input {
        /// Where the bad input is.
        location: Location,
        /// What is wrong and, where it helps, what to do.
        message: String,
    },
    /// A rule or settings file that is not valid.
    #[error("{location}: {message}")]
    Config {
        /// Where the bad setting is.
        location: Location,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// A setting given on the command line that cannot be carried out, named by its flag.
    #[error("{0}")]
    Usage(String),
}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bad-input error at `location`.
    pub fn input(location: Location, message: impl Into<String>) -> Error {
        Error::Input {
            location,
            message: message.into(),
        }
    }

    /// A bad-configuration error at `location`.
    pub fn config(location: Location, message: impl Into<String>) -> Error {
        Error::Config {
            location,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_line() {
        let err = Error::input(Location::line("rec/a.jsonl", 7), "expected value");
        assert_eq!(err.to_string(), "rec/a.jsonl:7: expected value");
    }

    #[test]
    fn origins_name_the_flag_or_the_file_and_line_of_the_key() {
        let flag = Origin::Flag("--old".into()).error("url", "unknown target url `ftp://x`");
        assert_eq!(flag.to_string(), "--old: unknown target url `ftp://x`");
        let file = Origin::File {
            path: "ci/other.toml".into(),
            table: "targets.new".into(),
            lines: [(String::new(), 4), ("url".to_string(), 5)].into(),
        };
        assert_eq!(
            file.error("url", "bad").to_string(),
            "ci/other.toml:5: [targets.new] url: bad"
        );
        assert_eq!(
            file.error("ready", "bad").to_string(),
            "ci/other.toml:4: [targets.new] ready: bad"
        );
        assert!(matches!(file.error("url", "x"), Error::Config { .. }));
        assert!(matches!(flag, Error::Usage(_)));
    }
}
