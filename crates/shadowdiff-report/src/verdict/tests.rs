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
