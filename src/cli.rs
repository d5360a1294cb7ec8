//! The command line: clap definitions only. What each command does lives in `commands`.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use shadowdiff_report::Format as ReportFormat;

use crate::settings::{defaults, shown_bytes, shown_duration, with_default};
use shadowdiff_core::RouteGlob;

/// Replay captured traffic against an old and a new implementation, diff the responses
/// structurally, and gate the cutover on what differs.
#[derive(Debug, Parser)]
#[command(name = "shadowdiff", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 gate passed, 1 gate failed, 2 bad usage, config or input, 3 a target failed, 4 internal error (a bug: please report it), 130 interrupted."
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay recordings against the old and the new implementation, compare, report, gate.
    #[command(after_help = RUN_EXAMPLES)]
    Run(Box<RunArgs>),
    /// Convert a HAR or GoReplay file to a native recording (.jsonl or .jsonl.zst).
    #[command(after_help = IMPORT_EXAMPLES)]
    Import(ImportArgs),
    /// Compare the responses of two recordings joined by id, offline.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Compare the rows of an old and a new store (SQLite, PostgreSQL, CSV, JSON Lines) by key.
    #[command(after_help = DATA_EXAMPLES)]
    Data(DataArgs),
    /// Run a reverse proxy that forwards to an upstream and records every exchange.
    #[command(after_help = RECORD_EXAMPLES)]
    Record(RecordArgs),
    /// Serve clients from the primary, mirror each request to the candidate, judge and count
    /// the differences live.
    #[command(after_help = SHADOW_EXAMPLES)]
    Shadow(Box<ShadowArgs>),
    /// Accept the pending changes of the last run into the snapshot of accepted differences.
    #[command(after_help = ACCEPT_EXAMPLES)]
    Accept(AcceptArgs),
    /// Discard the pending changes of the last run; the snapshot is not touched.
    #[command(after_help = REJECT_EXAMPLES)]
    Reject(RejectArgs),
    /// Walk the pending changes one by one: accept, reject or skip each.
    #[command(after_help = REVIEW_EXAMPLES)]
    Review(ReviewArgs),
    /// Work with report folders.
    #[command(subcommand)]
    Report(ReportCommand),
}

/// `shadowdiff report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the report folders of partitioned runs into one report, as one run would give.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
}

const ACCEPT_EXAMPLES: &str = "\
Examples:
  # accept everything the last run proposed, with a reason
  shadowdiff accept --reason \"v2 rounds totals to cents\"

  # accept only the orders routes, and drop accepted signatures no run shows any more
  shadowdiff accept --route 'GET /orders*' --prune

A failing run writes its proposals to shadowdiff.snap.new beside the snapshot; accept moves the
chosen ones into shadowdiff.snap (raising a rate to the one seen, rounded up) and keeps the rest
pending. Without --route or --prune, every new signature and rate is accepted.";

const REJECT_EXAMPLES: &str = "\
Examples:
  # discard everything the last run proposed
  shadowdiff reject

  # discard only the proposals of the orders routes, keep the rest pending
  shadowdiff reject --route 'GET /orders*'

Like `cargo insta reject`: the chosen changes are dropped from shadowdiff.snap.new and
shadowdiff.snap stays as it is (a rejected stale entry stays accepted). The next run proposes
them again if the differences are still there. Without --route, every pending change is
rejected.";

const REVIEW_EXAMPLES: &str = "\
Examples:
  shadowdiff review
  shadowdiff review --snapshot ci/shadowdiff.snap

For each pending change the route, signature, rate and first example are shown; answer
a (accept), r (reject: drop it from the pending file), s (skip: keep it pending) or q (quit).
After an accept, a line of text gives the reason (empty keeps the default).";

const MERGE_EXAMPLES: &str = "\
Examples:
  # three CI shards (--partition hash:1/3 ... hash:3/3), merged in a final job
  shadowdiff report merge shard-1/ shard-2/ shard-3/ --out shadowdiff-report/

  # the reports of two `shadowdiff shadow` processes behind one load balancer
  shadowdiff report merge shadow-a/ shadow-b/ --out shadow-report/

The merged report.json equals what one unpartitioned run gives (latency aside, which is
timing): counts add up, examples are the first in input order, noise and the gate are decided
again on the whole, against the snapshot and gate settings given here. When every part has
outcomes (outcomes.jsonl.zst, or shadow's parts), they are joined into OUT/outcomes.jsonl.zst,
which `shadowdiff diff` re-judges like one run's.

The parts must be the shards of one run, each once: a folder named twice, two parts with the
same shard, shards of different partitions or of different recordings, a whole run with other
parts, or a missing shard (unless --allow-partial) stop the merge with exit 2. Reports of shadow
(live traffic) merge with one another, never with replayed runs.";

/// Arguments of `shadowdiff accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Accept every pending new signature and rate (the default without --route or --prune).
    #[arg(long, conflicts_with = "route")]
    pub all: bool,
    /// Accept only the pending changes of routes matching this glob (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub route: Vec<RouteGlob>,
    /// Why these differences are acceptable; written into the snapshot.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Remove accepted signatures the last run did not see any more.
    #[arg(long)]
    pub prune: bool,
    /// The snapshot and the settings file.
    #[command(flatten)]
    pub files: SnapshotArgs,
}

/// Where `accept`, `reject` and `review` find the snapshot.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The snapshot (default from the table: `snapshot` of the settings file, else
    /// shadowdiff.snap).
    #[arg(long, value_name = "FILE", help = snapshot_help())]
    pub snapshot: Option<PathBuf>,
    /// The settings file (default from the table: shadowdiff.toml when it exists).
    #[arg(long, value_name = "FILE", help = config_help())]
    pub config: Option<PathBuf>,
}

/// Arguments of `shadowdiff reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// Reject every pending change (the default without --route).
    #[arg(long, conflicts_with = "route")]
    pub all: bool,
    /// Reject only the pending changes of routes matching this glob (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub route: Vec<RouteGlob>,
    /// The snapshot and the settings file.
    #[command(flatten)]
    pub files: SnapshotArgs,
}

/// Arguments of `shadowdiff review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The snapshot and the settings file.
    #[command(flatten)]
    pub files: SnapshotArgs,
}

/// Arguments of `shadowdiff report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Report folders of the parts (each holds aggregate.json).
    #[arg(value_name = "DIR", required = true)]
    pub parts: Vec<PathBuf>,
    /// The merged report folder (default from the table).
    #[arg(long, value_name = "DIR", help = out_help("The merged report folder"))]
    pub out: Option<PathBuf>,
    /// Merge even when shards of the partition are missing: the report names them and its
    /// verdict says it is partial.
    #[arg(long)]
    pub allow_partial: bool,
    /// How the merged outcomes are judged.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Output settings.
    #[command(flatten)]
    pub output: OutputArgs,
}

const DIFF_EXAMPLES: &str = "\
Examples:
  # compare production captures with a capture of the new implementation
  shadowdiff diff recordings/ examples/v2-capture/

  # other rules, a report folder, and up to 2 % differing exchanges allowed
  shadowdiff diff old.jsonl.zst new.jsonl.zst --rules comparators/ --out report/ --max-diff-rate 0.02

  # judge a past run again under changed rules, without replaying
  shadowdiff diff shadowdiff-report/outcomes.jsonl.zst --rules comparators/ --out rejudged/

Each exchange of A is joined with the exchange of B that has the same id, in any order.
An id on one side only is reported as an error outcome. The verdict is the exit code.";

const RUN_EXAMPLES: &str = "\
Examples:
  # the job configured in shadowdiff.toml (targets, recordings, rules, gate)
  shadowdiff run

  # two running services, noise measured by calling old twice
  shadowdiff run recordings/ --old http://127.0.0.1:8081 --new http://127.0.0.1:8082 --noise-repeat

  # one of three CI shards, POSTs allowed, at most 200 exchanges a second
  shadowdiff run --partition hash:1/3 --allow-method POST --rate 200

  # write sessions in recorded order, ids captured by the rules carried along, and the two
  # stores ([[data.table]] of shadowdiff.toml) compared once the replay ends
  shadowdiff run --allow-method POST --allow-method PATCH --session header:x-session-id --check-data

Targets: http://HOST:PORT[/base], https://..., exec:COMMAND (JSON Lines on stdin/stdout), or
recorded (the response stored in the recording). Only GET, HEAD and OPTIONS replay unless
allowed. Outcomes are written to OUT/outcomes.jsonl.zst; `shadowdiff diff OUT/outcomes.jsonl.zst`
re-judges them under other rules without replaying.";

/// Arguments of `shadowdiff run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Recording files or folders, `-` for standard input [default: `recordings` of
    /// shadowdiff.toml].
    #[arg(value_name = "RECORDINGS")]
    pub recordings: Vec<PathBuf>,
    /// The old implementation (overrides [targets.old]).
    #[arg(long, value_name = "TARGET")]
    pub old: Option<String>,
    /// The new implementation (overrides [targets.new]).
    #[arg(long, value_name = "TARGET")]
    pub new: Option<String>,
    /// A second instance of the old implementation, to measure noise.
    #[arg(long, value_name = "TARGET", conflicts_with = "noise_repeat")]
    pub noise: Option<String>,
    /// Measure noise by calling the old implementation twice.
    #[arg(long)]
    pub noise_repeat: bool,
    /// Comparator rules: a TOML file or a folder of them (default from the table).
    #[arg(long, value_name = "PATH", help = with_default(
        "Comparator rules: a TOML file or a folder of them",
        format_args!("{}/", defaults().rules.display())))]
    pub rules: Option<PathBuf>,
    /// The report folder (default from the table).
    #[arg(long, value_name = "DIR", help = out_help("The report folder"))]
    pub out: Option<PathBuf>,
    /// Exchanges in flight at most, 1 or more (default from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = with_default("Exchanges in flight at most, 1 or more", defaults().concurrency))]
    pub concurrency: Option<usize>,
    /// Exchanges started per second at most, 0.001 or more [default: no limit].
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_per_second)]
    pub rate: Option<f64>,
    /// Per-request timeout, e.g. 500ms, 10s, 1m, at most 24h (default from the table).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = shadowdiff_core::parse_duration,
          help = with_default("Per-request timeout, e.g. 500ms, 10s, 1m, at most 24h",
                              shown_duration(defaults().timeout.0)))]
    pub timeout: Option<std::time::Duration>,
    /// Retries of a failed call that cannot repeat it: nothing sent, or an idempotent method
    /// with no byte of an answer; 0 to 10 (default from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_retries,
          help = with_default("Retries of a failed call that cannot repeat it: nothing sent, or an \
                               idempotent method with no byte of an answer; 0 to 10",
                              defaults().retries))]
    pub retries: Option<u32>,
    /// The largest response body (an exec target's answer line) read; a larger one is the
    /// error body_too_large (default from the table).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..),
          help = with_default("The largest response body (an exec target's answer line) read; a \
                               larger one is the error body_too_large",
                              shown_bytes(defaults().max_body_bytes)))]
    pub max_body_bytes: Option<u64>,
    /// Replay the exchanges of one session one after another, in recorded order: header:NAME,
    /// cookie:NAME, query:NAME, path:{param} or body:$.path [default: `session` of
    /// shadowdiff.toml].
    #[arg(long, value_name = "SPEC", value_parser = str::parse::<shadowdiff_core::SessionKey>)]
    pub session: Option<shadowdiff_core::SessionKey>,
    /// Which later exchanges see a value captured from an answer (`capture` in the rules):
    /// session (those of the same session) or run (every later one) [default: `capture_scope`
    /// of shadowdiff.toml, else session].
    #[arg(long, value_name = "SCOPE", value_parser = str::parse::<shadowdiff_core::CaptureScope>)]
    pub capture_scope: Option<shadowdiff_core::CaptureScope>,
    /// Replay one shard of the exchanges: hash:K/N (by id, stable) or count:K/N.
    #[arg(long, value_name = "hash:K/N")]
    pub partition: Option<shadowdiff_core::Partition>,
    /// Allow a method beyond GET, HEAD and OPTIONS on every route (repeatable).
    #[arg(long, value_name = "METHOD")]
    pub allow_method: Vec<String>,
    /// Let allowed writes reach a target that is not on loopback or a private address.
    #[arg(long)]
    pub allow_remote_writes: bool,
    /// Once the replay ends, compare old's store with new's ([data.old], [data.new] and
    /// [[data.table]] of shadowdiff.toml, `{data}` being each target's data folder) in the same
    /// report [default: `check_data` of shadowdiff.toml, else off].
    #[arg(long)]
    pub check_data: bool,
    /// Replay only routes matching this glob, e.g. "GET /orders/*" (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub include_route: Vec<RouteGlob>,
    /// Skip routes matching this glob (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub exclude_route: Vec<RouteGlob>,
    /// Replay only this method (repeatable).
    #[arg(long, value_name = "METHOD")]
    pub method: Vec<String>,
    /// Replay only exchanges with this tag, KEY=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tag: Vec<(String, String)>,
    /// The longest recording line accepted, in bytes after decompression (default from the
    /// table).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = max_line_bytes_help("The longest recording line accepted"))]
    pub max_line_bytes: Option<usize>,
    /// How the outcomes are judged and reported.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Output settings.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Parses `KEY=VALUE`.
fn parse_tag(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` is not a tag; write KEY=VALUE, e.g. source=prod-eu"))
}

const IMPORT_EXAMPLES: &str = "\
Examples:
  shadowdiff import har session.har -o recordings/session.jsonl.zst
  shadowdiff import gor requests_0.gor.gz -o recordings/prod.jsonl.zst

HAR and GoReplay files can also be given directly to `run` and `diff`: they are recognised by
their name (.har, .har.gz, .gor, .gor.gz) or their first bytes. Import converts once, so later
runs read the faster native format.";

/// Arguments of `shadowdiff import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The format of FILE.
    #[arg(value_enum)]
    pub format: ImportFormat,
    /// The file to convert (gzip-compressed is fine), or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The native recording to write; zstd-compressed when it ends in .zst.
    #[arg(long, short, value_name = "OUT")]
    pub out: PathBuf,
    /// The largest record accepted, in bytes after decompression (default from the table).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = max_line_bytes_help("The largest record accepted"))]
    pub max_line_bytes: Option<usize>,
}

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// HAR 1.2, as browsers, mitmproxy, Charles, Fiddler and Proxyman export it.
    Har,
    /// GoReplay's .gor files.
    Gor,
}

/// Arguments of `shadowdiff diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a recording file (.jsonl, .jsonl.zst, .har, .gor, or `-` for standard
    /// input) or a folder of them, or a run's outcomes file, or a report folder holding
    /// outcomes (a run's, or `shadow`'s parts).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The new side, joined with A by exchange id. Without B, A must be the outcomes of a run
    /// (outcomes.jsonl.zst) or of `shadow` (its folder), whose answers are judged again.
    #[arg(value_name = "B")]
    pub b: Option<PathBuf>,
    /// Comparator rules: a TOML file or a folder of them (default from the table).
    #[arg(long, value_name = "PATH", help = with_default(
        "Comparator rules: a TOML file or a folder of them",
        format_args!("{}/ when it exists", defaults().rules.display())))]
    pub rules: Option<PathBuf>,
    /// The report folder (default from the table).
    #[arg(long, value_name = "DIR", help = out_help("The report folder"))]
    pub out: Option<PathBuf>,
    /// The longest recording line accepted, in bytes after decompression (default from the
    /// table).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = max_line_bytes_help("The longest recording line accepted"))]
    pub max_line_bytes: Option<usize>,
    /// How the outcomes are judged and reported.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Output settings.
    #[command(flatten)]
    pub output: OutputArgs,
}

const DATA_EXAMPLES: &str = "\
Examples:
  # the tables configured in shadowdiff.toml ([data.old], [data.new], [[data.table]])
  shadowdiff data

  # one table, read whole on both sides and joined by its key
  shadowdiff data --old sqlite:legacy.db --new 'postgres://app:${PGPASSWORD}@db/orders' \\
    --table reservations --key id

  # renamed columns and mapped values carried by the queries, a two-column key
  shadowdiff data --old sqlite:legacy.db --new sqlite:backfill.db --table lines --key order_id,line \\
    --old-query 'SELECT order_id, line, sku, qty_ordered AS qty FROM order_lines' \\
    --new-query 'SELECT order_id, line, sku, qty FROM lines'

  # one of four CI jobs over one big table, merged later with `shadowdiff report merge`
  shadowdiff data --table events --key id --partition hash:2/4 --out shard-2/

  # the stores a stateful run left in its report folder, keys read through its captures
  shadowdiff data --run shadowdiff-report --out stores/

Sources: sqlite:PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DB (TLS per sslmode, through
rustls), PATH.csv (a header row) and PATH.jsonl[.zst] (one object a row). Each row becomes a
JSON document (column -> value) judged by the rules of the route `table NAME`, as responses are;
a key only in old is `row missing in new`, only in new `row extra in new`, a key on several rows
of one side an error. ${NAME} in a URL is read from the environment; passwords are never shown.
Outcomes are written to OUT/outcomes.jsonl.zst (id = the key), which `shadowdiff diff` re-judges.";

const RECORD_EXAMPLES: &str = "\
Examples:
  # capture what reaches port 8080 and forward it to the service on 9090
  shadowdiff record --listen 127.0.0.1:8080 --upstream http://127.0.0.1:9090 \\
    -o recordings/capture.jsonl.zst

  # 10 % of the GET traffic of the orders routes, in parts of at most 64 MiB of JSON
  shadowdiff record --listen 0.0.0.0:8080 --upstream https://orders.internal \\
    -o rec/orders.jsonl.zst --sample 0.1 --method GET --include-route 'GET /orders*' \\
    --rotate-bytes 67108864

The first line on stderr is `shadowdiff record: listening on http://ADDR` (useful with port 0).
Parts are written as STEM-000001.jsonl.zst, STEM-000002.jsonl.zst, ... next to -o, so that name
order is time order; read them back as a folder. A part appears, complete, when it is full or when
the proxy stops. Requests not sampled or filtered out are still forwarded, just not recorded.
authorization, cookie, set-cookie and proxy-authorization values (and --redact-header ones) are
written as [redacted] unless --keep-secrets; what is forwarded is never changed. An upstream that
cannot be reached gives the client a 502 and is recorded as a request-only exchange. Ctrl-C or
SIGTERM stops accepting, lets in-flight requests finish, closes the files and exits 0.";

const SHADOW_EXAMPLES: &str = "\
Examples:
  # clients on :8080 are served by v1 on :9001; every request is mirrored to v2 on :9002
  shadowdiff shadow --listen 0.0.0.0:8080 --primary http://127.0.0.1:9001 \\
    --candidate http://127.0.0.1:9002 --out shadow-report/

  # a second v1 instance tells noise from change; 10 % mirrored; a report every 15 minutes
  shadowdiff shadow --listen 0.0.0.0:8080 --primary http://v1-a:9001 --secondary http://v1-b:9001 \\
    --candidate http://v2:9002 --sample 0.1 --report-every 15m --log mismatches.jsonl

  # Prometheus scrapes the admin address; a report of what was judged so far, now
  curl -s http://127.0.0.1:9464/metrics | grep shadowdiff_exchanges_total
  kill -HUP $(pidof shadowdiff)

The first line on stderr is `shadowdiff shadow: listening on http://ADDR; metrics on
http://ADMIN/metrics` (useful with port 0). Clients only ever get the primary's answer, unchanged;
the candidate is called off their path, through a bounded queue (a full queue skips the exchange
as `shadow queue full`). Only GET, HEAD and OPTIONS are mirrored unless allowed (--allow-method,
or `allow` in a route's rules), as in `run`. Each mirrored exchange is judged with the rules of
`run` and written to OUT/outcomes-000001.jsonl.zst, ... (`shadowdiff diff OUT` judges them again).
SIGHUP and --report-every write the report folder for what was judged so far; Ctrl-C or SIGTERM
stops accepting, drains in-flight exchanges (--drain-timeout), writes the final report and exits
with the gate's verdict: 0 passed, 1 failed, 3 if the candidate or secondary could not start.
[targets.old], [targets.new] and [targets.noise] of shadowdiff.toml stand for --primary,
--candidate and --secondary.";

/// Arguments of `shadowdiff shadow`.
#[derive(Debug, Args)]
pub struct ShadowArgs {
    /// The address clients connect to, e.g. 0.0.0.0:8080 (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// Where /metrics and /healthz are served (default from the table).
    #[arg(long, value_name = "ADDR", help = with_default("Where /metrics and /healthz are served",
          &defaults().shadow.admin))]
    pub admin: Option<String>,
    /// The implementation serving clients: http://HOST:PORT[/base] or https://... [default:
    /// `url` of [targets.old]].
    #[arg(long, value_name = "URL")]
    pub primary: Option<String>,
    /// The implementation being validated, called off the clients' path [default:
    /// [targets.new]].
    #[arg(long, value_name = "TARGET")]
    pub candidate: Option<String>,
    /// A second instance of the primary, to tell noise from change [default: [targets.noise]].
    #[arg(long, value_name = "TARGET")]
    pub secondary: Option<String>,
    /// Comparator rules: a TOML file or a folder of them (default from the table).
    #[arg(long, value_name = "PATH", help = with_default(
        "Comparator rules: a TOML file or a folder of them",
        format_args!("{}/", defaults().rules.display())))]
    pub rules: Option<PathBuf>,
    /// The report folder, where the outcome parts go too (default from the table).
    #[arg(long, value_name = "DIR", help = out_help("The report folder, where the outcome parts go too"))]
    pub out: Option<PathBuf>,
    /// The share of requests mirrored, between 0 and 1 (deterministic per request; default
    /// from the table).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = parse_rate,
          help = with_default("The share of requests mirrored, between 0 and 1 (deterministic per \
                               request)", defaults().shadow.sample))]
    pub sample: Option<f64>,
    /// Exchanges waiting to be mirrored at most; past that they are skipped (default from the
    /// table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = with_default("Exchanges waiting to be mirrored at most; past that they are skipped",
                              defaults().shadow.queue))]
    pub queue: Option<usize>,
    /// Exchanges mirrored at once at most (default from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = with_default("Exchanges mirrored at once at most", defaults().shadow.concurrency))]
    pub concurrency: Option<usize>,
    /// How long a call to any target may take; a slow primary gives the client a 502 (at most
    /// 24h; default from the table).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = shadowdiff_core::parse_duration,
          help = with_default("How long a call to any target may take; a slow primary gives the client \
                               a 502 (at most 24h)", shown_duration(defaults().shadow.timeout.0)))]
    pub timeout: Option<std::time::Duration>,
    /// The largest body kept for mirroring; a larger one is streamed through and not mirrored
    /// (default from the table).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..),
          help = with_default("The largest body kept for mirroring; a larger one is streamed through \
                               and not mirrored", shown_bytes(defaults().max_body_bytes)))]
    pub max_body_bytes: Option<u64>,
    /// How long in-flight exchanges may take to finish after Ctrl-C or SIGTERM (at most 24h;
    /// default from the table).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = shadowdiff_core::parse_duration,
          help = with_default("How long in-flight exchanges may take to finish after Ctrl-C or \
                               SIGTERM (at most 24h)", shown_duration(defaults().shadow.drain_timeout.0)))]
    pub drain_timeout: Option<std::time::Duration>,
    /// Also write the report folder this often, e.g. 15m [default: only on SIGHUP and at the
    /// stop].
    #[arg(long, value_name = "DURATION", value_parser = shadowdiff_core::parse_duration)]
    pub report_every: Option<std::time::Duration>,
    /// Bytes of JSON after which a new outcomes part starts (default from the table).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_count::<u64>,
          help = with_default("Bytes of JSON after which a new outcomes part starts",
                              shown_bytes(defaults().shadow.part_bytes)))]
    pub part_bytes: Option<u64>,
    /// Distinct routes (and route and signature pairs) labelled in the metrics; more are
    /// counted as `other` (default from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<usize>,
          help = with_default("Distinct routes (and route and signature pairs) labelled in the \
                               metrics; more are counted as `other`", defaults().shadow.max_series))]
    pub max_series: Option<usize>,
    /// The mismatch log, one JSON line per real difference, appended to [default: standard
    /// error].
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Mismatch log lines per route and signature a minute at most (default from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<u32>,
          help = with_default("Mismatch log lines per route and signature a minute at most",
                              defaults().shadow.log_per_minute))]
    pub log_per_minute: Option<u32>,
    /// Mirror a method beyond GET, HEAD and OPTIONS on every route (repeatable).
    #[arg(long, value_name = "METHOD")]
    pub allow_method: Vec<String>,
    /// Mirror only routes matching this glob, e.g. "GET /orders/*" (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub include_route: Vec<RouteGlob>,
    /// Do not mirror routes matching this glob (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub exclude_route: Vec<RouteGlob>,
    /// Mirror only this method (repeatable).
    #[arg(long, value_name = "METHOD")]
    pub method: Vec<String>,
    /// How the outcomes are judged and reported.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Output settings of the final report.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `shadowdiff data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The old store: sqlite:PATH, postgres://..., PATH.csv or PATH.jsonl[.zst] (overrides
    /// [data.old] url).
    #[arg(long, value_name = "URL")]
    pub old: Option<String>,
    /// The new store (overrides [data.new] url).
    #[arg(long, value_name = "URL")]
    pub new: Option<String>,
    /// The table: its rows are the route `table NAME`; alone, it reads SELECT * FROM NAME on
    /// both sides (or picks that [[data.table]] entry of shadowdiff.toml).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// The key columns, joined by comma: rows are paired by them.
    #[arg(long, value_name = "COL[,COL]", value_delimiter = ',')]
    pub key: Vec<String>,
    /// The query of the old side, instead of SELECT * FROM NAME.
    #[arg(long, value_name = "SQL", requires = "table")]
    pub old_query: Option<String>,
    /// Compare the stores a `run` left in its report folder DIR: `{data}` in a store's URL is
    /// DIR/data/ROLE, and keys are read through DIR/captures.jsonl (a table's key_capture).
    #[arg(long, value_name = "DIR")]
    pub run: Option<PathBuf>,
    /// The query of the new side, instead of SELECT * FROM NAME.
    #[arg(long, value_name = "SQL", requires = "table")]
    pub new_query: Option<String>,
    /// Compare one shard of the keys: hash:K/N, by the hash of the key.
    #[arg(long, value_name = "hash:K/N")]
    pub partition: Option<shadowdiff_core::Partition>,
    /// Comparator rules: a TOML file or a folder of them (default from the table).
    #[arg(long, value_name = "PATH", help = with_default(
        "Comparator rules: a TOML file or a folder of them",
        format_args!("{}/ when it exists", defaults().rules.display())))]
    pub rules: Option<PathBuf>,
    /// The report folder (default from the table).
    #[arg(long, value_name = "DIR", help = out_help("The report folder"))]
    pub out: Option<PathBuf>,
    /// How the outcomes are judged and reported.
    #[command(flatten)]
    pub report: ReportArgs,
    /// Output settings.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `shadowdiff record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// Where requests are forwarded: http://HOST:PORT[/base] or https://...
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// The recording: parts are named after it (capture.jsonl.zst → capture-000001.jsonl.zst).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Start a new part after this many bytes of JSON (before compression; default from the
    /// table).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = parse_count::<u64>,
          help = with_default("Start a new part after this many bytes of JSON (before compression)",
                              defaults().record.rotate_bytes))]
    pub rotate_bytes: Option<u64>,
    /// The share of requests recorded, between 0 and 1 (deterministic per request; default
    /// from the table).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = parse_rate,
          help = with_default("The share of requests recorded, between 0 and 1 (deterministic per \
                               request)", defaults().record.sample))]
    pub sample: Option<f64>,
    /// Record only routes matching this glob, e.g. "GET /orders/*" (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub include_route: Vec<RouteGlob>,
    /// Do not record routes matching this glob (repeatable).
    #[arg(long, value_name = "GLOB", value_parser = RouteGlob::new)]
    pub exclude_route: Vec<RouteGlob>,
    /// Record only this method (repeatable).
    #[arg(long, value_name = "METHOD")]
    pub method: Vec<String>,
    /// Also redact the values of this header in the recording (repeatable).
    #[arg(long, value_name = "NAME")]
    pub redact_header: Vec<String>,
    /// Write secret header values to the recording as they were sent.
    #[arg(long)]
    pub keep_secrets: bool,
    /// How long one upstream call may take before the client gets a 502 (at most 24h; default
    /// from the table).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = shadowdiff_core::parse_duration,
          help = with_default("How long one upstream call may take before the client gets a 502 \
                               (at most 24h)", shown_duration(defaults().record.timeout.0)))]
    pub timeout: Option<std::time::Duration>,
    /// The largest upstream body kept in the recording; a larger one still reaches the client
    /// whole, and its exchange is recorded without the response (default from the table).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..),
          help = with_default("The largest upstream body kept in the recording; a larger one still \
                               reaches the client whole, and its exchange is recorded without the \
                               response", defaults().record.max_body_bytes))]
    pub max_body_bytes: Option<u64>,
    /// How long in-flight requests may take to finish after Ctrl-C or SIGTERM (at most 24h;
    /// default from the table).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = shadowdiff_core::parse_duration,
          help = with_default("How long in-flight requests may take to finish after Ctrl-C or \
                               SIGTERM (at most 24h)", shown_duration(defaults().record.drain_timeout.0)))]
    pub drain_timeout: Option<std::time::Duration>,
}

/// How outcomes are judged and reported: settings file, snapshot, gate and redaction. Flags
/// win over shadowdiff.toml.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The settings file (default from the table).
    #[arg(long, value_name = "FILE", help = config_help())]
    pub config: Option<PathBuf>,
    /// The snapshot of accepted differences (default from the table); a missing file accepts
    /// nothing.
    #[arg(long, value_name = "FILE", help = format!(
        "The snapshot of accepted differences [default: {}]; a missing file accepts nothing",
        snapshot_default()))]
    pub snapshot: Option<PathBuf>,
    /// The largest share of a route's compared exchanges that may show differences not
    /// accepted by the snapshot (0.02 = 2 %; default from the table).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = parse_rate,
          help = with_default("The largest share of a route's compared exchanges that may show \
                               differences not accepted by the snapshot (0.02 = 2 %)",
                              defaults().gate.max_diff_rate))]
    pub max_diff_rate: Option<f64>,
    /// The largest share of a route's compared exchanges that may end in error (default from
    /// the table).
    #[arg(long, value_name = "RATE", allow_negative_numbers = true, value_parser = parse_rate,
          help = with_default("The largest share of a route's compared exchanges that may end in error",
                              defaults().gate.max_error_rate))]
    pub max_error_rate: Option<f64>,
    /// Routes with fewer compared exchanges (1 or more) are reported but not judged (default
    /// from the table).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<u64>,
          help = with_default("Routes with fewer compared exchanges (1 or more) are reported but not judged",
                              defaults().gate.min_exchanges))]
    pub min_exchanges: Option<u64>,
    /// Also redact this header's values in every report and the outcomes file (repeatable).
    #[arg(long, value_name = "NAME")]
    pub redact_header: Vec<String>,
    /// Also redact this JSON body field, e.g. '$..token' (repeatable).
    #[arg(long, value_name = "PATH")]
    pub redact_field: Vec<String>,
}

/// What is printed on stdout and how much work runs at once.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What to print on stdout; report files are written either way.
    #[arg(long, value_enum, default_value_t = Format(ReportFormat::Terminal))]
    pub format: Format,
    /// Print nothing on stdout.
    #[arg(long, short)]
    pub quiet: bool,
    /// Threads used for replaying (`run`: one replay lane each), parsing and comparing, 1 or
    /// more [default: one per core].
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_count::<usize>)]
    pub threads: Option<usize>,
}

/// A format `--format` can print on stdout: a row of the report's table of formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format(pub ReportFormat);

/// Every `--format` value, in the table's order.
const FORMATS: [Format; 5] = [
    Format(ReportFormat::ALL[0].format),
    Format(ReportFormat::ALL[1].format),
    Format(ReportFormat::ALL[2].format),
    Format(ReportFormat::ALL[3].format),
    Format(ReportFormat::ALL[4].format),
];

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Format] {
        &FORMATS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let info = self.0.info();
        Some(PossibleValue::new(info.name).help(info.help))
    }
}

/// Parses a share between 0 and 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    shadowdiff_core::share(shadowdiff_core::number(text)?)
}

/// Parses exchanges a second, 0.001 or more.
fn parse_per_second(text: &str) -> Result<f64, String> {
    shadowdiff_core::per_second(shadowdiff_core::number(text)?)
}

/// Parses a whole number of at least 1.
fn parse_count<T: TryFrom<u64>>(text: &str) -> Result<T, String> {
    let count = shadowdiff_core::at_least_one(shadowdiff_core::whole(text, "at least 1")?)?;
    T::try_from(count).map_err(|_| format!("`{text}` is too large"))
}

/// Parses retries: 0 to 10.
fn parse_retries(text: &str) -> Result<u32, String> {
    shadowdiff_core::retries(shadowdiff_core::whole(text, "from 0 to 10")?)
}

/// The help of `--config`, from the table.
fn config_help() -> String {
    with_default(
        "The settings file",
        format_args!("{} when it exists", defaults().config.display()),
    )
}

/// Where the snapshot is when `--snapshot` is not given, from the table.
fn snapshot_default() -> String {
    format!(
        "`snapshot` of {}, else {}",
        defaults().config.display(),
        defaults().snapshot.display()
    )
}

/// The help of `accept --snapshot` and `review --snapshot`.
fn snapshot_help() -> String {
    with_default("The snapshot", snapshot_default())
}

/// The help of `--out`: `TEXT`, with the default from the table.
fn out_help(text: &str) -> String {
    with_default(
        text,
        format_args!(
            "`out` of {}, else {}",
            defaults().config.display(),
            defaults().out.display()
        ),
    )
}

/// The help of `--max-line-bytes`: `TEXT, in bytes after decompression`, with the table's default.
fn max_line_bytes_help(text: &str) -> String {
    with_default(
        &format!("{text}, in bytes after decompression"),
        defaults().max_line_bytes,
    )
}
