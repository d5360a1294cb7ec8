//! Bad input never panics: each case exits 2 with an error naming the file (and line), and
//! writes no report.

use crate::common::{assert_bad, exchange, lines, zstd_bytes, Project};

/// Runs `diff a b` (plus `extra`), expects exit 2, an error containing every `needle`, no panic
/// and no report.json.
fn expect_bad_input(p: &Project, extra: &[&str], needles: &[&str]) {
    let mut args = vec!["diff", "a.jsonl", "b.jsonl"];
    args.extend_from_slice(extra);
    expect_bad_command(p, &args, needles);
}

/// Runs `shadowdiff ARGS`, expects exit 2, an error containing every `needle`, no panic and no
/// report.json.
fn expect_bad_command(p: &Project, args: &[&str], needles: &[&str]) {
    let run = p.run(args);
    assert_bad(&run, needles);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(
        !p.exists("shadowdiff-report/report.json"),
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
    let full = zstd_bytes(lines(&[good_line("r1"), good_line("r2")]));
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

/// A native exchange line with this method, url, status and ts.
fn line_with(method: &str, url: &str, status: u16, ts: &str) -> String {
    serde_json::json!({
        "id": "r9",
        "ts": ts,
        "request": {"method": method, "url": url},
        "response": {"status": status},
    })
    .to_string()
}

#[test]
fn methods_that_are_not_tokens() {
    for method in ["GE T", ""] {
        let p = project_with_b();
        p.file(
            "a.jsonl",
            lines(&[
                good_line("r1"),
                line_with(method, "/a", 200, "2026-11-20T10:00:00Z"),
            ]),
        );
        expect_bad_input(&p, &[], &["a.jsonl:2", "is not an HTTP method"]);
    }
}

#[test]
fn urls_that_are_not_paths_or_absolute() {
    for url in ["", "orders/1"] {
        let p = project_with_b();
        p.file(
            "a.jsonl",
            lines(&[
                good_line("r1"),
                line_with("GET", url, 200, "2026-11-20T10:00:00Z"),
            ]),
        );
        expect_bad_input(
            &p,
            &[],
            &["a.jsonl:2", "request url", "absolute http(s) URL"],
        );
    }
    let p = project_with_b();
    p.file(
        "a.jsonl",
        lines(&[line_with(
            "GET",
            "https://api.example.com/orders/1",
            200,
            "2026-11-20T10:00:00Z",
        )]),
    );
    let run = p.run(&["diff", "a.jsonl", "b.jsonl"]);
    assert_ne!(
        run.code, 2,
        "an absolute URL is a recording: {}",
        run.stderr
    );
}

#[test]
fn status_out_of_range() {
    let p = project_with_b();
    p.file(
        "a.jsonl",
        lines(&[
            good_line("r1"),
            line_with("GET", "/a", 999, "2026-11-20T10:00:00Z"),
        ]),
    );
    expect_bad_input(&p, &[], &["a.jsonl:2", "status 999", "100 to 599"]);
}

#[test]
fn timestamp_that_is_not_rfc3339() {
    let p = project_with_b();
    p.file(
        "a.jsonl",
        lines(&[good_line("r1"), line_with("GET", "/a", 200, "yesterday")]),
    );
    expect_bad_input(&p, &[], &["a.jsonl:2", "\"yesterday\"", "RFC 3339"]);
}

#[test]
fn the_same_checks_hold_for_har_and_goreplay() {
    let p = project_with_b();
    p.file(
        "a.har",
        r#"{"log":{"entries":[
            {"startedDateTime":"2026-11-20T10:00:00.5+01:00","request":{"method":"GET","url":"/a"},"response":{"status":200}},
            {"startedDateTime":"yesterday","request":{"method":"GET","url":"/b"},"response":{"status":200}}
        ]}}"#,
    );
    expect_bad_command(&p, &["diff", "a.har", "b.jsonl"], &["a.har:2", "RFC 3339"]);
    p.file(
        "a.har",
        r#"{"log":{"entries":[{"request":{"method":"GE T","url":"/a"}}]}}"#,
    );
    expect_bad_command(
        &p,
        &["diff", "a.har", "b.jsonl"],
        &["a.har:1", "HTTP method"],
    );
    p.file(
        "a.gor",
        "1 a1 1700000000000000000\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n\n🐵🙈🙉\n\
         2 a1 1700000000000000001\nHTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n\n🐵🙈🙉\n",
    );
    expect_bad_command(
        &p,
        &["diff", "a.gor", "b.jsonl"],
        &["a.gor:1", "status 999"],
    );
}

#[test]
fn a_json_file_that_is_not_a_recording_in_a_recordings_folder() {
    for package in [
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\"\n}\n",
        "{\"name\":\"app\",\"version\":\"1.0.0\"}\n",
        "[\n  1,\n  2\n]\n",
    ] {
        let p = project_with_b();
        p.file("recs/a.jsonl", lines(&[good_line("r1")]));
        p.file("recs/package.json", package);
        expect_bad_command(
            &p,
            &["diff", "recs", "b.jsonl"],
            &[
                "package.json:1",
                "not a recording",
                "move it out of the recordings folder",
            ],
        );
    }
}

#[test]
fn trailing_garbage_after_a_har() {
    let p = project_with_b();
    p.file(
        "a.har",
        r#"{"log":{"entries":[{"request":{"method":"GET","url":"/orders/1"},"response":{"status":200}}]}}
{"log":{"entries":[]}}"#,
    );
    expect_bad_command(
        &p,
        &["diff", "a.har", "b.jsonl"],
        &[
            "a.har:1",
            "after entry 1",
            "goes on after the HAR's top-level object",
        ],
    );
}

#[test]
fn duplicate_id_in_run() {
    let p = Project::new();
    p.file(
        "a.jsonl",
        lines(&[good_line("r1"), good_line("r2"), good_line("r1")]),
    );
    let args = [
        "run", "a.jsonl", "--old", "recorded", "--new", "recorded", "--quiet",
    ];
    expect_bad_command(
        &p,
        &args,
        &[
            "a.jsonl:3",
            "duplicate id `r1`",
            "first used at",
            "a.jsonl:1",
        ],
    );
}

#[test]
fn goreplay_record_without_its_separator() {
    let p = project_with_b();
    p.file(
        "a.gor",
        "1 a 1700000000000000000\nGET /orders/1 HTTP/1.1\r\nHost: h\r\n\r\n\n\
         1 b 1700000000000000001\nGET /orders/2 HTTP/1.1\r\nHost: h\r\n\r\n\n🐵🙈🙉\n",
    );
    expect_bad_command(
        &p,
        &["diff", "a.gor", "b.jsonl"],
        &[
            "a.gor:6",
            "record header line inside the record of line 1",
            "separator line",
        ],
    );
}

#[test]
fn goreplay_content_length_larger_than_the_body() {
    let p = project_with_b();
    p.file(
        "a.gor",
        "1 a 1700000000000000000\nGET /orders/1 HTTP/1.1\r\nHost: h\r\n\r\n\n🐵🙈🙉\n\
         2 a 1700000000000000001\nHTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":1}\n🐵🙈🙉\n",
    );
    expect_bad_command(
        &p,
        &["diff", "a.gor", "b.jsonl"],
        &[
            "a.gor:7",
            "content-length says 100 bytes but the body has only 8",
        ],
    );
}
