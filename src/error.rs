//! The binary's error: any stage's, or shadowdiff's own failure; and the one
//! place that maps errors to exit codes (README, "Commands"): 0 pass, 1 gate failed, 2 bad
//! usage, configuration or input, 3 a target failed, 4 shadowdiff itself failed, 130
//! interrupted.

use std::path::Path;

use shadowdiff_core::Location;

/// Everything that can stop a command before it reaches a verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input, rules or settings the core refused.
    #[error(transparent)]
    Core(#[from] shadowdiff_core::Error),
    /// A file that could not be read or written (a recording, outcomes, rules, the settings, a
    /// report), or what was read in it refused; the report stages share this error.
    #[error(transparent)]
    Read(#[from] shadowdiff_io::Error),
    /// The replay stage: a target that failed, or the replay machinery itself.
    #[error(transparent)]
    Replay(#[from] shadowdiff_replay::Error),
    /// The data stage: a store that failed, or what was read from one refused.
    #[error(transparent)]
    Data(#[from] shadowdiff_data::Error),
    /// shadowdiff itself failed: a thread pool or runtime that would not start.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The result type of the binary.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A command line that cannot be carried out.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Core(shadowdiff_core::Error::Usage(message.into()))
    }

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
        Error::Read(shadowdiff_io::Error::io(path, source))
    }
}

/// The process exit code `error` stands for: the one mapping of errors to exit codes.
pub fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Replay(shadowdiff_replay::Error::Target { .. })
        | Error::Data(shadowdiff_data::Error::Source { .. }) => exit::TARGET_FAILED,
        Error::Replay(shadowdiff_replay::Error::Internal(_)) | Error::Internal(_) => exit::INTERNAL,
        Error::Core(_) | Error::Read(_) | Error::Replay(_) | Error::Data(_) => exit::BAD_INPUT,
    }
}

/// The documented exit codes.
pub mod exit {
    /// The gate passed.
    pub const PASS: u8 = 0;
    /// The gate failed: differences beyond policy.
    pub const GATE_FAILED: u8 = 1;
    /// Bad usage, configuration or input.
    pub const BAD_INPUT: u8 = 2;
    /// A target or a data source failed: unreachable, refused, or too many errors.
    pub const TARGET_FAILED: u8 = 3;
    /// shadowdiff itself failed (a thread or runtime that would not start, a bug): neither the
    /// input nor a target is at fault.
    pub const INTERNAL: u8 = 4;
    /// The run was stopped by Ctrl-C (the shell's convention for SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layer_maps_to_its_exit_code() {
        let input = Error::Read(shadowdiff_io::Error::input(
            Location::line("rec/a.jsonl", 7),
            "expected value",
        ));
        assert_eq!(input.to_string(), "rec/a.jsonl:7: expected value");
        assert_eq!(exit_code(&input), exit::BAD_INPUT);
        let target = Error::Replay(shadowdiff_replay::Error::Target {
            target: "new".into(),
            message: "connection refused".into(),
        });
        assert_eq!(exit_code(&target), exit::TARGET_FAILED);
        let internal = Error::Replay(shadowdiff_replay::Error::Internal(
            "cannot start a replay thread".into(),
        ));
        assert_eq!(
            internal.to_string(),
            "internal error: cannot start a replay thread"
        );
        assert_eq!(exit_code(&internal), exit::INTERNAL);
        let usage = Error::Core(shadowdiff_core::Error::Usage("--old: bad".into()));
        assert_eq!(exit_code(&usage), exit::BAD_INPUT);
        let config = Error::config(Location::line("other.toml", 3), "[gate] x: bad");
        assert_eq!(config.to_string(), "other.toml:3: [gate] x: bad");
        assert_eq!(exit_code(&config), exit::BAD_INPUT);
    }
}
