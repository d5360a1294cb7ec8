//! Folding judged exchanges, in input order, into counts, signatures and a few examples.
//!
//! Memory is bounded by the number of routes and signatures, never by the number of exchanges:
//! each signature keeps its count and its first [`MAX_EXAMPLES`] ids.

use std::collections::{BTreeMap, BTreeSet};

use crate::compare::{Difference, Signature, Target};
use crate::rules::RuleId;

use super::document::{
    Counts, ErrorGroup, IgnoredRule, Report, RouteReport, Sample, SignatureReport, SkipGroup,
    Verdict, SCHEMA,
};
use super::gate::GatePolicy;
use super::outcome::{Judged, Outcome};

/// How many example ids a signature, error kind or skip reason keeps.
pub const MAX_EXAMPLES: usize = 5;
/// How many examples keep their values as samples.
pub const MAX_SAMPLES: usize = 3;

/// The running totals of a run; feed it [`Judged`] exchanges in input order.
#[derive(Debug, Default)]
pub struct Aggregate {
    routes: BTreeMap<String, RouteAggregate>,
    incomplete: Option<String>,
}

#[derive(Debug, Default)]
struct RouteAggregate {
    counts: Counts,
    signatures: BTreeMap<String, SignatureAggregate>,
    /// Exchanges counted as different, by the set of signatures that were not noise in them:
    /// once the signatures that are noise overall are known, sets made only of those turn out
    /// to be noise too. Bounded by the distinct sets, not by the exchanges.
    different_sets: BTreeMap<Vec<String>, u64>,
    errors: BTreeMap<String, ErrorAggregate>,
    skips: BTreeMap<String, Examples>,
    ignored: BTreeMap<RuleId, u64>,
}

#[derive(Debug)]
struct SignatureAggregate {
    signature: Signature,
    /// Exchanges in which old and new differ so.
    examples: Examples,
    /// Exchanges in which old differs so from itself.
    noise_count: u64,
    samples: Vec<Sample>,
    note: Option<String>,
}

#[derive(Debug)]
struct ErrorAggregate {
    examples: Examples,
    message: String,
}

#[derive(Debug, Default)]
struct Examples {
    count: u64,
    ids: Vec<String>,
}

impl Examples {
    fn add(&mut self, id: &str) {
        self.count += 1;
        if self.ids.len() < MAX_EXAMPLES {
            self.ids.push(id.to_string());
        }
    }
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// Counts one exchange. Call in input order: examples are the first ones added.
    pub fn add(&mut self, judged: &Judged) {
        let route = self.routes.entry(judged.route.clone()).or_default();
        route.counts.exchanges += 1;
        match &judged.outcome {
            Outcome::Compared(comparison) => {
                let hiding: BTreeSet<RuleId> = comparison.ignored.iter().map(|i| i.rule).collect();
                for rule in hiding {
                    *route.ignored.entry(rule).or_default() += 1;
                }
                let noisy: BTreeSet<&Target> = match &judged.noise {
                    Some(noise) => {
                        route.add_noise(&noise.differences);
                        noise.differences.iter().map(|d| &d.target).collect()
                    }
                    None => BTreeSet::new(),
                };
                if comparison.differences.is_empty() {
                    route.counts.equal += 1;
                } else {
                    route.add_differences(&judged.id, &comparison.differences);
                    let real: BTreeSet<String> = comparison
                        .differences
                        .iter()
                        .filter(|d| !noisy.contains(&d.target))
                        .map(|d| d.signature().to_string())
                        .collect();
                    if real.is_empty() {
                        route.counts.noise_only += 1;
                    } else {
                        route.counts.different += 1;
                        *route
                            .different_sets
                            .entry(real.into_iter().collect())
                            .or_default() += 1;
                    }
                }
            }
            Outcome::Error(error) => {
                route.counts.errors += 1;
                route
                    .errors
                    .entry(error.kind.clone())
                    .or_insert_with(|| ErrorAggregate {
                        examples: Examples::default(),
                        message: error.message.clone(),
                    })
                    .examples
                    .add(&judged.id);
            }
            Outcome::Skipped(reason) => {
                route.counts.skipped += 1;
                route
                    .skips
                    .entry(reason.clone())
                    .or_default()
                    .add(&judged.id);
            }
        }
    }

    /// Marks the run as stopped before every exchange was judged; the report says why.
    pub fn mark_incomplete(&mut self, reason: impl Into<String>) {
        self.incomplete = Some(reason.into());
    }

    /// Builds the report: sorted routes and signatures, noise decided, the verdict of `policy`,
    /// rule labels resolved by `describe`.
    pub fn finish(self, policy: &GatePolicy, describe: impl Fn(RuleId) -> String) -> Report {
        let mut totals = Counts::default();
        let mut ignored: BTreeMap<RuleId, u64> = BTreeMap::new();
        let routes: Vec<RouteReport> = self
            .routes
            .into_iter()
            .map(|(name, route)| {
                for (rule, exchanges) in &route.ignored {
                    *ignored.entry(*rule).or_default() += exchanges;
                }
                route.into_report(name, policy, &describe)
            })
            .collect();
        for route in &routes {
            totals.add(&route.counts);
        }
        let (verdict, reasons) = policy.judge(&totals, self.incomplete.as_deref());
        Report {
            schema: SCHEMA.to_string(),
            verdict,
            reasons,
            incomplete: self.incomplete.is_some(),
            totals,
            ignored: ignored_rules(&ignored, &describe),
            routes,
        }
    }
}

impl RouteAggregate {
    /// Counts each signature once per exchange, keeping the first difference as its sample.
    fn add_differences(&mut self, id: &str, differences: &[Difference]) {
        let mut seen = BTreeSet::new();
        for difference in differences {
            let signature = difference.signature();
            let key = signature.to_string();
            if !seen.insert(key.clone()) {
                continue;
            }
            let entry = self
                .signatures
                .entry(key)
                .or_insert_with(|| SignatureAggregate {
                    signature,
                    examples: Examples::default(),
                    noise_count: 0,
                    samples: Vec::new(),
                    note: None,
                });
            if entry.note.is_none() {
                entry.note.clone_from(&difference.note);
            }
            entry.examples.add(id);
            if entry.samples.len() < MAX_SAMPLES {
                entry.samples.push(Sample {
                    id: id.to_string(),
                    path: difference.target.place(),
                    old: difference.old.clone(),
                    new: difference.new.clone(),
                });
            }
        }
    }

    /// Counts the signatures of old disagreeing with itself.
    fn add_noise(&mut self, differences: &[Difference]) {
        let signatures: BTreeSet<Signature> = differences.iter().map(|d| d.signature()).collect();
        for signature in signatures {
            self.signatures
                .entry(signature.to_string())
                .or_insert_with(|| SignatureAggregate {
                    signature,
                    examples: Examples::default(),
                    noise_count: 0,
                    samples: Vec::new(),
                    note: None,
                })
                .noise_count += 1;
        }
    }

    fn into_report(
        mut self,
        route: String,
        policy: &GatePolicy,
        describe: &impl Fn(RuleId) -> String,
    ) -> RouteReport {
        let exchanges = self.counts.exchanges;
        let noise: BTreeSet<String> = self
            .signatures
            .iter()
            .filter(|(_, sig)| policy.is_noise(sig.examples.count, sig.noise_count, exchanges))
            .map(|(text, _)| text.clone())
            .collect();
        for (set, count) in &self.different_sets {
            if set.iter().all(|signature| noise.contains(signature)) {
                self.counts.different -= count;
                self.counts.noise_only += count;
            }
        }
        let rate = |count: u64| {
            if exchanges == 0 {
                0.0
            } else {
                count as f64 / exchanges as f64
            }
        };
        let signatures = self
            .signatures
            .into_iter()
            .filter(|(_, sig)| sig.examples.count > 0)
            .map(|(text, sig)| SignatureReport {
                noise: noise.contains(&text),
                signature: text,
                target: sig.signature.target.to_string(),
                path: sig.signature.path.clone(),
                kind: sig.signature.kind.as_str().to_string(),
                count: sig.examples.count,
                noise_count: sig.noise_count,
                rate: rate(sig.examples.count),
                accepted: false,
                examples: sig.examples.ids,
                samples: sig.samples,
                note: sig.note,
            })
            .collect();
        let error_kinds = self
            .errors
            .into_iter()
            .map(|(kind, error)| ErrorGroup {
                kind,
                count: error.examples.count,
                examples: error.examples.ids,
                message: error.message,
            })
            .collect();
        let skip_reasons = self
            .skips
            .into_iter()
            .map(|(reason, examples)| SkipGroup {
                reason,
                count: examples.count,
                examples: examples.ids,
            })
            .collect();
        let ignored = ignored_rules(&self.ignored, describe);
        RouteReport {
            route,
            counts: self.counts,
            signatures,
            error_kinds,
            skip_reasons,
            ignored,
        }
    }
}

/// The rules that hid something, in rule order (file, then line), with their exchange counts.
fn ignored_rules(
    counts: &BTreeMap<RuleId, u64>,
    describe: &impl Fn(RuleId) -> String,
) -> Vec<IgnoredRule> {
    counts
        .iter()
        .map(|(rule, exchanges)| IgnoredRule {
            rule: describe(*rule),
            exchanges: *exchanges,
        })
        .collect()
}

impl Verdict {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{BodyPath, Comparison, Ignored, Kind, Step, Target};
    use crate::report::outcome::OutcomeError;
    use serde_json::json;

    fn price_change(index: usize) -> Difference {
        Difference {
            target: Target::Body(BodyPath(vec![
                Step::Key("items".into()),
                Step::Index(index),
                Step::Key("price".into()),
            ])),
            kind: Kind::Changed,
            old: Some(json!(10)),
            new: Some(json!(11)),
            note: None,
        }
    }

    fn judged(id: &str, route: &str, outcome: Outcome) -> Judged {
        Judged {
            id: id.into(),
            route: route.into(),
            outcome,
            noise: None,
        }
    }

    #[test]
    fn signatures_count_exchanges_not_differences() {
        let mut agg = Aggregate::new();
        let two_prices = Comparison {
            differences: vec![price_change(0), price_change(3)],
            ignored: vec![],
        };
        agg.add(&judged(
            "r1",
            "GET /o/{id}",
            Outcome::Compared(two_prices.clone()),
        ));
        agg.add(&judged(
            "r2",
            "GET /o/{id}",
            Outcome::Compared(Comparison::default()),
        ));
        agg.add(&judged("r3", "GET /o/{id}", Outcome::Compared(two_prices)));
        let report = agg.finish(&GatePolicy::default(), |_| String::new());
        let route = &report.routes[0];
        assert_eq!(route.counts.different, 2);
        assert_eq!(route.counts.equal, 1);
        let sig = &route.signatures[0];
        assert_eq!(sig.signature, "body $.items[*].price changed");
        assert_eq!(sig.count, 2);
        assert!((sig.rate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(sig.examples, ["r1", "r3"]);
        assert_eq!(sig.samples[0].path.as_deref(), Some("$.items[0].price"));
        assert_eq!(report.verdict, Verdict::Fail);
    }

    #[test]
    fn totals_add_up_and_routes_are_sorted() {
        let mut agg = Aggregate::new();
        agg.add(&judged(
            "1",
            "GET /b",
            Outcome::Skipped("method POST".into()),
        ));
        agg.add(&judged(
            "2",
            "GET /a",
            Outcome::Error(OutcomeError::new("only_in_a", "missing in B")),
        ));
        let ignored = Comparison {
            differences: vec![],
            ignored: vec![
                Ignored {
                    rule: RuleId(4),
                    target: Target::Header("date".into()),
                },
                Ignored {
                    rule: RuleId(4),
                    target: Target::Header("server".into()),
                },
            ],
        };
        agg.add(&judged("3", "GET /a", Outcome::Compared(ignored)));
        let report = agg.finish(&GatePolicy::default(), |rule| format!("rule {}", rule.0));
        assert!(report.totals.adds_up());
        assert_eq!(report.totals.exchanges, 3);
        let names: Vec<_> = report.routes.iter().map(|r| r.route.as_str()).collect();
        assert_eq!(names, ["GET /a", "GET /b"]);
        assert_eq!(report.routes[0].ignored[0].rule, "rule 4");
        assert_eq!(report.routes[0].ignored[0].exchanges, 1);
        assert_eq!(report.routes[0].error_kinds[0].examples, ["2"]);
        assert_eq!(report.routes[1].skip_reasons[0].count, 1);
    }

    fn at(key: &str) -> Difference {
        Difference {
            target: Target::Body(BodyPath(vec![Step::Key(key.into())])),
            kind: Kind::Changed,
            old: Some(json!(1)),
            new: Some(json!(2)),
            note: None,
        }
    }

    fn with_noise(id: &str, new: &[&str], noise: &[&str]) -> Judged {
        let comparison = |keys: &[&str]| Comparison {
            differences: keys.iter().map(|k| at(k)).collect(),
            ignored: vec![],
        };
        Judged {
            id: id.into(),
            route: "GET /o".into(),
            outcome: Outcome::Compared(comparison(new)),
            noise: Some(comparison(noise)),
        }
    }

    #[test]
    fn noise_cancels_per_exchange_and_per_signature() {
        let mut agg = Aggregate::new();
        // requestId differs from old to old in every exchange: noise in each one.
        agg.add(&with_noise("1", &["requestId"], &["requestId"]));
        // a flaky field: old disagreed with itself in exchange 3, new differs in 2 and 4.
        agg.add(&with_noise("2", &["flaky"], &["requestId"]));
        agg.add(&with_noise("3", &[], &["requestId", "flaky"]));
        agg.add(&with_noise(
            "4",
            &["flaky", "requestId"],
            &["requestId", "flaky"],
        ));
        agg.add(&with_noise("5", &["flaky"], &["requestId", "flaky"]));
        // a real change, never seen between old and itself.
        agg.add(&with_noise("6", &["total", "requestId"], &["requestId"]));
        let report = agg.finish(&GatePolicy::default(), |_| String::new());
        let route = &report.routes[0];
        let sigs: Vec<(&str, u64, u64, bool)> = route
            .signatures
            .iter()
            .map(|s| (s.signature.as_str(), s.count, s.noise_count, s.noise))
            .collect();
        assert_eq!(
            sigs,
            [
                ("body $.flaky changed", 3, 3, true),
                ("body $.requestId changed", 3, 6, true),
                ("body $.total changed", 1, 0, false),
            ]
        );
        assert_eq!(route.counts.equal, 1);
        assert_eq!(route.counts.noise_only, 4);
        assert_eq!(route.counts.different, 1);
        assert!(report.totals.adds_up());
        assert_eq!(report.totals.noise_only, 4);
    }

    #[test]
    fn examples_are_bounded() {
        let mut agg = Aggregate::new();
        let diff = Comparison {
            differences: vec![price_change(0)],
            ignored: vec![],
        };
        for i in 0..100 {
            agg.add(&judged(
                &i.to_string(),
                "GET /o",
                Outcome::Compared(diff.clone()),
            ));
        }
        let report = agg.finish(&GatePolicy::default(), |_| String::new());
        let sig = &report.routes[0].signatures[0];
        assert_eq!(sig.count, 100);
        assert_eq!(sig.examples.len(), MAX_EXAMPLES);
        assert_eq!(sig.samples.len(), MAX_SAMPLES);
    }
}
