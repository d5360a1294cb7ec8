//! The `shadowdiff` command line: the flags ([`Cli`]), the settings (built-in defaults, then
//! shadowdiff.toml ([`Config`]), then flags), and the commands, each of which resolves its
//! settings, calls the stages of the library crates, prints, and maps the outcome to an exit
//! code ([`main`]).
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod cli;
mod commands;
mod error;
mod settings;

use std::process::ExitCode;

use clap::Parser as _;

pub use cli::Cli;
pub use settings::Config;

/// Parses the command line, runs the command and returns its exit code; an error is printed
/// on stderr after `error: `.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(error::exit_code(&err))
        }
    }
}
