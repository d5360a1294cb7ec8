//! `shadowdiff report merge`: a run split into partitions and merged gives the report of the
//! whole run (timing aside), so CI can shard a long replay.

mod common;

use common::servers::{json, Action, TestServer};
use common::{behaviour, lines, Project};

/// 90 GETs over two routes and a few POSTs (skipped).
fn recordings(project: &Project) {
    let mut recs = Vec::new();
    for i in 1..=90u32 {
        let url = if i % 3 == 0 {
            format!("/users/{i}")
        } else {
            format!("/orders/{i}")
        };
        recs.push(
            serde_json::json!({
                "id": format!("r{i}"),
                "request": {"method": "GET", "url": url, "headers": [], "body": null},
            })
            .to_string(),
        );
        if i % 30 == 0 {
            recs.push(
                serde_json::json!({
                    "id": format!("p{i}"),
                    "request": {"method": "POST", "url": "/orders", "headers": [], "body": null},
                })
                .to_string(),
            );
        }
    }
    project.file("recs.jsonl", lines(&recs));
}

/// `new` differs from `old` on some ids in a few ways, answers 500 on some and resets the
/// connection on others.
fn server(new: bool) -> TestServer {
    TestServer::start(move |request| {
        let id: u32 = request
            .path
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if new && id % 11 == 0 {
            return json(500, "{\"error\":\"boom\"}");
        }
        if new && id % 13 == 0 {
            return Action::Reset;
        }
        let total = if new && id % 4 == 0 { 2 } else { 1 };
        let extra = if new && id % 7 == 0 {
            ",\"tag\":\"x\""
        } else {
            ""
        };
        json(200, &format!("{{\"id\":{id},\"total\":{total}{extra}}}"))
    })
}

#[test]
fn three_partitions_merged_equal_the_whole_run() {
    let p = Project::new();
    recordings(&p);
    let (old, new) = (server(false), server(true));
    let (old, new) = (old.url(), new.url());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "recs.jsonl",
            "--old",
            &old,
            "--new",
            &new,
            "--quiet",
            "--max-error-rate",
            "0.2",
            "--retries",
            "0",
        ];
        args.extend_from_slice(extra);
        p.run(&args)
    };
    let whole = run(&["--out", "whole"]);
    assert_eq!(whole.code, 1, "{}", whole.stderr);
    for k in 1..=3 {
        let partition = format!("hash:{k}/3");
        let out = format!("part{k}");
        let part = run(&["--partition", &partition, "--out", &out]);
        assert!(part.code == 0 || part.code == 1, "{}", part.stderr);
    }
    let merged = p.run(&[
        "report",
        "merge",
        "part1",
        "part2",
        "part3",
        "--out",
        "merged",
        "--quiet",
        "--max-error-rate",
        "0.2",
    ]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let (whole, merged) = (p.read("whole/report.json"), p.read("merged/report.json"));
    // The parts really are parts: each holds only some of the exchanges.
    let part1: serde_json::Value = serde_json::from_str(&p.read("part1/report.json")).unwrap();
    let part_count = part1["totals"]["exchanges"].as_u64().unwrap();
    assert!(part_count > 0 && part_count < 93, "{part_count}");
    assert!(merged.contains("\"p50_ms\""), "merged latency is reported");
    let w: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(w["totals"]["exchanges"], 93);
    assert_eq!(w["totals"]["skipped"], 3);
    assert!(w["totals"]["errors"].as_u64().unwrap() > 0, "{w}");
    let signatures: usize = w["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["signatures"].as_array().unwrap().len())
        .sum();
    assert!(signatures >= 4, "{w}");
    assert_eq!(behaviour(&whole), behaviour(&merged));
    for file in ["report.md", "aggregate.json"] {
        assert!(p.path().join("merged").join(file).exists(), "{file}");
    }
    // The parts' outcomes are joined too: re-judging them gives the whole run's routes.
    let rejudged = p.run(&[
        "diff",
        "merged/outcomes.jsonl.zst",
        "--out",
        "rejudged",
        "--quiet",
        "--max-error-rate",
        "0.2",
    ]);
    assert_eq!(rejudged.code, 1, "{}", rejudged.stderr);
    // Only the targets' addresses (unknown offline) and the timing differ.
    let without_targets = |text: &str| {
        let mut value: serde_json::Value = serde_json::from_str(&behaviour(text)).unwrap();
        value.as_object_mut().unwrap().remove("targets");
        value
    };
    assert_eq!(
        without_targets(&p.read("rejudged/report.json")),
        without_targets(&whole)
    );
}

#[test]
fn merging_a_folder_without_an_aggregate_is_bad_input() {
    let p = Project::new();
    p.file("empty/readme.txt", "nothing here");
    let run = p.run(&["report", "merge", "empty", "--out", "merged"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("empty/aggregate.json") && run.stderr.contains("not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn parts_judged_under_different_rules_do_not_merge() {
    let p = Project::new();
    let rec = |id: &str, body: &str| {
        serde_json::json!({
            "id": id,
            "request": {"method": "GET", "url": "/orders/1", "headers": [], "body": null},
            "response": {"status": 200, "headers": [["content-type", "application/json"]],
                         "body": {"text": body}},
        })
        .to_string()
    };
    p.file(
        "a.jsonl",
        lines(&[rec("r1", r#"{"id":1,"at":"10:00","by":"x"}"#)]),
    );
    p.file(
        "b.jsonl",
        lines(&[rec("r1", r#"{"id":1,"at":"10:01","by":"y"}"#)]),
    );
    // Both rule sets hide one difference with their first rule, but not the same one.
    p.file("one/rules.toml", "[defaults]\nignore = [\"$.at\"]\n");
    p.file("two/rules.toml", "[defaults]\nignore = [\"$.by\"]\n");
    for (rules, out) in [("one", "part1"), ("two", "part2")] {
        let diff = p.run(&[
            "diff", "a.jsonl", "b.jsonl", "--rules", rules, "--out", out, "-q",
        ]);
        assert_eq!(diff.code, 1, "{}", diff.stderr);
    }
    let same = p.run(&["report", "merge", "part1", "part1", "--out", "same", "-q"]);
    assert_eq!(
        same.code, 1,
        "parts under the same rules merge: {}",
        same.stderr
    );
    let merged = p.run(&["report", "merge", "part1", "part2", "--out", "merged", "-q"]);
    assert_eq!(merged.code, 2, "{}", merged.stderr);
    assert!(
        merged.stderr.contains("part2/aggregate.json")
            && merged.stderr.contains("judged under different rules"),
        "{}",
        merged.stderr
    );
    assert!(
        !p.path().join("merged/report.json").exists(),
        "nothing is written for a refused merge"
    );
}
