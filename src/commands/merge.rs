//! `shadowdiff report merge DIR...`: add up the saved aggregates of partitioned runs and judge
//! the whole, as one unpartitioned run would have been judged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::MergeArgs;
use shadowdiff_core::Location;

use crate::error::{Error, Result};
use crate::settings::resolve;
use shadowdiff_report::{combine, Named};
use shadowdiff_report::{Aggregate, Loaded, Report, TargetNames};

use super::verdict::{exit_code, Judging};

/// Runs `report merge` and returns the exit code of the merged verdict.
pub fn run(args: MergeArgs) -> Result<u8> {
    let settings = resolve::merge(&args)?;
    let judging = Judging::load(&settings.report)?;
    let mut parts = Vec::new();
    let mut named = Vec::new();
    for dir in &settings.parts {
        let loaded = Aggregate::load(dir)?;
        named.push(Named {
            dir: dir.clone(),
            resolved: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()),
            part: loaded.aggregate.part().clone(),
        });
        parts.push(loaded);
    }
    let whole = combine(&named, settings.allow_partial)?;
    let find_stale = whole.missing().is_empty();
    let mut merged = judging.aggregate();
    let mut labels: BTreeMap<u32, String> = BTreeMap::new();
    for Loaded {
        path,
        aggregate: part,
        rules: part_labels,
    } in parts
    {
        for (rule, label) in part_labels {
            match labels.get(&rule) {
                Some(known) if *known != label => {
                    return Err(Error::input(
                        Location::file(&path),
                        format!(
                            "the parts were judged under different rules (rule {rule} is \
                             `{known}` in an earlier part and `{label}` here): merge the parts \
                             of one run, or re-judge each part's outcomes.jsonl.zst with \
                             `shadowdiff diff` under the same rules first"
                        ),
                    ))
                }
                _ => {
                    labels.insert(rule, label);
                }
            }
        }
        merged.merge(part);
    }
    merged.set_part(whole);
    let targets = settings.parts.iter().find_map(|dir| part_targets(dir));
    let describe = |rule: shadowdiff_core::RuleId| {
        labels
            .get(&rule.0)
            .cloned()
            .unwrap_or_else(|| format!("rule {}", rule.0))
    };
    let out = &settings.report.out.value;
    merge_outcomes(&settings.parts, out)?;
    let report = judging.conclude(
        merged,
        &describe,
        targets.unwrap_or_default(),
        find_stale,
        out,
        &settings.output,
    )?;
    Ok(exit_code(&report))
}

/// The outcomes file of a run.
const OUTCOMES: &str = "outcomes.jsonl.zst";

/// Joins the parts' outcomes (a run's `outcomes.jsonl.zst`, or the outcome parts of `shadow`)
/// into one file (zstd frames one after the other make one valid file), so `shadowdiff diff
/// OUT/outcomes.jsonl.zst` re-judges the whole. Skipped, with any stale one removed, unless
/// every part has outcomes.
fn merge_outcomes(parts: &[PathBuf], out: &Path) -> Result<()> {
    let target = out.join(OUTCOMES);
    let mut files = Vec::new();
    for dir in parts {
        match shadowdiff_replay::outcome_files(dir)? {
            Some(found) => files.extend(found),
            None => {
                if target.exists() {
                    std::fs::remove_file(&target).map_err(|err| Error::io(&target, err))?;
                }
                return Ok(());
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|err| Error::io(out, err))?;
    let mut joined = tempfile::NamedTempFile::new_in(out).map_err(|err| Error::io(out, err))?;
    for path in files {
        let mut part = std::fs::File::open(&path).map_err(|err| Error::io(&path, err))?;
        std::io::copy(&mut part, &mut joined).map_err(|err| Error::io(&target, err))?;
    }
    joined
        .persist(&target)
        .map_err(|err| Error::io(&target, err.error))?;
    Ok(())
}

/// The targets named in a part's report.json, when it can be read.
fn part_targets(dir: &std::path::Path) -> Option<TargetNames> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str::<Report>(&text)
        .ok()
        .map(|r| r.targets)
}
