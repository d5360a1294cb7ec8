//! Bad input never panics: each case exits 2 with an error naming the file (and line), and
//! writes no report.

mod common;

use common::{exchange, lines, Project};

/// Runs `diff a b` (plus `extra`), expects exit 2, an error containing every `needle`, no panic
/// and no report.json.
fn expect_bad_input(p: &Project, extra: &[&str], needles: &[&str]) {
    let mut args = vec!["diff", "a.jsonl", "b.jsonl"];
    args.extend_from_slice(extra);
    let run = p.run(&args);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not in: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        !p.path().join("shadowdiff-report/report.json").exists(),
        "a report was written despite bad input"
    );
}

fn good_line(id: &str) -> String {
    exchange(id, "/orders/1", 200, r#"{"id":1}"#)
}

fn project_with_b() -> Project {
    let p = Project::new();
    p.file("b.jsonl", lines(&[good_line("r1"), good_line("r2")]));
    p
}

#[test]
fn truncated_zstd() {
    let p = project_with_b();
    let full = zstd::encode_all(lines(&[good_line("r1"), good_line("r2")]).as_bytes(), 3)
        .expect("compress");
    p.file("a.jsonl", &full[..full.len() - 8]);
    expect_bad_input(&p, &[], &["a.jsonl"]);
}

#[test]
fn corrupt_zstd() {
    let p = project_with_b();
    let mut bytes = vec![0x28, 0xB5, 0x2F, 0xFD];
    bytes.extend_from_slice(b"this is not a zstd frame at all");
    p.file("a.jsonl", bytes);
    expect_bad_input(&p, &[], &["a.jsonl"]);
}

#[test]
fn bad_json_line_names_file_and_line() {
    let p = project_with_b();
    p.file(
        "a.jsonl",
        format!("{}\n{{\"id\": \"r2\", \"request\": \n", good_line("r1")),
    );
    expect_bad_input(&p, &[], &["a.jsonl:2"]);
}

#[test]
fn invalid_base64_body() {
    let p = project_with_b();
    let line = r#"{"id":"r1","request":{"method":"GET","url":"/orders/1","headers":[],"body":null},"response":{"status":200,"headers":[],"body":{"base64":"%%%"}}}"#;
    p.file("a.jsonl", format!("{line}\n"));
    expect_bad_input(&p, &[], &["a.jsonl:1", "base64"]);
}

#[test]
fn missing_request() {
    let p = project_with_b();
    p.file("a.jsonl", "{\"id\":\"r1\",\"response\":{\"status\":200}}\n");
    expect_bad_input(&p, &[], &["a.jsonl:1", "request"]);
}

#[test]
fn non_utf8_text_body() {
    let p = project_with_b();
    let mut bytes = br#"{"id":"r1","request":{"method":"GET","url":"/orders/1"},"response":{"status":200,"body":{"text":"caf"#.to_vec();
    bytes.extend_from_slice(&[0xE9, 0xFF]);
    bytes.extend_from_slice(b"\"}}}\n");
    p.file("a.jsonl", bytes);
    expect_bad_input(&p, &[], &["a.jsonl:1"]);
}

#[test]
fn lone_surrogate_in_text_body() {
    let p = project_with_b();
    let line = r#"{"id":"r1","request":{"method":"GET","url":"/orders/1"},"response":{"status":200,"body":{"text":"\ud800"}}}"#;
    p.file("a.jsonl", format!("{line}\n"));
    expect_bad_input(&p, &[], &["a.jsonl:1"]);
}

#[test]
fn empty_file() {
    let p = project_with_b();
    p.file("a.jsonl", "");
    expect_bad_input(&p, &[], &["a.jsonl", "empty"]);
}

#[test]
fn line_over_the_limit() {
    let p = project_with_b();
    let big = exchange("r1", "/orders/1", 200, &format!("\"{}\"", "x".repeat(5000)));
    p.file("a.jsonl", lines(&[good_line("r0"), big]));
    expect_bad_input(&p, &["--max-line-bytes", "1000"], &["a.jsonl:2", "1000"]);
}

#[test]
fn id_of_the_wrong_type() {
    let p = project_with_b();
    p.file(
        "a.jsonl",
        "{\"id\":{\"x\":1},\"request\":{\"method\":\"GET\",\"url\":\"/\"}}\n",
    );
    expect_bad_input(&p, &[], &["a.jsonl:1"]);
}

#[test]
fn duplicate_id_in_a() {
    let p = project_with_b();
    p.file("a.jsonl", lines(&[good_line("r1"), good_line("r1")]));
    expect_bad_input(&p, &[], &["a.jsonl:2", "duplicate id `r1`"]);
}

#[test]
fn duplicate_id_in_b() {
    let p = Project::new();
    p.file("a.jsonl", lines(&[good_line("r1")]));
    p.file(
        "b.jsonl",
        lines(&[good_line("r1"), good_line("r2"), good_line("r1")]),
    );
    expect_bad_input(&p, &[], &["b.jsonl:3", "duplicate id `r1`", "b.jsonl:1"]);
}

#[test]
fn missing_file() {
    let p = project_with_b();
    expect_bad_input(&p, &[], &["a.jsonl"]);
}

#[test]
fn folder_without_recordings() {
    let p = project_with_b();
    p.file("a.jsonl/notes.txt", "not a recording");
    expect_bad_input(&p, &[], &["a.jsonl"]);
}

fn with_rules(rules: &str) -> Project {
    let p = project_with_b();
    p.file("a.jsonl", lines(&[good_line("r1")]));
    p.file("rules.toml", rules);
    p
}

#[test]
fn rule_with_a_bad_path() {
    let p = with_rules("[[route]]\nmatch = \"GET /orders/{id}\"\n\nignore = [\"$.items[\"]\n");
    expect_bad_input(
        &p,
        &["--rules", "rules.toml"],
        &["rules.toml:4", "$.items["],
    );
}

#[test]
fn rule_with_a_bad_regex() {
    let p =
        with_rules("[defaults]\nnormalize = [{ path = \"$.a\", regex = \"(\", replace = \"\" }]\n");
    expect_bad_input(&p, &["--rules", "rules.toml"], &["rules.toml:2", "regex"]);
}

#[test]
fn rule_with_an_unknown_key() {
    let p = with_rules("[defaults]\nstatus = true\nignroe = [\"$.a\"]\n");
    expect_bad_input(&p, &["--rules", "rules.toml"], &["rules.toml:3", "ignroe"]);
}

#[test]
fn rule_file_that_is_not_toml() {
    let p = with_rules("[defaults\n");
    expect_bad_input(&p, &["--rules", "rules.toml"], &["rules.toml:1"]);
}

#[test]
fn missing_rule_file() {
    let p = project_with_b();
    p.file("a.jsonl", lines(&[good_line("r1")]));
    expect_bad_input(&p, &["--rules", "nope.toml"], &["nope.toml"]);
}

#[test]
fn rate_out_of_range_is_bad_usage() {
    let p = project_with_b();
    p.file("a.jsonl", lines(&[good_line("r1")]));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--max-diff-rate", "2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("between 0 and 1"), "{}", run.stderr);
}
