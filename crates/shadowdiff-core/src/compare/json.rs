//! The structural walk over two JSON documents: leaf-level differences with concrete paths.
//!
//! Object key order never matters (members are visited in sorted key order); numbers compare by
//! value; different JSON types are one [`Kind::Type`] difference; a member on one side only is one
//! Added or Removed carrying the whole subtree. Rules are looked up by stepping a
//! [`MatchState`] alongside the walk. Tolerance and Normalize rules hold at the place they match
//! and everywhere below it (the nearest tolerance wins); Ignore hides the place and its subtree.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::canonical;
use super::deep;
use super::numbers;
use super::{BodyPath, Difference, Ignored, Kind, Step, Target};
use crate::rules::{Action, BodyMatcher, BodyRule, MatchState, RuleId, Tolerance};

/// One step of the path being walked, borrowing keys from the documents.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PathStep<'a> {
    Key(&'a str),
    Index(usize),
}

/// Turns the walk's borrowed path into the owned path a difference carries.
pub(crate) fn body_path(steps: &[PathStep<'_>]) -> BodyPath {
    BodyPath(
        steps
            .iter()
            .map(|step| match step {
                PathStep::Key(key) => Step::Key((*key).to_string()),
                PathStep::Index(index) => Step::Index(*index),
            })
            .collect(),
    )
}

/// The value-rewriting rules in force at a node: inherited from above or matched here.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope<'m> {
    /// The nearest tolerance, with its rule.
    pub tolerance: Option<(&'m Tolerance, RuleId)>,
    /// Normalize rules, outermost first; all are applied in that order.
    pub normalize: Vec<&'m BodyRule>,
}

impl Scope<'_> {
    /// Applies every normalize rule in force to `text`.
    pub(crate) fn normalized<'v>(&self, text: &'v str) -> Cow<'v, str> {
        let mut out = Cow::Borrowed(text);
        for rule in &self.normalize {
            if let Action::Normalize { regex, replace } = &rule.action {
                if let Cow::Owned(changed) = regex.replace_all(&out, replace.as_str()) {
                    out = Cow::Owned(changed);
                }
            }
        }
        out
    }
}

/// What the rules say about one node.
pub(crate) struct Here<'m, 's> {
    /// The Ignore rule that hides this node, if any.
    pub ignore: Option<RuleId>,
    /// The Unordered or Keyed rule for an array at this node, if any.
    pub array: Option<&'m BodyRule>,
    /// A Json rule matches here: a string holding JSON is compared as the structure it holds.
    pub json: bool,
    /// The tolerance and normalisation in force at this node.
    pub scope: Cow<'s, Scope<'m>>,
}

/// Looks up the rules that accept at `state`, on top of the inherited `scope`.
pub(crate) fn here<'m, 's>(
    matcher: &'m BodyMatcher,
    state: &MatchState,
    scope: &'s Scope<'m>,
) -> Here<'m, 's> {
    let mut here = Here {
        ignore: None,
        array: None,
        json: false,
        scope: Cow::Borrowed(scope),
    };
    if state.is_empty() {
        return here;
    }
    let mut tolerance_here = false;
    for rule in matcher.accepting(state) {
        match &rule.action {
            Action::Ignore => {
                here.ignore.get_or_insert(rule.id);
            }
            Action::Unordered | Action::Keyed(_) => {
                here.array.get_or_insert(rule);
            }
            Action::Tolerance(tolerance) => {
                if !tolerance_here {
                    tolerance_here = true;
                    here.scope.to_mut().tolerance = Some((tolerance, rule.id));
                }
            }
            Action::Json => here.json = true,
            Action::Normalize { .. } => here.scope.to_mut().normalize.push(rule),
        }
    }
    here
}

/// The structure a string holds, under a Json rule; `None` for anything else, and for text that
/// is not JSON (compared as the text it is).
pub(crate) fn held_json(value: &Value) -> Option<Value> {
    match value {
        Value::String(text) => deep::parse(text.as_bytes()).ok(),
        _ => None,
    }
}

/// The members of two objects in sorted key order, each with its value on either side: a merge
/// of the two sorted maps, with no allocation and no lookups.
fn merge_members<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a str, Option<&'a Value>, Option<&'a Value>)> {
    let mut a = old.iter().peekable();
    let mut b = new.iter().peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some((ka, _)), Some((kb, _))) => match ka.cmp(kb) {
            std::cmp::Ordering::Less => a.next().map(|(k, v)| (k.as_str(), Some(v), None)),
            std::cmp::Ordering::Greater => b.next().map(|(k, v)| (k.as_str(), None, Some(v))),
            std::cmp::Ordering::Equal => {
                let (k, x) = a.next()?;
                let (_, y) = b.next()?;
                Some((k.as_str(), Some(x), Some(y)))
            }
        },
        (Some(_), None) => a.next().map(|(k, v)| (k.as_str(), Some(v), None)),
        (None, Some(_)) => b.next().map(|(k, v)| (k.as_str(), None, Some(v))),
        (None, None) => None,
    })
}

/// Collects what a walk finds.
pub(crate) struct Walker<'m> {
    pub matcher: &'m BodyMatcher,
    pub differences: Vec<Difference>,
    pub ignored: Vec<Ignored>,
}

impl<'m> Walker<'m> {
    /// A walker with nothing found yet.
    pub(crate) fn new(matcher: &'m BodyMatcher) -> Walker<'m> {
        Walker {
            matcher,
            differences: Vec::new(),
            ignored: Vec::new(),
        }
    }

    /// Compares two whole documents from `$`.
    pub(crate) fn documents(&mut self, old: &Value, new: &Value) {
        if canonical::same(old, new) {
            return;
        }
        let state = self.matcher.root();
        let mut path = Vec::new();
        self.node(old, new, &mut path, &state, &Scope::default());
    }

    /// Compares the values at one place of both documents.
    pub(crate) fn node<'a>(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        deep::guarded(|| self.node_here(old, new, path, state, scope));
    }

    fn node_here<'a>(
        &mut self,
        old: &'a Value,
        new: &'a Value,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        let here = here(self.matcher, state, scope);
        if let Some(rule) = here.ignore {
            if !canonical::same(old, new) {
                self.ignore(rule, path);
            }
            return;
        }
        let scope = here.scope.as_ref();
        if here.json {
            let (parsed_old, parsed_new) = (held_json(old), held_json(new));
            if parsed_old.is_some() || parsed_new.is_some() {
                let old = parsed_old.as_ref().unwrap_or(old);
                let new = parsed_new.as_ref().unwrap_or(new);
                let mut inner: Vec<PathStep<'_>> = path.to_vec();
                self.node_here(old, new, &mut inner, state, scope);
                return;
            }
        }
        match (old, new) {
            (Value::Object(a), Value::Object(b)) => self.objects(a, b, path, state, scope),
            (Value::Array(a), Value::Array(b)) => {
                self.arrays(a, b, path, state, scope, here.array);
            }
            (Value::Number(x), Value::Number(y)) => {
                if numbers::equal(x, y) {
                    return;
                }
                match scope.tolerance {
                    Some((tolerance, rule)) if numbers::within(tolerance, x, y) => {
                        self.ignore(rule, path);
                    }
                    _ => self.changed(old, new, path),
                }
            }
            (Value::String(x), Value::String(y)) => {
                if x == y {
                    return;
                }
                let first = scope.normalize.first().map(|rule| rule.id);
                match first {
                    Some(rule) if scope.normalized(x) == scope.normalized(y) => {
                        self.ignore(rule, path);
                    }
                    _ => self.changed(old, new, path),
                }
            }
            (Value::Bool(x), Value::Bool(y)) if x == y => {}
            (Value::Bool(_), Value::Bool(_)) => self.changed(old, new, path),
            (Value::Null, Value::Null) => {}
            _ => self.push(Kind::Type, Some(old), Some(new), path),
        }
    }

    fn objects<'a>(
        &mut self,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
        path: &mut Vec<PathStep<'a>>,
        state: &MatchState,
        scope: &Scope<'m>,
    ) {
        for (key, old_value, new_value) in merge_members(old, new) {
            let child = self.matcher.child(state, key);
            path.push(PathStep::Key(key));
            match (old_value, new_value) {
                (Some(a), Some(b)) => self.node(a, b, path, &child, scope),
                (Some(a), None) => self.one_side(Kind::Removed, a, path, &child),
                (None, Some(b)) => self.one_side(Kind::Added, b, path, &child),
                (None, None) => {}
            }
            path.pop();
        }
    }

    /// A place present on one side only: Added or Removed, unless an Ignore rule covers it.
    pub(crate) fn one_side(
        &mut self,
        kind: Kind,
        value: &Value,
        path: &[PathStep<'_>],
        state: &MatchState,
    ) {
        if let Some(rule) = self.matcher.ignored_by(state) {
            self.ignore(rule, path);
        } else if kind == Kind::Added {
            self.push(kind, None, Some(value), path);
        } else {
            self.push(kind, Some(value), None, path);
        }
    }

    /// Puts what was found in document order (object keys sorted, array indices ascending);
    /// the sort is stable, so entries at the same path keep the order they were found in.
    pub(crate) fn sort(&mut self) {
        self.differences.sort_by(|a, b| a.target.cmp(&b.target));
        self.ignored.sort_by(|a, b| a.target.cmp(&b.target));
    }

    fn changed(&mut self, old: &Value, new: &Value, path: &[PathStep<'_>]) {
        self.push(Kind::Changed, Some(old), Some(new), path);
    }

    fn push(
        &mut self,
        kind: Kind,
        old: Option<&Value>,
        new: Option<&Value>,
        path: &[PathStep<'_>],
    ) {
        let (old, old_note) = old.map(deep::shown).unzip();
        let (new, new_note) = new.map(deep::shown).unzip();
        self.differences.push(Difference {
            target: Target::Body(body_path(path)),
            kind,
            old,
            new,
            note: old_note.flatten().or(new_note.flatten()),
        });
    }

    fn ignore(&mut self, rule: RuleId, path: &[PathStep<'_>]) {
        self.ignored.push(Ignored {
            rule,
            target: Target::Body(body_path(path)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::testutil::{absolute, diff_strings, pattern, relative, rule, walk};
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_key_order_is_irrelevant() {
        let none = BodyMatcher::default();
        let w = walk(
            &none,
            json!({"a": 1.0, "b": [1, 2]}),
            json!({"b": [1.0, 2], "a": 1}),
        );
        assert!(w.differences.is_empty());
    }

    #[test]
    fn nested_paths_types_and_members() {
        let none = BodyMatcher::default();
        let w = walk(
            &none,
            json!({"a": {"b": {"c": 1, "gone": {"x": 1}}}, "t": "1"}),
            json!({"a": {"b": {"c": 2, "new": true}}, "t": 1}),
        );
        assert_eq!(
            diff_strings(&w.differences),
            vec![
                "$.a.b.c changed",
                "$.a.b.gone removed",
                "$.a.b.new added",
                "$.t type"
            ]
        );
        assert_eq!(w.differences[1].old, Some(json!({"x": 1})));
        assert_eq!(w.differences[0].new, Some(json!(2)));
    }

    #[test]
    fn ignore_reports_once_and_only_when_different() {
        let matcher = BodyMatcher::new(vec![rule("$.meta", Action::Ignore, 4)]);
        let w = walk(
            &matcher,
            json!({"meta": {"a": 1, "b": 2}}),
            json!({"meta": {"a": 2}}),
        );
        assert!(w.differences.is_empty());
        assert_eq!(w.ignored.len(), 1);
        assert_eq!(w.ignored[0].rule, RuleId(4));
        assert_eq!(w.ignored[0].target.place().as_deref(), Some("$.meta"));
        let same = walk(
            &matcher,
            json!({"meta": {"a": 1}}),
            json!({"meta": {"a": 1.0}}),
        );
        assert!(same.ignored.is_empty() && same.differences.is_empty());
        let gone = walk(&matcher, json!({"meta": 1}), json!({}));
        assert!(gone.differences.is_empty());
        assert_eq!(gone.ignored.len(), 1);
    }

    #[test]
    fn descendant_ignore() {
        let matcher = BodyMatcher::new(vec![rule("$..updatedAt", Action::Ignore, 1)]);
        let w = walk(
            &matcher,
            json!({"updatedAt": 1, "x": [{"updatedAt": 2, "v": 1}]}),
            json!({"updatedAt": 3, "x": [{"updatedAt": 4, "v": 2}]}),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$.x[0].v changed"]);
        assert_eq!(w.ignored.len(), 2);
    }

    #[test]
    fn tolerances_hide_small_changes() {
        let matcher = BodyMatcher::new(vec![
            rule("$.total", Action::Tolerance(absolute("0.01")), 1),
            rule("$..price", Action::Tolerance(relative("0.001")), 2),
        ]);
        let w = walk(
            &matcher,
            json!({"total": 10.0, "items": [{"price": 1000}], "other": 1}),
            json!({"total": 10.005, "items": [{"price": 1000.5}], "other": 1.001}),
        );
        assert_eq!(diff_strings(&w.differences), vec!["$.other changed"]);
        let rules: Vec<u32> = w.ignored.iter().map(|i| i.rule.0).collect();
        assert_eq!(
            rules,
            vec![2, 1],
            "document order: $.items[0].price, then $.total"
        );
        let far = walk(&matcher, json!({"total": 10.0}), json!({"total": 10.02}));
        assert_eq!(diff_strings(&far.differences), vec!["$.total changed"]);
        let rel = walk(&matcher, json!({"price": 1000}), json!({"price": 1002}));
        assert_eq!(diff_strings(&rel.differences), vec!["$.price changed"]);
    }

    #[test]
    fn normalize_rewrites_strings_on_both_sides() {
        let regex = regex::Regex::new(r"\.\d+Z$").expect("regex");
        let matcher = BodyMatcher::new(vec![rule(
            "$..createdAt",
            Action::Normalize {
                regex,
                replace: "Z".into(),
            },
            9,
        )]);
        let w = walk(
            &matcher,
            json!({"createdAt": "2024-01-01T00:00:00.123Z"}),
            json!({"createdAt": "2024-01-01T00:00:00Z"}),
        );
        assert!(w.differences.is_empty());
        assert_eq!(w.ignored.len(), 1);
        assert_eq!(w.ignored[0].rule, RuleId(9));
        let real = walk(
            &matcher,
            json!({"createdAt": "2024-01-01T00:00:00.1Z"}),
            json!({"createdAt": "2024-01-02T00:00:00Z"}),
        );
        assert_eq!(diff_strings(&real.differences), vec!["$.createdAt changed"]);
        assert_eq!(
            real.differences[0].old,
            Some(json!("2024-01-01T00:00:00.1Z"))
        );
    }

    #[test]
    fn a_json_rule_compares_the_structure_a_string_holds_and_rules_reach_inside() {
        let matcher = BodyMatcher::new(vec![
            rule("$.payload", Action::Json, 1),
            rule("$.payload.at", Action::Ignore, 2),
            rule("$.payload.tags", Action::Unordered, 3),
        ]);
        let w = walk(
            &matcher,
            json!({"payload": "{\"a\": 1, \"tags\": [1, 2], \"at\": \"x\"}"}),
            json!({"payload": {"tags": [2, 1], "at": "y", "a": 1}}),
        );
        assert!(w.differences.is_empty(), "{:?}", w.differences);
        assert_eq!(w.ignored.len(), 1);
        let changed = walk(
            &matcher,
            json!({"payload": "{\"a\": 1}"}),
            json!({"payload": "{\"a\": 2}"}),
        );
        assert_eq!(diff_strings(&changed.differences), ["$.payload.a changed"]);
        let not_json = walk(&matcher, json!({"payload": "a"}), json!({"payload": "b"}));
        assert_eq!(diff_strings(&not_json.differences), ["$.payload changed"]);
        let no_rules = BodyMatcher::default();
        let unruled = walk(
            &no_rules,
            json!({"payload": "{\"a\":1}"}),
            json!({"payload": "{ \"a\": 1 }"}),
        );
        assert_eq!(diff_strings(&unruled.differences), ["$.payload changed"]);
    }

    #[test]
    fn root_ignore_hides_everything() {
        let matcher = BodyMatcher::new(vec![BodyRule {
            path: pattern("$"),
            action: Action::Ignore,
            id: RuleId(2),
        }]);
        let w = walk(&matcher, json!([1]), json!({"a": 1}));
        assert!(w.differences.is_empty());
        assert_eq!(w.ignored.len(), 1);
    }
}
