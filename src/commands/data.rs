//! `shadowdiff data`: compare the tables of two stores row by row, write the report, gate.

use std::io::BufWriter;

use shadowdiff_core::RuleSet;
use shadowdiff_data::Judge;
use shadowdiff_io::InputDigest;
use shadowdiff_report::{Part, ReportFolder, Shards, TargetNames};

use crate::cli::DataArgs;
use crate::error::{Error, Result};
use crate::settings::data::DataSettings;

use super::diff::load_rules;
use super::progress::Progress;
use super::tables::{compare_all, read_captures, Destination, OUTCOMES};
use super::verdict::{exit_code, Judging};

/// Runs `data` and returns the exit code of its verdict.
pub fn run(args: DataArgs) -> Result<u8> {
    let settings = crate::settings::data::data(&args)?;
    let rules = load_rules(&settings.rules)?;
    let judging = Judging::load(&settings.report)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.output.threads.unwrap_or(0))
        .build()
        .map_err(|err| Error::Internal(format!("cannot start worker threads: {err}")))?;
    let mut folder = ReportFolder::open(&settings.report.out.value)?;
    let compared = pool.install(|| compare(&settings, &rules, &judging, &mut folder));
    if compared.is_err() {
        folder.abandon();
    }
    compared
}

/// Compares every table into one aggregate and one outcomes file, then concludes.
fn compare(
    settings: &DataSettings,
    rules: &RuleSet,
    judging: &Judging,
    folder: &mut ReportFolder,
) -> Result<u8> {
    let outcomes_path = folder.dir().join(OUTCOMES);
    let mut outcomes = BufWriter::new(folder.temp_file(OUTCOMES)?);
    let mut aggregate = judging.aggregate();
    let mut input = InputDigest::default();
    let mut progress = Progress::new(settings.output.quiet, "rows", || None);
    let captures = read_captures(settings.captures.as_deref())?;
    if captures.is_none() {
        if let Some(table) = settings.tables.iter().find(|t| t.key_capture.is_some()) {
            progress.note(&format!(
                "shadowdiff data: note: table {}: key_capture reads keys through a run's \
                 captures; without --run DIR its keys are compared as they are",
                table.name
            ));
        }
    }
    let judge = Judge {
        rules,
        redactor: &judging.redactor,
        partition: settings.partition,
        captures,
    };
    compare_all(
        &settings.tables,
        &judge,
        judging,
        folder,
        &mut progress,
        Destination {
            aggregate: &mut aggregate,
            outcomes: &mut outcomes,
            outcomes_path: &outcomes_path,
            input: Some(&mut input),
        },
    )?;
    progress.finish();
    let outcomes = outcomes
        .into_inner()
        .map_err(|err| Error::io(&outcomes_path, err.into_error()))?;
    folder.stage(outcomes.into_temp_path(), OUTCOMES);
    aggregate.set_part(Part {
        partition: settings.partition.map(Shards::of),
        input: Some(input.finish()),
        live: false,
    });
    let first = &settings.tables[0];
    let report = judging.conclude_in(
        folder,
        aggregate,
        &|rule| rules.describe(rule).to_string(),
        TargetNames {
            old: Some(first.old.url.to_string()),
            new: Some(first.new.url.to_string()),
        },
        settings.partition.is_none(),
        &settings.output,
    )?;
    Ok(exit_code(&report))
}
