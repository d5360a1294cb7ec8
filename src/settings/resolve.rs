//! The resolver: defaults → file → flags, into one value per command. Values from the file were
//! checked for range when it was read and flags when they were parsed; what can only be checked
//! once resolved (globs, body paths, targets) is checked here, and an error names the value's
//! source.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{
    DiffArgs, Format, ImportArgs, MergeArgs, OutputArgs, RecordArgs, ReportArgs, RunArgs,
    ShadowArgs, SnapshotArgs,
};
use shadowdiff_core::Origin;

use crate::error::{Error, Result};
use shadowdiff_core::Partition;
use shadowdiff_core::PathPattern;
use shadowdiff_core::Redactor;
use shadowdiff_core::{Filters, RouteGlob};
use shadowdiff_replay::TargetConfig;
use shadowdiff_report::{GatePolicy, Limits, RouteLimits};

use super::defaults::defaults;
use super::file::Config;
use super::Setting;

/// What is printed on stdout and how many threads work.
#[derive(Clone, Debug)]
pub struct Output {
    /// What to print on stdout.
    pub format: Format,
    /// Print nothing on stdout.
    pub quiet: bool,
    /// Worker threads (`--threads`); none: one per core.
    pub threads: Option<usize>,
}

impl Output {
    pub(super) fn of(args: &OutputArgs) -> Output {
        Output {
            format: args.format,
            quiet: args.quiet,
            threads: args.threads,
        }
    }
}

/// How outcomes are judged and where the report goes: the same for `run`, `diff` and `report
/// merge`.
#[derive(Clone, Debug)]
pub struct ReportSettings {
    /// The report folder.
    pub out: Setting<PathBuf>,
    /// The snapshot of accepted differences.
    pub snapshot: Setting<PathBuf>,
    /// `[gate] max_diff_rate`, `--max-diff-rate`.
    pub max_diff_rate: Setting<f64>,
    /// `[gate] max_error_rate`, `--max-error-rate`.
    pub max_error_rate: Setting<f64>,
    /// `[gate] min_exchanges`, `--min-exchanges`.
    pub min_exchanges: Setting<u64>,
    /// `[[gate.route]]`, their globs compiled.
    pub routes: Vec<RouteLimits>,
    /// `[noise] significance`.
    pub noise_significance: Setting<f64>,
    /// Header names redacted beyond the built-in ones: the file's, then the flags'.
    pub redact_headers: Vec<String>,
    /// Body fields redacted: the file's, then the flags'.
    pub redact_fields: Vec<PathPattern>,
}

impl ReportSettings {
    /// The gate policy these settings make.
    pub fn policy(&self) -> GatePolicy {
        GatePolicy {
            limits: Limits {
                max_diff_rate: self.max_diff_rate.value,
                max_error_rate: self.max_error_rate.value,
                min_exchanges: self.min_exchanges.value,
            },
            routes: self.routes.clone(),
            noise_significance: self.noise_significance.value,
        }
    }

    /// What is kept out of every report and the outcomes file.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(&self.redact_headers, self.redact_fields.clone(), false)
    }
}

/// `shadowdiff run`.
#[derive(Debug)]
pub struct RunSettings {
    /// Judging and the report.
    pub report: ReportSettings,
    /// Output and threads.
    pub output: Output,
    /// The comparator rules; none: the built-in rules.
    pub rules: Setting<Option<PathBuf>>,
    /// The recordings, in order.
    pub recordings: Setting<Vec<PathBuf>>,
    /// The old target.
    pub old: TargetConfig,
    /// The new target.
    pub new: TargetConfig,
    /// The noise target, when there is one.
    pub noise: Option<TargetConfig>,
    /// Call old twice to measure noise (false when there is a noise target).
    pub noise_repeat: Setting<bool>,
    /// Exchanges in flight at most.
    pub concurrency: Setting<usize>,
    /// Exchanges started per second at most; none: no limit.
    pub rate: Option<Setting<f64>>,
    /// The per-request timeout.
    pub timeout: Setting<Duration>,
    /// Retries of a failed call that cannot repeat it.
    pub retries: Setting<u32>,
    /// The largest answer read.
    pub max_body_bytes: Setting<u64>,
    /// The longest recording line read.
    pub max_line_bytes: Setting<usize>,
    /// The shard replayed, when partitioned.
    pub partition: Option<Partition>,
    /// Which exchanges replay: the flags' globs, methods and tags, then the file's.
    pub filters: Filters,
    /// Where a request's session is, when exchanges of one session replay in order.
    pub session: Option<Setting<shadowdiff_core::SessionKey>>,
    /// Which later exchanges see a captured value.
    pub capture_scope: shadowdiff_core::CaptureScope,
    /// Whether allowed writes may reach a target that is not on loopback or a private address.
    pub allow_remote_writes: bool,
    /// The tables of the two stores compared once the replay ends (`--check-data`).
    pub check_data: Option<Vec<shadowdiff_data::TableSpec>>,
}

impl RunSettings {
    /// Replay lanes: one per `--threads` (else per core), at most one per exchange in flight.
    pub fn lanes(&self) -> usize {
        self.output
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, self.concurrency.value)
    }
}

/// `shadowdiff diff`.
#[derive(Debug)]
pub struct DiffSettings {
    /// Judging and the report.
    pub report: ReportSettings,
    /// Output and threads.
    pub output: Output,
    /// The comparator rules; none: the built-in rules.
    pub rules: Setting<Option<PathBuf>>,
    /// The old side (or a run's outcomes file).
    pub a: PathBuf,
    /// The new side; none: `a` is re-judged.
    pub b: Option<PathBuf>,
    /// The longest recording line read.
    pub max_line_bytes: Setting<usize>,
}

/// `shadowdiff report merge`.
#[derive(Debug)]
pub struct MergeSettings {
    /// Judging and the report.
    pub report: ReportSettings,
    /// Output and threads.
    pub output: Output,
    /// The parts' report folders.
    pub parts: Vec<PathBuf>,
    /// Merge even with shards missing.
    pub allow_partial: bool,
}

/// `shadowdiff accept` and `shadowdiff review`: the snapshot they work on.
#[derive(Debug)]
pub struct SnapshotSettings {
    /// The snapshot of accepted differences (its pending file lies beside it).
    pub snapshot: Setting<PathBuf>,
}

/// `shadowdiff record` (flags over the table; record reads no settings file).
#[derive(Debug)]
pub struct RecordSettings {
    /// Bytes of JSON per part.
    pub rotate_bytes: Setting<u64>,
    /// The share of requests recorded.
    pub sample: Setting<f64>,
    /// How long one upstream call may take.
    pub timeout: Setting<Duration>,
    /// How long in-flight requests may take to finish after Ctrl-C or SIGTERM.
    pub drain_timeout: Setting<Duration>,
    /// The largest upstream body kept in the recording.
    pub max_body_bytes: Setting<u64>,
}

/// `shadowdiff shadow`.
#[derive(Debug)]
pub struct ShadowSettings {
    /// Report folder, snapshot, gate, redaction.
    pub report: ReportSettings,
    /// What the final report prints.
    pub output: Output,
    /// Where the comparator rules come from.
    pub rules: Setting<Option<PathBuf>>,
    /// The primary's base URL, checked.
    pub primary: String,
    /// The implementation being validated.
    pub candidate: TargetConfig,
    /// A second primary instance, for noise.
    pub secondary: Option<TargetConfig>,
    /// Where `/metrics` and `/healthz` are served (not yet parsed).
    pub admin: String,
    /// Which exchanges are mirrored.
    pub filters: Filters,
    /// The share mirrored.
    pub sample: Setting<f64>,
    /// Exchanges waiting to be mirrored at most.
    pub queue: Setting<usize>,
    /// Exchanges mirrored at once at most.
    pub concurrency: Setting<usize>,
    /// How long a call to any target may take.
    pub timeout: Setting<Duration>,
    /// The largest body kept for mirroring.
    pub max_body_bytes: Setting<u64>,
    /// How long in-flight exchanges may take after Ctrl-C or SIGTERM.
    pub drain_timeout: Setting<Duration>,
    /// How often the report is written besides SIGHUP.
    pub report_every: Option<Duration>,
    /// Bytes of JSON per outcomes part.
    pub part_bytes: Setting<u64>,
    /// Distinct label values per metric at most.
    pub max_series: Setting<usize>,
    /// The mismatch log's file (standard error when none).
    pub log: Option<PathBuf>,
    /// Mismatch log lines per route and signature a minute.
    pub log_per_minute: Setting<u32>,
}

/// `shadowdiff import` (flags over the table).
#[derive(Debug)]
pub struct ImportSettings {
    /// The longest record read.
    pub max_line_bytes: Setting<usize>,
}

/// `--flag` given with `value`, for [`Setting::pick`].
fn flag<T>(name: &'static str, value: Option<T>) -> Option<(&'static str, T)> {
    value.map(|value| (name, value))
}

/// The report settings of `run`, `diff` and `report merge`: flags in `args` over `config`.
pub fn report(config: &Config, args: &ReportArgs, out: Option<&Path>) -> Result<ReportSettings> {
    let table = defaults();
    let gate = &config.gate;
    let mut routes = Vec::new();
    for (i, route) in gate.route.iter().enumerate() {
        let key = format!("gate.route[{i}].match");
        routes.push(RouteLimits {
            pattern: RouteGlob::new(&route.matches)
                .map_err(|why| config.source(&key).error(&key, why))?,
            max_diff_rate: route.max_diff_rate,
            max_error_rate: route.max_error_rate,
            min_exchanges: route.min_exchanges,
        });
    }
    let mut redact_fields = Vec::new();
    for (i, text) in config.redact.fields.iter().enumerate() {
        let key = format!("redact.fields[{i}]");
        redact_fields.push(
            PathPattern::parse(text)
                .map_err(|why| config.source(&key).error(&key, format!("`{text}`: {why}")))?,
        );
    }
    for text in &args.redact_field {
        redact_fields.push(
            PathPattern::parse(text)
                .map_err(|why| Error::usage(format!("--redact-field `{text}`: {why}")))?,
        );
    }
    Ok(ReportSettings {
        out: Setting::pick(
            flag("--out", out.map(Path::to_path_buf)),
            config.given("out", config.out.clone()),
            table.out.clone(),
        ),
        snapshot: snapshot(config, args.snapshot.as_deref()),
        max_diff_rate: Setting::pick(
            flag("--max-diff-rate", args.max_diff_rate),
            config.given("gate.max_diff_rate", gate.max_diff_rate),
            table.gate.max_diff_rate,
        ),
        max_error_rate: Setting::pick(
            flag("--max-error-rate", args.max_error_rate),
            config.given("gate.max_error_rate", gate.max_error_rate),
            table.gate.max_error_rate,
        ),
        min_exchanges: Setting::pick(
            flag("--min-exchanges", args.min_exchanges),
            config.given("gate.min_exchanges", gate.min_exchanges),
            table.gate.min_exchanges,
        ),
        routes,
        noise_significance: Setting::pick(
            None,
            config.given("noise.significance", config.noise.significance),
            table.noise.significance,
        ),
        redact_headers: [config.redact.headers.clone(), args.redact_header.clone()].concat(),
        redact_fields,
    })
}

/// The snapshot: the flag, else `snapshot` of the file, else the table's.
fn snapshot(config: &Config, flag_value: Option<&Path>) -> Setting<PathBuf> {
    Setting::pick(
        flag("--snapshot", flag_value.map(Path::to_path_buf)),
        config.given("snapshot", config.snapshot.clone()),
        defaults().snapshot.clone(),
    )
}

/// The rules: the flag, else `rules` of the file, else the table's folder when it exists, else
/// none (the built-in rules).
pub(super) fn rules(config: &Config, flag_value: Option<&Path>) -> Setting<Option<PathBuf>> {
    let default = &defaults().rules;
    Setting::pick(
        flag("--rules", flag_value.map(|p| Some(p.to_path_buf()))),
        config.given("rules", config.rules.clone().map(Some)),
        default.exists().then(|| default.clone()),
    )
}

/// The line limit: the flag, else the table's.
fn max_line_bytes(flag_value: Option<usize>) -> Setting<usize> {
    Setting::pick(
        flag("--max-line-bytes", flag_value),
        None,
        defaults().max_line_bytes,
    )
}

/// Resolves `shadowdiff run`.
pub fn run(args: &RunArgs) -> Result<RunSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    run_with(&config, args)
}

/// Resolves `shadowdiff run` over the settings file `config`.
pub fn run_with(config: &Config, args: &RunArgs) -> Result<RunSettings> {
    let table = defaults();
    let report = report(config, &args.report, args.out.as_deref())?;
    let rules = rules(config, args.rules.as_deref());
    let recordings = Setting::pick(
        (!args.recordings.is_empty()).then(|| ("RECORDINGS", args.recordings.clone())),
        config.given(
            "recordings",
            config.recordings.as_ref().map(|paths| paths.to_vec()),
        ),
        Vec::new(),
    );
    if recordings.value.is_empty() {
        return Err(Error::usage(
            "no recordings: name them (shadowdiff run recordings/) or set `recordings` in shadowdiff.toml",
        ));
    }
    let old = target(config, "old", args.old.as_deref())?.ok_or_else(|| {
        Error::usage("no old target: pass --old URL or set [targets.old] in shadowdiff.toml")
    })?;
    let new = target(config, "new", args.new.as_deref())?.ok_or_else(|| {
        Error::usage("no new target: pass --new URL or set [targets.new] in shadowdiff.toml")
    })?;
    let noise = target(config, "noise", args.noise.as_deref())?;
    let noise_repeat = match (args.noise_repeat, &noise) {
        (true, _) => Setting::pick(Some(("--noise-repeat", true)), None, false),
        (false, Some(_)) => Setting::default(false),
        (false, None) => Setting::pick(
            None,
            config.given("noise_repeat", config.noise_repeat),
            table.noise_repeat,
        ),
    };
    let filters = filters(
        config,
        FilterFlags {
            include_routes: &args.include_route,
            exclude_routes: &args.exclude_route,
            methods: &args.method,
            tags: &args.tag,
            allow_methods: &args.allow_method,
        },
    )?;
    let check_data = check_data(config, args, &report.out.value)?;
    Ok(RunSettings {
        report,
        output: Output::of(&args.output),
        rules,
        recordings,
        old,
        new,
        noise,
        noise_repeat,
        concurrency: Setting::pick(
            flag("--concurrency", args.concurrency),
            config.given("concurrency", config.concurrency),
            table.concurrency,
        ),
        rate: Setting::given(flag("--rate", args.rate), config.given("rate", config.rate)),
        timeout: Setting::pick(
            flag("--timeout", args.timeout),
            config.given("timeout", config.timeout.map(|t| t.0)),
            table.timeout.0,
        ),
        retries: Setting::pick(
            flag("--retries", args.retries),
            config.given("retries", config.retries),
            table.retries,
        ),
        max_body_bytes: Setting::pick(
            flag("--max-body-bytes", args.max_body_bytes),
            config.given(
                "max_body_bytes",
                config.max_body_bytes.map(std::num::NonZeroU64::get),
            ),
            table.max_body_bytes,
        ),
        max_line_bytes: max_line_bytes(args.max_line_bytes),
        partition: args.partition,
        filters,
        session: session(config, args.session.clone())?,
        capture_scope: capture_scope(config, args.capture_scope)?,
        allow_remote_writes: args.allow_remote_writes,
        check_data,
    })
}

/// The store check: with `--check-data` (or `check_data = true`), the `[[data.table]]` entries
/// between the stores the run leaves in its report folder; not for one shard of a run, whose
/// stores hold only that shard's writes.
fn check_data(
    config: &Config,
    args: &RunArgs,
    out: &Path,
) -> Result<Option<Vec<shadowdiff_data::TableSpec>>> {
    if !args.check_data && config.check_data != Some(true) {
        return Ok(None);
    }
    if args.partition.is_some() {
        return Err(Error::usage(
            "--check-data compares the stores of the whole run, and a shard's stores hold only \
             its own writes: replay unpartitioned, or compare the stores afterwards with \
             `shadowdiff data --partition`",
        ));
    }
    super::data::after_run(config, out).map(Some)
}

/// The target called `role`: the flag (a URL) over the file's `[targets.ROLE]`; errors about
/// it name the flag, or the file and line. A managed target waits for readiness as long as the
/// file says, else as the table says.
fn target(config: &Config, role: &str, flag_url: Option<&str>) -> Result<Option<TargetConfig>> {
    if let Some(url) = flag_url {
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
                None => Error::usage(format!("[targets.{role}] needs `url` or `start`")),
            })
        }
        Some(target) => {
            let mut target = target.clone();
            if target.start.is_some() && target.ready_timeout.is_none() {
                target.ready_timeout = Some(defaults().ready_timeout);
            }
            Ok(Some(target))
        }
        None => Ok(None),
    }
}

/// The session: the flag, else `session` of the file, checked there with its line.
fn session(
    config: &Config,
    flag_value: Option<shadowdiff_core::SessionKey>,
) -> Result<Option<Setting<shadowdiff_core::SessionKey>>> {
    let from_file = match &config.session {
        Some(text) => Some(
            text.parse::<shadowdiff_core::SessionKey>()
                .map_err(|why| config.source("session").error("session", why))?,
        ),
        None => None,
    };
    Ok(Setting::given(
        flag("--session", flag_value),
        config.given("session", from_file),
    ))
}

/// The capture scope: the flag, else `capture_scope` of the file (checked there with its line),
/// else a session.
fn capture_scope(
    config: &Config,
    flag_value: Option<shadowdiff_core::CaptureScope>,
) -> Result<shadowdiff_core::CaptureScope> {
    if let Some(scope) = flag_value {
        return Ok(scope);
    }
    match &config.capture_scope {
        Some(text) => text
            .parse()
            .map_err(|why| config.source("capture_scope").error("capture_scope", why)),
        None => Ok(shadowdiff_core::CaptureScope::default()),
    }
}

/// The filter flags of `run` and `shadow`.
struct FilterFlags<'a> {
    include_routes: &'a [RouteGlob],
    exclude_routes: &'a [RouteGlob],
    methods: &'a [String],
    tags: &'a [(String, String)],
    allow_methods: &'a [String],
}

/// The filters: the flags' and `[filter]`'s together.
fn filters(config: &Config, flags: FilterFlags<'_>) -> Result<Filters> {
    Ok(Filters {
        include_routes: [
            flags.include_routes.to_vec(),
            file_globs(config, "include_routes", &config.filter.include_routes)?,
        ]
        .concat(),
        exclude_routes: [
            flags.exclude_routes.to_vec(),
            file_globs(config, "exclude_routes", &config.filter.exclude_routes)?,
        ]
        .concat(),
        methods: [flags.methods.to_vec(), config.filter.methods.clone()].concat(),
        tags: flags
            .tags
            .iter()
            .cloned()
            .chain(config.filter.tags.clone())
            .collect(),
        allow_methods: [
            flags.allow_methods.to_vec(),
            config.filter.allow_methods.clone(),
        ]
        .concat(),
    })
}

/// The route globs of `[filter] KEY`, compiled; a bad one is named with its line.
fn file_globs(config: &Config, key: &str, texts: &[String]) -> Result<Vec<RouteGlob>> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let at = format!("filter.{key}[{i}]");
            RouteGlob::new(text).map_err(|why| config.source(&at).error(&at, why))
        })
        .collect()
}

/// Resolves `shadowdiff diff`.
pub fn diff(args: &DiffArgs) -> Result<DiffSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    Ok(DiffSettings {
        rules: rules(&config, args.rules.as_deref()),
        report: report(&config, &args.report, args.out.as_deref())?,
        output: Output::of(&args.output),
        a: args.a.clone(),
        b: args.b.clone(),
        max_line_bytes: max_line_bytes(args.max_line_bytes),
    })
}

/// Resolves `shadowdiff report merge`.
pub fn merge(args: &MergeArgs) -> Result<MergeSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    Ok(MergeSettings {
        report: report(&config, &args.report, args.out.as_deref())?,
        output: Output::of(&args.output),
        parts: args.parts.clone(),
        allow_partial: args.allow_partial,
    })
}

/// Resolves the snapshot of `shadowdiff accept`, `reject` and `review`.
pub fn snapshot_files(args: &SnapshotArgs) -> Result<SnapshotSettings> {
    let config = Config::load(args.config.as_deref())?;
    Ok(SnapshotSettings {
        snapshot: snapshot(&config, args.snapshot.as_deref()),
    })
}

/// Resolves `shadowdiff record`.
pub fn record(args: &RecordArgs) -> RecordSettings {
    let table = &defaults().record;
    RecordSettings {
        rotate_bytes: Setting::pick(
            flag("--rotate-bytes", args.rotate_bytes),
            None,
            table.rotate_bytes,
        ),
        sample: Setting::pick(flag("--sample", args.sample), None, table.sample),
        timeout: Setting::pick(flag("--timeout", args.timeout), None, table.timeout.0),
        drain_timeout: Setting::pick(
            flag("--drain-timeout", args.drain_timeout),
            None,
            table.drain_timeout.0,
        ),
        max_body_bytes: Setting::pick(
            flag("--max-body-bytes", args.max_body_bytes),
            None,
            table.max_body_bytes,
        ),
    }
}

/// Resolves `shadowdiff shadow`: the report, rules, filter and redaction settings as `run`
/// resolves them; `[targets.old]`, `[targets.new]` and `[targets.noise]` stand for the primary,
/// the candidate and the secondary.
pub fn shadow(args: &ShadowArgs) -> Result<ShadowSettings> {
    let config = Config::load(args.report.config.as_deref())?;
    let table = &defaults().shadow;
    let primary = match &args.primary {
        Some(url) => shadowdiff_replay::parse_upstream(url)
            .map_err(|why| Error::usage(format!("--primary {why}")))?,
        None => {
            let old = target(&config, "old", None)?;
            let (url, origin) = old
                .and_then(|old| Some((old.url?, old.origin)))
                .ok_or_else(|| {
                    Error::usage(
                        "no primary: pass --primary URL or set `url` of [targets.old] in shadowdiff.toml",
                    )
                })?;
            shadowdiff_replay::parse_upstream(&url).map_err(|why| match origin {
                Some(origin) => Error::from(origin.error("url", why)),
                None => Error::usage(format!("[targets.old] url: {why}")),
            })?
        }
    };
    let candidate = target(&config, "new", args.candidate.as_deref())?.ok_or_else(|| {
        Error::usage("no candidate: pass --candidate URL or set [targets.new] in shadowdiff.toml")
    })?;
    let secondary = target(&config, "noise", args.secondary.as_deref())?;
    let admin = args.admin.clone().unwrap_or_else(|| table.admin.clone());
    Ok(ShadowSettings {
        report: report(&config, &args.report, args.out.as_deref())?,
        output: Output::of(&args.output),
        rules: rules(&config, args.rules.as_deref()),
        primary,
        candidate,
        secondary,
        admin,
        filters: filters(
            &config,
            FilterFlags {
                include_routes: &args.include_route,
                exclude_routes: &args.exclude_route,
                methods: &args.method,
                tags: &[],
                allow_methods: &args.allow_method,
            },
        )?,
        sample: Setting::pick(flag("--sample", args.sample), None, table.sample),
        queue: Setting::pick(flag("--queue", args.queue), None, table.queue),
        concurrency: Setting::pick(
            flag("--concurrency", args.concurrency),
            None,
            table.concurrency,
        ),
        timeout: Setting::pick(flag("--timeout", args.timeout), None, table.timeout.0),
        max_body_bytes: Setting::pick(
            flag("--max-body-bytes", args.max_body_bytes),
            None,
            defaults().max_body_bytes,
        ),
        drain_timeout: Setting::pick(
            flag("--drain-timeout", args.drain_timeout),
            None,
            table.drain_timeout.0,
        ),
        report_every: args.report_every,
        part_bytes: Setting::pick(
            flag("--part-bytes", args.part_bytes),
            None,
            table.part_bytes,
        ),
        max_series: Setting::pick(
            flag("--max-series", args.max_series),
            None,
            table.max_series,
        ),
        log: args.log.clone(),
        log_per_minute: Setting::pick(
            flag("--log-per-minute", args.log_per_minute),
            None,
            table.log_per_minute,
        ),
    })
}

/// Resolves `shadowdiff import`.
pub fn import(args: &ImportArgs) -> ImportSettings {
    ImportSettings {
        max_line_bytes: max_line_bytes(args.max_line_bytes),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::settings::Source;

    /// The parsed arguments of `shadowdiff run ARGS...`.
    fn run_args(args: &[&str]) -> RunArgs {
        let cli = Cli::try_parse_from(["shadowdiff", "run"].iter().chain(args))
            .unwrap_or_else(|err| panic!("{err}"));
        match cli.command {
            Command::Run(args) => *args,
            other => panic!("not run: {other:?}"),
        }
    }

    fn config(text: &str, path: &str) -> Config {
        Config::parse(text, Path::new(path)).unwrap_or_else(|err| panic!("{err}"))
    }

    fn file(path: &str, line: u64) -> Source {
        Source::File {
            path: path.into(),
            line: Some(line),
        }
    }

    const TARGETS: [&str; 5] = ["r.jsonl", "--old", "recorded", "--new", "recorded"];

    #[test]
    fn a_flag_wins_over_the_file_and_the_file_over_the_table() {
        let file_text = "concurrency = 8\ntimeout = \"2s\"\n\n[gate]\nmax_diff_rate = 0.1\n";
        let config = config(file_text, "ci/other.toml");
        let args = run_args(&[&TARGETS[..], &["--timeout", "5s"]].concat());
        let run = run_with(&config, &args).unwrap();
        // The flag.
        assert_eq!(run.timeout.value, Duration::from_secs(5));
        assert_eq!(run.timeout.source, Source::Flag("--timeout".into()));
        // The file, at the line of the key.
        assert_eq!(run.concurrency.value, 8);
        assert_eq!(run.concurrency.source, file("ci/other.toml", 1));
        assert_eq!(run.report.max_diff_rate.value, 0.1);
        assert_eq!(run.report.max_diff_rate.source, file("ci/other.toml", 5));
        // The table.
        let table = defaults();
        assert_eq!(run.retries, Setting::default(table.retries));
        assert_eq!(run.max_body_bytes, Setting::default(table.max_body_bytes));
        assert_eq!(run.max_line_bytes, Setting::default(table.max_line_bytes));
        assert_eq!(
            run.report.min_exchanges,
            Setting::default(table.gate.min_exchanges)
        );
        assert_eq!(
            run.report.noise_significance,
            Setting::default(table.noise.significance)
        );
        assert_eq!(run.report.out, Setting::default(table.out.clone()));
        assert_eq!(
            run.report.snapshot,
            Setting::default(table.snapshot.clone())
        );
        assert_eq!(run.noise_repeat, Setting::default(table.noise_repeat));
        // No layer gives a rate: no limit.
        assert_eq!(run.rate, None);
        // The recordings were named on the command line.
        assert_eq!(run.recordings.source, Source::Flag("RECORDINGS".into()));

        // Every flag over the same file.
        let args = run_args(
            &[
                &TARGETS[..],
                &[
                    "--concurrency",
                    "3",
                    "--max-diff-rate",
                    "0.5",
                    "--rate",
                    "7",
                    "--retries",
                    "0",
                    "--max-body-bytes",
                    "10",
                    "--max-line-bytes",
                    "20",
                    "--out",
                    "flag-out",
                    "--snapshot",
                    "flag.snap",
                    "--noise-repeat",
                ],
            ]
            .concat(),
        );
        let run = run_with(&config, &args).unwrap();
        let flag = |name: &str| Source::Flag(name.into());
        assert_eq!(
            (run.concurrency.value, run.concurrency.source),
            (3, flag("--concurrency"))
        );
        let rate = run.rate.unwrap();
        assert_eq!((rate.value, rate.source), (7.0, flag("--rate")));
        assert_eq!(run.retries.source, flag("--retries"));
        assert_eq!(run.max_body_bytes.value, 10);
        assert_eq!(run.max_line_bytes.value, 20);
        assert_eq!(run.report.max_diff_rate.source, flag("--max-diff-rate"));
        assert_eq!(run.report.out.value, PathBuf::from("flag-out"));
        assert_eq!(run.report.snapshot.source, flag("--snapshot"));
        assert_eq!(run.noise_repeat.source, flag("--noise-repeat"));
        assert!(run.noise_repeat.value);
    }

    #[test]
    fn paths_of_the_file_are_relative_to_it_and_the_report_folder_falls_back_to_the_table() {
        let config = config("out = \"rep\"\nsnapshot = \"a.snap\"\n", "p/s.toml");
        let settings = report(&config, &run_args(&TARGETS).report, None).unwrap();
        assert_eq!(settings.out.value, PathBuf::from("p/rep"));
        assert_eq!(settings.out.source, file("p/s.toml", 1));
        assert_eq!(settings.snapshot.value, PathBuf::from("p/a.snap"));
        let settings = report(&config, &run_args(&TARGETS).report, Some(Path::new("x"))).unwrap();
        assert_eq!(settings.out.value, PathBuf::from("x"));
        let settings = report(&Config::default(), &run_args(&TARGETS).report, None).unwrap();
        assert_eq!(settings.out, Setting::default(defaults().out.clone()));
    }

    #[test]
    fn the_policy_is_made_of_the_resolved_values() {
        let config = config(
            "[gate]\nmin_exchanges = 5\n[[gate.route]]\nmatch = \"GET /a*\"\nmax_diff_rate = 0.2\n[noise]\nsignificance = 0.05\n",
            "s.toml",
        );
        let args = run_args(&[&TARGETS[..], &["--max-error-rate", "0.3"]].concat());
        let policy = report(&config, &args.report, None).unwrap().policy();
        assert_eq!(policy.limits.min_exchanges, 5);
        assert_eq!(policy.limits.max_error_rate, 0.3);
        assert_eq!(policy.limits.max_diff_rate, defaults().gate.max_diff_rate);
        assert_eq!(policy.noise_significance, 0.05);
        assert_eq!(policy.routes.len(), 1);
        assert_eq!(policy.routes[0].max_diff_rate, Some(0.2));
    }

    #[test]
    fn errors_name_the_file_given_and_the_line_or_the_flag() {
        let text = "rate = 5\n\n[filter]\nexclude_routes = [\"GET /a\"]\n\n[[gate.route]]\nmatch = \"[\"\n";
        let config = config(text, "ci/other.toml");
        let err = run_with(&config, &run_args(&TARGETS)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ci/other.toml:7: gate.route[0].match: `[` is not a valid route glob"),
            "{err}"
        );
        assert_eq!(crate::error::exit_code(&err), crate::error::exit::BAD_INPUT);

        let config = self::config(
            "[filter]\ninclude_routes = [\n  \"GET /a\",\n  \"[\",\n]\n",
            "other.toml",
        );
        let err = run_with(&config, &run_args(&TARGETS)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("other.toml:4: filter.include_routes[1]: `[`"),
            "{err}"
        );

        let config = self::config("[redact]\nfields = [\"$.a\", \"nope\"]\n", "other.toml");
        let err = run_with(&config, &run_args(&TARGETS)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("other.toml:2: redact.fields[1]: `nope`:"),
            "{err}"
        );

        // Range errors of the file name it and the line, through the same sources.
        let err = Config::parse("\n\n[gate]\n\nmax_diff_rate = 2\n", Path::new("other.toml"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "other.toml:5: gate.max_diff_rate: 2 is not between 0 and 1 (0.02 means 2 %)"
        );

        // A value from a flag names the flag.
        let err = Source::Flag("--concurrency".into()).error("concurrency", "must be at least 1");
        assert_eq!(err.to_string(), "--concurrency: must be at least 1");
        let err = file("other.toml", 7).error("gate.max_diff_rate", "bad");
        assert_eq!(err.to_string(), "other.toml:7: gate.max_diff_rate: bad");
        assert_eq!(file("other.toml", 7).to_string(), "other.toml:7");
        assert_eq!(Source::Flag("--rate".into()).to_string(), "--rate");
        assert_eq!(Source::Default.to_string(), "the built-in default");

        // A target without url or start names its table's line.
        let config = self::config(
            "rate = 5\n[targets.old]\npreserve_host = true\n",
            "other.toml",
        );
        let err = run_with(&config, &run_args(&["r.jsonl", "--new", "recorded"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "other.toml:2: [targets.old]: needs `url` or `start`"
        );
    }

    #[test]
    fn targets_come_from_the_flag_or_the_file_and_managed_ones_wait_as_the_table_says() {
        let config = config(
            "[targets.old]\nstart = \"serve {port}\"\n[targets.new]\nstart = \"serve {port}\"\nready_timeout = 5\n[targets.noise]\nurl = \"recorded\"\n",
            "s.toml",
        );
        let run = run_with(&config, &run_args(&["r.jsonl", "--new", "recorded"])).unwrap();
        assert_eq!(run.old.ready_timeout, Some(defaults().ready_timeout));
        assert_eq!(run.new.url.as_deref(), Some("recorded"));
        assert_eq!(run.new.origin, Some(Origin::Flag("--new".into())));
        assert_eq!(run.new.ready_timeout, None);
        let noise = run.noise.expect("noise target");
        assert_eq!(noise.ready_timeout, None);
        // A noise target turns off the file's and the table's noise_repeat.
        assert!(!run.noise_repeat.value);
        let run = run_with(&config, &run_args(&["r.jsonl"])).unwrap();
        assert_eq!(run.new.ready_timeout, Some(5.0));
    }

    #[test]
    fn record_and_import_take_the_flag_else_the_table() {
        let cli = Cli::try_parse_from([
            "shadowdiff",
            "record",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:9",
            "-o",
            "r.jsonl",
            "--sample",
            "0.5",
        ])
        .unwrap();
        let Command::Record(args) = cli.command else {
            panic!("not record");
        };
        let record = record(&args);
        let table = &defaults().record;
        assert_eq!(record.sample.value, 0.5);
        assert_eq!(record.sample.source, Source::Flag("--sample".into()));
        assert_eq!(record.timeout, Setting::default(table.timeout.0));
        assert_eq!(
            record.drain_timeout,
            Setting::default(table.drain_timeout.0)
        );
        assert_eq!(record.rotate_bytes, Setting::default(table.rotate_bytes));
        assert_eq!(
            record.max_body_bytes,
            Setting::default(table.max_body_bytes)
        );

        let cli =
            Cli::try_parse_from(["shadowdiff", "import", "har", "f.har", "-o", "o.jsonl"]).unwrap();
        let Command::Import(args) = cli.command else {
            panic!("not import");
        };
        assert_eq!(
            import(&args).max_line_bytes,
            Setting::default(defaults().max_line_bytes)
        );
    }
}
