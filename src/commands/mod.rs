//! What each subcommand does: wire the library's stages together and print the outcome.

mod diff;
mod import;
mod output;
mod progress;
mod record;
mod run;

use crate::cli::{Cli, Command};
use crate::error::Result;

/// Runs the parsed command line and returns the exit code of its verdict.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Diff(args) => diff::run(args),
        Command::Import(args) => import::run(args),
        Command::Run(args) => run::run(*args),
        Command::Record(args) => record::run(args),
    }
}
