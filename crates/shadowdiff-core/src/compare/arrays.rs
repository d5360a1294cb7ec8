//! Arrays compared three ways: ordered (aligned), unordered (multiset) and keyed (by a member).
//!
//! Element identity is the rule-aware canonical hash (see `canonical`), so elements that differ
//! only in ignored, tolerated or normalized places still align. Elements matched to each other are
//! always walked, so differences hidden by a rule inside them are still recorded as ignored. Paths
//! of matched and removed elements use the old index; added elements use the new index.

use serde_json::Value;

use super::align::{align, Piece};
use super::canonical::{self, Hashed};
use super::deep;
use super::json::{body_path, PathStep, Scope, Walker};
use super::{Difference, Kind, Target};
use crate::rules::{Action, BodyRule, MatchState};

impl<'m> Walker<'m> {
    /// Compares the arrays at one place, as the first array rule there says.
    pub(crate) fn arrays<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
        rule: Option<&'m BodyRule>,
    ) {
        match rule.map(|rule| &rule.action) {
            Some(Action::Keyed(field)) => self.keyed(old, new, field, path, state, scope),
            Some(Action::Unordered) => {
                let o = self.hashed(old, 0..old.len(), state, scope);
                let n = self.hashed(new, 0..new.len(), state, scope);
                self.multiset(old, new, o, n, path, state, scope);
            }
            _ => self.ordered(old, new, path, state, scope),
        }
    }

    /// `(hash, index)` of the given elements, each hashed under the rules that hold for any
    /// element (see [`BodyMatcher::any_index`](crate::rules::BodyMatcher::any_index)).
    fn hashed(
        &self,
        items: &[Value],
        indices: impl IntoIterator<Item = usize>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) -> Vec<(Hashed, usize)> {
        let element = self.matcher.any_index(state);
        indices
            .into_iter()
            .filter_map(|i| {
                let item = items.get(i)?;
                Some((canonical::hash(self.matcher, item, &element, scope), i))
            })
            .collect()
    }

    /// Walks old element `i` against new element `j`, at the old index.
    #[allow(clippy::too_many_arguments)]
    fn pair<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        i: usize,
        j: usize,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        let (Some(a), Some(b)) = (old.get(i), new.get(j)) else {
            return;
        };
        if canonical::same_within(a, b) == Some(true) {
            return;
        }
        let element = self.matcher.index(state, i);
        path.push(PathStep::Index(i));
        self.node(a, b, path, &element, scope);
        path.pop();
    }

    /// An element on one side only, at its own index.
    fn lone<'a>(
        &mut self,
        kind: Kind,
        items: &'a [Value],
        i: usize,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
    ) {
        let Some(item) = items.get(i) else {
            return;
        };
        let element = self.matcher.index(state, i);
        path.push(PathStep::Index(i));
        self.one_side(kind, item, path, &element);
        path.pop();
    }

    /// Ordered arrays: the common prefix and suffix (equal without any rule) skipped, the middle
    /// aligned over element hashes (see `align`), matched elements walked pairwise, and each run
    /// of unmatched elements paired by position.
    fn ordered<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        // Elements equal without any rule have no difference to find or hide: trim them first,
        // so that equal arrays cost one pass and only the middle is hashed.
        let prefix = old
            .iter()
            .zip(new)
            .take_while(|(a, b)| canonical::same_within(a, b) == Some(true))
            .count();
        let suffix = old[prefix..]
            .iter()
            .rev()
            .zip(new[prefix..].iter().rev())
            .take_while(|(a, b)| canonical::same_within(a, b) == Some(true))
            .count();
        let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
        let hashes = |items: &[Value], end: usize| -> Vec<u64> {
            self.hashed(items, prefix..end, state, scope)
                .into_iter()
                .map(|(h, _)| h.hash)
                .collect()
        };
        let (ho, hn) = (hashes(old, old_end), hashes(new, new_end));
        if ho.len() > 1 && ho != hn && is_permutation(&ho, &hn) {
            self.reordered(old, new, prefix, old_end, path, state, scope);
            return;
        }
        for piece in align(&ho, &hn) {
            match piece {
                Piece::Same {
                    old: i,
                    new: j,
                    len,
                } => {
                    for k in 0..len {
                        self.pair(old, new, prefix + i + k, prefix + j + k, path, state, scope);
                    }
                }
                Piece::Apart {
                    old: o,
                    new: n,
                    bounded,
                } => {
                    let mut pending = Pending {
                        old_start: prefix + o.start,
                        old_end: prefix + o.end,
                        new_start: prefix + n.start,
                        new_end: prefix + n.end,
                    };
                    let found = self.differences.len();
                    self.flush(old, new, &mut pending, path, state, scope);
                    if bounded {
                        let note = format!(
                            "array too long to align here: {} old and {} new elements with \
                             nothing unique in common were compared by position",
                            o.len(),
                            n.len()
                        );
                        for difference in &mut self.differences[found..] {
                            difference.note.get_or_insert_with(|| note.clone());
                        }
                    }
                }
            }
        }
    }

    /// An ordered array whose middle holds the same elements on both sides in another order:
    /// one `reordered` difference for the array, with a note suggesting `unordered`; its elements
    /// are then matched as a multiset and walked, so rules inside them still record what they
    /// hide.
    #[allow(clippy::too_many_arguments)]
    fn reordered<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        start: usize,
        end: usize,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        let place = body_path(path);
        let (old_value, old_note) = deep::shown_owned(Value::Array(old.to_vec()));
        let (new_value, new_note) = deep::shown_owned(Value::Array(new.to_vec()));
        let hint = format!(
            "the same elements in another order; `unordered = [\"{}\"]` in the route's rules \
             compares this array as a multiset",
            place.erased()
        );
        let note = [Some(hint), old_note, new_note]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        self.differences.push(Difference {
            target: Target::Body(place),
            kind: Kind::Reordered,
            old: Some(old_value),
            new: Some(new_value),
            note: Some(note),
        });
        let o = self.hashed(old, start..end, state, scope);
        let n = self.hashed(new, start..end, state, scope);
        self.multiset(old, new, o, n, path, state, scope);
    }

    /// Pairs a run of unmatched elements by position; the longer side's rest is added or removed.
    fn flush<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        pending: &mut Pending,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        let old_len = pending.old_end - pending.old_start;
        let new_len = pending.new_end - pending.new_start;
        let paired = old_len.min(new_len);
        for k in 0..paired {
            self.pair(
                old,
                new,
                pending.old_start + k,
                pending.new_start + k,
                path,
                state,
                scope,
            );
        }
        for i in pending.old_start + paired..pending.old_end {
            self.lone(Kind::Removed, old, i, path, state);
        }
        for j in pending.new_start + paired..pending.new_end {
            self.lone(Kind::Added, new, j, path, state);
        }
        *pending = Pending::at(pending.old_end, pending.new_end);
    }

    /// Multiset matching of the given `(hash, index)` elements: equal hashes pair up in order of
    /// appearance and are walked; the rest are removed (old index) or added (new index).
    #[allow(clippy::too_many_arguments)]
    fn multiset<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        mut o: Vec<(Hashed, usize)>,
        mut n: Vec<(Hashed, usize)>,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        o.sort_unstable();
        n.sort_unstable();
        let (mut pairs, mut removed, mut added) = (Vec::new(), Vec::new(), Vec::new());
        let (mut a, mut b) = (0, 0);
        while a < o.len() && b < n.len() {
            match o[a].0.hash.cmp(&n[b].0.hash) {
                std::cmp::Ordering::Less => {
                    removed.push(o[a].1);
                    a += 1;
                }
                std::cmp::Ordering::Greater => {
                    added.push(n[b].1);
                    b += 1;
                }
                std::cmp::Ordering::Equal => {
                    // Without rules below this place, equal whole hashes mean equal elements
                    // (but for a 2^-64 chance of collision): such a pair needs no walk.
                    if !(o[a].0.whole && n[b].0.whole) || self.ruled_below(state, scope) {
                        pairs.push((o[a].1, n[b].1));
                    }
                    a += 1;
                    b += 1;
                }
            }
        }
        removed.extend(o[a..].iter().map(|&(_, i)| i));
        added.extend(n[b..].iter().map(|&(_, j)| j));
        let matching = Matching {
            pairs,
            removed,
            added,
        };
        self.settle(old, new, matching, path, state, scope);
    }

    /// Walks matched pairs, then reports removed and added elements, each in index order.
    fn settle<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        mut matching: Matching,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        matching.pairs.sort_unstable();
        matching.removed.sort_unstable();
        matching.added.sort_unstable();
        for (i, j) in matching.pairs {
            self.pair(old, new, i, j, path, state, scope);
        }
        for i in matching.removed {
            self.lone(Kind::Removed, old, i, path, state);
        }
        for j in matching.added {
            self.lone(Kind::Added, new, j, path, state);
        }
    }

    /// Whether a rule, a tolerance or a normalisation can apply inside the elements of the array
    /// at `state`. When none can, rule-aware hashes are plain structural hashes.
    fn ruled_below(&self, state: &MatchState, scope: &Scope<'m>) -> bool {
        self.matcher.reaches_below(state)
            || scope.tolerance.is_some()
            || !scope.normalize.is_empty()
    }

    /// Keyed arrays: items with a key unique on both sides are matched by it and walked; a key on
    /// one side only is one added or removed item; items without the key, or whose key repeats on
    /// either side, fall back to multiset matching among themselves.
    fn keyed<'a>(
        &mut self,
        old: &'a [Value],
        new: &'a [Value],
        field: &str,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        let plain = !self.ruled_below(state, scope);
        let (old_keys, new_keys) = (keys(old, field, plain), keys(new, field, plain));
        let (ko, mut fallback_old) = (old_keys.keyed, old_keys.lacking);
        let (kn, mut fallback_new) = (new_keys.keyed, new_keys.lacking);
        let (ro, rn) = (runs(&ko), runs(&kn));
        let (mut x, mut y) = (0, 0);
        let (mut pairs, mut removed, mut added) = (Vec::new(), Vec::new(), Vec::new());
        while x < ro.len() || y < rn.len() {
            let order = match (ro.get(x), rn.get(y)) {
                (Some(a), Some(b)) => a.0.cmp(&b.0),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    let items = ro[x].1;
                    match items {
                        [(_, i)] => removed.push(*i),
                        _ => fallback_old.extend(items.iter().map(|&(_, i)| i)),
                    }
                    x += 1;
                }
                std::cmp::Ordering::Greater => {
                    let items = rn[y].1;
                    match items {
                        [(_, j)] => added.push(*j),
                        _ => fallback_new.extend(items.iter().map(|&(_, j)| j)),
                    }
                    y += 1;
                }
                std::cmp::Ordering::Equal => {
                    match (ro[x].1, rn[y].1) {
                        ([(_, i)], [(_, j)]) => pairs.push((*i, *j)),
                        (a, b) => {
                            fallback_old.extend(a.iter().map(|&(_, i)| i));
                            fallback_new.extend(b.iter().map(|&(_, j)| j));
                        }
                    }
                    x += 1;
                    y += 1;
                }
            }
        }
        if plain {
            // Each side was hashed in its own order (sequential in memory); walk only the pairs
            // whose plain hashes differ or are not whole: equal whole hashes mean equal items
            // but for a 2^-64 chance.
            let (ho, hn) = (&old_keys.hashes, &new_keys.hashes);
            pairs.retain(|&(i, j)| match (ho.get(i), hn.get(j)) {
                (Some(a), Some(b)) => !(a.whole && b.whole && a.hash == b.hash),
                _ => true,
            });
        }
        let matching = Matching {
            pairs,
            removed,
            added,
        };
        self.settle(old, new, matching, path, state, scope);
        if !fallback_old.is_empty() || !fallback_new.is_empty() {
            let o = self.hashed(old, fallback_old, state, scope);
            let n = self.hashed(new, fallback_new, state, scope);
            self.multiset(old, new, o, n, path, state, scope);
        }
    }
}

/// Whether two hash sequences hold the same hashes as multisets.
fn is_permutation(old: &[u64], new: &[u64]) -> bool {
    if old.len() != new.len() {
        return false;
    }
    let (mut a, mut b) = (old.to_vec(), new.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// How the elements of two arrays were matched: `(old, new)` index pairs to walk, and the
/// indices on one side only.
struct Matching {
    pairs: Vec<(usize, usize)>,
    removed: Vec<usize>,
    added: Vec<usize>,
}

/// A run of unmatched elements on both sides, `[start, end)` each.
struct Pending {
    old_start: usize,
    old_end: usize,
    new_start: usize,
    new_end: usize,
}

impl Pending {
    fn at(old: usize, new: usize) -> Pending {
        Pending {
            old_start: old,
            old_end: old,
            new_start: new,
            new_end: new,
        }
    }
}

/// `(key hash, index)` of the items that have member `field`, sorted; and the indices of the rest.
/// With `whole`, also the plain structural hash of every item in index order, taken in the same
/// pass so that each item is read from memory once.
fn keys(items: &[Value], field: &str, whole: bool) -> Keys {
    let mut keys = Keys {
        keyed: Vec::with_capacity(items.len()),
        lacking: Vec::new(),
        hashes: Vec::with_capacity(if whole { items.len() } else { 0 }),
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_object().and_then(|object| object.get(field)) {
            Some(key) => keys.keyed.push((canonical::plain(key).hash, i)),
            None => keys.lacking.push(i),
        }
        if whole {
            keys.hashes.push(canonical::plain(item));
        }
    }
    keys.keyed.sort_unstable();
    keys
}

/// The items of one side of a keyed array, by key.
struct Keys {
    /// `(key hash, index)` of the items with the key member, sorted.
    keyed: Vec<(u64, usize)>,
    /// Indices of the items without it.
    lacking: Vec<usize>,
    /// Plain hashes of all items, when asked for.
    hashes: Vec<Hashed>,
}

/// Groups sorted `(key, index)` pairs into runs of one key.
fn runs(sorted: &[(u64, usize)]) -> Vec<(u64, &[(u64, usize)])> {
    sorted
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|run| run.first().map(|first| (first.0, run)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::testutil::{absolute, diff_strings, rule, walk};
    use crate::rules::{BodyMatcher, RuleId};
    use serde_json::json;

    fn items(n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| json!({"id": i, "name": format!("item {i}")}))
            .collect()
    }

    #[test]
    fn one_inserted_element_is_one_added() {
        let none = BodyMatcher::default();
        let old = items(10);
        let mut new = old.clone();
        new.insert(4, json!({"id": 99, "name": "new"}));
        let w = walk(&none, Value::Array(old.clone()), Value::Array(new));
        assert_eq!(diff_strings(&w.differences), vec!["$[4] added"]);
        let mut fewer = old.clone();
        fewer.remove(7);
        let w = walk(&none, Value::Array(old), Value::Array(fewer));
        assert_eq!(diff_strings(&w.differences), vec!["$[7] removed"]);
    }

    #[test]
    fn replaced_elements_pair_up_field_by_field() {
        let none = BodyMatcher::default();
        let w = walk(
            &none,
            json!([1, {"a": 1, "b": 1}, 3]),
            json!([0, 1, {"a": 1, "b": 2}, 3, 4]),
        );
        assert_eq!(
            diff_strings(&w.differences),
            vec!["$[0] added", "$[1].b changed", "$[4] added"]
        );
    }

    #[test]
    fn elements_differing_in_ignored_fields_align() {
        let matcher = BodyMatcher::new(vec![rule("$[*].at", Action::Ignore, 1)]);
        let w = walk(
            &matcher,
            json!([{"v": 1, "at": 1}, {"v": 2, "at": 1}]),
            json!([{"v": 0}, {"v": 1, "at": 2}, {"v": 2, "at": 2}]),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$[0] added"]);
        assert_eq!(w.ignored.len(), 2);
    }

    #[test]
    fn ignore_inside_elements_changes_alignment_on_purpose() {
        let old = json!([{"id": 1, "t": 5}, {"id": 2, "t": 6}]);
        let new = json!([{"id": 2, "t": 5}, {"id": 1, "t": 6}]);
        let none = BodyMatcher::default();
        let plain = walk(&none, old.clone(), new.clone());
        assert_eq!(
            diff_strings(&plain.differences),
            vec!["$[0].id changed", "$[1].id changed"]
        );
        let matcher = BodyMatcher::new(vec![rule("$[*].t", Action::Ignore, 1)]);
        let aligned = walk(&matcher, old, new);
        // Under the rule the two elements only swapped places: one reordered difference, and
        // the hidden `t` of each matched pair is still recorded.
        assert_eq!(diff_strings(&aligned.differences), vec!["$ reordered"]);
        assert_eq!(aligned.ignored.len(), 2);
    }

    #[test]
    fn elements_that_only_moved_are_one_reordered_difference() {
        let none = BodyMatcher::default();
        let w = walk(
            &none,
            json!({"tags": ["a", "b", "c", "d"]}),
            json!({"tags": ["a", "c", "b", "d"]}),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$.tags reordered"]);
        assert_eq!(w.differences[0].old, Some(json!(["a", "b", "c", "d"])));
        let note = w.differences[0].note.as_deref().unwrap_or_default();
        assert!(note.contains(r#"`unordered = ["$.tags"]`"#), "{note}");
        let changed = walk(&none, json!(["a", "b", "c"]), json!(["c", "x", "a"]));
        assert!(
            changed
                .differences
                .iter()
                .all(|d| d.kind != Kind::Reordered),
            "a changed element is not a reorder: {:?}",
            diff_strings(&changed.differences)
        );
    }

    #[test]
    fn a_rule_naming_an_index_does_not_decide_the_alignment() {
        let matcher = BodyMatcher::new(vec![rule("$.a[1]", Action::Ignore, 1)]);
        let w = walk(
            &matcher,
            json!({"a": ["x", "y"]}),
            json!({"a": ["w", "x", "Y"]}),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$.a[0] added"]);
        assert_eq!(w.ignored.len(), 1, "y against Y, hidden at old index 1");
        let deeper = BodyMatcher::new(vec![rule("$[1].at", Action::Ignore, 1)]);
        let w = walk(
            &deeper,
            json!([{"v": 1, "at": 1}, {"v": 2, "at": 1}]),
            json!([{"v": 0, "at": 1}, {"v": 1, "at": 1}, {"v": 2, "at": 1}]),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$[0] added"]);
    }

    #[test]
    fn unordered_permutation_is_no_difference() {
        let matcher = BodyMatcher::new(vec![rule("$.tags", Action::Unordered, 1)]);
        let w = walk(
            &matcher,
            json!({"tags": [1, 2, 3, 2]}),
            json!({"tags": [2, 3, 2, 1]}),
        );
        assert!(w.differences.is_empty());
        let w = walk(
            &matcher,
            json!({"tags": [1, 2, 2]}),
            json!({"tags": [2, 4, 1]}),
        );
        assert_eq!(
            diff_strings(&w.differences),
            vec!["$.tags[1] added", "$.tags[2] removed"]
        );
    }

    #[test]
    fn unordered_matched_elements_are_still_walked() {
        let matcher = BodyMatcher::new(vec![
            rule("$", Action::Unordered, 1),
            rule("$[*].n", Action::Tolerance(absolute("0.5")), 2),
        ]);
        let w = walk(
            &matcher,
            json!([{"n": 1}, {"k": 2}]),
            json!([{"k": 2}, {"n": 1.2}]),
        );
        assert!(w.differences.is_empty());
        assert_eq!(w.ignored.len(), 1);
        assert_eq!(w.ignored[0].rule, RuleId(2));
    }

    #[test]
    fn keyed_reorder_is_no_difference_and_changes_are_field_level() {
        let matcher = BodyMatcher::new(vec![rule("$.items", Action::Keyed("sku".into()), 1)]);
        let old = json!({"items": [{"sku": "a", "price": 1}, {"sku": "b", "price": 2}, {"sku": "c", "price": 3}]});
        let new = json!({"items": [{"sku": "c", "price": 3}, {"sku": "a", "price": 1}, {"sku": "b", "price": 2}]});
        assert!(walk(&matcher, old.clone(), new).differences.is_empty());
        let changed = json!({"items": [{"sku": "c", "price": 3}, {"sku": "b", "price": 5}, {"sku": "a", "price": 1}]});
        let w = walk(&matcher, old.clone(), changed);
        assert_eq!(
            diff_strings(&w.differences),
            vec!["$.items[1].price changed"]
        );
        assert_eq!(w.differences[0].old, Some(json!(2)));
        assert_eq!(w.differences[0].new, Some(json!(5)));
        let other = json!({"items": [{"sku": "d", "price": 1}, {"sku": "b", "price": 2}, {"sku": "c", "price": 3}]});
        let w = walk(&matcher, old, other);
        assert_eq!(
            diff_strings(&w.differences),
            vec!["$.items[0] removed", "$.items[0] added"]
        );
    }

    #[test]
    fn keyed_items_without_unique_keys_fall_back_to_multiset() {
        let matcher = BodyMatcher::new(vec![rule("$", Action::Keyed("id".into()), 1)]);
        let w = walk(
            &matcher,
            json!([{"id": 1, "v": 1}, {"id": 1, "v": 2}, {"x": 1}, {"id": 2}]),
            json!([{"x": 1}, {"id": 2}, {"id": 1, "v": 2}, {"id": 1, "v": 1}]),
        );
        assert!(w.differences.is_empty());
        let w = walk(
            &matcher,
            json!([{"id": 1, "v": 1}, {"id": 1, "v": 2}]),
            json!([{"id": 1, "v": 1}]),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$[1] removed"]);
    }

    #[test]
    fn first_array_rule_wins() {
        let matcher = BodyMatcher::new(vec![
            rule("$.a", Action::Unordered, 1),
            rule("$.a", Action::Keyed("id".into()), 2),
        ]);
        let w = walk(
            &matcher,
            json!({"a": [{"id": 1, "v": 1}]}),
            json!({"a": [{"id": 1, "v": 2}]}),
        );
        assert_eq!(
            diff_strings(&w.differences),
            vec!["$.a[0] removed", "$.a[0] added"]
        );
    }

    #[test]
    fn one_insertion_into_a_long_array_is_one_added() {
        const N: i64 = 100_000;
        let none = BodyMatcher::default();
        let old: Vec<Value> = (0..N).map(|i| json!({"id": i, "v": i % 5})).collect();
        let mut new = old.clone();
        new.insert(0, json!({"id": -1, "v": 0}));
        new.pop();
        new.push(json!({"id": N - 1, "v": 99}));
        new.insert(50_000, json!("inserted"));
        let w = walk(&none, Value::Array(old), Value::Array(new));
        assert_eq!(
            diff_strings(&w.differences),
            vec![
                "$[0] added".to_string(),
                "$[50000] added".to_string(),
                format!("$[{}].v changed", N - 1)
            ]
        );
        assert!(w.differences.iter().all(|d| d.note.is_none()));
    }

    #[test]
    fn an_array_beyond_the_alignment_bound_is_compared_by_position_with_a_note() {
        let none = BodyMatcher::default();
        let old: Vec<Value> = (0..20_000).map(|i| json!(i % 7)).collect();
        let new: Vec<Value> = (0..20_000)
            .map(|i| json!((i * 3) % 7))
            .chain([json!(99)])
            .collect();
        let w = walk(&none, Value::Array(old), Value::Array(new));
        assert!(!w.differences.is_empty());
        let note = w.differences[0].note.as_deref().unwrap_or_default();
        assert!(note.starts_with("array too long to align here"), "{note}");
        assert!(w.differences.iter().all(|d| d.note.is_some()));
    }

    #[test]
    fn large_keyed_and_unordered_arrays_compare_correctly() {
        const N: usize = 100_000;
        let old: Vec<Value> = (0..N).map(|i| json!({"id": i, "price": i % 97})).collect();
        let mut new = old.clone();
        new.reverse();
        // Old item 10 changed price; old item 20 removed; one new item added at the end.
        new[N - 1 - 10] = json!({"id": 10, "price": 1000});
        new.remove(N - 1 - 20);
        new.push(json!({"id": N + 1, "price": 0}));
        let keyed = BodyMatcher::new(vec![rule("$", Action::Keyed("id".into()), 1)]);
        let w = walk(&keyed, Value::Array(old.clone()), Value::Array(new.clone()));
        assert_eq!(
            diff_strings(&w.differences),
            vec![
                "$[10].price changed",
                "$[20] removed",
                format!("$[{}] added", N - 1).as_str()
            ]
        );
        let unordered = BodyMatcher::new(vec![rule("$", Action::Unordered, 1)]);
        let w = walk(&unordered, Value::Array(old), Value::Array(new));
        assert_eq!(
            diff_strings(&w.differences),
            vec![
                "$[10] removed",
                "$[20] removed",
                format!("$[{}] added", N - 1 - 10 - 1).as_str(),
                format!("$[{}] added", N - 1).as_str()
            ]
        );
    }
}
