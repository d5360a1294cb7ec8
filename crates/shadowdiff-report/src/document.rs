//! The report as data: the `shadowdiff.report/v1` contract README's "report.json" describes.
//!
//! Fields may be added; none is renamed without a new schema version. Routes and signatures
//! are sorted, so the same inputs give a byte-identical file whatever the thread count.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use shadowdiff_core::Request;

/// The schema name written into every report.
pub const SCHEMA: &str = "shadowdiff.report/v1";

/// The whole report of one `run` or `diff`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `pass` or `fail`.
    pub verdict: Verdict,
    /// Why the verdict is what it is, one sentence per reason, most important first.
    pub reasons: Vec<String>,
    /// Whether the run stopped before every exchange was judged (a target failed); the reasons
    /// say why.
    pub incomplete: bool,
    /// The shards of the partition this report does not cover (`hash:2/3`): a shard's run, or
    /// a merge with `--allow-partial`; the first reason says the verdict is partial.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<String>,
    /// What the reader should know about how the run was made, such as writes replayed
    /// without a session, so in no kept order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Counts over all exchanges.
    pub totals: Counts,
    /// Every rule that hid differences, in rule order, with the exchanges it touched on all
    /// routes: the answer to "why was this hidden".
    pub ignored: Vec<IgnoredRule>,
    /// Per route, sorted by route.
    pub routes: Vec<RouteReport>,
    /// The snapshot of accepted differences the run was judged against, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotStatus>,
    /// Where the targets were, for the reproduction commands of the examples.
    #[serde(default)]
    pub targets: TargetNames,
    /// How long each target took to answer, over all routes (timing, not behaviour: this is the
    /// one part of the report that changes from run to run).
    #[serde(default, skip_serializing_if = "Latency::is_empty")]
    pub latency: Latency,
}

impl Report {
    /// What the report counts: rows when every route is a table's (`shadowdiff data`), else
    /// exchanges.
    pub fn unit(&self) -> crate::unit::Unit {
        crate::unit::Unit::of_routes(self.routes.iter().map(|route| route.route.as_str()))
    }
}

/// The snapshot of accepted differences as the run saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotStatus {
    /// The accepted file (`shadowdiff.snap`).
    pub path: String,
    /// How many signatures it accepts.
    pub accepted: u64,
    /// Signatures seen that it does not accept, or above their accepted rate.
    pub pending: u64,
    /// The file proposing the changes (`shadowdiff.snap.new`), when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_file: Option<String>,
    /// Accepted signatures this run did not see: `shadowdiff accept --prune` removes them.
    pub stale: Vec<StaleSignature>,
}

/// An accepted signature that no exchange showed any more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleSignature {
    /// The route it was accepted on.
    pub route: String,
    /// The signature.
    pub signature: String,
}

/// The targets of a run as reproduction commands address them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetNames {
    /// The old implementation's base URL, when it is an HTTP target at a fixed address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The new implementation's base URL, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// Latency per role (`old`, `new`, `noise`), in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// The old implementation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<LatencySummary>,
    /// The new implementation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<LatencySummary>,
    /// The noise measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<LatencySummary>,
}

/// Percentiles of one target's answer times (within 1 % of the exact values).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Answers timed.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The distribution on a log scale: answers at or below each bound and above the previous
    /// one (only in the report-wide figures, for charts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bins: Vec<LatencyBin>,
}

/// One bar of a latency distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyBin {
    /// The upper bound, in milliseconds.
    pub le_ms: f64,
    /// Answers in the bin.
    pub count: u64,
}

/// The gate's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Within policy: exit 0.
    Pass,
    /// Beyond policy: exit 1.
    Fail,
}

/// How the exchanges ended; `exchanges` is the sum of the other six.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Every exchange read.
    pub exchanges: u64,
    /// No difference counted.
    pub equal: u64,
    /// At least one difference counted.
    pub different: u64,
    /// Differences, all of them noise.
    pub noise_only: u64,
    /// Could not be compared.
    pub errors: u64,
    /// Deliberately not compared.
    pub skipped: u64,
    /// Not replayed, or not to the end, because the run stopped first (see `incomplete`).
    #[serde(default)]
    pub not_run: u64,
}

/// Everything about one route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteReport {
    /// `METHOD /path/{param}`.
    pub route: String,
    /// How the route's exchanges ended.
    #[serde(flatten)]
    pub counts: Counts,
    /// Signatures of counted differences, sorted by signature.
    pub signatures: Vec<SignatureReport>,
    /// Error outcomes grouped by kind, sorted by kind.
    pub error_kinds: Vec<ErrorGroup>,
    /// Skipped outcomes grouped by reason, sorted by reason.
    pub skip_reasons: Vec<SkipGroup>,
    /// Outcomes not run grouped by the reason the run stopped, sorted by reason.
    #[serde(default)]
    pub not_run_reasons: Vec<SkipGroup>,
    /// Rules that hid differences on this route, with how many exchanges each touched.
    pub ignored: Vec<IgnoredRule>,
    /// Exchanges with at least one difference that is neither noise nor accepted.
    pub unaccepted: u64,
    /// The gate's decision for this route alone.
    pub verdict: Verdict,
    /// Why, one sentence per reason, failures first; says so when the route had too few
    /// exchanges to be judged.
    pub reasons: Vec<String>,
    /// How long each target took on this route (timing, not behaviour).
    #[serde(default, skip_serializing_if = "Latency::is_empty")]
    pub latency: Latency,
}

/// One signature of a route: a difference with indices erased, and how often it occurred.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureReport {
    /// `body $.items[*].price changed`.
    pub signature: String,
    /// `status`, `header` or `body`.
    pub target: String,
    /// The erased JSON path for bodies, the header name for headers, null for the status.
    pub path: Option<String>,
    /// `changed`, `added`, `removed` or `type`.
    pub kind: String,
    /// Exchanges in which old and new differ so.
    pub count: u64,
    /// Exchanges in which old differed so from itself (0 unless noise was measured).
    pub noise_count: u64,
    /// `count` divided by the route's exchanges.
    pub rate: f64,
    /// Whether the signature is noise (old disagreeing with itself).
    pub noise: bool,
    /// Whether the snapshot of accepted differences accepts it (at this rate).
    pub accepted: bool,
    /// The highest rate the snapshot accepts, when it lists the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_rate: Option<f64>,
    /// Why it was accepted, as the snapshot says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_reason: Option<String>,
    /// Whether this signature fails the gate: not noise, and not accepted at this rate, on a
    /// route with enough exchanges to be judged.
    pub failing: bool,
    /// The first exchange ids with it, in input order.
    pub examples: Vec<String>,
    /// The concrete place and the old and new values of the first examples.
    pub samples: Vec<Sample>,
    /// Why the comparison took a special turn here (a body that claims JSON but does not parse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One example of a signature with the values on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The exchange id.
    pub id: String,
    /// The concrete place (`$.items[3].price`), null for the status.
    pub path: Option<String>,
    /// The old value, absent when added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value, absent when removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// The values too large to keep whole: such a value holds the first 2 KiB of its JSON text,
    /// as a string, and this says how large the whole text was.
    #[serde(default, skip_serializing_if = "Truncated::is_empty")]
    pub truncated: Truncated,
    /// The request, secrets redacted, to reproduce the example (a body above 64 KiB is cut
    /// and says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// Which values of a sample were cut, with the size in bytes of their whole JSON text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncated {
    /// The size of the old value's JSON text, when it was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<u64>,
    /// The size of the new value's JSON text, when it was cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u64>,
}

impl Truncated {
    /// Whether no value was cut.
    pub fn is_empty(&self) -> bool {
        self.old.is_none() && self.new.is_none()
    }
}

/// One side of a sample, as reports show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The old implementation's value.
    Old,
    /// The new implementation's value.
    New,
}

/// How one side of a sample reads in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown<'a> {
    /// The side has no value (added or removed).
    Absent,
    /// A whole value.
    Whole(&'a Value),
    /// The start of the JSON text of a value cut short, and the size of the whole text.
    Cut(&'a str, u64),
}

impl Sample {
    /// How `side` reads in a report: absent, whole, or the start of a value cut short.
    pub fn shown(&self, side: Side) -> Shown<'_> {
        let (value, size) = match side {
            Side::Old => (&self.old, self.truncated.old),
            Side::New => (&self.new, self.truncated.new),
        };
        match (value, size) {
            (None, _) => Shown::Absent,
            (Some(Value::String(start)), Some(size)) => Shown::Cut(start, size),
            (Some(value), _) => Shown::Whole(value),
        }
    }
}

impl Shown<'_> {
    /// One line of text: the JSON text, `(absent)`, or the start of a cut value followed by
    /// `… (5.2 MB, cut)`.
    pub fn text(&self) -> String {
        match self {
            Shown::Absent => "(absent)".to_string(),
            Shown::Whole(value) => value.to_string(),
            Shown::Cut(start, size) => format!("{start}{}", cut_mark(*size)),
        }
    }
}

/// Comparator rules that would silence the noise measured on one route: the verdict's
/// suggestion, which `suggested-rules.toml` writes out for a person to review.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSuggestion {
    /// The route (`GET /orders/{id}`), the `match` of its `[[route]]` table.
    pub route: String,
    /// Arrays whose elements only moved: `unordered`.
    pub unordered: Vec<NoisyPath>,
    /// Body places that differ otherwise, each once: `ignore`.
    pub ignore: Vec<NoisyPath>,
    /// Header names: `headers.ignore`.
    pub headers: Vec<String>,
    /// Whether the status code itself is noisy: `status = false`.
    pub status: bool,
}

/// A noisy place in a body, with the counts that make it noise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoisyPath {
    /// The erased JSON path (`$.meta.requestId`).
    pub path: String,
    /// Exchanges in which old and new differ there.
    pub count: u64,
    /// Exchanges in which old differs there from itself.
    pub noise_count: u64,
}

/// A rate as a percentage with two decimals (`0.0125` → `1.25%`).
pub fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

impl Verdict {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// What follows the kept start of a cut value: `… (5.2 MB, cut)`.
pub fn cut_mark(size: u64) -> String {
    format!("… ({}, cut)", human_size(size))
}

/// A size in bytes for people: `930 B`, `2.0 KB`, `5.2 MB`, `1.3 GB` (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Error outcomes of one kind on a route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroup {
    /// The stable error kind (`only_in_a`, `no_response`, ...).
    pub kind: String,
    /// How many exchanges ended so.
    pub count: u64,
    /// The first exchange ids, in input order.
    pub examples: Vec<String>,
    /// The message of the first one.
    pub message: String,
}

/// Exchanges that were not compared for one reason on a route: skipped, or not run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkipGroup {
    /// Why they were skipped, or why the run stopped before them.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The first exchange ids, in input order.
    pub examples: Vec<String>,
}

/// A rule that hid differences, and in how many exchanges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IgnoredRule {
    /// Where the rule is and what it says (`comparators/orders.toml:12: ignore $.meta.requestId`).
    pub rule: String,
    /// Exchanges in which it hid at least one difference.
    pub exchanges: u64,
}

impl Latency {
    /// Whether no target was timed (offline comparisons of recordings).
    pub fn is_empty(&self) -> bool {
        self.old.is_none() && self.new.is_none() && self.noise.is_none()
    }

    /// The timed targets with their summaries, in the order old, new, noise.
    pub fn timed(&self) -> Vec<(&'static str, &LatencySummary)> {
        [
            ("old", &self.old),
            ("new", &self.new),
            ("noise", &self.noise),
        ]
        .into_iter()
        .filter_map(|(role, summary)| summary.as_ref().map(|summary| (role, summary)))
        .collect()
    }
}

impl Counts {
    /// Adds another set of counts to this one.
    pub fn add(&mut self, other: &Counts) {
        self.exchanges += other.exchanges;
        self.equal += other.equal;
        self.different += other.different;
        self.noise_only += other.noise_only;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.not_run += other.not_run;
    }

    /// Whether `exchanges` equals the sum of the outcome counts.
    pub fn adds_up(&self) -> bool {
        self.exchanges
            == self.equal
                + self.different
                + self.noise_only
                + self.errors
                + self.skipped
                + self.not_run
    }

    /// The exchanges that were replayed to the end and judged: all but the skipped and the not
    /// run.
    pub fn compared(&self) -> u64 {
        self.exchanges - self.skipped - self.not_run
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_read_in_powers_of_a_thousand() {
        assert_eq!(human_size(930), "930 B");
        assert_eq!(human_size(2048), "2.0 KB");
        assert_eq!(human_size(5_242_880), "5.2 MB");
        assert_eq!(human_size(999_999), "1.0 MB");
        assert_eq!(human_size(1_300_000_000), "1.3 GB");
    }

    #[test]
    fn a_cut_side_shows_its_start_and_its_size() {
        let sample = Sample {
            id: "r1".into(),
            path: None,
            old: Some(json!("[1,2,")),
            new: Some(json!("[1,2,")),
            truncated: Truncated {
                old: Some(5_242_880),
                new: None,
            },
            request: None,
        };
        assert_eq!(sample.shown(Side::Old).text(), "[1,2,… (5.2 MB, cut)");
        assert_eq!(sample.shown(Side::New).text(), "\"[1,2,\"");
        let absent = Sample {
            old: None,
            ..sample
        };
        assert_eq!(absent.shown(Side::Old), Shown::Absent);
    }
}
