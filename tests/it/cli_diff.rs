//! `shadowdiff diff` end to end: the real binary on real recording files.

use crate::common::{
    across_routes, assert_totals_add_up, exchange, lines, report_in, shadowdiff, zstd_bytes,
    Project,
};
use serde_json::Value;

fn order(id: u32, total: f64) -> String {
    format!(r#"{{"id":{id},"total":{total},"items":[{{"sku":"A","qty":1}}]}}"#)
}

#[test]
fn equal_recordings_pass() {
    let p = Project::new();
    let recs: Vec<String> = (1..=5)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 10.0),
            )
        })
        .collect();
    p.file("a.jsonl", lines(&recs));
    p.file("b.jsonl", lines(&recs));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("shadowdiff: PASS"), "{}", run.stdout);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["schema"], "shadowdiff.report/v1");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["totals"]["equal"], 5);
    assert_eq!(report["routes"][0]["route"], "GET /orders/{id}");
    assert_totals_add_up(&report);
}

#[test]
fn a_changed_field_fails_with_its_signature() {
    let p = Project::new();
    let a: Vec<String> = (1..=4)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 10.0),
            )
        })
        .collect();
    let mut b = a.clone();
    b[2] = exchange("r3", "/orders/3", 200, &order(3, 12.5));
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "out"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("shadowdiff: FAIL"), "{}", run.stdout);
    assert!(
        run.stdout.contains("body $.total changed"),
        "{}",
        run.stdout
    );
    let report = report_in(&p, "out");
    assert_eq!(report["verdict"], "fail");
    let sig = &report["routes"][0]["signatures"][0];
    assert_eq!(sig["signature"], "body $.total changed");
    assert_eq!(sig["target"], "body");
    assert_eq!(sig["path"], "$.total");
    assert_eq!(sig["kind"], "changed");
    assert_eq!(sig["count"], 1);
    assert_eq!(sig["rate"], 0.25);
    assert_eq!(sig["examples"], serde_json::json!(["r3"]));
    assert_eq!(sig["samples"][0]["old"], 10.0);
    assert_eq!(sig["samples"][0]["new"], 12.5);
    assert_totals_add_up(&report);
}

#[test]
fn max_diff_rate_loosens_the_gate() {
    let p = Project::new();
    let a: Vec<String> = (1..=10)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 1.0),
            )
        })
        .collect();
    let mut b = a.clone();
    b[0] = exchange("r1", "/orders/1", 500, "oops");
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl"]).code, 1);
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--max-diff-rate", "0.1"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["totals"]["different"], 1);
}

#[test]
fn order_of_b_does_not_matter() {
    let p = Project::new();
    let a: Vec<String> = (1..=300)
        .map(|i| {
            let total = if i % 7 == 0 { 2.0 } else { 1.0 };
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, total),
            )
        })
        .collect();
    let b: Vec<String> = (1..=300)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 1.0),
            )
        })
        .collect();
    let mut reversed = b.clone();
    reversed.reverse();
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    p.file("b-reversed.jsonl", lines(&reversed));
    assert_eq!(
        p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "in-order"])
            .code,
        1
    );
    assert_eq!(
        p.run(&["diff", "a.jsonl", "b-reversed.jsonl", "--out", "reversed"])
            .code,
        1
    );
    assert_eq!(
        p.read("in-order/report.json"),
        p.read("reversed/report.json")
    );
    assert_eq!(report_in(&p, "reversed")["totals"]["different"], 42);
}

#[test]
fn ids_on_one_side_only_are_outcomes_not_dropped() {
    let p = Project::new();
    let a = vec![
        exchange("r1", "/orders/1", 200, &order(1, 1.0)),
        exchange("r2", "/orders/2", 200, &order(2, 1.0)),
    ];
    let b = vec![
        exchange("r2", "/orders/2", 200, &order(2, 1.0)),
        exchange("r3", "/customers/3", 200, "{}"),
    ];
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["totals"]["exchanges"], 3);
    assert_eq!(report["totals"]["errors"], 2);
    assert_eq!(report["totals"]["equal"], 1);
    assert_totals_add_up(&report);
    let kinds: Vec<String> = across_routes(&report, "error_kinds")
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                k["kind"].as_str().unwrap(),
                k["examples"][0].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(kinds, ["only_in_b r3", "only_in_a r1"]);
}

#[test]
fn same_id_with_a_different_request_is_an_error_outcome() {
    let p = Project::new();
    p.file("a.jsonl", lines(&[exchange("r1", "/orders/1", 200, "{}")]));
    p.file("b.jsonl", lines(&[exchange("r1", "/orders/2", 200, "{}")]));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl"]);
    assert_eq!(run.code, 1);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(
        report["routes"][0]["error_kinds"][0]["kind"],
        "request_mismatch"
    );
}

#[test]
fn rules_hide_differences_and_say_which_rule_did() {
    let p = Project::new();
    let a = vec![exchange(
        "r1",
        "/orders/1",
        200,
        r#"{"id":1,"meta":{"requestId":"x1"}}"#,
    )];
    let b = vec![exchange(
        "r1",
        "/orders/1",
        200,
        r#"{"id":1,"meta":{"requestId":"y2"}}"#,
    )];
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    p.file(
        "rules.toml",
        "# volatile\n[[route]]\nmatch = \"GET /orders/{id}\"\nignore = [\"$.meta.requestId\"]\n",
    );
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl"]).code, 1);
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--rules", "rules.toml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    let ignored = &report["routes"][0]["ignored"][0];
    assert_eq!(ignored["exchanges"], 1);
    let label = ignored["rule"].as_str().expect("label");
    assert!(label.starts_with("rules.toml:4"), "{label}");
    assert!(label.contains("$.meta.requestId"), "{label}");
}

#[test]
fn comparators_folder_is_the_default_rules() {
    let p = Project::new();
    p.file("a.jsonl", lines(&[exchange("r1", "/x", 200, r#"{"t":1}"#)]));
    p.file("b.jsonl", lines(&[exchange("r1", "/x", 200, r#"{"t":2}"#)]));
    p.file("comparators/x.toml", "[defaults]\nignore = [\"$.t\"]\n");
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl"]).code, 0);
}

#[test]
fn zstd_recordings_and_folders_are_read() {
    let p = Project::new();
    let recs: Vec<String> = (1..=3)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 1.0),
            )
        })
        .collect();
    let compressed = zstd_bytes(lines(&recs));
    p.file("a/part-1.jsonl.zst", compressed);
    p.file("b.jsonl", lines(&recs));
    let run = p.run(&["diff", "a", "b.jsonl"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(report_in(&p, "shadowdiff-report")["totals"]["equal"], 3);
}

#[test]
fn report_is_identical_whatever_the_thread_count() {
    let p = Project::new();
    let a: Vec<String> = (1..=2500)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 1.0),
            )
        })
        .collect();
    let b: Vec<String> = (1..=2500)
        .map(|i| {
            let total = if i % 3 == 0 { 3.0 } else { 1.0 };
            let status = if i % 101 == 0 { 404 } else { 200 };
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                status,
                &order(i, total),
            )
        })
        .collect();
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    assert_eq!(
        p.run(&[
            "diff",
            "a.jsonl",
            "b.jsonl",
            "--threads",
            "1",
            "--out",
            "t1"
        ])
        .code,
        1
    );
    assert_eq!(
        p.run(&[
            "diff",
            "a.jsonl",
            "b.jsonl",
            "--threads",
            "2",
            "--out",
            "t2"
        ])
        .code,
        1
    );
    assert_eq!(
        p.run(&[
            "diff",
            "a.jsonl",
            "b.jsonl",
            "--threads",
            "8",
            "--out",
            "t8"
        ])
        .code,
        1
    );
    let one = p.read("t1/report.json");
    assert_eq!(one, p.read("t2/report.json"));
    assert_eq!(one, p.read("t8/report.json"));
}

#[test]
fn format_json_prints_the_report_and_quiet_prints_nothing() {
    let p = Project::new();
    let recs = vec![exchange("r1", "/x", 200, "{}")];
    p.file("a.jsonl", lines(&recs));
    p.file("b.jsonl", lines(&recs));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, p.read("shadowdiff-report/report.json"));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--quiet"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let p = Project::new();
    let run = p.run(&["diff", "--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
    let run = p.run(&["--help"]);
    assert!(
        run.stdout
            .contains("Exit codes: 0 gate passed, 1 gate failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_markdown_summary_is_appended_to_the_github_step_summary() {
    let p = Project::new();
    p.file(
        "a.jsonl",
        lines(&[exchange("r1", "/orders/1", 200, &order(1, 10.0))]),
    );
    p.file(
        "b.jsonl",
        lines(&[exchange("r1", "/orders/1", 200, &order(1, 11.0))]),
    );
    let summary = p.file("summary.md", "# earlier step\n");
    let status = shadowdiff(p.path(), &["diff", "a.jsonl", "b.jsonl", "-q"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .status()
        .expect("run shadowdiff");
    assert_eq!(status.code(), Some(1));
    let text = p.read("summary.md");
    assert!(
        text.starts_with("# earlier step\n## ❌ shadowdiff: FAIL"),
        "{text}"
    );
    assert_eq!(
        text,
        format!("# earlier step\n{}", p.read("shadowdiff-report/report.md"))
    );
}

#[test]
fn gate_limits_per_route_and_minimum_exchanges_come_from_shadowdiff_toml() {
    let p = Project::new();
    let side = |total: f64, changed: u32| -> String {
        let mut recs = Vec::new();
        for i in 1..=10 {
            let t = if i <= changed { total } else { 10.0 };
            recs.push(exchange(
                &format!("o{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, t),
            ));
        }
        for i in 1..=3 {
            let t = if i == 1 { total } else { 10.0 };
            recs.push(exchange(
                &format!("u{i}"),
                &format!("/users/{i}"),
                200,
                &order(i, t),
            ));
        }
        lines(&recs)
    };
    p.file("a.jsonl", side(10.0, 0));
    p.file("b.jsonl", side(11.0, 2));
    // Without settings: 2 of 10 orders and 1 of 3 users differ, both routes fail.
    assert_eq!(p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]).code, 1);
    // The orders route may differ up to 20 %; routes with fewer than 5 exchanges are not judged.
    p.file(
        "shadowdiff.toml",
        "[gate]\nmin_exchanges = 5\n\n[[gate.route]]\nmatch = \"GET /orders/*\"\nmax_diff_rate = 0.2\n",
    );
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["routes"][0]["route"], "GET /orders/{id}");
    assert_eq!(report["routes"][0]["verdict"], "pass");
    assert!(report["routes"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("within the allowed 20.00%"));
    assert_eq!(
        report["routes"][1]["reasons"][0],
        "not judged: 3 compared exchanges, fewer than the 5 required"
    );
    // A flag wins over the file.
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "-q", "--min-exchanges", "1"]);
    assert_eq!(run.code, 1, "the users route is judged again and fails");
}

#[test]
fn numbers_compare_by_the_value_written_and_show_as_sent() {
    let p = Project::new();
    let pairs = [
        (
            "r1",
            r#"{"n":1,"f":0.3,"t":5e-43}"#,
            r#"{"n":1.0,"f":0.29999999999999999,"t":5.0e-43}"#,
        ),
        (
            "r2",
            r#"{"n":10e-1,"big":18446744073709551616}"#,
            r#"{"n":1e0,"big":1.8446744073709552e19}"#,
        ),
        (
            "r3",
            r#"{"big":18446744073709551616}"#,
            r#"{"big":18446744073709551617}"#,
        ),
        ("r4", r#"{"x":59.97}"#, r#"{"x":59.970000000000006}"#),
    ];
    let side = |new: bool| -> String {
        let recs: Vec<String> = pairs
            .iter()
            .map(|&(id, old_body, new_body)| {
                let body = if new { new_body } else { old_body };
                exchange(id, &format!("/n/{id}"), 200, body)
            })
            .collect();
        lines(&recs)
    };
    p.file("a.jsonl", side(false));
    p.file("b.jsonl", side(true));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["totals"]["equal"], 2, "{}", report["totals"]);
    assert_eq!(report["totals"]["different"], 2, "{}", report["totals"]);
    let text = p.read("shadowdiff-report/report.json");
    for sent in ["18446744073709551617", "59.970000000000006", "59.97"] {
        assert!(
            text.contains(&format!(": {sent}")),
            "{sent} as sent in {text}"
        );
    }
}

#[test]
fn bodies_nested_thirty_thousand_levels_compare_structurally_and_every_report_is_written() {
    const LEVELS: usize = 30_000;
    let objects = |leaf: &str| format!("{}{leaf}{}", r#"{"a":"#.repeat(LEVELS), "}".repeat(LEVELS));
    let arrays = |leaf: &str| format!("{}{leaf}{}", "[".repeat(LEVELS), "]".repeat(LEVELS));
    let p = Project::new();
    let a = [
        exchange("objects", "/deep/1", 200, &objects(r#"{"v":1,"w":1}"#)),
        exchange("arrays", "/deep/2", 200, &arrays("[1,2]")),
        exchange("same", "/deep/3", 200, &arrays("7")),
    ];
    let b = [
        exchange("objects", "/deep/1", 200, &objects(r#"{"v":2,"w":1}"#)),
        exchange("arrays", "/deep/2", 200, &arrays("[1,2,3]")),
        exchange("same", "/deep/3", 200, &arrays("7.0")),
    ];
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(report["totals"]["equal"], 1, "{}", report["totals"]);
    assert_eq!(report["totals"]["different"], 2, "{}", report["totals"]);
    let signatures: Vec<String> = across_routes(&report, "signatures")
        .iter()
        .map(|sig| sig["signature"].as_str().unwrap_or_default().to_string())
        .collect();
    let object_path = format!("body ${}.v changed", ".a".repeat(LEVELS));
    let array_path = format!("body ${}[*] added", "[*]".repeat(LEVELS));
    assert_eq!(signatures.len(), 2, "{}", signatures.join("\n").len());
    assert!(
        signatures.contains(&object_path),
        "no structural object difference"
    );
    assert!(
        signatures.contains(&array_path),
        "no structural array difference"
    );
    let html = p.read("shadowdiff-report/report.html");
    assert!(
        html.contains(&".a".repeat(100)[1..]),
        "the deep path is in report.html"
    );
    assert!(p
        .read("shadowdiff-report/report.md")
        .contains(&object_path[5..200]));
}

/// Runs `diff a.jsonl b.jsonl` on the given lines in a fresh folder; the bytes of report.json.
fn report_bytes(a: &[String], b: &[String]) -> String {
    let p = Project::new();
    p.file("a.jsonl", lines(a));
    p.file("b.jsonl", lines(b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "-q"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    p.read("shadowdiff-report/report.json")
}

#[test]
fn b_in_another_order_gives_the_same_report_byte_for_byte() {
    // More lines than the join's window, so the shuffled B goes through the partitions.
    let count = 12_000u32;
    let a: Vec<String> = (0..count)
        .map(|i| {
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &order(i, 10.0),
            )
        })
        .collect();
    let paired: Vec<String> = (0..count - 10)
        .map(|i| {
            let total = if i % 7 == 0 { 11.0 } else { 10.0 };
            let status = if i % 501 == 0 { 500 } else { 200 };
            let url = if i % 997 == 0 {
                format!("/orders/{i}?again")
            } else {
                format!("/orders/{i}")
            };
            exchange(&format!("r{i}"), &url, status, &order(i, total))
        })
        .collect();
    let only_in_b: Vec<String> = (0..5)
        .map(|i| exchange(&format!("x{i}"), &format!("/customers/{i}"), 200, "{}"))
        .collect();
    let mut shuffled = paired.clone();
    let mut state = 7u64;
    for i in (1..shuffled.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        shuffled.swap(i, (state >> 33) as usize % (i + 1));
    }
    // B's leftovers keep their lines, which their error message names.
    let same_order = [paired, only_in_b.clone()].concat();
    let other_order = [shuffled, only_in_b].concat();
    let expected = report_bytes(&a, &same_order);
    let report: Value = serde_json::from_str(&expected).expect("report.json is JSON");
    assert_eq!(report["totals"]["exchanges"], 12_005);
    assert_totals_add_up(&report);
    let kinds: Vec<String> = across_routes(&report, "error_kinds")
        .iter()
        .map(|k| k["kind"].as_str().expect("kind").to_string())
        .collect();
    assert_eq!(kinds, ["only_in_b", "only_in_a", "request_mismatch"]);
    assert_eq!(report_bytes(&a, &other_order), expected);
}
