//! Helpers for the engine's unit tests: tiny path patterns and readable difference lists.

use serde_json::Value;

use std::str::FromStr;

use bigdecimal::BigDecimal;

use crate::rules::{Action, BodyMatcher, BodyRule, PathPattern, RuleId, Tolerance};

use super::json::Walker;

use super::{Difference, Target};

/// Parses a path pattern, as rule files do.
pub(crate) fn pattern(text: &str) -> PathPattern {
    PathPattern::parse(text).expect("a valid test pattern")
}

/// Walks two documents from `$` under `matcher` and puts the findings in document order.
pub(crate) fn walk(matcher: &BodyMatcher, old: Value, new: Value) -> Walker<'_> {
    let mut walker = Walker::new(matcher);
    walker.documents(&old, &new);
    walker.sort();
    walker
}

/// A body rule at `path`.
pub(crate) fn rule(path: &str, action: Action, id: u32) -> BodyRule {
    BodyRule {
        path: pattern(path),
        action,
        id: RuleId(id),
    }
}

/// `"$.a[1] changed"`, `"header x added"`, `"status changed"` for each difference.
pub(crate) fn diff_strings(differences: &[Difference]) -> Vec<String> {
    differences
        .iter()
        .map(|d| match &d.target {
            Target::Status => format!("status {}", d.kind.as_str()),
            Target::Header(name) => format!("header {name} {}", d.kind.as_str()),
            Target::Body(path) | Target::Field(path) => format!("{path} {}", d.kind.as_str()),
            Target::Row => d.signature().to_string(),
        })
        .collect()
}

/// An absolute tolerance of the decimal `text`.
pub(crate) fn absolute(text: &str) -> Tolerance {
    Tolerance::Absolute(BigDecimal::from_str(text).expect("a decimal"))
}

/// A relative tolerance of the decimal fraction `text`.
pub(crate) fn relative(text: &str) -> Tolerance {
    Tolerance::Relative(BigDecimal::from_str(text).expect("a decimal"))
}
