//! `shadowdiff report merge DIR...`: add up the saved aggregates of partitioned runs and judge
//! the whole, as one unpartitioned run would have been judged.

use std::collections::BTreeMap;

use crate::cli::MergeArgs;
use crate::config::Config;
use crate::error::{Error, Location, Result};
use crate::report::{Aggregate, Report, TargetNames, AGGREGATE_FILE};

use super::verdict::{exit_code, Judging};

/// Runs `report merge` and returns the exit code of the merged verdict.
pub fn run(args: MergeArgs) -> Result<u8> {
    let config = Config::load(args.report.config.as_deref())?;
    let judging = Judging::load(&config, &args.report)?;
    let mut merged = judging.aggregate();
    let mut labels: BTreeMap<u32, String> = BTreeMap::new();
    let mut targets = None;
    for dir in &args.parts {
        let path = dir.join(AGGREGATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => Error::input(
                Location::file(&path),
                "not found: name report folders written by `shadowdiff run` or `diff`",
            ),
            _ => Error::io(&path, err),
        })?;
        let (part, part_labels) = Aggregate::restore(&text, &path)?;
        merged.merge(part);
        labels.extend(part_labels);
        if targets.is_none() {
            targets = part_targets(dir);
        }
    }
    let describe = |rule: crate::rules::RuleId| {
        labels
            .get(&rule.0)
            .cloned()
            .unwrap_or_else(|| format!("rule {}", rule.0))
    };
    let report = judging.conclude(
        merged,
        &describe,
        targets.unwrap_or_default(),
        true,
        &args.out,
        &args.output,
    )?;
    Ok(exit_code(&report))
}

/// The targets named in a part's report.json, when it can be read.
fn part_targets(dir: &std::path::Path) -> Option<TargetNames> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str::<Report>(&text)
        .ok()
        .map(|r| r.targets)
}
