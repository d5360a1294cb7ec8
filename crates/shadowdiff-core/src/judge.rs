//! Judging one exchange: find its route and rules, compare old with new, name the outcome.
//!
//! Shared by `diff` (two recordings) and `run` (replayed responses), so both reach the same
//! outcome for the same pair of responses.

use crate::compare::{compare, Kind, Target};
use crate::model::{Request, Response};
use crate::outcome::{Judged, Outcome, OutcomeError};
use crate::rules::RuleSet;

/// The old and the new side of one exchange, as far as they exist.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    /// The exchange id.
    pub id: &'a str,
    /// The exchange's position in the recordings.
    pub seq: u64,
    /// The request, which decides the route.
    pub request: &'a Request,
    /// The old response, if there is one.
    pub old: Option<&'a Response>,
    /// The new response, if there is one.
    pub new: Option<&'a Response>,
    /// A second answer of the old implementation, when noise is measured.
    pub noise: Option<&'a Response>,
}

/// Compares the two sides under the rules of the request's route. When noise is measured and
/// old's two answers hold an array's elements in different orders, old does not keep that order:
/// old and new are then compared with that array as a multiset, in this exchange only, so the
/// order is forgiven and an element that really changed still shows.
pub fn judge(pair: Pair<'_>, rules: &RuleSet) -> Judged {
    let route = rules.route(&pair.request.method, pair.request.path());
    let noise = match (pair.old, pair.noise) {
        (Some(old), Some(noise)) => Some(compare(old, noise, route.rules)),
        _ => None,
    };
    let unkept: Vec<String> = noise
        .iter()
        .flat_map(|noise| &noise.differences)
        .filter(|d| d.kind == Kind::Reordered)
        .filter_map(|d| match &d.target {
            Target::Body(path) => Some(path.erased()),
            _ => None,
        })
        .collect();
    let forgiving = (!unkept.is_empty()).then(|| {
        route
            .rules
            .with_unordered(unkept.iter().map(String::as_str))
    });
    let compared_under = forgiving.as_ref().unwrap_or(route.rules);
    let outcome = match (pair.old, pair.new) {
        (Some(old), Some(new)) => Outcome::Compared(compare(old, new, compared_under)),
        (None, Some(_)) => Outcome::Error(OutcomeError::new(
            "no_old_response",
            "the old side has no response to compare",
        )),
        (Some(_), None) => Outcome::Error(OutcomeError::new(
            "no_new_response",
            "the new side has no response to compare",
        )),
        (None, None) => Outcome::Error(OutcomeError::new(
            "no_response",
            "neither side has a response to compare",
        )),
    };
    Judged {
        id: pair.id.to_string(),
        seq: pair.seq,
        route: route.name,
        outcome,
        noise,
        timing: Default::default(),
    }
}
