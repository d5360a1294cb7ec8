//! The gate: the policy that turns counts into a verdict, route by route, with the reasons said
//! first.
//!
//! A route fails when more of its compared exchanges than its `max_diff_rate` show a difference
//! that is neither noise nor accepted by the snapshot (default 0: any unaccepted difference
//! fails), or more than its `max_error_rate` end in error. `[gate]` sets the limits for every
//! route; `[[gate.route]]` tables override them for the routes their glob matches. A route with
//! fewer compared exchanges than `min_exchanges` is not judged. The run fails when a route
//! fails, when nothing was compared, or when it is incomplete.

use crate::unit::Unit;
use shadowdiff_core::RouteGlob;

use crate::document::{percent, Counts, Verdict};

/// How much difference and error a run may show and still pass.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePolicy {
    /// The limits of every route without its own.
    pub limits: Limits,
    /// Limits for the routes matching a glob; the first match wins.
    pub routes: Vec<RouteLimits>,
    /// A signature that old also shows against itself is noise unless the sign test says, at
    /// this level, that new shows it more often (default 0.01).
    pub noise_significance: f64,
}

/// The limits one route is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The largest share of compared exchanges that may show unaccepted differences.
    pub max_diff_rate: f64,
    /// The largest share of compared exchanges that may end in error.
    pub max_error_rate: f64,
    /// Fewer compared exchanges than this and the route is not judged.
    pub min_exchanges: u64,
}

/// Limits for the routes matching `pattern` (`GET /orders/*`); unset ones come from `[gate]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteLimits {
    /// The routes it applies to.
    pub pattern: RouteGlob,
    /// Overrides [`Limits::max_diff_rate`].
    pub max_diff_rate: Option<f64>,
    /// Overrides [`Limits::max_error_rate`].
    pub max_error_rate: Option<f64>,
    /// Overrides [`Limits::min_exchanges`].
    pub min_exchanges: Option<u64>,
}

/// The gate's decision about one route.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteJudgement {
    /// Pass or fail.
    pub verdict: Verdict,
    /// Whether the route had enough compared exchanges to be judged.
    pub judged: bool,
    /// Why, failures first.
    pub reasons: Vec<String>,
}

/// How many failing routes the run's reasons name before summing up the rest.
const MAX_ROUTES_NAMED: usize = 10;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_diff_rate: 0.0,
            max_error_rate: 0.0,
            min_exchanges: 1,
        }
    }
}

impl Default for GatePolicy {
    fn default() -> GatePolicy {
        GatePolicy {
            limits: Limits::default(),
            routes: Vec::new(),
            noise_significance: 0.01,
        }
    }
}

impl GatePolicy {
    /// Whether a signature seen in `count` exchanges between old and new, in `noise_count`
    /// between old and itself, and in `both` of them at once, is noise: old shows it against
    /// itself, and the exchanges where only one comparison shows it do not say, by the exact
    /// sign test at [`noise_significance`](Self::noise_significance), that new shows it more
    /// often. A signature old never shows against itself is never noise.
    pub fn is_noise(&self, count: u64, noise_count: u64, both: u64) -> bool {
        if noise_count == 0 {
            return false;
        }
        let new_only = count.saturating_sub(both);
        let old_only = noise_count.saturating_sub(both);
        super::sign_test::p_value(new_only, old_only) >= self.noise_significance
    }

    /// The limits `route` is held to.
    pub fn limits_for(&self, route: &str) -> Limits {
        let base = self.limits;
        match self.routes.iter().find(|r| r.pattern.matches(route)) {
            Some(own) => Limits {
                max_diff_rate: own.max_diff_rate.unwrap_or(base.max_diff_rate),
                max_error_rate: own.max_error_rate.unwrap_or(base.max_error_rate),
                min_exchanges: own.min_exchanges.unwrap_or(base.min_exchanges),
            },
            None => base,
        }
    }

    /// Judges one route from its counts and the number of its exchanges with a difference that
    /// is neither noise nor accepted.
    pub fn judge_route(&self, route: &str, counts: &Counts, unaccepted: u64) -> RouteJudgement {
        let limits = self.limits_for(route);
        let compared = counts.compared();
        let unit = Unit::of_route(route).plural();
        if compared < limits.min_exchanges.max(1) {
            return RouteJudgement {
                verdict: Verdict::Pass,
                judged: false,
                reasons: vec![format!(
                    "not judged: {compared} compared {unit}, fewer than the {} required",
                    limits.min_exchanges.max(1)
                )],
            };
        }
        let mut failures = Vec::new();
        let mut passes = Vec::new();
        let diff_rate = unaccepted as f64 / compared as f64;
        let line = format!(
            "{unaccepted} of {compared} compared {unit} ({}) differ in ways not accepted, \
             {} the allowed {}",
            percent(diff_rate),
            above_or_within(diff_rate, limits.max_diff_rate),
            percent(limits.max_diff_rate),
        );
        if diff_rate > limits.max_diff_rate {
            failures.push(line);
        } else {
            passes.push(line);
        }
        if counts.errors > 0 {
            let error_rate = counts.errors as f64 / compared as f64;
            let line = format!(
                "{} of {compared} {unit} ({}) ended in error, {} the allowed {}",
                counts.errors,
                percent(error_rate),
                above_or_within(error_rate, limits.max_error_rate),
                percent(limits.max_error_rate),
            );
            if error_rate > limits.max_error_rate {
                failures.push(line);
            } else {
                passes.push(line);
            }
        }
        let verdict = if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        failures.extend(passes);
        RouteJudgement {
            verdict,
            judged: true,
            reasons: failures,
        }
    }

    /// Decides the run's verdict from the route judgements (route name, judgement, counts,
    /// unaccepted exchanges); an incomplete run fails, with `incomplete` as its first reason.
    pub fn judge_run(
        &self,
        routes: &[(&str, &RouteJudgement)],
        totals: &Counts,
        unaccepted: u64,
        incomplete: Option<&str>,
    ) -> (Verdict, Vec<String>) {
        let mut failures = Vec::new();
        if let Some(reason) = incomplete {
            failures.push(format!("the run is incomplete: {reason}"));
        }
        let compared = totals.compared();
        let unit = Unit::of_routes(routes.iter().map(|(route, _)| *route));
        if compared == 0 {
            failures.push(format!(
                "no {} was compared ({} read, all skipped or not run)",
                unit.singular(),
                totals.exchanges
            ));
        }
        let failing: Vec<_> = routes
            .iter()
            .filter(|(_, j)| j.verdict == Verdict::Fail)
            .collect();
        for (route, judgement) in failing.iter().take(MAX_ROUTES_NAMED) {
            failures.push(format!("{route}: {}", judgement.reasons[0]));
        }
        if failing.len() > MAX_ROUTES_NAMED {
            failures.push(format!(
                "... and {} more failing routes",
                failing.len() - MAX_ROUTES_NAMED
            ));
        }
        let mut passes = Vec::new();
        if compared > 0 {
            passes.push(format!(
                "{unaccepted} of {compared} compared {} ({}) differ in ways not accepted; \
                 {} differ only in accepted or noise ways",
                unit.plural(),
                percent(unaccepted as f64 / compared as f64),
                totals.different + totals.noise_only - unaccepted,
            ));
        }
        if totals.errors > 0 {
            passes.push(format!(
                "{} of {compared} {} ({}) ended in error",
                totals.errors,
                unit.plural(),
                percent(totals.errors as f64 / compared.max(1) as f64),
            ));
        }
        let unjudged: Vec<&str> = routes
            .iter()
            .filter(|(_, j)| !j.judged)
            .map(|(route, _)| *route)
            .collect();
        if !unjudged.is_empty() {
            let mut named = unjudged[..unjudged.len().min(MAX_ROUTES_NAMED)].join(", ");
            if unjudged.len() > MAX_ROUTES_NAMED {
                named.push_str(&format!(" and {} more", unjudged.len() - MAX_ROUTES_NAMED));
            }
            passes.push(match unjudged.len() {
                1 => format!("not judged, too few compared {}: {named}", unit.plural()),
                n => format!(
                    "{n} routes not judged, too few compared {}: {named}",
                    unit.plural()
                ),
            });
        }
        let verdict = if failures.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        failures.extend(passes);
        (verdict, failures)
    }
}

fn above_or_within(rate: f64, limit: f64) -> &'static str {
    if rate > limit {
        "above"
    } else {
        "within"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(equal: u64, different: u64, errors: u64, skipped: u64) -> Counts {
        Counts {
            exchanges: equal + different + errors + skipped,
            equal,
            different,
            noise_only: 0,
            errors,
            skipped,
            not_run: 0,
        }
    }

    #[test]
    fn any_unaccepted_difference_fails_a_route_by_default() {
        let policy = GatePolicy::default();
        let judgement = policy.judge_route("GET /a", &counts(99, 1, 0, 0), 1);
        assert_eq!(judgement.verdict, Verdict::Fail);
        assert_eq!(
            judgement.reasons[0],
            "1 of 100 compared exchanges (1.00%) differ in ways not accepted, above the allowed 0.00%"
        );
        let accepted = policy.judge_route("GET /a", &counts(99, 1, 0, 5), 0);
        assert_eq!(accepted.verdict, Verdict::Pass);
    }

    #[test]
    fn route_limits_override_the_defaults_for_matching_routes() {
        let policy = GatePolicy {
            limits: Limits {
                max_diff_rate: 0.01,
                ..Limits::default()
            },
            routes: vec![RouteLimits {
                pattern: RouteGlob::new("GET /flaky/*").unwrap(),
                max_diff_rate: Some(0.1),
                max_error_rate: None,
                min_exchanges: Some(50),
            }],
            ..GatePolicy::default()
        };
        let c = counts(95, 5, 0, 0);
        assert_eq!(
            policy.judge_route("GET /orders", &c, 5).verdict,
            Verdict::Fail
        );
        assert_eq!(
            policy.judge_route("GET /flaky/{id}", &c, 5).verdict,
            Verdict::Pass
        );
        let few = policy.judge_route("GET /flaky/{id}", &counts(40, 9, 0, 0), 9);
        assert!(!few.judged);
        assert_eq!(few.verdict, Verdict::Pass);
        assert!(few.reasons[0].contains("fewer than the 50 required"));
    }

    #[test]
    fn errors_above_their_limit_fail_even_without_differences() {
        let policy = GatePolicy {
            limits: Limits {
                max_error_rate: 0.05,
                ..Limits::default()
            },
            ..GatePolicy::default()
        };
        assert_eq!(
            policy.judge_route("r", &counts(96, 0, 4, 0), 0).verdict,
            Verdict::Pass
        );
        let failing = policy.judge_route("r", &counts(90, 0, 10, 0), 0);
        assert_eq!(failing.verdict, Verdict::Fail);
        assert!(failing.reasons[0].starts_with("10 of 100 exchanges (10.00%) ended in error"));
    }

    #[test]
    fn the_run_fails_with_a_failing_route_named_first() {
        let policy = GatePolicy::default();
        let a = policy.judge_route("GET /a", &counts(10, 0, 0, 0), 0);
        let b = policy.judge_route("GET /b", &counts(8, 2, 0, 0), 2);
        let (verdict, reasons) = policy.judge_run(
            &[("GET /a", &a), ("GET /b", &b)],
            &counts(18, 2, 0, 0),
            2,
            None,
        );
        assert_eq!(verdict, Verdict::Fail);
        assert!(reasons[0].starts_with("GET /b: 2 of 10"), "{reasons:?}");
        let (verdict, _) = policy.judge_run(&[("GET /a", &a)], &counts(10, 0, 0, 0), 0, None);
        assert_eq!(verdict, Verdict::Pass);
    }

    #[test]
    fn noise_is_a_count_not_shown_above_the_noise_count_by_the_sign_test() {
        let policy = GatePolicy::default();
        assert!(!policy.is_noise(10, 0, 0), "never seen in noise: real");
        assert!(policy.is_noise(100, 100, 100));
        assert!(policy.is_noise(17, 11, 0), "17 against 11 is p = 0.17");
        assert!(policy.is_noise(3, 9, 0));
        assert!(!policy.is_noise(20, 1, 0), "20 against 1 is p = 1e-5");
        assert!(!policy.is_noise(60, 40, 30), "30 against 10 is p = 0.001");
        assert!(!policy.is_noise(60, 40, 35), "25 against 5 is p = 0.0002");
        assert!(policy.is_noise(60, 55, 45), "15 against 10 is p = 0.21");
    }

    #[test]
    fn an_incomplete_run_fails_and_says_so_first() {
        let policy = GatePolicy::default();
        let a = policy.judge_route("GET /a", &counts(10, 0, 0, 0), 0);
        let (verdict, reasons) = policy.judge_run(
            &[("GET /a", &a)],
            &counts(10, 0, 0, 0),
            0,
            Some("target new stopped answering"),
        );
        assert_eq!(verdict, Verdict::Fail);
        assert_eq!(
            reasons[0],
            "the run is incomplete: target new stopped answering"
        );
    }

    #[test]
    fn nothing_compared_fails() {
        let (verdict, reasons) = GatePolicy::default().judge_run(&[], &counts(0, 0, 0, 3), 0, None);
        assert_eq!(verdict, Verdict::Fail);
        assert!(reasons[0].contains("no exchange was compared"));
    }

    #[test]
    fn routes_left_unjudged_are_named() {
        let policy = GatePolicy {
            limits: Limits {
                min_exchanges: 5,
                ..Limits::default()
            },
            ..GatePolicy::default()
        };
        let a = policy.judge_route("GET /a", &counts(10, 0, 0, 0), 0);
        let b = policy.judge_route("GET /b", &counts(2, 0, 0, 0), 0);
        let c = policy.judge_route("POST /c", &counts(0, 0, 0, 4), 0);
        let runs = [("GET /a", &a), ("GET /b", &b), ("POST /c", &c)];
        let (verdict, reasons) = policy.judge_run(&runs, &counts(12, 0, 0, 4), 0, None);
        assert_eq!(verdict, Verdict::Pass);
        assert!(
            reasons.contains(
                &"2 routes not judged, too few compared exchanges: GET /b, POST /c".to_string()
            ),
            "{reasons:?}"
        );
        let (_, reasons) = policy.judge_run(&runs[..2], &counts(12, 0, 0, 0), 0, None);
        assert!(
            reasons.contains(&"not judged, too few compared exchanges: GET /b".to_string()),
            "{reasons:?}"
        );
    }
}
