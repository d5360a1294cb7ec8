//! The core of shadowdiff: what an exchange is, the rules that say which differences count, the
//! comparison engine, the judging of one exchange, redaction, and the outcome line every later
//! stage reads. No I/O, no async runtime, no thread pool: a Rust service can depend on this crate
//! alone and compare its old and new answers in process.
//!
//! ```
//! use std::path::Path;
//! use std::time::Duration;
//!
//! use shadowdiff_core::{Body, Request, Response, RuleSet, Shadow};
//!
//! # fn main() -> Result<(), shadowdiff_core::Error> {
//! // The service's rules, as its comparator rule file holds them.
//! let rules = r#"
//! [[route]]
//! match = "GET /orders/{id}"
//! ignore = ["$.servedBy"]
//! "#;
//! let shadow = Shadow::new(RuleSet::parse(rules, Path::new("comparators/orders.toml"))?);
//!
//! // One call, answered by the old code (which the client got) and by the new code.
//! let request = Request {
//!     method: "GET".into(),
//!     url: "/orders/7".into(),
//!     headers: vec![("authorization".into(), "Bearer s3cr3t".into())],
//!     body: Body::Empty,
//! };
//! let answer = |body: &str| Response {
//!     status: 200,
//!     headers: vec![("content-type".into(), "application/json".into())],
//!     body: Body::Text(body.into()),
//! };
//! let old = answer(r#"{"id":7,"total":12.5,"servedBy":"old-7f9c"}"#);
//! let new = answer(r#"{"id":7,"total":12.50,"servedBy":"new-01"}"#);
//! let call = shadow.compare(
//!     "call-1",
//!     &request,
//!     (old, Duration::from_millis(4)),
//!     (new, Duration::from_millis(3)),
//! );
//! assert!(call.is_equal(), "{:?}", call.differences());
//!
//! // The line to append to an outcomes file (`outcomes.jsonl`, `.jsonl.zst`, or a folder of
//! // such parts), which `shadowdiff diff outcomes.jsonl` re-judges into a report folder: every
//! // report format, the gate and the snapshot, as for a replay.
//! let line = call.to_outcome_line();
//! assert!(line.starts_with(r#"{"id":"call-1","seq":0,"route":"GET /orders/{id}","outcome":"equal""#));
//! assert!(!line.contains("s3cr3t"), "secrets are redacted");
//!
//! // A real change is a difference with a signature, as in every report.
//! let changed = answer(r#"{"id":7,"total":13,"servedBy":"new-01"}"#);
//! let old = answer(r#"{"id":7,"total":12.5,"servedBy":"old-7f9c"}"#);
//! let call = shadow.compare("call-2", &request, (old, Duration::ZERO), (changed, Duration::ZERO));
//! assert_eq!(call.differences()[0].signature().to_string(), "body $.total changed");
//! # Ok(())
//! # }
//! ```
//!
//! How the crates fit together: `docs/ARCHITECTURE.md` in the repository.
#![deny(missing_docs)]

mod capture;
mod compare;
mod error;
mod experiment;
mod filter;
mod judge;
mod model;
mod outcome;
mod outcome_line;
mod partition;
mod redact;
mod row;
mod rules;
mod session;
mod shadow;
mod value_path;
mod values;

pub use capture::{
    reconcile, reconcile_values, rewrite_request, scalar_text, CapturePlace, CaptureScope, Captured,
};
pub use compare::{
    compare, compare_json, same_type_and_coding, BodyPath, Comparison, Difference, Ignored, Kind,
    Signature, Step, Target,
};
pub use error::{Error, Location, Origin, Result};
pub use experiment::{Experiment, Sink};
pub use filter::{Filters, RouteGlob, SAFE_METHODS};
pub use judge::{judge, Pair};
pub use model::{header, Body, Exchange, Headers, Request, Response};
pub use outcome::{Judged, Outcome, OutcomeError, Timing};
pub use outcome_line::{
    is_outcome_line, Answer, AnswerError, Answered, Answers, DifferenceLine, OutcomeLine,
};
pub use partition::Partition;
pub use redact::{Redactor, REDACTED};
pub use row::{is_row_line, judge_row, RowLine, RowPair};
pub use rules::{
    infer_route, Action, BodyMatcher, BodyRule, MatchState, PathPattern, RouteMatch, RouteRules,
    RouteTemplate, RuleId, RuleSet, Segment, Tolerance,
};
pub use session::SessionKey;
pub use shadow::{Shadow, ShadowCall};
pub use values::{
    at_least_one, number, parse_duration, per_second, retries, seconds_duration, share, whole,
};
