//! Helpers for the engine's unit tests: tiny path patterns and readable difference lists.

use crate::rules::{Action, BodyRule, PathPattern, RuleId, Segment};

use super::{Difference, Target};

/// Builds a pattern from the simple forms `$`, `.name`, `..name`, `[N]` and `[*]`.
pub(crate) fn pattern(text: &str) -> PathPattern {
    let mut segments = Vec::new();
    let mut rest = text.strip_prefix('$').expect("pattern starts with $");
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[*]") {
            segments.push(Segment::Wildcard);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').expect("closing bracket");
            segments.push(Segment::Index(after[..end].parse().expect("index")));
            rest = &after[end + 1..];
        } else {
            let descendant = rest.starts_with("..");
            let after = rest.trim_start_matches('.');
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = after[..end].to_string();
            segments.push(match (descendant, name.as_str()) {
                (false, "*") => Segment::Wildcard,
                (true, _) => Segment::Descendant(name),
                (false, _) => Segment::Child(name),
            });
            rest = &after[end..];
        }
    }
    PathPattern {
        segments,
        text: text.to_string(),
    }
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
            Target::Body(path) => format!("{path} {}", d.kind.as_str()),
        })
        .collect()
}
