//! Body rules compiled into one matcher that the engine steps through as it walks a document.

use regex::Regex;

use super::{PathPattern, RuleId};

/// What a body rule does at the places its path matches.
#[derive(Clone, Debug)]
pub enum Action {
    /// Differences at or below the place are hidden.
    Ignore,
    /// The array at the place is compared as a multiset.
    Unordered,
    /// The array at the place is matched item by item on this member.
    Keyed(String),
    /// Numbers at the place are equal within this tolerance.
    Tolerance(Tolerance),
    /// Strings at the place are rewritten on both sides before comparing.
    Normalize {
        /// What to find.
        regex: Regex,
        /// What to put instead (`$1` refers to groups).
        replace: String,
    },
}

/// How far apart two numbers may be and still count as equal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// `|old - new| <= value`.
    Absolute(f64),
    /// `|old - new| <= fraction * max(|old|, |new|)`; `"0.1%"` is a fraction of 0.001.
    Relative(f64),
}

/// One compiled body rule: where, what, and which rule of the set it is.
#[derive(Clone, Debug)]
pub struct BodyRule {
    /// Where the rule applies.
    pub path: PathPattern,
    /// What it does there.
    pub action: Action,
    /// Its identity, for reports.
    pub id: RuleId,
}

/// All body rules of a route, compiled for stepping through a document.
#[derive(Clone, Debug, Default)]
pub struct BodyMatcher {
    rules: Vec<BodyRule>,
}

/// Where the matcher stands at one node of a document: which rules are partly matched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchState {
    active: Vec<(u32, u32)>,
}

impl BodyMatcher {
    /// Compiles the rules; their order decides which of two conflicting array rules wins.
    pub fn new(rules: Vec<BodyRule>) -> BodyMatcher {
        BodyMatcher { rules }
    }
}
