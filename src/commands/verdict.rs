//! From an aggregate to the verdict, the same way for `run`, `diff` and `report merge`: the
//! gate policy, snapshot and redaction from flags over shadowdiff.toml; the report finished,
//! pending snapshot changes written beside the snapshot, every report file written, the chosen
//! format printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{OutputArgs, ReportArgs};
use crate::error::{exit, Error, Result};
use crate::redact::Redactor;
use crate::replay::filter::RouteGlob;
use crate::report::snapshot::{pending_changes, write_pending, DEFAULT_SNAPSHOT};
use crate::report::{
    render, write_reports, Aggregate, Finish, GatePolicy, Limits, Report, ReportFolder,
    RouteLimits, Snapshot, TargetNames, Verdict,
};
use crate::rules::path::PathPattern;
use crate::rules::RuleId;
use crate::settings::Config;

use super::output::print_report;

/// How a run's outcomes are judged and what is kept out of its reports.
pub struct Judging {
    /// The gate's limits and noise thresholds.
    pub policy: GatePolicy,
    /// The accepted differences.
    pub snapshot: Snapshot,
    /// Secrets kept out of every output.
    pub redactor: Redactor,
}

impl Judging {
    /// Reads the settings: flags in `args` over `config`.
    pub fn load(config: &Config, args: &ReportArgs) -> Result<Judging> {
        let gate = &config.gate;
        let defaults = Limits::default();
        let limits = Limits {
            max_diff_rate: args
                .max_diff_rate
                .or(gate.max_diff_rate)
                .unwrap_or(defaults.max_diff_rate),
            max_error_rate: args
                .max_error_rate
                .or(gate.max_error_rate)
                .unwrap_or(defaults.max_error_rate),
            min_exchanges: args
                .min_exchanges
                .or(gate.min_exchanges)
                .unwrap_or(defaults.min_exchanges),
        };
        let mut routes = Vec::new();
        for (i, route) in gate.route.iter().enumerate() {
            let key = format!("gate.route[{i}].match");
            routes.push(RouteLimits {
                pattern: RouteGlob::new(&route.matches)
                    .map_err(|why| Error::config(config.at(&key), format!("{key}: {why}")))?,
                max_diff_rate: route.max_diff_rate,
                max_error_rate: route.max_error_rate,
                min_exchanges: route.min_exchanges,
            });
        }
        let noise = GatePolicy::default();
        let policy = GatePolicy {
            limits,
            routes,
            noise_significance: config
                .noise
                .significance
                .unwrap_or(noise.noise_significance),
        };
        let snapshot = Snapshot::load(&snapshot_path(args.snapshot.as_deref(), config))?;
        let mut fields = Vec::new();
        for (i, text) in config.redact.fields.iter().enumerate() {
            let key = format!("redact.fields[{i}]");
            fields.push(PathPattern::parse(text).map_err(|why| {
                Error::config(config.at(&key), format!("{key}: `{text}`: {why}"))
            })?);
        }
        for text in &args.redact_field {
            fields.push(
                PathPattern::parse(text)
                    .map_err(|why| Error::Usage(format!("--redact-field `{text}`: {why}")))?,
            );
        }
        let headers = [config.redact.headers.clone(), args.redact_header.clone()].concat();
        Ok(Judging {
            policy,
            snapshot,
            redactor: Redactor::new(&headers, fields, false),
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
        output: &OutputArgs,
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
        output: &OutputArgs,
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

/// The snapshot file: the flag, else `snapshot` of shadowdiff.toml, else shadowdiff.snap.
pub fn snapshot_path(flag: Option<&Path>, config: &Config) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| config.snapshot.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SNAPSHOT))
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
        .and_then(|mut file| file.write_all(render::markdown::render(report).as_bytes()));
    if let Err(err) = written {
        eprintln!(
            "shadowdiff: warning: cannot append to GITHUB_STEP_SUMMARY ({}): {err}",
            Path::new(&path).display()
        );
    }
}
