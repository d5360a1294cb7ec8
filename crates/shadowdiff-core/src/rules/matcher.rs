//! Body rules compiled into one matcher that the engine steps through as it walks a document.
//!
//! Every rule's pattern is a sequence of segments. A [`MatchState`] is the set of `(rule, position)`
//! pairs that the concrete path from `$` to the current node has matched so far, kept sorted so
//! that the accepting rules come out in rule order. The walk asks for the state of a child with
//! [`BodyMatcher::child`] or [`BodyMatcher::index`]; nothing re-queries the document. Without rules
//! every state is an empty vector, so stepping never allocates.

use bigdecimal::BigDecimal;
use regex::Regex;

use super::{PathPattern, RuleId, Segment};

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
    /// A string at the place holds JSON: it is parsed and compared as structure (a side that
    /// is already structure, or whose text is not JSON, is compared as it is).
    Json,
    /// Strings at the place are rewritten on both sides before comparing.
    Normalize {
        /// What to find.
        regex: Regex,
        /// What to put instead (`$1` refers to groups).
        replace: String,
    },
}

/// How far apart two numbers may be and still count as equal, as exact decimals: the engine
/// checks them in exact arithmetic, so a tolerance means the same for integers of any size.
#[derive(Clone, Debug, PartialEq)]
pub enum Tolerance {
    /// `|old - new| <= value`.
    Absolute(BigDecimal),
    /// `|old - new| <= fraction * max(|old|, |new|)`; `"0.1%"` is a fraction of 0.001.
    Relative(BigDecimal),
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

impl MatchState {
    /// Whether no rule can match here or below, the common case that the engine skips quickly.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }
}

/// One step of a concrete path, as the matcher consumes it.
#[derive(Clone, Copy)]
enum Step<'k> {
    Key(&'k str),
    Index(usize),
    /// An element of an array whatever its index: only `[*]` and `..` segments match it.
    AnyIndex,
}

impl BodyMatcher {
    /// Compiles the rules; their order decides which of two conflicting array rules wins.
    pub fn new(rules: Vec<BodyRule>) -> BodyMatcher {
        BodyMatcher { rules }
    }

    /// The rules in the order they were given, so that callers can describe or list them.
    pub fn rules(&self) -> &[BodyRule] {
        &self.rules
    }

    /// Whether there are no body rules at all, in which case every state is empty.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The state at `$`, the root of a body: every rule at its first segment.
    pub fn root(&self) -> MatchState {
        let active = (0..self.rules.len())
            .filter_map(|rule| u32::try_from(rule).ok().map(|rule| (rule, 0)))
            .collect();
        MatchState { active }
    }

    /// The state at member `key` of the object at `state`.
    pub fn child(&self, state: &MatchState, key: &str) -> MatchState {
        self.step(state, Step::Key(key))
    }

    /// The state at element `index` of the array at `state`.
    pub fn index(&self, state: &MatchState, index: usize) -> MatchState {
        self.step(state, Step::Index(index))
    }

    /// The state at any element of the array at `state`, with the rules that name an index
    /// (`$.a[1]`) left out: what array elements are hashed under to decide which elements align,
    /// since a rule that depends on an element's position cannot decide that position.
    pub fn any_index(&self, state: &MatchState) -> MatchState {
        self.step(state, Step::AnyIndex)
    }

    /// The rules whose whole pattern matches the place of `state`, in rule order.
    pub fn accepting<'m, 's>(
        &'m self,
        state: &'s MatchState,
    ) -> impl Iterator<Item = &'m BodyRule> + 's
    where
        'm: 's,
    {
        state.active.iter().filter_map(move |&(rule, position)| {
            let rule = self.rules.get(rule as usize)?;
            (rule.path.segments.len() == position as usize).then_some(rule)
        })
    }

    /// The first Ignore rule that matches the place of `state`, if any.
    pub fn ignored_by(&self, state: &MatchState) -> Option<RuleId> {
        self.accepting(state)
            .find(|rule| matches!(rule.action, Action::Ignore))
            .map(|rule| rule.id)
    }

    /// The first Unordered or Keyed rule that matches the place of `state`: how its array is
    /// compared. Earlier rules win over later ones.
    pub fn array_rule<'m>(&'m self, state: &MatchState) -> Option<&'m BodyRule> {
        self.accepting(state)
            .find(|rule| matches!(rule.action, Action::Unordered | Action::Keyed(_)))
    }

    /// Whether any rule can still match somewhere below the place of `state`. When none can,
    /// the subtree is compared with no rule at all.
    pub fn reaches_below(&self, state: &MatchState) -> bool {
        state.active.iter().any(|&(rule, position)| {
            self.rules
                .get(rule as usize)
                .is_some_and(|r| (position as usize) < r.path.segments.len())
        })
    }

    fn step(&self, state: &MatchState, step: Step<'_>) -> MatchState {
        if state.active.is_empty() {
            return MatchState::default();
        }
        let mut active = Vec::new();
        for &(rule, position) in &state.active {
            let Some(segment) = self
                .rules
                .get(rule as usize)
                .and_then(|r| r.path.segments.get(position as usize))
            else {
                continue;
            };
            let next = (rule, position + 1);
            match (segment, step) {
                (Segment::Child(name), Step::Key(key)) if name == key => active.push(next),
                (Segment::Index(n), Step::Index(i)) if *n == i => active.push(next),
                (Segment::Wildcard, _) => active.push(next),
                (Segment::Descendant(name), step) => {
                    active.push((rule, position));
                    if matches!(step, Step::Key(key) if key == name) {
                        active.push(next);
                    }
                }
                _ => {}
            }
        }
        active.sort_unstable();
        active.dedup();
        MatchState { active }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(segments: Vec<Segment>, action: Action, id: u32) -> BodyRule {
        BodyRule {
            path: PathPattern {
                segments,
                text: String::new(),
            },
            action,
            id: RuleId(id),
        }
    }

    fn ids(matcher: &BodyMatcher, state: &MatchState) -> Vec<u32> {
        matcher.accepting(state).map(|r| r.id.0).collect()
    }

    #[test]
    fn child_index_and_wildcard_step_one_level() {
        let matcher = BodyMatcher::new(vec![
            rule(
                vec![
                    Segment::Child("items".into()),
                    Segment::Wildcard,
                    Segment::Child("price".into()),
                ],
                Action::Ignore,
                1,
            ),
            rule(
                vec![Segment::Child("items".into()), Segment::Index(2)],
                Action::Ignore,
                2,
            ),
        ]);
        let items = matcher.child(&matcher.root(), "items");
        let third = matcher.index(&items, 2);
        assert_eq!(ids(&matcher, &third), vec![2]);
        let price = matcher.child(&third, "price");
        assert_eq!(ids(&matcher, &price), vec![1]);
        let other = matcher.child(&matcher.index(&items, 0), "price");
        assert_eq!(ids(&matcher, &other), vec![1]);
        assert!(matcher.child(&price, "x").is_empty());
        assert!(ids(&matcher, &matcher.child(&matcher.root(), "price")).is_empty());
    }

    #[test]
    fn descendant_matches_at_any_depth_including_direct_children() {
        let matcher = BodyMatcher::new(vec![rule(
            vec![Segment::Descendant("at".into())],
            Action::Ignore,
            7,
        )]);
        let root = matcher.root();
        assert_eq!(
            matcher.ignored_by(&matcher.child(&root, "at")),
            Some(RuleId(7))
        );
        let deep = matcher.child(&matcher.index(&matcher.child(&root, "a"), 3), "at");
        assert_eq!(matcher.ignored_by(&deep), Some(RuleId(7)));
        let nested = matcher.child(&matcher.child(&root, "at"), "at");
        assert_eq!(matcher.ignored_by(&nested), Some(RuleId(7)));
        assert_eq!(matcher.ignored_by(&matcher.child(&root, "b")), None);
    }

    #[test]
    fn first_array_rule_wins_and_root_pattern_accepts_at_root() {
        let matcher = BodyMatcher::new(vec![
            rule(vec![Segment::Wildcard], Action::Keyed("id".into()), 1),
            rule(vec![Segment::Child("a".into())], Action::Unordered, 2),
            rule(vec![], Action::Ignore, 3),
        ]);
        let a = matcher.child(&matcher.root(), "a");
        assert_eq!(matcher.array_rule(&a).map(|r| r.id), Some(RuleId(1)));
        assert_eq!(matcher.ignored_by(&matcher.root()), Some(RuleId(3)));
    }

    #[test]
    fn no_rules_means_empty_states() {
        let matcher = BodyMatcher::default();
        let root = matcher.root();
        assert!(root.is_empty() && matcher.is_empty());
        assert!(matcher.index(&matcher.child(&root, "a"), 0).is_empty());
    }
}
