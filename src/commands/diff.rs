//! `shadowdiff diff A B`: load the rules, judge the joined recordings, write the report, gate.

use std::path::Path;

use crate::cli::DiffArgs;
use crate::error::{Error, Result};
use crate::recordings::Limits;
use crate::report::TargetNames;
use crate::rules::RuleSet;
use crate::settings::Config;

use super::verdict::{exit_code, Judging};

/// The rules folder used when `--rules` is not given and it exists.
const DEFAULT_RULES: &str = "comparators";

/// Runs `diff` and returns the exit code of its verdict.
pub fn run(args: DiffArgs) -> Result<u8> {
    let config = Config::load(args.report.config.as_deref())?;
    let rules = load_rules(args.rules.as_deref().or(config.rules.as_deref()))?;
    let judging = Judging::load(&config, &args.report)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.output.threads.unwrap_or(0))
        .build()
        .map_err(|err| Error::Usage(format!("cannot start worker threads: {err}")))?;
    let named: Vec<std::path::PathBuf> = std::iter::once(args.a.clone())
        .chain(args.b.clone())
        .collect();
    super::run::check_stdin_once(&named)?;
    let mut aggregate = judging.aggregate();
    let limits = Limits {
        max_line_bytes: args.max_line_bytes,
    };
    pool.install(|| match &args.b {
        Some(b) => crate::diff::diff(&args.a, b, &rules, &limits, &mut aggregate),
        None => crate::diff::rejudge(&args.a, &rules, &limits, &mut aggregate),
    })?;
    let report = judging.conclude(
        aggregate,
        &|rule| rules.describe(rule).to_string(),
        TargetNames::default(),
        true,
        &config.out_dir(args.out.as_deref()),
        &args.output,
    )?;
    Ok(exit_code(&report))
}

/// Loads `--rules`, or `comparators/` when present, or the built-in rules.
pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(path) => RuleSet::load(path),
        None if Path::new(DEFAULT_RULES).exists() => RuleSet::load(Path::new(DEFAULT_RULES)),
        None => Ok(RuleSet::builtin()),
    }
}
