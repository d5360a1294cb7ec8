//! shadowdiff's replay stage: recorded requests sent to the old and the new implementation in
//! parallel (HTTP, a command per request, or the recorded answer), each answer judged as it
//! arrives; the same judging offline, from two recordings or a past run's outcomes; and
//! `record`, the capturing proxy, which shares the HTTP client. Judged exchanges leave through
//! a callback or a channel: this stage never aggregates or renders.
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod client;
mod error;
mod offline;
mod outcomes;
mod pipeline;
mod reader;
mod record;
pub mod relay;
mod signal;
mod stateful;
mod target;
mod targets;
mod time_order;

pub use client::{describe, relay_client, RelayClient, HOP_BY_HOP};
pub use error::{Error, Result};
pub use offline::{diff, outcome_files, rejudge};
pub use outcomes::{outcome_line, spawn_writer, OutcomeSender, Written};
pub use pipeline::{judge_answers, run, Answer, Ending, Finished, Plan, Stop};
pub use record::{
    parse_upstream, sampled, serve, RotatingWriter, Selection, Settings as RecordSettings,
    Summary as RecordSummary,
};
pub use signal::stop_signal;
pub use stateful::CaptureRecord;
pub use target::{CallError, HeaderEdits, Reply, Target, TargetConfig, TargetSettings};
pub use targets::{NoiseSource, Targets};
