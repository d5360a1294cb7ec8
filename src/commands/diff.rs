//! `shadowdiff diff A B`: load the rules, judge the joined recordings, write the report, gate.

use std::path::PathBuf;

use crate::cli::DiffArgs;
use crate::error::{Error, Result};
use crate::settings::{resolve, Setting};
use shadowdiff_core::{Judged, Request, RuleSet};
use shadowdiff_io::Limits;
use shadowdiff_report::TargetNames;

use super::verdict::{exit_code, Judging};

/// Runs `diff` and returns the exit code of its verdict.
pub fn run(args: DiffArgs) -> Result<u8> {
    let settings = resolve::diff(&args)?;
    let rules = load_rules(&settings.rules)?;
    let judging = Judging::load(&settings.report)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.output.threads.unwrap_or(0))
        .build()
        .map_err(|err| Error::Internal(format!("cannot start worker threads: {err}")))?;
    let named: Vec<PathBuf> = std::iter::once(settings.a.clone())
        .chain(settings.b.clone())
        .collect();
    super::run::check_stdin_once(&named)?;
    let mut aggregate = judging.aggregate();
    let mut add = |judged: Judged, request: Option<Request>| {
        aggregate.add(&judged, request.as_ref());
    };
    let limits = Limits {
        max_line_bytes: settings.max_line_bytes.value,
    };
    pool.install(|| match &settings.b {
        Some(b) => {
            shadowdiff_replay::diff(&settings.a, b, &rules, &limits, &mut |judged, request| {
                add(judged, Some(request))
            })
        }
        None => shadowdiff_replay::rejudge(&settings.a, &rules, &limits, &mut add),
    })?;
    let report = judging.conclude(
        aggregate,
        &|rule| rules.describe(rule).to_string(),
        TargetNames::default(),
        true,
        &settings.report.out.value,
        &settings.output,
    )?;
    Ok(exit_code(&report))
}

/// Loads the resolved rules, or the built-in rules when none are named or found.
pub fn load_rules(rules: &Setting<Option<PathBuf>>) -> Result<RuleSet> {
    match &rules.value {
        Some(path) => Ok(shadowdiff_io::load_rules(path)?),
        None => Ok(RuleSet::builtin()),
    }
}
