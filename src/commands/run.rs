//! `shadowdiff run`: settings from flags over shadowdiff.toml, targets started, the replay
//! pipeline run, outcomes and reports written, targets stopped, verdict returned.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::RunArgs;
use crate::config::Config;
use shadowdiff_core::Origin;

use crate::error::{exit, Error, Result};
use shadowdiff_core::{Filters, RouteGlob};
use shadowdiff_io::{is_stdin, is_stream, Limits, RawLines};
use shadowdiff_replay::{spawn_writer, Finished, NoiseSource, Plan, Stop, Targets};
use shadowdiff_replay::{Target, TargetConfig, TargetSettings, DEFAULT_MAX_BODY_BYTES};
use shadowdiff_report::{Part, Shards};
use shadowdiff_report::{ReportFolder, TargetNames};

use super::diff::load_rules;
use super::progress::Progress;
use super::verdict::{exit_code, Judging};

/// Exchanges in flight when neither flag nor file says.
const DEFAULT_CONCURRENCY: usize = 32;
/// The per-request timeout when neither flag nor file says.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries of unreached calls when neither flag nor file says.
const DEFAULT_RETRIES: u32 = 2;
/// Failed calls in a row after which a target counts as down.
const FAILURES_IN_A_ROW: u32 = 20;
/// The folder of the report folder where managed targets log.
const LOGS: &str = "logs";
/// The outcomes file of the report folder.
const OUTCOMES: &str = "outcomes.jsonl.zst";

/// Runs `run` and returns the exit code of its verdict.
pub fn run(args: RunArgs) -> Result<u8> {
    let config = Config::load(args.report.config.as_deref())?;
    let judging = Judging::load(&config, &args.report)?;
    let rules = Arc::new(load_rules(
        args.rules.as_deref().or(config.rules.as_deref()),
    )?);
    let recordings: Vec<PathBuf> = if args.recordings.is_empty() {
        config
            .recordings
            .as_ref()
            .map(|p| p.to_vec())
            .unwrap_or_default()
    } else {
        args.recordings.clone()
    };
    if recordings.is_empty() {
        return Err(Error::Usage(
            "no recordings: name them (shadowdiff run recordings/) or set `recordings` in shadowdiff.toml".into(),
        ));
    }
    let limits = Limits {
        max_line_bytes: args.max_line_bytes,
    };
    check_stdin_once(&recordings)?;
    for path in recordings.iter().filter(|path| !is_stream(path)) {
        RawLines::open(path, &limits)?;
    }
    let old = target_config("old", args.old.as_deref(), &config)?.ok_or_else(|| {
        Error::Usage("no old target: pass --old URL or set [targets.old] in shadowdiff.toml".into())
    })?;
    let new = target_config("new", args.new.as_deref(), &config)?.ok_or_else(|| {
        Error::Usage("no new target: pass --new URL or set [targets.new] in shadowdiff.toml".into())
    })?;
    let noise_target = target_config("noise", args.noise.as_deref(), &config)?;
    let noise_repeat =
        args.noise_repeat || (noise_target.is_none() && config.noise_repeat.unwrap_or(false));
    let out = config.out_dir(args.out.as_deref());
    let concurrency = args
        .concurrency
        .or(config.concurrency)
        .unwrap_or(DEFAULT_CONCURRENCY);
    // One replay lane (a thread with its own runtime and connection pools) per core or per
    // --threads, each with a share of the exchanges in flight.
    let lanes = args
        .output
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, concurrency);
    let settings = TargetSettings {
        timeout: args
            .timeout
            .or(config.timeout.map(|t| t.0))
            .unwrap_or(DEFAULT_TIMEOUT),
        log_dir: out.join(LOGS),
        lanes,
        max_body_bytes: args
            .max_body_bytes
            .or(config.max_body_bytes.map(std::num::NonZeroU64::get))
            .unwrap_or(DEFAULT_MAX_BODY_BYTES),
    };
    let filters = Filters {
        include_routes: [
            args.include_route.clone(),
            file_globs(&config, "include_routes", &config.filter.include_routes)?,
        ]
        .concat(),
        exclude_routes: [
            args.exclude_route.clone(),
            file_globs(&config, "exclude_routes", &config.filter.exclude_routes)?,
        ]
        .concat(),
        methods: [args.method.clone(), config.filter.methods.clone()].concat(),
        tags: args
            .tag
            .iter()
            .cloned()
            .chain(config.filter.tags.clone())
            .collect(),
        allow_methods: [
            args.allow_method.clone(),
            config.filter.allow_methods.clone(),
        ]
        .concat(),
    };
    let plan = Plan {
        recordings: recordings.clone(),
        limits: limits.clone(),
        rules: rules.clone(),
        filters,
        partition: args.partition,
        concurrency,
        lanes,
        rate: args.rate.or(config.rate),
        retries: args.retries.or(config.retries).unwrap_or(DEFAULT_RETRIES),
        max_failures_in_a_row: FAILURES_IN_A_ROW,
    };
    // Comparisons run on rayon's global pool (rayon::spawn), sized by --threads.
    if let Some(threads) = args.output.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|err| Error::Internal(format!("cannot start worker threads: {err}")))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Internal(format!("cannot start the async runtime: {err}")))?;
    // Every file of the report folder is committed at the end; a run that stops on bad input
    // (exit 2) leaves the folder as it was, logs included.
    let mut folder = ReportFolder::open(&out)?;
    let job = Job {
        judging,
        rules,
        recordings,
        limits,
        old,
        new,
        noise_target,
        noise_repeat,
        settings,
        plan,
        runtime,
    };
    let replayed = ["old", "new", "noise"]
        .iter()
        .try_for_each(|role| folder.written_in_place(&format!("{LOGS}/{role}.log")))
        .map_err(Error::from)
        .and_then(|()| replay(job, &args, &mut folder));
    if replayed
        .as_ref()
        .is_err_and(|err| crate::error::exit_code(err) == exit::BAD_INPUT)
    {
        folder.abandon();
    }
    replayed
}

/// What a run replays, its settings resolved.
struct Job {
    judging: Judging,
    rules: Arc<shadowdiff_core::RuleSet>,
    recordings: Vec<PathBuf>,
    limits: Limits,
    old: TargetConfig,
    new: TargetConfig,
    noise_target: Option<TargetConfig>,
    noise_repeat: bool,
    settings: TargetSettings,
    plan: Plan,
    runtime: tokio::runtime::Runtime,
}

/// Starts the targets, replays, stops them, and writes the report into `folder`; returns the
/// exit code.
fn replay(job: Job, args: &RunArgs, folder: &mut ReportFolder) -> Result<u8> {
    let Job {
        judging,
        rules,
        recordings,
        limits,
        old,
        new,
        noise_target,
        noise_repeat,
        settings,
        plan,
        runtime,
    } = job;
    let quiet = args.output.quiet || args.output.format.0 != shadowdiff_report::Format::Terminal;
    let total = || {
        args.partition
            .is_none()
            .then(|| count_exchanges(&recordings, &limits))
            .flatten()
    };
    let mut progress = None;
    let mut aggregate = judging.aggregate();
    let (outcomes, writer) = spawn_writer(
        folder.temp_file(OUTCOMES)?,
        &folder.dir().join(OUTCOMES),
        judging.redactor.clone(),
    )?;
    let target_names = TargetNames {
        old: fixed_url(&old),
        new: fixed_url(&new),
    };
    let ending = runtime.block_on(async {
        let (old, new, noise) =
            start_targets(&old, &new, noise_target.as_ref(), noise_repeat, &settings).await?;
        let targets = Arc::new(Targets { old, new, noise });
        let progress = progress.insert(Progress::new(quiet, total));
        let sink = |done: Finished| {
            aggregate.add(&done.judged, Some(&done.exchange.request));
            progress.inc();
            // A closed channel means the writer failed; its error is reported at the end.
            let _ = outcomes.send(done);
        };
        let ending = match shadowdiff_replay::stop_signal() {
            Ok(stop) => shadowdiff_replay::run(plan, targets.clone(), stop, sink).await,
            Err(err) => Err(err),
        };
        stop_targets(targets).await;
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
    folder.stage(written?, OUTCOMES);
    let interrupted = ending.stopped == Some(Stop::Interrupted);
    let target_failed = ending.stopped.is_some() || !ending.unreachable.is_empty();
    let mut reasons: Vec<String> = ending.stopped.iter().map(Stop::describe).collect();
    reasons.extend(ending.unreachable);
    if !reasons.is_empty() {
        aggregate.mark_incomplete(reasons.join("; "));
    }
    aggregate.set_part(Part {
        partition: args.partition.map(Shards::of),
        input: ending.input,
    });
    let report = judging.conclude_in(
        folder,
        aggregate,
        &|rule| rules.describe(rule).to_string(),
        target_names,
        args.partition.is_none(),
        &args.output,
    )?;
    Ok(if interrupted {
        exit::INTERRUPTED
    } else if target_failed {
        exit::TARGET_FAILED
    } else {
        exit_code(&report)
    })
}

/// The target called `role`: the flag (a URL) over the file's `[targets.ROLE]`; errors about
/// it name the flag, or the file and line.
fn target_config(role: &str, flag: Option<&str>, config: &Config) -> Result<Option<TargetConfig>> {
    if let Some(url) = flag {
        return Ok(Some(TargetConfig {
            url: Some(url.to_string()),
            origin: Some(Origin::Flag(format!("--{role}"))),
            ..TargetConfig::default()
        }));
    }
    match config.targets.get(role) {
        Some(target) if target.url.is_none() && target.start.is_none() => {
            Err(match &target.origin {
                Some(origin) => origin.error("", "needs `url` or `start`").into(),
                None => Error::Usage(format!("[targets.{role}] needs `url` or `start`")),
            })
        }
        other => Ok(other.cloned()),
    }
}

/// The route globs of `[filter] KEY`, compiled; a bad one is named with its line.
fn file_globs(config: &Config, key: &str, texts: &[String]) -> Result<Vec<RouteGlob>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let at = format!("filter.{key}[{i}]");
            RouteGlob::new(text)
                .map_err(|why| Error::config(config.at(&at), format!("{at}: {why}")))
        })
        .collect()
}

/// Starts old, new and the noise target at once; if one fails, the others are stopped.
async fn start_targets(
    old: &TargetConfig,
    new: &TargetConfig,
    noise: Option<&TargetConfig>,
    noise_repeat: bool,
    settings: &TargetSettings,
) -> shadowdiff_replay::Result<(Target, Target, NoiseSource)> {
    let noise_start = async {
        match noise {
            Some(config) => Target::start("noise", config, settings).await.map(Some),
            None => Ok(None),
        }
    };
    let (old, new, noise) = tokio::join!(
        Target::start("old", old, settings),
        Target::start("new", new, settings),
        noise_start
    );
    match (old, new, noise) {
        (Ok(old), Ok(new), Ok(noise)) => {
            let noise = match noise {
                Some(target) => NoiseSource::Target(Box::new(target)),
                None if noise_repeat => NoiseSource::Repeat,
                None => NoiseSource::Off,
            };
            Ok((old, new, noise))
        }
        (old, new, noise) => {
            let mut first_error = None;
            for started in [old, new] {
                match started {
                    Ok(target) => target.stop().await,
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
            }
            match noise {
                Ok(Some(target)) => target.stop().await,
                Ok(None) => {}
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
            Err(first_error.unwrap_or_else(|| {
                shadowdiff_replay::Error::Internal("a target did not start".into())
            }))
        }
    }
}

/// Stops the targets cleanly (SIGTERM, then kill) once no replay holds them any more; if some
/// still do (a run cut short), dropping the last hold kills their processes.
async fn stop_targets(targets: Arc<Targets>) {
    let Ok(targets) = Arc::try_unwrap(targets) else {
        return;
    };
    targets.old.stop().await;
    targets.new.stop().await;
    if let NoiseSource::Target(noise) = targets.noise {
        noise.stop().await;
    }
}

/// The base URL of a target at a fixed address, for reproduction commands; credentials in it
/// are redacted.
fn fixed_url(config: &TargetConfig) -> Option<String> {
    if config.start.is_some() {
        return None;
    }
    let url = config.url.as_deref()?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    let mut parsed = url::Url::parse(url).ok()?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_username(shadowdiff_core::REDACTED);
        let _ = parsed.set_password(None);
    }
    Some(parsed.to_string().trim_end_matches('/').to_string())
}

/// Refuses standard input (`-`) named more than once: it can be read only once.
pub(crate) fn check_stdin_once(paths: &[PathBuf]) -> Result<()> {
    if paths.iter().filter(|path| is_stdin(path)).count() > 1 {
        return Err(Error::Usage(
            "`-` (standard input) is named more than once; it can be read only once".into(),
        ));
    }
    Ok(())
}

/// Counts the exchanges of the recordings, for the progress bar's total; none when one of them
/// can be read only once (standard input, a pipe).
fn count_exchanges(paths: &[PathBuf], limits: &Limits) -> Option<u64> {
    if paths.iter().any(|path| is_stream(path)) {
        return None;
    }
    let mut total = 0;
    for path in paths {
        total += RawLines::open(path, limits)
            .ok()?
            .filter(|line| line.is_ok())
            .count() as u64;
    }
    Some(total)
}
