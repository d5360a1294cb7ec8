//! `shadowdiff shadow`: live shadow calls. A reverse proxy serves every client from the
//! primary (its answer passed back unchanged and at once) and, off the client's path, mirrors
//! the exchange to the candidate (and to a secondary, a second primary instance, for noise),
//! judges the answers with the engine and rules of `run`, and counts, logs and reports what
//! differs while both systems run.
//!
//! The parts, in the order an exchange meets them:
//! - `proxy` forwards to the primary and hands the exchange to a bounded queue, never waiting:
//!   a full queue, a method that is not allowed, `--sample`, the filters and bodies over the
//!   cap make a skipped exchange instead;
//! - `mirror` takes exchanges off the queue, at most `concurrency` at once, calls the candidate
//!   (and the secondary, for safe methods) and judges;
//! - `recorder`, a thread of its own, adds each outcome to the aggregate, the metrics, the
//!   mismatch log (`mismatch_log`) and the outcome parts (`parts`), and writes reports when
//!   asked (SIGHUP, `--report-every`);
//! - `admin` serves `/metrics` (`metrics`) and `/healthz`;
//! - `session` starts and stops all of it.
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod admin;
mod metrics;
mod mirror;
mod mismatch_log;
mod parts;
mod pending;
mod priority;
mod proxy;
mod recorder;
mod session;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shadowdiff_core::{Filters, Redactor, RuleSet};
use shadowdiff_replay::TargetConfig;
use shadowdiff_report::{Aggregate, Snapshot};

pub use session::serve;

/// Everything `shadowdiff shadow` needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where clients connect.
    pub listen: SocketAddr,
    /// Where `/metrics` and `/healthz` are served.
    pub admin: SocketAddr,
    /// The primary's base URL, without a trailing `/`: every client is answered from it.
    pub primary: String,
    /// The implementation being validated.
    pub candidate: TargetConfig,
    /// A second instance of the primary, asked too so that noise is told from change.
    pub secondary: Option<TargetConfig>,
    /// The comparator rules.
    pub rules: Arc<RuleSet>,
    /// Which exchanges are mirrored (routes, methods, allowed methods).
    pub filters: Filters,
    /// The accepted differences, which the metrics and the mismatch log leave out.
    pub snapshot: Arc<Snapshot>,
    /// Secrets kept out of everything written.
    pub redactor: Redactor,
    /// The share of requests mirrored, 0 to 1.
    pub sample: f64,
    /// Exchanges waiting to be mirrored at most; past that they are skipped.
    pub queue: usize,
    /// Exchanges mirrored at once at most.
    pub concurrency: usize,
    /// The longest a call to any target may take.
    pub timeout: Duration,
    /// The largest body kept for mirroring; larger ones are streamed and not mirrored.
    pub max_body_bytes: u64,
    /// The longest in-flight exchanges may take to finish once asked to stop.
    pub drain_timeout: Duration,
    /// Write the report this often as well as on SIGHUP.
    pub report_every: Option<Duration>,
    /// The report folder, where the outcome parts go too.
    pub out: PathBuf,
    /// Bytes of JSON after which a new outcomes part starts.
    pub part_bytes: u64,
    /// Distinct routes (and route and signature pairs) labelled in the metrics at most.
    pub max_series: usize,
    /// The mismatch log's file; standard error when none.
    pub log: Option<PathBuf>,
    /// Mismatch log lines per route and signature a minute at most.
    pub log_per_minute: u32,
}

/// Why a report is written while the proxy runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// SIGHUP.
    Hangup,
    /// `--report-every`.
    Every,
}

/// What a finished `shadow` process did; the aggregate is the final report's.
#[derive(Debug)]
pub struct Summary {
    /// Requests forwarded to the primary.
    pub requests: u64,
    /// Mirrored exchanges judged.
    pub judged: u64,
    /// Exchanges still being mirrored when the drain timed out (not run).
    pub abandoned: u64,
    /// The outcome parts written, in order.
    pub parts: Vec<PathBuf>,
    /// Everything judged and skipped.
    pub aggregate: Aggregate,
}
