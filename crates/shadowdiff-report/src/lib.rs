//! shadowdiff's reports: judged exchanges in; counts, the verdict of the gate and every report
//! format out. The stages run one way: aggregate (count and merge what was judged, save it for
//! `report merge`) → verdict (noise and snapshot classification, the gate, its reasons, the
//! rules suggested against noise) → render (pure functions of the finished [`Report`] and of the
//! suggestions) → write (every file of a report folder at once). Beside them, the snapshot of
//! accepted differences: its file, its pending changes, and the operations on them ([`Review`]:
//! accept, reject, skip).
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

// The stages, in the order they run; none imports from a later one.
mod aggregate;
mod render;
mod verdict;
mod write;
// What the stages share: the report's model, errors, files written atomically; and the snapshot
// of accepted differences (read by the verdict, updated by its operations).
mod document;
mod error;
mod fs;
mod snapshot;
#[cfg(test)]
mod testutil;
mod unit;

pub use aggregate::part::{combine, Named, Part, Shards};
pub use aggregate::{cut as cut_value, Aggregate, Loaded};
pub use document::{
    percent, Counts, ErrorGroup, IgnoredRule, Latency, LatencyBin, LatencySummary, NoisyPath,
    Report, RouteReport, RuleSuggestion, Sample, Shown, Side, SignatureReport, SkipGroup,
    SnapshotStatus, StaleSignature, TargetNames, Truncated, Verdict, SCHEMA,
};
pub use error::{Error, Result};
pub use render::curl::command as curl_command;
pub use render::{Format, FormatInfo};
pub use snapshot::{
    load_pending, pending_changes, pending_path, render_pending, write_pending, Change, Decision,
    Pending, Review, Selection, Snapshot,
};
pub use verdict::gate::{GatePolicy, Limits, RouteLimits};
pub use verdict::Finish;
pub use write::folder::ReportFolder;
pub use write::write_reports;
