//! Aggregation, the gate and the report files: judged exchanges in, verdict and reports out.

mod aggregate;
mod document;
pub mod gate;
mod outcome;
pub mod render;
mod write;

pub use aggregate::{Aggregate, MAX_EXAMPLES, MAX_SAMPLES};
pub use document::{
    Counts, ErrorGroup, IgnoredRule, Report, RouteReport, Sample, SignatureReport, SkipGroup,
    Verdict, SCHEMA,
};
pub use gate::GatePolicy;
pub use outcome::{Judged, Outcome, OutcomeError};
pub use write::write_reports;
