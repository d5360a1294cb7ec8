//! The snapshot of accepted differences end to end, with the real binary: a failing run
//! proposes changes in shadowdiff.snap.new and never touches shadowdiff.snap; `accept` and
//! `review` fold proposals in; accepted differences pass until they grow or something new
//! appears; entries no run shows any more are pruned.

use crate::common::{exchange, lines, report, run_with_input, Project};
use serde_json::Value;

/// Ten orders; `total` decides each one's total.
fn orders(project: &Project, name: &str, total: impl Fn(u32) -> String) {
    let recs: Vec<String> = (1..=10)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &format!(r#"{{"id":{i},"total":{}}}"#, total(i)),
            )
        })
        .collect();
    project.file(name, lines(&recs));
}

fn signature<'a>(report: &'a Value, text: &str) -> &'a Value {
    report["routes"][0]["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .find(|s| s["signature"] == text)
        .unwrap_or_else(|| panic!("no `{text}` in {report}"))
}

#[test]
fn fail_accept_pass_fail_again_and_prune() {
    let p = Project::new();
    orders(&p, "old.jsonl", |_| "10".into());
    orders(&p, "half.jsonl", |i| {
        if i % 2 == 0 { "11" } else { "10" }.into()
    });

    // First run: the change is not accepted; the proposal is written, the snapshot is not.
    let run = p.run(&["diff", "old.jsonl", "half.jsonl", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!p.exists("shadowdiff.snap"));
    let pending = p.read("shadowdiff.snap.new");
    assert!(pending.contains("change = \"new\""), "{pending}");
    assert!(pending.contains("body $.total changed"), "{pending}");
    assert!(pending.contains("r2 at $.total: 10 → 11"), "{pending}");
    let r = report(&p);
    assert_eq!(signature(&r, "body $.total changed")["failing"], true);
    assert_eq!(r["snapshot"]["pending"], 1);

    // Accept with a reason: the snapshot lists it at the rate seen, the proposal is gone.
    let run = p.run(&["accept", "--reason", "v2 rounds up"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("1 accepted (1 new, 0 rates raised)"),
        "{}",
        run.stdout
    );
    let snap = p.read("shadowdiff.snap");
    assert!(
        snap.contains("signature = \"body $.total changed\""),
        "{snap}"
    );
    assert!(snap.contains("max_rate = 0.5\n"), "{snap}");
    assert!(snap.contains("reason = \"v2 rounds up\""), "{snap}");
    assert!(!p.exists("shadowdiff.snap.new"));

    // The same run passes now, and says the signature is accepted.
    let run = p.run(&["diff", "old.jsonl", "half.jsonl", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = report(&p);
    let sig = signature(&r, "body $.total changed");
    assert_eq!(sig["accepted"], true);
    assert_eq!(sig["accepted_reason"], "v2 rounds up");
    assert_eq!(sig["failing"], false);
    assert!(!p.exists("shadowdiff.snap.new"));

    // Something new fails again; the accepted file is left exactly as it was.
    p.file(
        "new.jsonl",
        lines(
            &(1..=10)
                .map(|i| {
                    let total = if i % 2 == 0 { 11 } else { 10 };
                    exchange(
                        &format!("r{i}"),
                        &format!("/orders/{i}"),
                        200,
                        &format!(r#"{{"id":{i},"total":{total},"currency":"EUR"}}"#),
                    )
                })
                .collect::<Vec<_>>(),
        ),
    );
    let run = p.run(&["diff", "old.jsonl", "new.jsonl", "-q"]);
    assert_eq!(run.code, 1);
    assert_eq!(p.read("shadowdiff.snap"), snap);
    let pending = p.read("shadowdiff.snap.new");
    assert!(pending.contains("body $.currency added"), "{pending}");
    assert!(!pending.contains("body $.total changed"), "{pending}");

    // An accepted signature above its accepted rate fails too, as a rate change.
    orders(&p, "all.jsonl", |_| "11".into());
    let run = p.run(&["diff", "old.jsonl", "all.jsonl", "-q"]);
    assert_eq!(run.code, 1);
    assert_eq!(p.read("shadowdiff.snap"), snap);
    let pending = p.read("shadowdiff.snap.new");
    assert!(pending.contains("change = \"rate\""), "{pending}");
    assert!(pending.contains("accepted_rate = 0.5"), "{pending}");
    let r = report(&p);
    assert_eq!(
        r["routes"][0]["reasons"][1],
        "`body $.total changed` in 100.00% of exchanges, above the accepted 50.00%"
    );

    // When nothing shows the accepted signature any more, it is stale: the run passes and
    // proposes its removal, which `accept --prune` carries out.
    let run = p.run(&["diff", "old.jsonl", "old.jsonl", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = report(&p);
    assert_eq!(
        r["snapshot"]["stale"][0]["signature"],
        "body $.total changed"
    );
    assert!(p.read("shadowdiff.snap.new").contains("change = \"stale\""));
    let run = p.run(&["accept", "--prune"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 stale removed"), "{}", run.stdout);
    assert!(!p.read("shadowdiff.snap").contains("[[accepted]]"));
}

#[test]
fn accept_by_route_keeps_the_rest_pending() {
    let p = Project::new();
    let rec = |route: &str, value: u32| -> Vec<String> {
        (1..=3)
            .map(|i| {
                exchange(
                    &format!("{route}{i}"),
                    &format!("/{route}/{i}"),
                    200,
                    &format!(r#"{{"v":{value}}}"#),
                )
            })
            .collect()
    };
    p.file(
        "a.jsonl",
        lines(&[rec("orders", 1), rec("users", 1)].concat()),
    );
    p.file(
        "b.jsonl",
        lines(&[rec("orders", 2), rec("users", 2)].concat()),
    );
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]).code, 1);
    let run = p.run(&["accept", "--route", "GET /orders*"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snap = p.read("shadowdiff.snap");
    assert!(snap.contains("route = \"GET /orders/{id}\""), "{snap}");
    assert!(!snap.contains("users"), "{snap}");
    assert!(p.read("shadowdiff.snap.new").contains("GET /users/{id}"));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]);
    assert_eq!(run.code, 1, "users still differ");
    let r = report(&p);
    assert_eq!(r["routes"][0]["verdict"], "pass");
    assert_eq!(r["routes"][1]["verdict"], "fail");
}

#[test]
fn review_accepts_rejects_and_skips_from_answers() {
    let p = Project::new();
    p.file(
        "a.jsonl",
        lines(&[exchange("r1", "/x/1", 200, r#"{"a":1,"b":1,"c":1}"#)]),
    );
    p.file(
        "b.jsonl",
        lines(&[exchange("r1", "/x/1", 200, r#"{"a":2,"b":2,"c":2}"#)]),
    );
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]).code, 1);
    let run = run_with_input(p.path(), &["review"], "a\nchecked with the team\nr\ns\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[1/3] GET /x/{id}"), "{}", run.stdout);
    assert!(
        run.stdout.contains("e.g. r1 at $.a: 1 → 2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("1 accepted, 1 rejected, 1 still pending"),
        "{}",
        run.stdout
    );
    let snap = p.read("shadowdiff.snap");
    assert!(snap.contains("body $.a changed"), "{snap}");
    assert!(
        snap.contains("reason = \"checked with the team\""),
        "{snap}"
    );
    assert!(!snap.contains("body $.b changed"), "{snap}");
    let pending = p.read("shadowdiff.snap.new");
    assert!(pending.contains("body $.c changed"), "{pending}");
    assert!(!pending.contains("body $.b changed"), "{pending}");
}

#[test]
fn a_broken_snapshot_is_bad_input_naming_its_line() {
    let p = Project::new();
    p.file("a.jsonl", lines(&[exchange("r1", "/x/1", 200, "{}")]));
    p.file(
        "shadowdiff.snap",
        "[[accepted]]\nroute = \"GET /x/{id}\"\nsignature = \"status changed\"\nmax_rate = 5\nreason = \"\"\n",
    );
    let run = p.run(&["diff", "a.jsonl", "a.jsonl"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("shadowdiff.snap:1:") && run.stderr.contains("not between 0 and 1"),
        "{}",
        run.stderr
    );
    assert!(
        !p.exists("shadowdiff-report/report.json"),
        "nothing written"
    );
}
