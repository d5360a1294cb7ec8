//! A rule-aware structural hash, so that array elements align when the rules call them equal,
//! and a quick rule-free equality; both look at most [`LOOK_LEVELS`] levels into a value.
//!
//! The hash is xxh3 (stable across runs and platforms) over a walk that ignores object key order,
//! hashes numbers by value (`1.0` and `1` agree), skips members hidden by an Ignore rule (and
//! hashes ignored elements as a placeholder), hashes normalized strings, hashes numbers under a
//! tolerance as a placeholder, and hashes unordered and keyed arrays independently of order.
//! Equal values always hash equal under the same rules; the walk itself still compares matched
//! elements, so a collision can only pair elements up, never hide a difference. Below
//! [`LOOK_LEVELS`] a container counts only by its kind and length (the hash is then not
//! [`whole`](Hashed::whole)), so that aligning the arrays of a document nested N levels deep
//! costs `O(N × LOOK_LEVELS)`, not `O(N²)`.

use serde_json::Value;
use xxhash_rust::xxh3::{xxh3_64_with_seed, Xxh3};

use super::deep;
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
const DEEP_ARRAY: u64 = 13;
const DEEP_OBJECT: u64 = 14;

/// How many levels into a value its hash and [`same_within`] look.
pub(crate) const LOOK_LEVELS: usize = 32;

/// A value's hash, and whether it covers the whole value (nothing was below [`LOOK_LEVELS`]):
/// only then do equal hashes mean equal values, but for a 2^-64 chance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hashed {
    /// The hash.
    pub hash: u64,
    /// Whether the whole value was hashed.
    pub whole: bool,
}

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
) -> Hashed {
    let mut whole = true;
    let hash = hash_at(matcher, value, state, scope, LOOK_LEVELS, &mut whole);
    Hashed {
        hash: hash.unwrap_or_else(ignored),
        whole,
    }
}

/// The hash of `value` ignoring every rule: for keys of keyed arrays.
pub(crate) fn plain(value: &Value) -> Hashed {
    let matcher = BodyMatcher::default();
    hash(&matcher, value, &MatchState::default(), &Scope::default())
}

/// `None` when an Ignore rule hides the place; `levels` is how far below it the hash may look.
fn hash_at(
    matcher: &BodyMatcher,
    value: &Value,
    state: &MatchState,
    scope: &Scope<'_>,
    levels: usize,
    whole: &mut bool,
) -> Option<u64> {
    let here = here(matcher, state, scope);
    if here.ignore.is_some() {
        return None;
    }
    let scope = here.scope.as_ref();
    if here.json {
        if let Some(parsed) = super::json::held_json(value) {
            return hash_at(matcher, &parsed, state, scope, levels, whole);
        }
    }
    let shape = |kind: u64, len: usize| xxh3_64_with_seed(&(len as u64).to_le_bytes(), kind);
    let hash = match value {
        Value::Null => xxh3_64_with_seed(&[], NULL),
        Value::Bool(b) => xxh3_64_with_seed(&[u8::from(*b)], BOOL),
        Value::Number(_) if scope.tolerance.is_some() => xxh3_64_with_seed(&[], TOLERATED),
        Value::Number(n) => number(n),
        Value::String(s) => xxh3_64_with_seed(scope.normalized(s).as_bytes(), STRING),
        Value::Array(items) if levels == 0 => {
            *whole = false;
            shape(DEEP_ARRAY, items.len())
        }
        Value::Object(members) if levels == 0 => {
            *whole = false;
            shape(DEEP_OBJECT, members.len())
        }
        Value::Array(items) => {
            let mut element = |item: &Value, state: &MatchState| {
                hash_at(matcher, item, state, scope, levels - 1, whole).unwrap_or_else(ignored)
            };
            if here.array.is_some() {
                // Order does not count here, so neither do rules that name an index.
                let any = matcher.any_index(state);
                let (mut sum, mut mixed) = (0u64, 0u64);
                for item in items {
                    let h = element(item, &any);
                    sum = sum.wrapping_add(h);
                    mixed =
                        mixed.wrapping_add(h.rotate_left(29).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                }
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
                for (i, item) in items.iter().enumerate() {
                    h.update(&element(item, &matcher.index(state, i)).to_le_bytes());
                }
                h.digest()
            }
        }
        Value::Object(members) => {
            let mut count = 0u64;
            let mut sum = 0u64;
            for (key, member) in members {
                let child = matcher.child(state, key);
                let Some(value_hash) = hash_at(matcher, member, &child, scope, levels - 1, whole)
                else {
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

/// The hash of a number's value (see `numbers`).
fn number(n: &serde_json::Number) -> u64 {
    match numbers::key(n) {
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
    }
}

/// Whether two values are the same, ignoring key order and comparing numbers by value; no rules.
pub(crate) fn same(old: &Value, new: &Value) -> bool {
    deep::guarded(|| match (old, new) {
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
    })
}

/// [`same`], looking at most [`LOOK_LEVELS`] levels deep: `None` when the values agree as far
/// as it looked but go deeper.
pub(crate) fn same_within(old: &Value, new: &Value) -> Option<bool> {
    same_to(old, new, LOOK_LEVELS)
}

fn same_to(old: &Value, new: &Value, levels: usize) -> Option<bool> {
    let mut undecided = false;
    let mut check = |x: &Value, y: &Value| match same_to(x, y, levels - 1) {
        Some(same) => same,
        None => {
            undecided = true;
            true
        }
    };
    let agree = match (old, new) {
        (Value::Number(a), Value::Number(b)) => return Some(numbers::equal(a, b)),
        (Value::Array(a), Value::Array(b)) if a.len() != b.len() => false,
        (Value::Object(a), Value::Object(b)) if a.len() != b.len() => false,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_))
            if levels == 0 =>
        {
            return None
        }
        (Value::Array(a), Value::Array(b)) => a.iter().zip(b).all(|(x, y)| check(x, y)),
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .zip(b.iter())
            .all(|((ka, x), (kb, y))| ka == kb && check(x, y)),
        _ => return Some(old == new),
    };
    if !agree {
        Some(false)
    } else if undecided {
        None
    } else {
        Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::testutil::{absolute, rule};
    use crate::rules::Action;
    use serde_json::json;

    fn h(matcher: &BodyMatcher, value: Value) -> u64 {
        hash(matcher, &value, &matcher.root(), &Scope::default()).hash
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
    fn hashes_and_quick_equality_look_a_bounded_depth_into_values() {
        let none = BodyMatcher::default();
        let nest = |levels: usize, leaf: Value| (0..levels).fold(leaf, |inner, _| json!([inner]));
        let shallow = hash(&none, &nest(3, json!(1)), &none.root(), &Scope::default());
        assert!(shallow.whole);
        let deep = |leaf| {
            hash(
                &none,
                &nest(LOOK_LEVELS + 5, leaf),
                &none.root(),
                &Scope::default(),
            )
        };
        assert!(!deep(json!(1)).whole);
        assert_eq!(
            deep(json!(1)),
            deep(json!(2)),
            "differences below the look are not seen"
        );
        assert_eq!(
            same_within(&nest(3, json!(1)), &nest(3, json!(1))),
            Some(true)
        );
        assert_eq!(
            same_within(&nest(3, json!(1)), &nest(3, json!(2))),
            Some(false)
        );
        let (a, b) = (
            nest(LOOK_LEVELS + 5, json!(1)),
            nest(LOOK_LEVELS + 5, json!(2)),
        );
        assert_eq!(same_within(&a, &b), None);
        assert!(!same(&a, &b));
        assert_eq!(same_within(&json!([a, 1]), &json!([b, 2])), Some(false));
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
