//! The comparison engine: two responses and the route's rules in, typed differences out.
//!
//! Pure: no I/O, no printing, no clock. Headers compare case-insensitively with repeats kept;
//! bodies by content type (JSON structurally, text by line, anything else by length and hash),
//! after undoing `Content-Encoding`.

mod difference;

pub use difference::{BodyPath, Difference, Ignored, Kind, Signature, Step, Target};

use crate::model::Response;
use crate::rules::RouteRules;

/// Everything the engine found between two responses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Differences that count, in a stable order: status, headers by name, body in document order.
    pub differences: Vec<Difference>,
    /// Differences that a rule hid, each naming the rule.
    pub ignored: Vec<Ignored>,
}

/// Compares the old and the new response under the route's rules.
pub fn compare(old: &Response, new: &Response, rules: &RouteRules) -> Comparison {
    todo!("{old:?} {new:?} {rules:?}")
}
