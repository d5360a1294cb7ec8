//! The comparison engine: two responses and the route's rules in, typed differences out.
//!
//! Pure: no I/O, no printing, no clock; the same inputs give the same output in the same order.
//! Headers compare case-insensitively with repeats kept; bodies by content type (JSON
//! structurally, text by line, anything else by length and hash), after undoing
//! `Content-Encoding`. Each file does one job: `headers`, `decode`, `body` (dispatch by content
//! type), `json` (the structural walk), `arrays` (ordered, multiset, keyed), `canonical` (the
//! rule-aware hash that aligns array elements), `numbers`, `text` and `binary`.

mod align;
mod arrays;
mod binary;
pub(crate) mod body;
mod canonical;
pub(crate) mod decode;
pub(crate) mod deep;
mod difference;
mod headers;
mod json;
mod numbers;
#[cfg(test)]
mod testutil;
mod text;

pub use body::same_type_and_coding;
pub use difference::{BodyPath, Difference, Ignored, Kind, Signature, Step, Target};

use serde_json::Value;

use crate::model::Response;
use crate::rules::{BodyMatcher, RouteRules};

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
    let mut out = Comparison::default();
    if old.status != new.status {
        match rules.status_ignored_by {
            Some(rule) => out.ignored.push(Ignored {
                rule,
                target: Target::Status,
            }),
            None => out.differences.push(Difference {
                target: Target::Status,
                kind: Kind::Changed,
                old: Some(Value::from(old.status)),
                new: Some(Value::from(new.status)),
                note: None,
            }),
        }
    }
    headers::compare(&old.headers, &new.headers, rules, &mut out);
    let (differences, ignored) = body::compare(old, new, &rules.body);
    out.differences.extend(differences);
    out.ignored.extend(ignored);
    out
}

/// Compares two parsed JSON documents under body rules, as the body of a response would be; for
/// tools and tests that already hold JSON values.
pub fn compare_json(old: &Value, new: &Value, rules: &BodyMatcher) -> Comparison {
    let mut walker = json::Walker::new(rules);
    walker.documents(old, new);
    walker.sort();
    Comparison {
        differences: walker.differences,
        ignored: walker.ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::diff_strings;
    use super::*;
    use crate::model::Body;
    use crate::rules::RuleId;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Body::Text(body.into()),
        }
    }

    #[test]
    fn status_headers_then_body_in_order() {
        let old = response(
            200,
            &[("content-type", "application/json"), ("b", "1")],
            r#"{"z": 1, "a": [1]}"#,
        );
        let new = response(
            201,
            &[("Content-Type", "application/json"), ("a", "1")],
            r#"{"z": 2, "a": [1, 2]}"#,
        );
        let out = compare(&old, &new, &RouteRules::default());
        assert_eq!(
            diff_strings(&out.differences),
            vec![
                "status changed",
                "header a added",
                "header b removed",
                "$.a[1] added",
                "$.z changed"
            ]
        );
        assert_eq!(out.differences[0].old, Some(Value::from(200)));
        assert_eq!(compare(&old, &new, &RouteRules::default()), out);
    }

    #[test]
    fn an_ignored_status_is_recorded_as_ignored() {
        let rules = RouteRules {
            status_ignored_by: Some(RuleId(1)),
            ..RouteRules::default()
        };
        let out = compare(&response(200, &[], ""), &response(500, &[], ""), &rules);
        assert!(out.differences.is_empty());
        assert_eq!(
            out.ignored,
            vec![Ignored {
                rule: RuleId(1),
                target: Target::Status
            }]
        );
    }
}
