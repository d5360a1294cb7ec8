//! `shadowdiff run`: the settings resolved, the recordings checked, the targets started, the
//! replay pipeline run, outcomes and reports written, the targets stopped, the verdict mapped
//! to the exit code.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::RunArgs;
use crate::error::{exit, Error, Result};
use crate::settings::{resolve, RunSettings};
use shadowdiff_core::RuleSet;
use shadowdiff_io::{count_exchanges, is_stdin, is_stream, Limits, RawLines};
use shadowdiff_replay::{spawn_writer, Ending, Finished, Plan, Stop, TargetSettings, Targets};
use shadowdiff_report::{Part, Shards};
use shadowdiff_report::{ReportFolder, TargetNames};

use super::diff::load_rules;
use super::progress::Progress;
use super::tables::{compare_all, read_captures, Destination, OUTCOMES};
use super::verdict::{exit_code, Judging};

/// Failed calls in a row after which a target counts as down.
const FAILURES_IN_A_ROW: u32 = 20;
/// The folder of the report folder where managed targets log.
const LOGS: &str = "logs";
/// The folder of the report folder where targets keep their stores (`{data}`).
const DATA: &str = crate::settings::data::RUN_DATA;
/// The map of values the exchanges captured, when the rules capture.
const CAPTURES: &str = crate::settings::data::RUN_CAPTURES;

/// Runs `run` and returns the exit code of its verdict.
pub fn run(args: RunArgs) -> Result<u8> {
    let settings = resolve::run(&args)?;
    let judging = Judging::load(&settings.report)?;
    let rules = Arc::new(load_rules(&settings.rules)?);
    let limits = Limits {
        max_line_bytes: settings.max_line_bytes.value,
    };
    check_recordings(&settings.recordings.value, &limits)?;
    let writes = !settings.filters.allow_methods.is_empty() || rules.allows_writes();
    if writes && !settings.allow_remote_writes {
        check_local(&settings)?;
    }
    let notes = notes(&settings, &rules, writes);
    for note in &notes {
        eprintln!("shadowdiff: warning: {note}");
    }
    let runtime = start_workers(settings.output.threads)?;
    // Every file of the report folder is committed at the end; a run that stops on bad input
    // (exit 2) leaves the folder as it was, logs included.
    let mut folder = ReportFolder::open(&settings.report.out.value)?;
    let job = Job {
        settings,
        judging,
        rules,
        limits,
        runtime,
        notes,
    };
    let replayed = ["old", "new", "noise"]
        .iter()
        .try_for_each(|role| folder.written_in_place(&format!("{LOGS}/{role}.log")))
        .map_err(Error::from)
        .and_then(|()| job.replay(&mut folder));
    if replayed
        .as_ref()
        .is_err_and(|err| crate::error::exit_code(err) == exit::BAD_INPUT)
    {
        folder.abandon();
    }
    replayed
}

/// What a run made this way should tell its reader (on stderr and in the report): writes
/// replayed without a session keep no order across exchanges; captures without a session are
/// used nowhere.
fn notes(settings: &RunSettings, rules: &RuleSet, writes: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if writes && settings.session.is_none() {
        notes.push(
            "writes are allowed but no --session is set: exchanges replay concurrently, so the \
             order of writes across exchanges is not kept (name what ties them together with \
             --session, e.g. --session header:x-session-id)"
                .to_string(),
        );
    }
    if rules.captures()
        && settings.session.is_none()
        && settings.capture_scope == shadowdiff_core::CaptureScope::Session
    {
        notes.push(
            "the rules capture values but no --session is set: captured values are kept within \
             a session, so none is used (set --session, or --capture-scope run to use them in \
             every later exchange)"
                .to_string(),
        );
    }
    notes
}

/// Refuses standard input named twice, and opens each recording that can be read twice, so
/// that a missing or unreadable one stops the run before any target starts.
fn check_recordings(recordings: &[PathBuf], limits: &Limits) -> Result<()> {
    check_stdin_once(recordings)?;
    for path in recordings.iter().filter(|path| !is_stream(path)) {
        RawLines::open(path, limits)?;
    }
    Ok(())
}

/// Sizes rayon's global pool, where comparisons run (rayon::spawn), by `--threads`, and starts
/// the async runtime that drives the targets.
fn start_workers(threads: Option<usize>) -> Result<tokio::runtime::Runtime> {
    if let Some(threads) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|err| Error::Internal(format!("cannot start worker threads: {err}")))?;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the async runtime: {err}")))
}

/// What a run replays, its settings resolved and its stages loaded.
struct Job {
    settings: RunSettings,
    judging: Judging,
    rules: Arc<RuleSet>,
    limits: Limits,
    runtime: tokio::runtime::Runtime,
    /// What the report says about how the run was made.
    notes: Vec<String>,
}

impl Job {
    /// What the pipeline replays: which exchanges, how many at once, how fast, how often again.
    fn plan(&self) -> Plan {
        let settings = &self.settings;
        Plan {
            recordings: settings.recordings.value.clone(),
            limits: self.limits.clone(),
            rules: self.rules.clone(),
            filters: settings.filters.clone(),
            partition: settings.partition,
            concurrency: settings.concurrency.value,
            lanes: settings.lanes(),
            rate: settings.rate.as_ref().map(|rate| rate.value),
            retries: settings.retries.value,
            max_failures_in_a_row: FAILURES_IN_A_ROW,
            session: settings
                .session
                .as_ref()
                .map(|session| session.value.clone()),
            capture_scope: settings.capture_scope,
        }
    }

    /// What every target shares: the timeout, where logs go, the lanes, the answer cap.
    fn target_settings(&self) -> TargetSettings {
        let settings = &self.settings;
        TargetSettings {
            timeout: settings.timeout.value,
            log_dir: settings.report.out.value.join(LOGS),
            lanes: settings.lanes(),
            max_body_bytes: settings.max_body_bytes.value,
            data_dir: settings.report.out.value.join(DATA),
        }
    }

    /// Starts the targets, replays, stops them, and writes the report into `folder`; returns
    /// the exit code.
    fn replay(self, folder: &mut ReportFolder) -> Result<u8> {
        let plan = self.plan();
        let target_settings = self.target_settings();
        let Job {
            settings,
            judging,
            rules,
            limits,
            runtime,
            notes,
        } = self;
        let output = &settings.output;
        let quiet = output.quiet || output.format.0 != shadowdiff_report::Format::Terminal;
        // The progress bar's total: the exchanges of the recordings, when the whole run is
        // replayed and they can be read twice.
        let total = || {
            settings
                .partition
                .is_none()
                .then(|| count_exchanges(&settings.recordings.value, &limits))
                .flatten()
        };
        let mut progress = None;
        let mut aggregate = judging.aggregate();
        for note in notes {
            aggregate.add_note(note);
        }
        let (mut outcomes, writer) = spawn_writer(
            folder.temp_file(OUTCOMES)?,
            &folder.dir().join(OUTCOMES),
            if rules.captures() {
                Some((folder.temp_file(CAPTURES)?, folder.dir().join(CAPTURES)))
            } else {
                None
            },
            judging.redactor.clone(),
        )?;
        let ending = runtime.block_on(async {
            let targets = Arc::new(
                Targets::start(
                    &settings.old,
                    &settings.new,
                    settings.noise.as_ref(),
                    settings.noise_repeat.value,
                    &target_settings,
                )
                .await?,
            );
            let progress = progress.insert(Progress::new(quiet, "exchanges", total));
            let sink = |done: Finished| {
                aggregate.add(&done.judged, Some(&done.exchange.request));
                progress.inc();
                outcomes.send(done);
            };
            let ending = match shadowdiff_replay::stop_signal() {
                Ok(stop) => shadowdiff_replay::run(plan, targets.clone(), stop, sink).await,
                Err(err) => Err(err),
            };
            Targets::stop(targets).await;
            ending
        });
        runtime.shutdown_timeout(Duration::from_secs(10));
        if let Some(progress) = progress {
            progress.finish();
        }
        drop(outcomes);
        let written = writer
            .join()
            .map_err(|_| Error::Internal("the outcomes writer stopped unexpectedly".into()))?;
        let ending = ending?;
        let written = written?;
        let mut stopped = Stopped::of(&ending);
        if let Some(tables) = &settings.check_data {
            let stores = Stores {
                tables,
                rules: &rules,
                judging: &judging,
                quiet,
            };
            if let Err(err) = stores.check(&stopped, &written, folder, &mut aggregate) {
                eprintln!("error: the stores could not be compared: {err}");
                stopped.store_failed(&err);
            }
        }
        folder.stage(written.outcomes, OUTCOMES);
        if let Some(captures) = written.captures {
            folder.stage(captures, CAPTURES);
        }
        for note in &ending.notes {
            eprintln!("shadowdiff: warning: {note}");
            aggregate.add_note(note.clone());
        }
        if let Some(reasons) = &stopped.reasons {
            aggregate.mark_incomplete(reasons.clone());
        }
        aggregate.set_part(Part {
            partition: settings.partition.map(Shards::of),
            input: ending.input,
            live: false,
        });
        let report = judging.conclude_in(
            folder,
            aggregate,
            &|rule| rules.describe(rule).to_string(),
            TargetNames {
                old: settings.old.fixed_url(),
                new: settings.new.fixed_url(),
            },
            settings.partition.is_none(),
            &settings.output,
        )?;
        Ok(stopped.exit_code().unwrap_or_else(|| exit_code(&report)))
    }
}

/// The store check of `--check-data`: old's store against new's once the replay ended, into the
/// same report.
struct Stores<'a> {
    tables: &'a [shadowdiff_data::TableSpec],
    rules: &'a RuleSet,
    judging: &'a Judging,
    quiet: bool,
}

impl Stores<'_> {
    /// Compares the tables (unless the replay was cut short, when the stores hold a part of
    /// the writes), keys read through the run's captures; their outcomes are appended to
    /// `written`'s and counted in `aggregate`.
    fn check(
        &self,
        stopped: &Stopped,
        written: &shadowdiff_replay::Written,
        folder: &ReportFolder,
        aggregate: &mut shadowdiff_report::Aggregate,
    ) -> Result<()> {
        if stopped.reasons.is_some() {
            let note = "the stores were not compared (--check-data): the replay did not finish";
            eprintln!("shadowdiff: warning: {note}");
            aggregate.add_note(note.to_string());
            return Ok(());
        }
        let captures = read_captures(written.captures.as_deref())?;
        let judge = shadowdiff_data::Judge {
            rules: self.rules,
            redactor: &self.judging.redactor,
            partition: None,
            captures,
        };
        let outcomes_path = folder.dir().join(OUTCOMES);
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&written.outcomes)
            .map_err(|err| Error::io(&outcomes_path, err))?;
        let mut outcomes = std::io::BufWriter::new(file);
        let mut progress = Progress::new(self.quiet, "rows", || None);
        compare_all(
            self.tables,
            &judge,
            self.judging,
            folder,
            &mut progress,
            Destination {
                aggregate,
                outcomes: &mut outcomes,
                outcomes_path: &outcomes_path,
                input: None,
            },
        )?;
        progress.finish();
        std::io::Write::flush(&mut outcomes).map_err(|err| Error::io(&outcomes_path, err))
    }
}

/// How a replay ended short of its end, if it did.
struct Stopped {
    interrupted: bool,
    target_failed: bool,
    /// The exit code of the store check's error, when it failed.
    store_failed: Option<u8>,
    /// Why the report is incomplete, when it is.
    reasons: Option<String>,
}

impl Stopped {
    fn of(ending: &Ending) -> Stopped {
        let mut reasons: Vec<String> = ending.stopped.iter().map(Stop::describe).collect();
        reasons.extend(ending.unreachable.iter().cloned());
        Stopped {
            interrupted: ending.stopped == Some(Stop::Interrupted),
            target_failed: ending.stopped.is_some() || !ending.unreachable.is_empty(),
            store_failed: None,
            reasons: (!reasons.is_empty()).then(|| reasons.join("; ")),
        }
    }

    /// The store check after the replay failed: the replay's report is kept, saying so, and
    /// the run exits as the error says (3 for a store that failed, 2 for one the settings name
    /// wrongly).
    fn store_failed(&mut self, err: &Error) {
        let reason = format!("the stores could not be compared: {err}");
        self.store_failed = Some(crate::error::exit_code(err));
        self.reasons = Some(match self.reasons.take() {
            Some(earlier) => format!("{earlier}; {reason}"),
            None => reason,
        });
    }

    /// 130 when interrupted, 3 when a target failed, the store check's error's code when it
    /// failed; none: the verdict decides.
    fn exit_code(&self) -> Option<u8> {
        if self.interrupted {
            Some(exit::INTERRUPTED)
        } else if self.target_failed {
            Some(exit::TARGET_FAILED)
        } else {
            self.store_failed
        }
    }
}

/// Refuses allowed writes against a target that is not on loopback or a private address: a
/// replayed write changes whatever system it reaches, so a shared one needs
/// `--allow-remote-writes`.
fn check_local(settings: &RunSettings) -> Result<()> {
    let targets = [("old", Some(&settings.old)), ("new", Some(&settings.new))]
        .into_iter()
        .chain([("noise", settings.noise.as_ref())]);
    for (role, target) in targets {
        if let Some(host) = target.and_then(|target| target.remote_host()) {
            return Err(Error::usage(format!(
                "writes are allowed and the {role} target is at {host}, which is neither \
                 loopback nor a private address: replayed writes would change that system; pass \
                 --allow-remote-writes if that is what you mean"
            )));
        }
    }
    Ok(())
}

/// Refuses standard input (`-`) named more than once: it can be read only once.
pub(crate) fn check_stdin_once(paths: &[PathBuf]) -> Result<()> {
    if paths.iter().filter(|path| is_stdin(path)).count() > 1 {
        return Err(Error::usage(
            "`-` (standard input) is named more than once; it can be read only once",
        ));
    }
    Ok(())
}
