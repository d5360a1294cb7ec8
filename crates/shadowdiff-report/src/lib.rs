//! shadowdiff's reports: judged exchanges in; counts, the verdict of the gate and every report
//! format out. The stages run one way: aggregate (count and merge what was judged, save it for
//! `report merge`) → verdict (noise and snapshot classification, the gate) → render (pure
//! functions of the finished [`Report`]) → write (every file of a report folder at once).
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod aggregate;
mod document;
mod error;
mod folder;
mod gate;
mod latency;
mod part;
mod render;
mod sign_test;
mod snapshot;
mod write;

pub use aggregate::{Aggregate, Finish, MAX_EXAMPLES, MAX_SAMPLES, MAX_SAMPLE_VALUE};
pub use document::{
    cut_mark, human_size, Counts, ErrorGroup, IgnoredRule, Latency, LatencyBin, LatencySummary,
    Report, RouteReport, Sample, Shown, Side, SignatureReport, SkipGroup, SnapshotStatus,
    StaleSignature, TargetNames, Truncated, Verdict, SCHEMA,
};
pub use error::{Error, Result};
pub use folder::ReportFolder;
pub use gate::{percent, GatePolicy, Limits, RouteLimits};
pub use part::{combine, Named, Part, Shards};
pub use render::{suggested_rules, Format, FormatInfo};
pub use snapshot::{
    load_pending, pending_changes, pending_path, render_pending, write_pending, Change, Pending,
    Snapshot,
};
pub use write::{write_atomically, write_reports, AGGREGATE_FILE};
