//! Headers compared by lower-case name, values kept in order with repeats.
//!
//! A difference shows each side's values as one JSON string, repeated lines joined with `", "`
//! (the combined field value of RFC 9110 §5.3). The comparison itself is over the list of
//! values, so a header split differently over repeated lines differs, with a note saying so.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::{Comparison, Difference, Ignored, Kind, Target};
use crate::model::Headers;
use crate::rules::RouteRules;

/// Values per lower-case name, in the order they were received, surrounding whitespace trimmed.
/// Names already in lower case (as HTTP/2 and hyper give them) are borrowed.
fn group(headers: &Headers) -> BTreeMap<Cow<'_, str>, Vec<&str>> {
    let mut grouped: BTreeMap<Cow<'_, str>, Vec<&str>> = BTreeMap::new();
    for (name, value) in headers {
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name.as_str())
        };
        grouped.entry(name).or_default().push(value.trim());
    }
    grouped
}

/// Adds the header differences (and the ones rules hid) to `out`, sorted by name.
pub(crate) fn compare(old: &Headers, new: &Headers, rules: &RouteRules, out: &mut Comparison) {
    // The same headers in the same order differ nowhere, and no rule has anything to hide.
    if old == new {
        return;
    }
    let (old, new) = (group(old), group(new));
    let mut names: Vec<&Cow<'_, str>> = old.keys().chain(new.keys()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let (a, b) = (old.get(name), new.get(name));
        if a == b {
            continue;
        }
        let target = Target::Header(name.to_string());
        if let Some(rule) = rules.header_ignored_by(name) {
            out.ignored.push(Ignored { rule, target });
            continue;
        }
        let joined = |values: Option<&Vec<&str>>| values.map(|v| Value::String(v.join(", ")));
        let (old_value, new_value) = (joined(a), joined(b));
        let (kind, note) = match (a, b) {
            (Some(_), None) => (Kind::Removed, None),
            (None, Some(_)) => (Kind::Added, None),
            (Some(a), Some(b)) => {
                let note = (old_value == new_value).then(|| {
                    format!(
                        "the same values split differently over repeated `{name}` lines (old {}, new {})",
                        a.len(),
                        b.len()
                    )
                });
                (Kind::Changed, note)
            }
            (None, None) => continue,
        };
        out.differences.push(Difference {
            target,
            kind,
            old: old_value,
            new: new_value,
            note,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::testutil::diff_strings;
    use crate::rules::{RuleId, VOLATILE_HEADERS};

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn run(old: &[(&str, &str)], new: &[(&str, &str)], rules: &RouteRules) -> Comparison {
        let mut out = Comparison::default();
        compare(&headers(old), &headers(new), rules, &mut out);
        out
    }

    #[test]
    fn names_are_case_insensitive_and_sorted() {
        let out = run(
            &[("Content-Type", "a"), ("X-Old", "1"), ("Vary", "b")],
            &[("content-type", "a"), ("x-new", "1"), ("VARY", "c")],
            &RouteRules::default(),
        );
        assert_eq!(
            diff_strings(&out.differences),
            vec![
                "header vary changed",
                "header x-new added",
                "header x-old removed"
            ]
        );
        assert_eq!(out.differences[0].old, Some(Value::from("b")));
        assert_eq!(out.differences[2].new, None);
    }

    #[test]
    fn repeated_values_keep_order_and_join() {
        let rules = RouteRules::default();
        let same = run(&[("a", "1"), ("A", "2")], &[("a", "1"), ("a", "2")], &rules);
        assert!(same.differences.is_empty());
        let order = run(&[("a", "1"), ("a", "2")], &[("a", "2"), ("a", "1")], &rules);
        assert_eq!(order.differences[0].old, Some(Value::from("1, 2")));
        assert_eq!(order.differences[0].new, Some(Value::from("2, 1")));
        let split = run(&[("a", "1"), ("a", "2")], &[("a", "1, 2")], &rules);
        assert!(split.differences[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("split")));
    }

    #[test]
    fn ignored_headers_are_recorded_only_when_they_differ() {
        let rules = RouteRules {
            headers_ignored: VOLATILE_HEADERS
                .iter()
                .map(|name| (name.to_string(), RuleId(0)))
                .collect(),
            ..RouteRules::default()
        };
        let out = run(
            &[("Date", "Mon"), ("Server", "x")],
            &[("date", "Tue"), ("server", "x")],
            &rules,
        );
        assert!(out.differences.is_empty());
        assert_eq!(
            out.ignored,
            vec![Ignored {
                rule: RuleId(0),
                target: Target::Header("date".into())
            }]
        );
    }

    #[test]
    fn headers_only_compares_just_those() {
        let rules = RouteRules {
            headers_only: Some((vec!["content-type".into()], RuleId(5))),
            ..RouteRules::default()
        };
        let out = run(
            &[("content-type", "a"), ("etag", "1")],
            &[("content-type", "b"), ("etag", "2")],
            &rules,
        );
        assert_eq!(
            diff_strings(&out.differences),
            vec!["header content-type changed"]
        );
        assert_eq!(out.ignored.len(), 1);
        assert_eq!(out.ignored[0].rule, RuleId(5));
    }
}
