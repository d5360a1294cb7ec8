//! Every request the proxy receives ends in exactly one outcome: judged (by the recorder),
//! skipped (here, at once), or not run when the proxy stopped before it was judged. A
//! [`Pending`] travels with the exchange from the moment it arrives; settling it is the only
//! way to end it, and one dropped unsettled (a task cut off by the drain deadline) counts as
//! not run, so the counts add up however the process stops.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use shadowdiff_core::{Judged, Outcome, Timing};
use shadowdiff_report::Aggregate;

use crate::metrics::{Metrics, Skip};

/// Why an exchange cut off by the drain deadline was not judged.
pub const NOT_RUN: &str =
    "the proxy stopped before this exchange was judged (in flight when --drain-timeout ran out)";

/// What every outcome is counted into.
pub struct Tally {
    aggregate: Mutex<Aggregate>,
    /// The metrics, shared with the proxy and `/metrics`.
    pub metrics: Arc<Metrics>,
    abandoned: AtomicU64,
}

impl Tally {
    /// Counts into `aggregate` and `metrics`.
    pub fn new(aggregate: Aggregate, metrics: Arc<Metrics>) -> Tally {
        Tally {
            aggregate: Mutex::new(aggregate),
            metrics,
            abandoned: AtomicU64::new(0),
        }
    }

    /// The aggregate, for adding an outcome or copying it for a report.
    pub fn aggregate(&self) -> MutexGuard<'_, Aggregate> {
        self.aggregate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Exchanges that ended not run.
    pub fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// The aggregate, once nothing else holds the tally.
    pub fn into_aggregate(self) -> Aggregate {
        self.aggregate
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// One request on its way to an outcome.
pub struct Pending {
    seq: u64,
    route: String,
    tally: Arc<Tally>,
    open: bool,
}

impl Pending {
    /// Request number `seq` (1-based), of `route`.
    pub fn new(seq: u64, route: String, tally: Arc<Tally>) -> Pending {
        Pending {
            seq,
            route,
            tally,
            open: true,
        }
    }

    /// The exchange id: `s` and the request's number.
    pub fn id(&self) -> String {
        format!("s{:06}", self.seq)
    }

    /// The request's number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Ends the exchange as skipped, `reason` saying why in the report.
    pub fn skip(mut self, why: Skip, reason: impl Into<String>) {
        self.open = false;
        self.tally.metrics.skipped(why);
        let outcome = Outcome::Skipped(reason.into());
        self.count(outcome);
    }

    /// The exchange was judged: the recorder counts it.
    pub fn settle(mut self) {
        self.open = false;
    }

    fn count(&self, outcome: Outcome) {
        let judged = Judged {
            id: self.id(),
            seq: self.seq,
            route: self.route.clone(),
            outcome,
            noise: None,
            timing: Timing::default(),
        };
        self.tally.aggregate().add(&judged, None);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.open {
            self.tally.abandoned.fetch_add(1, Ordering::SeqCst);
            self.count(Outcome::NotRun(NOT_RUN.to_string()));
        }
    }
}
