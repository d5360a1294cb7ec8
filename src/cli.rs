//! The command line: clap definitions only. What each command does lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Replay captured traffic against an old and a new implementation, diff the responses
/// structurally, and gate the cutover on what differs.
#[derive(Debug, Parser)]
#[command(name = "shadowdiff", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 gate passed, 1 gate failed, 2 bad usage, config or input, 3 a target failed."
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare the responses of two recordings joined by id, offline.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
}

const DIFF_EXAMPLES: &str = "\
Examples:
  # compare production captures with a capture of the new implementation
  shadowdiff diff recordings/ examples/v2-capture/

  # other rules, a report folder, and up to 2 % differing exchanges allowed
  shadowdiff diff old.jsonl.zst new.jsonl.zst --rules comparators/ --out report/ --max-diff-rate 0.02

Each exchange of A is joined with the exchange of B that has the same id, in any order.
An id on one side only is reported as an error outcome. The verdict is the exit code.";

/// Arguments of `shadowdiff diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a recording file (.jsonl, .jsonl.zst) or a folder of them.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The new side, joined with A by exchange id.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Comparator rules: a TOML file or a folder of them [default: comparators/ when it exists].
    #[arg(long, value_name = "PATH")]
    pub rules: Option<PathBuf>,
    /// The report folder.
    #[arg(long, value_name = "DIR", default_value = "shadowdiff-report")]
    pub out: PathBuf,
    /// The longest recording line accepted, in bytes after decompression.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_line_bytes: usize,
    /// The gate policy.
    #[command(flatten)]
    pub gate: GateArgs,
    /// Output settings.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Gate policy flags.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// The largest share of compared exchanges that may differ and still pass (0.02 = 2 %).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub max_diff_rate: f64,
    /// The largest share of compared exchanges that may end in error and still pass.
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub max_error_rate: f64,
}

/// What is printed on stdout and how much work runs at once.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What to print on stdout; report files are written either way.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Print nothing on stdout.
    #[arg(long, short)]
    pub quiet: bool,
    /// Threads used for parsing and comparing [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// The formats `--format` can print on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short summary for people.
    Terminal,
    /// The report.json contract.
    Json,
}

/// Parses a rate between 0 and 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number; write a rate such as 0.02"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!("`{text}` is not between 0 and 1; 0.02 means 2 %"));
    }
    Ok(rate)
}
