//! `shadowdiff diff A B`: load the rules, judge the joined recordings, write the report, gate.

use std::path::Path;

use crate::cli::DiffArgs;
use crate::error::{exit, Error, Result};
use crate::recordings::Limits;
use crate::report::{write_reports, Aggregate, GatePolicy, Verdict};
use crate::rules::RuleSet;

use super::output::print_report;

/// The rules folder used when `--rules` is not given and it exists.
const DEFAULT_RULES: &str = "comparators";

/// Runs `diff` and returns the exit code of its verdict.
pub fn run(args: DiffArgs) -> Result<u8> {
    let rules = load_rules(args.rules.as_deref())?;
    let policy = GatePolicy {
        max_diff_rate: args.gate.max_diff_rate,
        max_error_rate: args.gate.max_error_rate,
        ..GatePolicy::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.output.threads.unwrap_or(0))
        .build()
        .map_err(|err| Error::Usage(format!("cannot start worker threads: {err}")))?;
    let mut aggregate = Aggregate::new();
    let limits = Limits {
        max_line_bytes: args.max_line_bytes,
    };
    pool.install(|| match &args.b {
        Some(b) => crate::diff::diff(&args.a, b, &rules, &limits, &mut aggregate),
        None => crate::diff::rejudge(&args.a, &rules, &limits, &mut aggregate),
    })?;
    let report = aggregate.finish(&policy, |rule| rules.describe(rule).to_string());
    write_reports(&report, &args.out)?;
    print_report(&report, &args.output);
    Ok(match report.verdict {
        Verdict::Pass => exit::PASS,
        Verdict::Fail => exit::GATE_FAILED,
    })
}

/// Loads `--rules`, or `comparators/` when present, or the built-in rules.
pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(path) => RuleSet::load(path),
        None if Path::new(DEFAULT_RULES).exists() => RuleSet::load(Path::new(DEFAULT_RULES)),
        None => Ok(RuleSet::builtin()),
    }
}
