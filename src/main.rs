//! The `shadowdiff` binary: parse the command line, run it, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use shadowdiff::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match shadowdiff::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
