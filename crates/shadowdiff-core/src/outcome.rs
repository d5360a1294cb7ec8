//! The outcome of one exchange: the unit every stage after comparison works with.

use std::time::Duration;

use crate::compare::Comparison;

/// How one exchange ended. Every exchange read ends in exactly one outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Both responses were compared; equal when no difference counts.
    Compared(Comparison),
    /// The exchange could not be compared (a side missing, a target failing).
    Error(OutcomeError),
    /// The exchange was deliberately not replayed or compared.
    Skipped(String),
    /// The run stopped before this exchange was replayed or while it was (a target down, an
    /// interruption): nothing is known of its answers. The reason says why the run stopped.
    NotRun(String),
}

/// Why an exchange ended in error: a short stable kind for grouping, and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeError {
    /// A stable, lower-case kind for grouping in reports (`only_in_a`, `no_response`, `timeout`).
    pub kind: String,
    /// What happened, for people.
    pub message: String,
}

/// One judged exchange, as the aggregate receives it, in input order.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// The exchange id.
    pub id: String,
    /// The exchange's position in the recordings read (before partitioning), which orders
    /// examples: the first ones in input order are kept, whichever part of a run saw them.
    pub seq: u64,
    /// The route the exchange belongs to (`GET /orders/{id}`).
    pub route: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Old compared with a second answer of the old implementation, when noise is measured:
    /// what differs there is noise, not a change.
    pub noise: Option<Comparison>,
    /// How long each target took to answer (timing, not behaviour).
    pub timing: Timing,
}

impl OutcomeError {
    /// A target's failed call, named as every report groups it: kind `ROLE_KIND`
    /// (`new_timeout`), message `ROLE: MESSAGE`.
    pub fn failed_call(role: &str, kind: &str, message: impl std::fmt::Display) -> OutcomeError {
        OutcomeError::new(&format!("{role}_{kind}"), format!("{role}: {message}"))
    }

    /// An error outcome of the given kind.
    pub fn new(kind: &str, message: impl Into<String>) -> OutcomeError {
        OutcomeError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

/// How long each target took for one exchange, where it answered.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// The old implementation.
    pub old: Option<Duration>,
    /// The new implementation.
    pub new: Option<Duration>,
    /// The noise measurement.
    pub noise: Option<Duration>,
}
