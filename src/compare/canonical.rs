//! A rule-aware structural hash, so that array elements align when the rules call them equal.
//!
//! The hash is xxh3 (stable across runs and platforms) over a walk that ignores object key order,
//! hashes numbers by value (`1.0` and `1` agree), skips members hidden by an Ignore rule (and
//! hashes ignored elements as a placeholder), hashes normalized strings, hashes numbers under a
//! tolerance as a placeholder, and hashes unordered and keyed arrays independently of order.
//! Equal values always hash equal under the same rules; the walk itself still compares matched
//! elements, so a collision can only pair elements up, never hide a difference.

use serde_json::Value;
use xxhash_rust::xxh3::{xxh3_64_with_seed, Xxh3};

use super::json::{here, Scope};
use super::numbers::{self, NumberKey};
use crate::rules::{BodyMatcher, MatchState};

const NULL: u64 = 0;
const BOOL: u64 = 1;
const INTEGER: u64 = 2;
const FLOAT: u64 = 3;
const STRING: u64 = 4;
const ARRAY: u64 = 5;
const BAG: u64 = 6;
const OBJECT: u64 = 7;
const MEMBER: u64 = 8;
const TOLERATED: u64 = 9;
const IGNORED: u64 = 10;
const EXACT: u64 = 11;
const NUMBER_TEXT: u64 = 12;

/// The hash of a place that an Ignore rule hides.
fn ignored() -> u64 {
    xxh3_64_with_seed(&[], IGNORED)
}

/// The hash of `value` at the place of `state`, under the rules in force there.
pub(crate) fn hash(
    matcher: &BodyMatcher,
    value: &Value,
    state: &MatchState,
    scope: &Scope<'_>,
) -> u64 {
    hash_at(matcher, value, state, scope).unwrap_or_else(ignored)
}

/// The hash of `value` ignoring every rule: for keys of keyed arrays.
pub(crate) fn plain(value: &Value) -> u64 {
    let matcher = BodyMatcher::default();
    hash(&matcher, value, &MatchState::default(), &Scope::default())
}

/// `None` when an Ignore rule hides the place.
fn hash_at(
    matcher: &BodyMatcher,
    value: &Value,
    state: &MatchState,
    scope: &Scope<'_>,
) -> Option<u64> {
    let here = here(matcher, state, scope);
    if here.ignore.is_some() {
        return None;
    }
    let scope = here.scope.as_ref();
    let hash = match value {
        Value::Null => xxh3_64_with_seed(&[], NULL),
        Value::Bool(b) => xxh3_64_with_seed(&[u8::from(*b)], BOOL),
        Value::Number(_) if scope.tolerance.is_some() => xxh3_64_with_seed(&[], TOLERATED),
        Value::Number(n) => match numbers::key(n) {
            NumberKey::Small(i) => xxh3_64_with_seed(&i128::from(i).to_le_bytes(), INTEGER),
            NumberKey::Exact {
                negative,
                digits,
                exponent,
            } => {
                let mut h = Xxh3::with_seed(EXACT);
                h.update(&[u8::from(negative)]);
                h.update(&exponent.to_le_bytes());
                h.update(digits.as_bytes());
                h.digest()
            }
            NumberKey::Double(bits) => xxh3_64_with_seed(&bits.to_le_bytes(), FLOAT),
            NumberKey::Text(text) => xxh3_64_with_seed(text.as_bytes(), NUMBER_TEXT),
        },
        Value::String(s) => xxh3_64_with_seed(scope.normalized(s).as_bytes(), STRING),
        Value::Array(items) => {
            let element =
                |(i, item): (usize, &Value)| hash(matcher, item, &matcher.index(state, i), scope);
            if here.array.is_some() {
                // Order does not count here, so neither do rules that name an index.
                let any = matcher.any_index(state);
                let (sum, mixed) = items
                    .iter()
                    .map(|item| hash(matcher, item, &any, scope))
                    .fold((0u64, 0u64), |(sum, mixed), h| {
                        (
                            sum.wrapping_add(h),
                            mixed.wrapping_add(
                                h.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                            ),
                        )
                    });
                let mut h = Xxh3::new();
                h.update(&BAG.to_le_bytes());
                h.update(&(items.len() as u64).to_le_bytes());
                h.update(&sum.to_le_bytes());
                h.update(&mixed.to_le_bytes());
                h.digest()
            } else {
                let mut h = Xxh3::new();
                h.update(&ARRAY.to_le_bytes());
                h.update(&(items.len() as u64).to_le_bytes());
                for item in items.iter().enumerate() {
                    h.update(&element(item).to_le_bytes());
                }
                h.digest()
            }
        }
        Value::Object(members) => {
            let mut count = 0u64;
            let mut sum = 0u64;
            for (key, member) in members {
                let child = matcher.child(state, key);
                let Some(value_hash) = hash_at(matcher, member, &child, scope) else {
                    continue;
                };
                let member_hash = xxh3_64_with_seed(key.as_bytes(), value_hash ^ MEMBER);
                sum = sum.wrapping_add(member_hash);
                count += 1;
            }
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&count.to_le_bytes());
            bytes[8..].copy_from_slice(&sum.to_le_bytes());
            xxh3_64_with_seed(&bytes, OBJECT)
        }
    };
    Some(hash)
}

/// Whether two values are the same, ignoring key order and comparing numbers by value; no rules.
pub(crate) fn same(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Number(a), Value::Number(b)) => numbers::equal(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, x), (kb, y))| ka == kb && same(x, y))
        }
        _ => old == new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::testutil::{absolute, rule};
    use crate::rules::Action;
    use serde_json::json;

    fn h(matcher: &BodyMatcher, value: Value) -> u64 {
        hash(matcher, &value, &matcher.root(), &Scope::default())
    }

    #[test]
    fn key_order_and_number_form_do_not_matter() {
        let none = BodyMatcher::default();
        assert_eq!(
            h(&none, json!({"a": 1, "b": [2.0]})),
            h(&none, json!({"b": [2], "a": 1.0}))
        );
        assert_ne!(h(&none, json!([1, 2])), h(&none, json!([2, 1])));
        assert_ne!(h(&none, json!("1")), h(&none, json!(1)));
        assert_ne!(h(&none, json!({"a": null})), h(&none, json!({})));
    }

    #[test]
    fn rules_shape_the_hash() {
        let matcher = BodyMatcher::new(vec![
            rule("$[*].at", Action::Ignore, 1),
            rule("$[*].n", Action::Tolerance(absolute("1.0")), 2),
            rule("$[*].tags", Action::Unordered, 3),
        ]);
        assert_eq!(
            h(&matcher, json!([{"at": 1, "n": 1, "tags": [1, 2]}])),
            h(&matcher, json!([{"n": 5, "tags": [2, 1]}]))
        );
        assert_ne!(
            h(&matcher, json!([{"tags": [1, 1]}])),
            h(&matcher, json!([{"tags": [1]}]))
        );
    }

    #[test]
    fn same_is_structural() {
        assert!(same(
            &json!({"a": [1.0], "b": 2}),
            &json!({"b": 2, "a": [1]})
        ));
        assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": 1})));
        assert!(!same(&json!([1, 2]), &json!([2, 1])));
    }
}
