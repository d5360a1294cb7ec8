//! What each subcommand does: wire the library's stages together and print the outcome.

mod accept;
mod data;
mod diff;
mod import;
mod merge;
mod output;
mod progress;
mod record;
mod reject;
mod review;
mod run;
mod shadow;
mod tables;
mod verdict;

use crate::cli::{Cli, Command, ReportCommand};
use crate::error::Result;

/// Runs the parsed command line and returns the exit code of its verdict.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Data(args) => data::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Import(args) => import::run(args),
        Command::Run(args) => run::run(*args),
        Command::Record(args) => record::run(args),
        Command::Shadow(args) => shadow::run(*args),
        Command::Accept(args) => accept::run(args),
        Command::Reject(args) => reject::run(args),
        Command::Review(args) => review::run(args),
        Command::Report(ReportCommand::Merge(args)) => merge::run(args),
    }
}
