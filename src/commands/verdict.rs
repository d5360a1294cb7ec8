//! From an aggregate to the verdict, the same way for `run`, `diff` and `report merge`: the
//! resolved gate policy, snapshot and redaction; the report finished, pending snapshot changes
//! written beside the snapshot, every report file written, the chosen format printed.

use std::io::Write as _;
use std::path::Path;

use crate::error::{exit, Result};
use crate::settings::{Output, ReportSettings};
use shadowdiff_core::Redactor;
use shadowdiff_core::RuleId;
use shadowdiff_report::{pending_changes, write_pending};
use shadowdiff_report::{
    write_reports, Aggregate, Finish, GatePolicy, Report, ReportFolder, Snapshot, TargetNames,
    Verdict,
};

use super::output::print_report;

/// How a run's outcomes are judged and what is kept out of its reports.
#[derive(Clone)]
pub struct Judging {
    /// The gate's limits and noise thresholds.
    pub policy: GatePolicy,
    /// The accepted differences.
    pub snapshot: Snapshot,
    /// Secrets kept out of every output.
    pub redactor: Redactor,
}

impl Judging {
    /// The policy and redaction of the resolved settings, and the snapshot they name.
    pub fn load(settings: &ReportSettings) -> Result<Judging> {
        Ok(Judging {
            policy: settings.policy(),
            snapshot: Snapshot::load(&settings.snapshot.value)?,
            redactor: settings.redactor(),
        })
    }

    /// An empty aggregate that redacts what it keeps.
    pub fn aggregate(&self) -> Aggregate {
        Aggregate::with_redactor(self.redactor.clone())
    }

    /// Finishes the report, proposes snapshot changes, writes every report file into `out`,
    /// prints the chosen format, and returns the report.
    pub fn conclude(
        &self,
        aggregate: Aggregate,
        describe: &dyn Fn(RuleId) -> String,
        targets: TargetNames,
        find_stale: bool,
        out: &Path,
        output: &Output,
    ) -> Result<Report> {
        let mut folder = ReportFolder::open(out)?;
        let concluded = self.conclude_in(
            &mut folder,
            aggregate,
            describe,
            targets,
            find_stale,
            output,
        );
        if concluded.is_err() {
            folder.abandon();
        }
        concluded
    }

    /// [`Judging::conclude`] into a report folder opened before, with what was staged in it
    /// (a run's outcomes file) committed along with the reports.
    pub fn conclude_in(
        &self,
        folder: &mut ReportFolder,
        aggregate: Aggregate,
        describe: &dyn Fn(RuleId) -> String,
        targets: TargetNames,
        find_stale: bool,
        output: &Output,
    ) -> Result<Report> {
        let state = aggregate.save(describe);
        let mut report = aggregate.finish(&Finish {
            policy: &self.policy,
            snapshot: Some(&self.snapshot),
            find_stale,
            targets,
            describe,
        });
        let changes = pending_changes(&report);
        let pending = write_pending(&self.snapshot.path, &changes)?;
        if let Some(status) = report.snapshot.as_mut() {
            status.pending_file = pending.map(|p| p.display().to_string());
        }
        write_reports(&report, folder, &state)?;
        append_step_summary(&report);
        print_report(&report, output);
        Ok(report)
    }
}

/// The exit code of a finished report's verdict.
pub fn exit_code(report: &Report) -> u8 {
    match report.verdict {
        Verdict::Pass => exit::PASS,
        Verdict::Fail => exit::GATE_FAILED,
    }
}

/// On GitHub Actions, appends the Markdown summary to the job's step summary. A summary that
/// cannot be written is a warning, not a failed run.
fn append_step_summary(report: &Report) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            file.write_all(
                shadowdiff_report::Format::Markdown
                    .render(report, false)
                    .as_bytes(),
            )
        });
    if let Err(err) = written {
        eprintln!(
            "shadowdiff: warning: cannot append to GITHUB_STEP_SUMMARY ({}): {err}",
            Path::new(&path).display()
        );
    }
}
