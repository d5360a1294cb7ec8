//! The report as data: the `shadowdiff.report/v1` contract of DESIGN.md §3.
//!
//! Fields may be added; none is renamed without a new schema version. Routes and signatures
//! are sorted, so the same inputs give a byte-identical file whatever the thread count.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// Counts over all exchanges.
    pub totals: Counts,
    /// Every rule that hid differences, in rule order, with the exchanges it touched on all
    /// routes: the answer to "why was this hidden".
    pub ignored: Vec<IgnoredRule>,
    /// Per route, sorted by route.
    pub routes: Vec<RouteReport>,
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

/// How the exchanges ended; `exchanges` is the sum of the other five.
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
    /// Rules that hid differences on this route, with how many exchanges each touched.
    pub ignored: Vec<IgnoredRule>,
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
    /// Whether the snapshot of accepted differences accepts it.
    pub accepted: bool,
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

/// Skipped outcomes for one reason on a route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkipGroup {
    /// Why they were skipped.
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

impl Counts {
    /// Adds another set of counts to this one.
    pub fn add(&mut self, other: &Counts) {
        self.exchanges += other.exchanges;
        self.equal += other.equal;
        self.different += other.different;
        self.noise_only += other.noise_only;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }

    /// Whether `exchanges` equals the sum of the outcome counts.
    pub fn adds_up(&self) -> bool {
        self.exchanges == self.equal + self.different + self.noise_only + self.errors + self.skipped
    }
}
