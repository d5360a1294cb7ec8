//! Settings: one resolver for every command. Three layers, each over the one before:
//!
//! 1. the built-in defaults, `defaults.toml`, embedded in the binary ([`defaults()`]);
//! 2. `shadowdiff.toml`, or the file `--config` names ([`Config`]);
//! 3. the flags ([`crate::cli`]; every flag that has a default is an `Option`, so that "not
//!    given" is told from "given").
//!
//! [`resolve`] turns them into one value per command ([`RunSettings`], [`DiffSettings`],
//! [`MergeSettings`], [`SnapshotSettings`], [`RecordSettings`], [`ImportSettings`]), each
//! value a [`Setting`] that knows its [`Source`], so that an error about it names the flag, or
//! the file and the line of the key. `--help` shows the defaults of the same table.

pub mod data;
mod defaults;
mod file;
mod lines;
pub mod resolve;

use std::path::PathBuf;

use shadowdiff_core::{Location, Origin};

use crate::error::Error;

pub use self::defaults::{defaults, shown_bytes, shown_duration, with_default};
pub use self::file::Config;
pub use self::resolve::{Output, ReportSettings, RunSettings};

/// Where a resolved value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The built-in table, `defaults.toml`.
    Default,
    /// A settings file, at the line of the key (none when the key has no line of its own).
    File {
        /// The settings file as it was named.
        path: PathBuf,
        /// The 1-based line of the key, or of the nearest enclosing key.
        line: Option<u64>,
    },
    /// A command-line flag (`--concurrency`).
    Flag(String),
}

impl Source {
    /// A bad-setting error (exit 2) about the value of `key` from this source:
    /// `--concurrency: MESSAGE` for a flag, `FILE:LINE: KEY: MESSAGE` for a file.
    pub fn error(&self, key: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        match self {
            Source::Flag(flag) => Origin::Flag(flag.clone()).error(key, message).into(),
            Source::File { path, line } => Error::config(
                Location {
                    path: path.clone(),
                    line: *line,
                },
                format!("{key}: {message}"),
            ),
            Source::Default => Error::usage(format!("{key} (built-in default): {message}")),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("the built-in default"),
            Source::File { path, line } => match line {
                Some(line) => write!(f, "{}:{line}", path.display()),
                None => write!(f, "{}", path.display()),
            },
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// The layer that gave it.
    pub source: Source,
}

impl<T> Setting<T> {
    /// A value from the built-in table.
    pub fn default(value: T) -> Setting<T> {
        Setting {
            value,
            source: Source::Default,
        }
    }

    /// The value of the highest layer that gives one: the flag, else the file, else the table.
    pub fn pick(flag: Option<(&str, T)>, file: Option<(Source, T)>, default: T) -> Setting<T> {
        Setting::given(flag, file).unwrap_or_else(|| Setting::default(default))
    }

    /// Like [`Setting::pick`] for a setting without a default: none when no layer gives it.
    pub fn given(flag: Option<(&str, T)>, file: Option<(Source, T)>) -> Option<Setting<T>> {
        match (flag, file) {
            (Some((name, value)), _) => Some(Setting {
                value,
                source: Source::Flag(name.to_string()),
            }),
            (None, Some((source, value))) => Some(Setting { value, source }),
            (None, None) => None,
        }
    }
}
