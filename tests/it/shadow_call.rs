//! The core's in-process shadow call (`shadowdiff_core::Shadow`), as a Rust service would use
//! it: the outcome lines it writes are what `shadowdiff diff OUTCOMES` re-judges, one file or a
//! folder of parts, and the offline verdict is the one the service reached in process.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use shadowdiff_core::{Body, Request, Response, RuleSet, Shadow};

use crate::common::{across_routes, count, report_in, totals, Project};

const RULES: &str = r#"
[[route]]
match = "GET /orders/{id}"
ignore = ["$.servedBy"]
"#;

/// The old and the new implementation of the service: the new one renders every fifth
/// order's total as a string, and every seventh call of the new code fails.
fn answer(id: u32, new: bool) -> Result<Response, String> {
    if new && id % 7 == 0 {
        return Err("connection refused by the new orders store".into());
    }
    let total = if new && id % 5 == 0 {
        format!("\"{}.50\"", id)
    } else {
        format!("{}.5", id)
    };
    let served_by = if new { "new" } else { "old" };
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(format!(
            r#"{{"id":{id},"total":{total},"servedBy":"{served_by}"}}"#
        )),
    })
}

/// Serves calls `ids` in process, comparing old with new, and returns the outcome lines and
/// how many calls the service itself found equal, different and failed.
fn serve(shadow: &Shadow, ids: std::ops::RangeInclusive<u32>) -> (String, [u64; 3]) {
    let mut lines = String::new();
    let mut seen = [0; 3];
    for id in ids {
        let request = Request {
            method: "GET".into(),
            url: format!("/orders/{id}"),
            headers: vec![("authorization".into(), "Bearer s3cr3t".into())],
            body: Body::Empty,
        };
        let old = answer(id, false).expect("the old code answers");
        let latency = Duration::from_micros(250 + u64::from(id));
        let call = match answer(id, true) {
            Ok(new) => shadow.compare(
                &format!("call-{id}"),
                &request,
                (old, latency),
                (new, latency),
            ),
            Err(message) => shadow.new_failed(
                &format!("call-{id}"),
                &request,
                (old, latency),
                "refused",
                &message,
            ),
        };
        let kind = match (call.is_equal(), call.differences().is_empty()) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        seen[kind] += 1;
        writeln!(lines, "{}", call.to_outcome_line()).unwrap();
    }
    (lines, seen)
}

#[test]
fn outcome_lines_of_shadow_calls_are_rejudged_to_the_verdict_reached_in_process() {
    let p = Project::new();
    p.file("orders.toml", RULES);
    let shadow = Shadow::new(RuleSet::parse(RULES, Path::new("orders.toml")).unwrap());
    let (first, seen_first) = serve(&shadow, 1..=40);
    let (second, seen_second) = serve(&shadow, 41..=70);
    assert!(
        !first.contains("s3cr3t"),
        "secrets are redacted in the lines"
    );
    p.file("shadow/part-1.jsonl", &first);
    p.file("shadow/part-2.jsonl", &second);

    for (part, seen) in [("1", seen_first), ("2", seen_second)] {
        let run = p.run(&[
            "diff",
            &format!("shadow/part-{part}.jsonl"),
            "--rules",
            "orders.toml",
            "--out",
            &format!("part-{part}"),
            "--quiet",
        ]);
        assert_eq!(
            run.code, 1,
            "the new code's changes fail the gate: {}",
            run.stderr
        );
        let report = report_in(&p, &format!("part-{part}"));
        let (exchanges, equal, different, noise, errors, skipped) = totals(&report);
        assert_eq!(
            (equal, different, errors),
            (seen[0], seen[1], seen[2]),
            "judged offline as in process"
        );
        assert_eq!((exchanges, noise, skipped), (seen.iter().sum(), 0, 0));
    }

    let run = p.run(&[
        "diff",
        "shadow",
        "--rules",
        "orders.toml",
        "--out",
        "whole",
        "--quiet",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let whole = report_in(&p, "whole");
    assert_eq!(count(&whole, "exchanges"), 70);
    assert_eq!(count(&whole, "different"), seen_first[1] + seen_second[1]);
    assert_eq!(count(&whole, "errors"), seen_first[2] + seen_second[2]);
    let signatures: Vec<String> = across_routes(&whole, "signatures")
        .iter()
        .map(|s| s["signature"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(signatures, ["body $.total type"], "{whole}");
}

#[test]
fn an_experiment_shared_by_threads_returns_every_control_and_publishes_every_candidate() {
    use shadowdiff_core::{Experiment, ShadowCall};
    use std::sync::Mutex;

    /// An answer's body as the value the service's code returns.
    fn value(id: u32, new: bool) -> Result<serde_json::Value, String> {
        let response = answer(id, new)?;
        Ok(serde_json::from_str(&response.body.lossy_text()).expect("JSON"))
    }
    let p = Project::new();
    p.file("orders.toml", RULES);
    let lines = Mutex::new(String::new());
    let sink = |call: &ShadowCall<'_>| {
        writeln!(lines.lock().unwrap(), "{}", call.to_outcome_line()).unwrap();
    };
    let rules = RuleSet::parse(RULES, Path::new("orders.toml")).unwrap();
    let experiment = Experiment::new("orders", Shadow::new(rules), sink);
    std::thread::scope(|scope| {
        for thread in 0..4u32 {
            let experiment = &experiment;
            scope.spawn(move || {
                for id in (1..=100).filter(|id| id % 4 == thread) {
                    let request = Request {
                        method: "GET".into(),
                        url: format!("/orders/{id}"),
                        headers: vec![("authorization".into(), "Bearer s3cr3t".into())],
                        body: Body::Empty,
                    };
                    let served = experiment.run(
                        &request,
                        || value(id, false),
                        || {
                            assert!(id % 11 != 0, "the new code's bug on order {id}");
                            value(id, true)
                        },
                    );
                    assert_eq!(served, value(id, false), "the caller gets the old answer");
                }
            });
        }
    });
    assert_eq!(experiment.calls(), 100);
    drop(experiment);
    let lines = lines.into_inner().unwrap();
    assert_eq!(lines.lines().count(), 100);
    assert!(!lines.contains("s3cr3t"));
    p.file("experiment.jsonl", &lines);
    let run = p.run(&[
        "diff",
        "experiment.jsonl",
        "--rules",
        "orders.toml",
        "--out",
        "experiment",
        "--quiet",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report_in(&p, "experiment");
    let failing = |id: &u32| id % 7 == 0 || id % 11 == 0;
    let errors = (1..=100u32).filter(failing).count() as u64;
    let different = (1..=100u32)
        .filter(|id| id % 5 == 0 && !failing(id))
        .count() as u64;
    let (exchanges, equal, seen_different, _, seen_errors, _) = totals(&report);
    assert_eq!(
        (exchanges, seen_different, seen_errors),
        (100, different, errors)
    );
    assert_eq!(equal, 100 - different - errors);
    let kinds: Vec<String> = across_routes(&report, "error_kinds")
        .iter()
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["new_error", "new_panic"], "{report}");
}
