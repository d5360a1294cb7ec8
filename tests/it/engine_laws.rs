//! Laws of the comparison engine, checked with generated documents and rule sets.
//!
//! Two laws are stated in the form the engine can keep (see the comments at each):
//! (b) uses Ignore patterns made of member names only, because array alignment is rule-aware
//! by design, and (e) allows array indices in the new document to differ, because differences
//! inside matched elements carry the old index.

use std::collections::BTreeSet;

use crate::common::proptest_config;
use proptest::prelude::*;
use serde_json::{Map, Value};
use shadowdiff_core::{
    compare, compare_json, Action, Body, BodyMatcher, BodyPath, BodyRule, Kind, PathPattern,
    Response, RouteRules, RuleId, Segment, Step, Target, Tolerance,
};

const KEYS: &[&str] = &["a", "b", "c", "id"];

fn decimal(text: &str) -> bigdecimal::BigDecimal {
    text.parse().expect("a decimal")
}

fn pattern(segments: Vec<Segment>) -> PathPattern {
    PathPattern {
        text: format!("{segments:?}"),
        segments,
    }
}

fn rule(segments: Vec<Segment>, action: Action, id: u32) -> BodyRule {
    BodyRule {
        path: pattern(segments),
        action,
        id: RuleId(id),
    }
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS).prop_map(str::to_string)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..4).prop_map(Value::from),
        prop::sample::select(vec![0.5, 1.0, 2.25, -1.5, 1e20]).prop_map(Value::from),
        "[xy1-3]{0,3}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Rewrites `value` a little, driven by `edits`: changed leaves, dropped or added members and
/// elements, swapped elements. Pairs made this way share most of their structure.
fn mutate(value: &Value, edits: &mut impl Iterator<Item = u8>) -> Value {
    let edit = edits.next().unwrap_or(0);
    match value {
        Value::Object(members) => {
            let mut out = Map::new();
            for (k, v) in members {
                match edits.next().unwrap_or(0) {
                    0..=11 => {}
                    _ => {
                        out.insert(k.clone(), mutate(v, edits));
                    }
                }
            }
            if edit < 20 {
                out.insert(
                    KEYS[usize::from(edit) % KEYS.len()].to_string(),
                    Value::from(edit),
                );
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|v| mutate(v, edits)).collect();
            match edit {
                0..=19 => out.insert(usize::from(edit) % (out.len() + 1), Value::from(edit)),
                20..=39 if !out.is_empty() => {
                    out.remove(usize::from(edit) % out.len());
                }
                40..=59 if out.len() > 1 => {
                    let last = out.len() - 1;
                    out.swap(0, last);
                }
                _ => {}
            }
            Value::Array(out)
        }
        Value::Number(_) if edit < 40 => Value::from(f64::from(edit) / 8.0),
        Value::String(s) if edit < 40 => Value::from(format!("{s}{}", edit % 3)),
        Value::Bool(b) if edit < 30 => Value::from(!b),
        _ if edit > 245 => Value::from("swapped"),
        other => other.clone(),
    }
}

fn pair() -> impl Strategy<Value = (Value, Value)> {
    prop_oneof![
        (value(), value()),
        (value(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(old, edits)| {
            let new = mutate(&old, &mut edits.into_iter());
            (old, new)
        }),
    ]
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        key().prop_map(Segment::Child),
        (0usize..3).prop_map(Segment::Index),
        Just(Segment::Wildcard),
        key().prop_map(Segment::Descendant),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Ignore),
        Just(Action::Unordered),
        Just(Action::Keyed("id".into())),
        Just(Action::Tolerance(Tolerance::Absolute(decimal("0.5")))),
        Just(Action::Tolerance(Tolerance::Relative(decimal("0.1")))),
        Just(Action::Normalize {
            regex: regex::Regex::new("[0-9]").expect("regex"),
            replace: "N".into(),
        }),
    ]
}

fn rules() -> impl Strategy<Value = Vec<BodyRule>> {
    prop::collection::vec((prop::collection::vec(segment(), 0..4), action()), 0..5).prop_map(
        |rules| {
            rules
                .into_iter()
                .zip(0..)
                .map(|((segments, action), id)| rule(segments, action, id))
                .collect()
        },
    )
}

fn places(old: &Value, new: &Value, rules: &BodyMatcher) -> BTreeSet<(Target, Kind)> {
    compare_json(old, new, rules)
        .differences
        .into_iter()
        .map(|d| (d.target, d.kind))
        .collect()
}

fn resolve<'v>(value: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    steps.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.as_object()?.get(key),
        Step::Index(index) => node.as_array()?.get(*index),
    })
}

/// Like [`resolve`], but any element may stand at an index step.
fn resolves_leniently(value: &Value, steps: &[Step]) -> bool {
    match steps.split_first() {
        None => true,
        Some((Step::Key(key), rest)) => value
            .as_object()
            .and_then(|members| members.get(key))
            .is_some_and(|child| resolves_leniently(child, rest)),
        Some((Step::Index(_), rest)) => value
            .as_array()
            .is_some_and(|items| items.iter().any(|child| resolves_leniently(child, rest))),
    }
}

fn json_response(value: &Value) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(value.to_string()),
    }
}

proptest! {
    #![proptest_config(proptest_config(200))]

    /// (a) A document compared with itself shows nothing, under any rules.
    #[test]
    fn a_document_equals_itself(doc in value(), rules in rules()) {
        let matcher = BodyMatcher::new(rules);
        let out = compare_json(&doc, &doc, &matcher);
        prop_assert!(out.differences.is_empty(), "{:?}", out.differences);
        prop_assert!(out.ignored.is_empty(), "{:?}", out.ignored);
        let response = json_response(&doc);
        let route = RouteRules { body: matcher, ..RouteRules::default() };
        prop_assert_eq!(compare(&response, &response, &route).differences, vec![]);
    }

    /// (b) Adding an Ignore rule never adds a difference. The rule's pattern is made of member
    /// names only: such a pattern never matches inside an array, so it cannot change how array
    /// elements align. (An Ignore inside array elements changes the rule-aware alignment on
    /// purpose, and then differences can move: two Changed can become one Removed and one Added.)
    #[test]
    fn an_ignore_rule_only_hides(
        (old, new) in pair(),
        base in rules(),
        ignore in prop::collection::vec(key(), 0..3),
    ) {
        let id = u32::try_from(base.len()).unwrap_or(u32::MAX);
        let without = places(&old, &new, &BodyMatcher::new(base.clone()));
        let mut more = base;
        more.push(rule(ignore.into_iter().map(Segment::Child).collect(), Action::Ignore, id));
        let with = places(&old, &new, &BodyMatcher::new(more));
        prop_assert!(with.is_subset(&without), "with {with:?}\nwithout {without:?}");
    }

    /// (c) An unordered array does not see a permutation.
    #[test]
    fn unordered_arrays_ignore_permutations(
        (items, shuffled) in prop::collection::vec(value(), 0..8)
            .prop_flat_map(|items| (Just(items.clone()), Just(items).prop_shuffle())),
    ) {
        let matcher = BodyMatcher::new(vec![rule(vec![Segment::Child("a".into())], Action::Unordered, 0)]);
        let old = serde_json::json!({"a": items});
        let new = serde_json::json!({"a": shuffled});
        let out = compare_json(&old, &new, &matcher);
        prop_assert!(out.differences.is_empty(), "{:?}", out.differences);
    }

    /// (d) A keyed array with unique keys does not see a permutation.
    #[test]
    fn keyed_arrays_ignore_permutations(
        (items, order) in prop::collection::vec(value(), 0..8).prop_flat_map(|items| {
            let order: Vec<usize> = (0..items.len()).collect();
            (Just(items), Just(order).prop_shuffle())
        }),
    ) {
        let keyed: Vec<Value> = items
            .into_iter()
            .enumerate()
            .map(|(i, body)| serde_json::json!({"id": format!("k{i}"), "body": body}))
            .collect();
        let shuffled: Vec<Value> = order.iter().map(|&i| keyed[i].clone()).collect();
        let matcher = BodyMatcher::new(vec![rule(vec![Segment::Child("items".into())], Action::Keyed("id".into()), 0)]);
        let old = serde_json::json!({"items": keyed});
        let new = serde_json::json!({"items": shuffled});
        let out = compare_json(&old, &new, &matcher);
        prop_assert!(out.differences.is_empty(), "{:?}", out.differences);
    }

    /// A shuffled ordered array is one `reordered` difference at the array, or none when the
    /// order did not change: never a cascade of moved elements.
    #[test]
    fn a_shuffled_array_is_one_reordered_difference(
        (items, order) in prop::collection::vec(value(), 0..8).prop_flat_map(|items| {
            let order: Vec<usize> = (0..items.len()).collect();
            (Just(items), Just(order).prop_shuffle())
        }),
    ) {
        let shuffled: Vec<Value> = order.iter().map(|&i| items[i].clone()).collect();
        let old = serde_json::json!({"items": items});
        let new = serde_json::json!({"items": shuffled});
        let out = compare_json(&old, &new, &BodyMatcher::default());
        let kinds: Vec<(String, Kind)> = out
            .differences
            .iter()
            .map(|d| (d.target.place().unwrap_or_default(), d.kind))
            .collect();
        if compare_json(&old, &new, &BodyMatcher::new(vec![rule(vec![Segment::Child("items".into())], Action::Unordered, 0)])).differences.is_empty()
            && !kinds.is_empty()
        {
            prop_assert_eq!(kinds, vec![("$.items".to_string(), Kind::Reordered)]);
        }
    }

    /// (e) Every difference's path is real. Removed, Changed and Type paths resolve in old, to the
    /// value the difference shows.
    /// Added paths resolve in new and their parent resolves in old. Differences inside matched
    /// array elements use the old index, so in new, index steps may stand for another element.
    #[test]
    fn difference_paths_exist((old, new) in pair(), rules in rules()) {
        let matcher = BodyMatcher::new(rules);
        for difference in compare_json(&old, &new, &matcher).differences {
            let Target::Body(BodyPath(steps)) = &difference.target else {
                return Err(TestCaseError::fail("a JSON comparison gave a non-body target"));
            };
            match difference.kind {
                Kind::Removed | Kind::Changed | Kind::Type | Kind::Reordered => {
                    prop_assert_eq!(resolve(&old, steps), difference.old.as_ref(), "at {:?}", steps);
                }
                Kind::Added => {
                    let parent = &steps[..steps.len().saturating_sub(1)];
                    prop_assert!(resolve(&old, parent).is_some(), "parent of {:?} not in old", steps);
                }
            }
            if difference.kind != Kind::Removed {
                prop_assert!(resolves_leniently(&new, steps), "{:?} not in new", steps);
            }
        }
    }
}
