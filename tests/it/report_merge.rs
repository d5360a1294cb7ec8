//! `shadowdiff report merge`: a run split into partitions and merged gives the report of the
//! whole run (timing aside), so CI can shard a long replay.

use crate::common::servers::{json, Action, TestServer};
use crate::common::{across_routes, behaviour, count, exchange, lines, report_in, Project};

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
        let id: u32 = request.id().parse().unwrap_or(0);
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
    let part1 = report_in(&p, "part1");
    let part_count = count(&part1, "exchanges");
    assert!(part_count > 0 && part_count < 93, "{part_count}");
    assert!(merged.contains("\"p50_ms\""), "merged latency is reported");
    let w: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(w["totals"]["exchanges"], 93);
    assert_eq!(w["totals"]["skipped"], 3);
    assert!(w["totals"]["errors"].as_u64().unwrap() > 0, "{w}");
    let signatures = across_routes(&w, "signatures").len();
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
    let recs: Vec<String> = (1..=4)
        .map(|i| {
            serde_json::json!({
                "id": format!("r{i}"),
                "request": {"method": "GET", "url": "/orders/1", "headers": [], "body": null},
            })
            .to_string()
        })
        .collect();
    p.file("recs.jsonl", lines(&recs));
    let old = TestServer::start(|_| json(200, r#"{"id":1,"at":"10:00","by":"x"}"#));
    let new = TestServer::start(|_| json(200, r#"{"id":1,"at":"10:01","by":"y"}"#));
    // Both rule sets hide one difference with their first rule, but not the same one.
    p.file("one/rules.toml", "[defaults]\nignore = [\"$.at\"]\n");
    p.file("two/rules.toml", "[defaults]\nignore = [\"$.by\"]\n");
    let shard = |rules: &str, partition: &str, out: &str| {
        let run = p.run(&[
            "run",
            "recs.jsonl",
            "--old",
            &old.url(),
            "--new",
            &new.url(),
            "--rules",
            rules,
            "--partition",
            partition,
            "--out",
            out,
            "-q",
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
    };
    shard("one", "count:1/2", "part1");
    shard("one", "count:2/2", "same2");
    shard("two", "count:2/2", "part2");
    let same = p.run(&["report", "merge", "part1", "same2", "--out", "same", "-q"]);
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
        !p.exists("merged/report.json"),
        "nothing is written for a refused merge"
    );
}

/// 30 exchanges whose recorded responses `--old recorded --new recorded` replay, written to
/// `name`; `salt` changes one body, so two salts are two different inputs.
fn recorded(p: &Project, name: &str, salt: &str) {
    let recs: Vec<String> = (1..=30)
        .map(|i| {
            let body = if i == 7 {
                format!("{{\"salt\":\"{salt}\"}}")
            } else {
                format!("{{\"id\":{i}}}")
            };
            exchange(&format!("r{i}"), &format!("/orders/{i}"), 200, &body)
        })
        .collect();
    p.file(name, lines(&recs));
}

/// Runs shard `partition` of `recs` with recorded targets into `out`.
fn shard(p: &Project, recs: &str, partition: &str, out: &str) {
    let run = p.run(&[
        "run",
        recs,
        "--old",
        "recorded",
        "--new",
        "recorded",
        "--partition",
        partition,
        "--out",
        out,
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn merge(p: &Project, args: &[&str]) -> crate::common::Run {
    let mut all = vec!["report", "merge"];
    all.extend_from_slice(args);
    p.run(&all)
}

#[test]
fn overlapping_foreign_or_missing_shards_are_refused_naming_the_parts() {
    let p = Project::new();
    recorded(&p, "recs.jsonl", "a");
    recorded(&p, "other.jsonl", "b");
    for k in 1..=3 {
        shard(&p, "recs.jsonl", &format!("hash:{k}/3"), &format!("s{k}"));
    }
    shard(&p, "other.jsonl", "hash:3/3", "foreign3");
    shard(&p, "recs.jsonl", "hash:2/2", "half2");
    shard(&p, "recs.jsonl", "count:2/3", "count2");
    let whole = p.run(&[
        "run",
        "recs.jsonl",
        "--old",
        "recorded",
        "--new",
        "recorded",
        "--out",
        "whole",
        "-q",
    ]);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    std::fs::create_dir_all(p.path().join("copy1")).unwrap();
    for file in ["aggregate.json", "report.json"] {
        std::fs::copy(
            p.path().join("s1").join(file),
            p.path().join("copy1").join(file),
        )
        .unwrap();
    }
    let cases: &[(&[&str], &[&str])] = &[
        (&["s1", "s1", "s2", "s3"], &["`s1` is named twice"]),
        (
            &["s1", "s2"],
            &[
                "shard hash:3/3 is missing",
                "`s1` holds hash:1/3; `s2` holds hash:2/3",
                "--allow-partial",
            ],
        ),
        (
            &["s1", "copy1", "s2", "s3"],
            &["`s1` and `copy1` both hold shard hash:1/3"],
        ),
        (
            &["s1", "s2", "foreign3"],
            &[
                "`s1` and `foreign3` read different recordings",
                "30 and 30 exchanges",
            ],
        ),
        (
            &["s1", "half2"],
            &["`s1` holds hash:1/3 and `half2` holds hash:2/2"],
        ),
        (
            &["s1", "count2", "s3"],
            &["`s1` holds hash:1/3 and `count2` holds count:2/3"],
        ),
        (&["whole", "s1"], &["`whole` covers a whole run"]),
    ];
    for (parts, needles) in cases {
        let mut args = parts.to_vec();
        args.extend(["--out", "merged", "-q"]);
        let run = merge(&p, &args);
        assert_eq!(run.code, 2, "{parts:?}: {}", run.stderr);
        for needle in *needles {
            assert!(
                run.stderr.contains(needle),
                "{parts:?}: `{needle}` not in {}",
                run.stderr
            );
        }
        assert!(!p.exists("merged"), "{parts:?} wrote a report");
    }
    // Every shard once, in any order: the whole run's totals.
    let run = merge(&p, &["s3", "s1", "s2", "--out", "merged", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let merged = report_in(&p, "merged");
    assert_eq!(merged["totals"]["exchanges"], 30);
    assert!(merged.get("missing_shards").is_none(), "{merged}");
    assert_eq!(
        behaviour(&p.read("merged/report.json")),
        behaviour(&p.read("whole/report.json"))
    );
    // The merged folder is a whole run now: it does not merge with a shard again.
    let run = merge(&p, &["merged", "s1", "--out", "again", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`merged` covers a whole run"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_partial_merge_says_which_shards_are_missing_everywhere() {
    let p = Project::new();
    recorded(&p, "recs.jsonl", "a");
    for k in [1, 3] {
        shard(&p, "recs.jsonl", &format!("hash:{k}/3"), &format!("s{k}"));
    }
    let run = merge(&p, &["s1", "s3", "--allow-partial", "--out", "merged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("shadowdiff: PASS (partial)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("missing: hash:2/3"), "{}", run.stdout);
    let report = report_in(&p, "merged");
    assert_eq!(report["missing_shards"], serde_json::json!(["hash:2/3"]));
    let first = report["reasons"][0].as_str().unwrap();
    assert_eq!(
        first,
        "partial: this verdict covers hash:1/3, hash:3/3 of the partition only; missing: hash:2/3"
    );
    assert!(p
        .read("merged/report.md")
        .starts_with("## ✅ shadowdiff: PASS (partial)\n"));
    assert!(p.read("merged/report.md").contains("missing: hash:2/3"));
    let html = p.read("merged/report.html");
    assert!(
        html.contains("PASS (partial)") && html.contains("hash:2/3"),
        "partial html"
    );
    assert!(p.read("merged/junit.xml").contains("missing: hash:2/3"));
    // The partial merge and the shard it lacked make the whole run.
    shard(&p, "recs.jsonl", "hash:2/3", "s2");
    let run = merge(&p, &["merged", "s2", "--out", "whole", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let whole = report_in(&p, "whole");
    assert_eq!(whole["totals"]["exchanges"], 30);
    assert!(whole.get("missing_shards").is_none());
}

#[test]
fn an_aggregate_of_an_older_version_is_refused_with_a_reason() {
    let p = Project::new();
    recorded(&p, "recs.jsonl", "a");
    shard(&p, "recs.jsonl", "hash:1/2", "s1");
    let path = p.path().join("s1/aggregate.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["schema"] = "shadowdiff.aggregate/v1".into();
    state.as_object_mut().unwrap().remove("part");
    std::fs::write(&path, state.to_string()).unwrap();
    let run = merge(&p, &["s1", "--out", "merged", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("s1/aggregate.json") && run.stderr.contains("older shadowdiff"),
        "{}",
        run.stderr
    );
}
