//! Folding judged exchanges, in input order, into counts, signatures and a few examples.
//!
//! Memory is bounded by the number of routes and signatures, never by the number of exchanges:
//! each signature keeps its count and its first [`MAX_EXAMPLES`] ids.

use std::collections::{BTreeMap, BTreeSet};

use crate::compare::{Difference, Signature};
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
}

#[derive(Debug, Default)]
struct RouteAggregate {
    counts: Counts,
    signatures: BTreeMap<String, SignatureAggregate>,
    errors: BTreeMap<String, ErrorAggregate>,
    skips: BTreeMap<String, Examples>,
    ignored: BTreeMap<RuleId, u64>,
}

#[derive(Debug)]
struct SignatureAggregate {
    signature: Signature,
    examples: Examples,
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
                if comparison.differences.is_empty() {
                    route.counts.equal += 1;
                } else {
                    route.counts.different += 1;
                    route.add_differences(&judged.id, &comparison.differences);
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

    /// Builds the report: sorted routes and signatures, the verdict of `policy`, rule labels
    /// resolved by `describe`.
    pub fn finish(self, policy: &GatePolicy, describe: impl Fn(RuleId) -> String) -> Report {
        let mut totals = Counts::default();
        let mut ignored: BTreeMap<RuleId, u64> = BTreeMap::new();
        let routes: Vec<RouteReport> = self
            .routes
            .into_iter()
            .map(|(name, route)| {
                totals.add(&route.counts);
                for (rule, exchanges) in &route.ignored {
                    *ignored.entry(*rule).or_default() += exchanges;
                }
                route.into_report(name, &describe)
            })
            .collect();
        let (verdict, reasons) = policy.judge(&totals);
        Report {
            schema: SCHEMA.to_string(),
            verdict,
            reasons,
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
                    samples: Vec::new(),
                    note: difference.note.clone(),
                });
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

    fn into_report(self, route: String, describe: &impl Fn(RuleId) -> String) -> RouteReport {
        let exchanges = self.counts.exchanges;
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
            .map(|(text, sig)| SignatureReport {
                signature: text,
                target: sig.signature.target.to_string(),
                path: sig.signature.path.clone(),
                kind: sig.signature.kind.as_str().to_string(),
                count: sig.examples.count,
                rate: rate(sig.examples.count),
                noise: false,
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
