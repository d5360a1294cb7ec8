//! Tables of two stores compared into a report: each table's rows judged into an aggregate and
//! an outcomes part of its own, then added to the report's. `data` compares nothing else; `run
//! --check-data` adds them to the replay's.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use shadowdiff_core::Judged;
use shadowdiff_data::{compare_table, CaptureMap, Judge, RowSink, TableSpec};
use shadowdiff_io::{InputDigest, OutcomeWriter};
use shadowdiff_report::{Aggregate, ReportFolder};

use crate::error::{Error, Result};

use super::progress::Progress;
use super::verdict::Judging;

/// The outcomes file of the report folder.
pub const OUTCOMES: &str = "outcomes.jsonl.zst";

/// Where compared tables go: the report's aggregate, its outcomes file (`outcomes`, at
/// `outcomes_path`) and what pins its input.
pub struct Destination<'a> {
    /// The report's aggregate.
    pub aggregate: &'a mut Aggregate,
    /// The report's outcomes, each table's part appended (zstd frames follow one another).
    pub outcomes: &'a mut dyn Write,
    /// Where the outcomes file will be, for errors.
    pub outcomes_path: &'a Path,
    /// What pins the report's input, for `report merge`, when the report can be merged.
    pub input: Option<&'a mut InputDigest>,
}

/// The run's map of captured values at `path`, when there is one, to share with the tables'
/// readers.
pub fn read_captures(path: Option<&Path>) -> Result<Option<Arc<CaptureMap>>> {
    Ok(path.map(CaptureMap::read).transpose()?.map(Arc::new))
}

/// Compares each of `tables` in order into `into`, saying on stderr how many rows each side
/// had and why a table was joined on disk.
pub fn compare_all(
    tables: &[TableSpec],
    judge: &Judge<'_>,
    judging: &Judging,
    folder: &ReportFolder,
    progress: &mut Progress,
    mut into: Destination<'_>,
) -> Result<()> {
    for table in tables {
        if let Some(input) = into.input.as_deref_mut() {
            input.add(identity(table).as_bytes());
        }
        let mut sink = TableSink::new(judging, folder, progress)?;
        let run = compare_table(table, judge, &mut sink)?;
        let (table_aggregate, part) = sink.finish()?;
        progress.note(&format!(
            "shadowdiff data: table {}: {} rows in old, {} in new{}",
            table.name,
            run.old_rows,
            run.new_rows,
            if judge.partition.is_some() {
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
        into.aggregate.merge(table_aggregate);
        let mut part = File::open(&part).map_err(|err| Error::io(into.outcomes_path, err))?;
        std::io::copy(&mut part, into.outcomes)
            .map_err(|err| Error::io(into.outcomes_path, err))?;
    }
    Ok(())
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
