//! Aggregation, the gate and the report files: judged exchanges in, verdict and reports out.

mod aggregate;
mod document;
mod folder;
pub mod gate;
mod latency;
mod outcome;
pub mod part;
pub mod render;
mod sign_test;
pub mod snapshot;
mod write;

pub use aggregate::{Aggregate, Finish, MAX_EXAMPLES, MAX_SAMPLES, MAX_SAMPLE_VALUE};
pub use document::{
    cut_mark, human_size, Counts, ErrorGroup, IgnoredRule, Latency, LatencyBin, LatencySummary,
    Report, RouteReport, Sample, Shown, Side, SignatureReport, SkipGroup, SnapshotStatus,
    StaleSignature, TargetNames, Truncated, Verdict, SCHEMA,
};
pub use folder::ReportFolder;
pub use gate::{GatePolicy, Limits, RouteLimits};
pub use latency::Timing;
pub use outcome::{Judged, Outcome, OutcomeError};
pub use snapshot::Snapshot;
pub use write::{write_atomically, write_reports, AGGREGATE_FILE};
