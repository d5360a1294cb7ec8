//! `shadowdiff data`: compare the tables of two stores row by row, write the report, gate.

use std::fs::File;
use std::io::BufWriter;

use shadowdiff_core::{Judged, RuleSet};
use shadowdiff_data::{compare_table, Judge, RowSink, TableSpec};
use shadowdiff_io::{InputDigest, OutcomeWriter};
use shadowdiff_report::{Aggregate, Part, ReportFolder, Shards, TargetNames};

use crate::cli::DataArgs;
use crate::error::{Error, Result};
use crate::settings::data::DataSettings;

use super::diff::load_rules;
use super::progress::Progress;
use super::verdict::{exit_code, Judging};

/// The outcomes file of the report folder.
const OUTCOMES: &str = "outcomes.jsonl.zst";

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
    let judge = Judge {
        rules,
        redactor: &judging.redactor,
        partition: settings.partition,
    };
    for table in &settings.tables {
        input.add(identity(table).as_bytes());
        let mut sink = TableSink::new(judging, folder, &mut progress)?;
        let run = compare_table(table, &judge, &mut sink)?;
        let (table_aggregate, part) = sink.finish()?;
        progress.note(&format!(
            "shadowdiff data: table {}: {} rows in old, {} in new{}",
            table.name,
            run.old_rows,
            run.new_rows,
            if settings.partition.is_some() {
                " (this shard's keys)"
            } else {
                ""
            }
        ));
        if let Some(reason) = &run.partitioned {
            progress.note(&format!(
                "shadowdiff data: note: table {}: {reason}",
                table.name
            ));
        }
        aggregate.merge(table_aggregate);
        let mut part = File::open(&part).map_err(|err| Error::io(&outcomes_path, err))?;
        std::io::copy(&mut part, &mut outcomes).map_err(|err| Error::io(&outcomes_path, err))?;
    }
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

/// What pins a table's part of the input for `report merge`: its name, key and queries (not the
/// URLs, which CI jobs may spell differently).
fn identity(table: &TableSpec) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        table.name,
        table.key.join(","),
        table.old.query.as_deref().unwrap_or("*"),
        table.new.query.as_deref().unwrap_or("*")
    )
}

/// One table's judged rows: counted in an aggregate of their own and written to an outcomes
/// part of their own, both dropped if the table is read again.
struct TableSink<'a> {
    judging: &'a Judging,
    folder: &'a ReportFolder,
    progress: &'a mut Progress,
    aggregate: Aggregate,
    writer: OutcomeWriter,
}

impl<'a> TableSink<'a> {
    fn new(
        judging: &'a Judging,
        folder: &'a ReportFolder,
        progress: &'a mut Progress,
    ) -> Result<TableSink<'a>> {
        Ok(TableSink {
            judging,
            folder,
            progress,
            aggregate: judging.aggregate(),
            writer: writer(folder)?,
        })
    }

    /// The table's aggregate and its finished outcomes part.
    fn finish(self) -> Result<(Aggregate, tempfile::TempPath)> {
        Ok((self.aggregate, self.writer.finish()?))
    }
}

fn writer(folder: &ReportFolder) -> Result<OutcomeWriter> {
    Ok(OutcomeWriter::create(
        folder.temp_file(OUTCOMES)?,
        &folder.dir().join(OUTCOMES),
    )?)
}

impl RowSink for TableSink<'_> {
    fn row(&mut self, judged: Judged, line: &[u8]) -> shadowdiff_data::Result<()> {
        self.aggregate.add(&judged, None);
        self.progress.inc();
        Ok(self.writer.write_serialised(line)?)
    }

    fn restart(&mut self) -> shadowdiff_data::Result<()> {
        self.aggregate = self.judging.aggregate();
        self.writer = writer(self.folder).map_err(|err| match err {
            Error::Read(err) => shadowdiff_data::Error::Read(err),
            other => shadowdiff_data::Error::usage(other.to_string()),
        })?;
        Ok(())
    }
}
