//! The verdict on aggregates: counting, merging and saving as the report shows them, and each
//! step of the verdict on its own.

use serde_json::{json, Value};

use shadowdiff_core::{Difference, Judged, Outcome, RuleId};

use crate::aggregate::{Aggregate, MAX_EXAMPLES, MAX_SAMPLES, MAX_SAMPLE_VALUE};
use crate::document::{Report, TargetNames, Verdict};

use super::gate::GatePolicy;
use super::Finish;
use shadowdiff_core::OutcomeError;
use shadowdiff_core::Timing;
use shadowdiff_core::{BodyPath, Comparison, Ignored, Kind, Step, Target};

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
        seq: id.parse().unwrap_or(0),
        route: route.into(),
        outcome,
        noise: None,
        timing: Timing::default(),
    }
}

fn finish(agg: Aggregate) -> Report {
    finish_with(agg, &|_| String::new())
}

fn finish_with(agg: Aggregate, describe: &dyn Fn(RuleId) -> String) -> Report {
    agg.finish(&Finish {
        policy: &GatePolicy::default(),
        snapshot: None,
        find_stale: true,
        targets: TargetNames::default(),
        describe,
    })
}

#[test]
fn signatures_count_exchanges_not_differences() {
    let mut agg = Aggregate::new();
    let two_prices = Comparison {
        differences: vec![price_change(0), price_change(3)],
        ignored: vec![],
    };
    agg.add(
        &judged("r1", "GET /o/{id}", Outcome::Compared(two_prices.clone())),
        None,
    );
    agg.add(
        &judged(
            "r2",
            "GET /o/{id}",
            Outcome::Compared(Comparison::default()),
        ),
        None,
    );
    agg.add(
        &judged("r3", "GET /o/{id}", Outcome::Compared(two_prices)),
        None,
    );
    let report = finish(agg);
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
fn a_signature_note_is_the_first_by_position_whatever_the_arrival_order() {
    let noted = |id: &str, note: Option<&str>| {
        let difference = Difference {
            note: note.map(String::from),
            ..price_change(0)
        };
        let comparison = Comparison {
            differences: vec![difference],
            ignored: vec![],
        };
        judged(id, "GET /o/{id}", Outcome::Compared(comparison))
    };
    let arrivals = [
        noted("9", Some("late")),
        noted("2", None),
        noted("5", Some("early")),
        noted("7", Some("middle")),
    ];
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
        let mut agg = Aggregate::new();
        for i in order {
            agg.add(&arrivals[i], None);
        }
        let report = finish(agg);
        let sig = &report.routes[0].signatures[0];
        assert_eq!(sig.note.as_deref(), Some("early"), "{order:?}");
        assert_eq!(sig.examples, ["2", "5", "7", "9"], "{order:?}");
    }
    let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
    first.add(&arrivals[0], None);
    second.add(&arrivals[2], None);
    first.merge(second);
    let report = finish(first);
    assert_eq!(
        report.routes[0].signatures[0].note.as_deref(),
        Some("early")
    );
}

#[test]
fn totals_add_up_and_routes_are_sorted() {
    let mut agg = Aggregate::new();
    agg.add(
        &judged("1", "GET /b", Outcome::Skipped("method POST".into())),
        None,
    );
    agg.add(
        &judged(
            "2",
            "GET /a",
            Outcome::Error(OutcomeError::new("only_in_a", "missing in B")),
        ),
        None,
    );
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
    agg.add(&judged("3", "GET /a", Outcome::Compared(ignored)), None);
    let report = finish_with(agg, &|rule| format!("rule {}", rule.0));
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
        seq: id.parse().unwrap(),
        route: "GET /o".into(),
        outcome: Outcome::Compared(comparison(new)),
        noise: Some(comparison(noise)),
        timing: Timing::default(),
    }
}

#[test]
fn noise_cancels_per_exchange_and_per_signature() {
    let mut agg = Aggregate::new();
    // requestId differs from old to old in every exchange: noise in each one.
    agg.add(&with_noise("1", &["requestId"], &["requestId"]), None);
    // a flaky field: old disagreed with itself in exchange 3, new differs in 2 and 4.
    agg.add(&with_noise("2", &["flaky"], &["requestId"]), None);
    agg.add(&with_noise("3", &[], &["requestId", "flaky"]), None);
    agg.add(
        &with_noise("4", &["flaky", "requestId"], &["requestId", "flaky"]),
        None,
    );
    agg.add(&with_noise("5", &["flaky"], &["requestId", "flaky"]), None);
    // a real change, never seen between old and itself.
    agg.add(
        &with_noise("6", &["total", "requestId"], &["requestId"]),
        None,
    );
    let report = finish(agg);
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
fn merged_parts_keep_the_first_examples_in_input_order() {
    let diff = Comparison {
        differences: vec![price_change(0)],
        ignored: vec![],
    };
    let (mut even, mut odd, mut whole) = (Aggregate::new(), Aggregate::new(), Aggregate::new());
    for i in 0..20u32 {
        let one = judged(&i.to_string(), "GET /o", Outcome::Compared(diff.clone()));
        whole.add(&one, None);
        if i % 2 == 0 {
            even.add(&one, None)
        } else {
            odd.add(&one, None)
        }
    }
    let saved = odd.save(&|_| String::new());
    let (odd, _) = Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
    even.merge(odd);
    let (merged, whole) = (finish(even), finish(whole));
    assert_eq!(merged, whole);
    assert_eq!(
        merged.routes[0].signatures[0].examples,
        ["0", "1", "2", "3", "4"]
    );
}

#[test]
fn exchanges_not_run_count_apart_add_up_merge_and_mark_the_run_incomplete() {
    let reason = "target new failed 20 times in a row";
    let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
    first.add(
        &judged("1", "GET /o", Outcome::Compared(Comparison::default())),
        None,
    );
    first.add(&judged("2", "GET /o", Outcome::NotRun(reason.into())), None);
    second.add(&judged("3", "GET /o", Outcome::NotRun(reason.into())), None);
    second.add(
        &judged("4", "GET /p", Outcome::NotRun("interrupted".into())),
        None,
    );
    let saved = second.save(&|_| String::new());
    let (second, _) = Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
    first.merge(second);
    let report = finish(first);
    assert!(report.incomplete, "not run means the run was cut short");
    assert_eq!(
        report.reasons[0],
        format!("the run is incomplete: {reason}")
    );
    assert!(report.totals.adds_up());
    assert_eq!((report.totals.exchanges, report.totals.not_run), (4, 3));
    assert_eq!(report.totals.compared(), 1);
    let o = &report.routes[0];
    assert_eq!((o.counts.equal, o.counts.not_run), (1, 2));
    assert_eq!(o.not_run_reasons[0].reason, reason);
    assert_eq!(o.not_run_reasons[0].count, 2);
    assert_eq!(o.not_run_reasons[0].examples, ["2", "3"]);
    let p = &report.routes[1];
    assert_eq!(p.not_run_reasons[0].reason, "interrupted");
    assert!(
        p.reasons[0].starts_with("not judged: 0 compared"),
        "{:?}",
        p.reasons
    );
}

#[test]
fn an_aggregate_saved_before_not_run_existed_still_reads() {
    let mut agg = Aggregate::new();
    agg.add(
        &judged("1", "GET /o", Outcome::Compared(Comparison::default())),
        None,
    );
    let saved = agg
        .save(&|_| String::new())
        .replace(",\"not_run\":0", "")
        .replace(",\"not_run\":{}", "");
    assert!(!saved.contains("not_run"), "{saved}");
    let (agg, _) = Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
    assert_eq!(finish(agg).totals.not_run, 0);
}

#[test]
fn large_sample_values_keep_their_start_and_size() {
    let big = format!("[{}1.50]", "1.50,".repeat(1_000_000));
    let huge: Value = serde_json::from_str(&big).unwrap();
    let mut agg = Aggregate::new();
    let diff = Comparison {
        differences: vec![Difference {
            target: Target::Body(BodyPath(vec![Step::Key("a".into())])),
            kind: Kind::Changed,
            old: Some(huge),
            new: Some(json!("é".repeat(2000))),
            note: None,
        }],
        ignored: vec![],
    };
    agg.add(&judged("1", "GET /o", Outcome::Compared(diff)), None);
    let report = finish(agg);
    let sample = &report.routes[0].signatures[0].samples[0];
    assert_eq!(sample.truncated.old, Some(big.len() as u64));
    let Some(Value::String(start)) = &sample.old else {
        panic!("{:?}", sample.old)
    };
    // The text as sent: `1.50` stays `1.50`.
    assert!(
        start.starts_with("[1.50,1.50,") && start.len() == MAX_SAMPLE_VALUE,
        "{start}"
    );
    // 4002 bytes of JSON text, cut at a character boundary.
    assert_eq!(sample.truncated.new, Some(4002));
    let Some(Value::String(start)) = &sample.new else {
        panic!("{:?}", sample.new)
    };
    assert_eq!(start.len(), MAX_SAMPLE_VALUE - 1);
    let small = Comparison {
        differences: vec![price_change(0)],
        ignored: vec![],
    };
    let mut agg = Aggregate::new();
    agg.add(&judged("1", "GET /o", Outcome::Compared(small)), None);
    let report = finish(agg);
    let sample = &report.routes[0].signatures[0].samples[0];
    assert!(sample.truncated.is_empty());
    assert_eq!(sample.old, Some(json!(10)));
}

#[test]
fn examples_are_bounded() {
    let mut agg = Aggregate::new();
    let diff = Comparison {
        differences: vec![price_change(0)],
        ignored: vec![],
    };
    for i in 0..100 {
        agg.add(
            &judged(&i.to_string(), "GET /o", Outcome::Compared(diff.clone())),
            None,
        );
    }
    let report = finish(agg);
    let sig = &report.routes[0].signatures[0];
    assert_eq!(sig.count, 100);
    assert_eq!(sig.examples.len(), MAX_EXAMPLES);
    assert_eq!(sig.samples.len(), MAX_SAMPLES);
}

/// Each step of the verdict on its own, on aggregates built by hand.
mod steps {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use crate::aggregate::part::{Part, Shards};
    use crate::aggregate::{ErrorAggregate, Examples, RouteAggregate, SignatureAggregate};
    use crate::document::{Counts, RouteReport, SignatureReport, Verdict};
    use crate::snapshot::{Change, Pending, Snapshot};

    use super::super::gate::GatePolicy;
    use super::super::route::{self, Classes};
    use super::super::{accepted, noise, reasons, Finish};
    use super::{RuleId, TargetNames};

    fn examples(ids: &[(u64, &str)], count: u64) -> Examples {
        Examples {
            count,
            first: ids.iter().map(|(seq, id)| (*seq, id.to_string())).collect(),
        }
    }

    fn signature(count: u64, noise_count: u64, noise_both: u64) -> SignatureAggregate {
        SignatureAggregate {
            target: "body".into(),
            path: Some("$.x".into()),
            kind: "changed".into(),
            examples: examples(&[], count),
            noise_count,
            noise_both,
            samples: Vec::new(),
            note: None,
            note_seq: 0,
        }
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// A snapshot accepting `body $.a changed` on `GET /o` up to `max_rate`.
    fn snapshot(max_rate: f64) -> Snapshot {
        let mut snapshot = Snapshot {
            path: PathBuf::from("shadowdiff.snap"),
            entries: Vec::new(),
        };
        let change = Pending {
            change: Change::New,
            route: "GET /o".into(),
            signature: "body $.a changed".into(),
            rate: max_rate,
            count: 1,
            exchanges: 1,
            accepted_rate: None,
            example: None,
        };
        snapshot.apply(&[change], Some("intended"));
        snapshot
    }

    #[test]
    fn noise_is_what_old_shows_against_itself_about_as_often() {
        let signatures = BTreeMap::from([
            ("both".to_string(), signature(10, 10, 10)),
            ("never old".to_string(), signature(10, 0, 0)),
            ("new far more".to_string(), signature(40, 1, 0)),
            ("old only".to_string(), signature(0, 3, 0)),
        ]);
        let noise = noise::noise_signatures(&signatures, &GatePolicy::default());
        assert_eq!(noise, set(&["both", "old only"]));
    }

    #[test]
    fn exchanges_settle_as_noise_only_accepted_or_unaccepted() {
        let mut counts = Counts {
            exchanges: 10,
            different: 6,
            ..Counts::default()
        };
        let sets = BTreeMap::from([
            (vec!["n".to_string()], 3),
            (vec!["a".to_string(), "n".to_string()], 2),
            (vec!["a".to_string(), "x".to_string()], 1),
        ]);
        let unaccepted = noise::settle_exchanges(&mut counts, &sets, &set(&["n"]), &set(&["a"]));
        assert_eq!(
            unaccepted, 1,
            "only the set with x is neither noise nor accepted"
        );
        assert_eq!((counts.different, counts.noise_only), (3, 3));
    }

    #[test]
    fn the_snapshot_accepts_a_signature_up_to_its_rate() {
        let signatures = BTreeMap::from([
            ("body $.a changed".to_string(), signature(2, 0, 0)),
            ("body $.b changed".to_string(), signature(1, 0, 0)),
        ]);
        let within = snapshot(0.2);
        let accepted = accepted::accepted_signatures(&signatures, "GET /o", 10, Some(&within));
        assert_eq!(accepted, set(&["body $.a changed"]));
        let below = snapshot(0.1);
        assert!(accepted::accepted_signatures(&signatures, "GET /o", 10, Some(&below)).is_empty());
        assert!(accepted::accepted_signatures(&signatures, "GET /p", 10, Some(&within)).is_empty());
        assert!(accepted::accepted_signatures(&signatures, "GET /o", 10, None).is_empty());
    }

    fn route_report(name: &str, compared: u64, signatures: &[(&str, bool)]) -> RouteReport {
        RouteReport {
            route: name.into(),
            counts: Counts {
                exchanges: compared,
                equal: compared,
                ..Counts::default()
            },
            signatures: signatures
                .iter()
                .map(|(text, accepted)| SignatureReport {
                    signature: text.to_string(),
                    target: "body".into(),
                    path: None,
                    kind: "changed".into(),
                    count: 1,
                    noise_count: 0,
                    rate: 0.5,
                    noise: false,
                    accepted: *accepted,
                    accepted_rate: None,
                    accepted_reason: None,
                    failing: false,
                    examples: Vec::new(),
                    samples: Vec::new(),
                    note: None,
                })
                .collect(),
            error_kinds: Vec::new(),
            skip_reasons: Vec::new(),
            not_run_reasons: Vec::new(),
            ignored: Vec::new(),
            unaccepted: 0,
            verdict: Verdict::Pass,
            reasons: Vec::new(),
            latency: Default::default(),
        }
    }

    #[test]
    fn the_snapshot_status_counts_pending_and_finds_stale_entries_of_compared_routes() {
        let snapshot = snapshot(0.5);
        let unseen = [route_report("GET /o", 4, &[("body $.b changed", false)])];
        let status = accepted::status(&snapshot, &unseen, true);
        assert_eq!((status.accepted, status.pending), (1, 1));
        assert_eq!(status.stale.len(), 1);
        assert_eq!(status.stale[0].signature, "body $.a changed");
        assert!(accepted::status(&snapshot, &unseen, false).stale.is_empty());
        let seen = [route_report("GET /o", 4, &[("body $.a changed", true)])];
        let status = accepted::status(&snapshot, &seen, true);
        assert_eq!((status.pending, status.stale.len()), (0, 0));
        let not_compared = [route_report("GET /o", 0, &[])];
        assert!(accepted::status(&snapshot, &not_compared, true)
            .stale
            .is_empty());
    }

    #[test]
    fn failing_signatures_are_named_five_at_most() {
        let mut signatures = route_report("GET /o", 4, &[]).signatures;
        for i in 0..7 {
            let mut sig = route_report("GET /o", 4, &[("s", false)])
                .signatures
                .remove(0);
            sig.signature = format!("body $.f{i} changed");
            sig.failing = i != 6;
            sig.accepted_rate = (i == 0).then_some(0.25);
            signatures.push(sig);
        }
        let reasons = reasons::failing_signatures(&signatures, crate::unit::Unit::Exchanges);
        assert_eq!(reasons.len(), 6);
        assert_eq!(
            reasons[0],
            "`body $.f0 changed` in 50.00% of exchanges, above the accepted 25.00%"
        );
        assert_eq!(
            reasons[1],
            "`body $.f1 changed` in 50.00% of exchanges is not accepted"
        );
        assert_eq!(reasons[5], "... and 1 more signatures not accepted");
        assert!(reasons::failing_signatures(&[], crate::unit::Unit::Exchanges).is_empty());
    }

    #[test]
    fn a_partition_says_which_shards_its_verdict_covers() {
        assert_eq!(reasons::partial(&Part::default(), &[]), None);
        let part = Part {
            partition: Some(Shards {
                by: "hash".into(),
                of: 3,
                shards: vec![1, 3],
            }),
            input: None,
            live: false,
        };
        assert_eq!(
            reasons::partial(&part, &part.missing()).as_deref(),
            Some("partial: this verdict covers hash:1/3, hash:3/3 of the partition only; missing: hash:2/3")
        );
    }

    #[test]
    fn groups_keep_counts_first_ids_and_the_first_message() {
        assert_eq!(route::rate(1, 4), 0.25);
        assert_eq!(route::rate(0, 0), 0.0);
        let errors = BTreeMap::from([(
            "no_response".to_string(),
            ErrorAggregate {
                examples: examples(&[(1, "r1"), (4, "r4")], 7),
                message: (1, "timed out".to_string()),
            },
        )]);
        let errors = route::error_groups(errors);
        assert_eq!(
            (
                errors[0].kind.as_str(),
                errors[0].count,
                errors[0].message.as_str()
            ),
            ("no_response", 7, "timed out")
        );
        assert_eq!(errors[0].examples, ["r1", "r4"]);
        let skips = route::groups(BTreeMap::from([(
            "method POST".to_string(),
            examples(&[(2, "r2")], 1),
        )]));
        assert_eq!(
            (skips[0].reason.as_str(), skips[0].count),
            ("method POST", 1)
        );
        let rules = route::ignored_rules(&BTreeMap::from([(3, 9)]), &|rule| {
            format!("rule {}", rule.0)
        });
        assert_eq!((rules[0].rule.as_str(), rules[0].exchanges), ("rule 3", 9));
    }

    #[test]
    fn signatures_fail_only_on_a_failing_route_unless_noise_or_accepted() {
        let signatures = || {
            BTreeMap::from([
                ("body $.a changed".to_string(), signature(1, 0, 0)),
                ("body $.n changed".to_string(), signature(2, 2, 2)),
                ("body $.x changed".to_string(), signature(1, 0, 0)),
                ("only old".to_string(), signature(0, 1, 0)),
            ])
        };
        let classes = Classes {
            noise: set(&["body $.n changed", "only old"]),
            accepted: set(&["body $.a changed"]),
        };
        let snapshot = snapshot(0.5);
        let reports =
            route::signature_reports("GET /o", signatures(), 4, &classes, true, Some(&snapshot));
        let shown: Vec<(&str, bool, bool, bool)> = reports
            .iter()
            .map(|s| (s.signature.as_str(), s.noise, s.accepted, s.failing))
            .collect();
        assert_eq!(
            shown,
            [
                ("body $.a changed", false, true, false),
                ("body $.n changed", true, false, false),
                ("body $.x changed", false, false, true),
            ],
            "a signature only old showed is not reported"
        );
        assert_eq!(reports[0].accepted_rate, Some(0.5));
        assert_eq!(reports[0].accepted_reason.as_deref(), Some("intended"));
        assert_eq!(reports[2].rate, 0.25);
        let passing = route::signature_reports("GET /o", signatures(), 4, &classes, false, None);
        assert!(passing.iter().all(|s| !s.failing));
    }

    #[test]
    fn a_route_is_judged_from_its_aggregate() {
        let aggregate = RouteAggregate {
            counts: Counts {
                exchanges: 4,
                equal: 1,
                different: 3,
                ..Counts::default()
            },
            signatures: BTreeMap::from([
                ("body $.a changed".to_string(), signature(2, 0, 0)),
                ("body $.x changed".to_string(), signature(1, 0, 0)),
            ]),
            different_sets: BTreeMap::from([
                (vec!["body $.a changed".to_string()], 2),
                (vec!["body $.x changed".to_string()], 1),
            ]),
            ..RouteAggregate::default()
        };
        let snapshot = snapshot(0.5);
        let finish = Finish {
            policy: &GatePolicy::default(),
            snapshot: Some(&snapshot),
            find_stale: true,
            targets: TargetNames::default(),
            describe: &|rule: RuleId| format!("rule {}", rule.0),
        };
        let (report, judgement) = route::judge("GET /o".into(), aggregate, &finish);
        assert_eq!(report.unaccepted, 1);
        assert_eq!(report.verdict, Verdict::Fail);
        assert_eq!(judgement.verdict, Verdict::Fail);
        assert_eq!(report.reasons, judgement.reasons);
        assert_eq!(
            report.reasons.last().map(String::as_str),
            Some("`body $.x changed` in 25.00% of exchanges is not accepted")
        );
        let failing: Vec<&str> = report
            .signatures
            .iter()
            .filter(|s| s.failing)
            .map(|s| s.signature.as_str())
            .collect();
        assert_eq!(failing, ["body $.x changed"]);
    }
}
