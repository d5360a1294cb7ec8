//! HAR and GoReplay recordings end to end: read directly by `diff` and `run`, converted by
//! `import`, and bad files refused with the file and record named.

use crate::common::servers::{json, TestServer};
use crate::common::{count, repo_root, report_in, Project};
use serde_json::Value;

fn fixture(path: &str) -> String {
    repo_root()
        .join("tests/fixtures")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_real_har_compared_with_itself_has_no_difference() {
    for name in [
        "chrome-devtools.har",
        "firefox-devtools.har",
        "insomnia.har",
        "mitmproxy-savehar.har",
        "playwright-redirect.har",
    ] {
        let p = Project::new();
        let har = fixture(&format!("har/{name}"));
        let run = p.run(&["diff", &har, &har, "--quiet"]);
        let report = report_in(&p, "shadowdiff-report");
        assert_eq!(count(&report, "different"), 0, "{name}: {}", run.stderr);
        assert_eq!(
            count(&report, "equal") + count(&report, "errors"),
            count(&report, "exchanges")
        );
        // Entries without a response (blocked, cancelled) are the only errors.
        for route in report["routes"].as_array().unwrap() {
            for kind in route["error_kinds"].as_array().unwrap() {
                assert_eq!(kind["kind"], "no_response", "{name}: {kind}");
            }
        }
    }
}

#[test]
fn import_then_diff_round_trips() {
    let p = Project::new();
    let har = fixture("har/mitmproxy-savehar.har");
    let run = p.run(&["import", "har", &har, "-o", "out/mitm.jsonl.zst"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("imported 5 exchanges"),
        "{}",
        run.stderr
    );
    let run = p.run(&["diff", "out/mitm.jsonl.zst", &har, "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count(&report_in(&p, "shadowdiff-report"), "equal"), 5);

    let gor = fixture("gor/requests-v1.gor");
    let run = p.run(&["import", "gor", &gor, "-o", "out/v1.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = p.run(&["diff", "out/v1.jsonl", &gor, "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let gz = fixture("gor/requests.gor.gz");
    let run = p.run(&["diff", &gor, &gz, "--quiet", "--out", "gz"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        report_in(&p, "gz")["totals"],
        report_in(&p, "shadowdiff-report")["totals"]
    );
}

#[test]
fn a_har_file_replays_directly() {
    let p = Project::new();
    let (old, new) = (
        TestServer::start(|_| json(200, "{\"ok\":true}")),
        TestServer::start(|_| json(200, "{\"ok\":true}")),
    );
    let har = fixture("har/playwright-redirect.har");
    let run = p.run(&[
        "run",
        &har,
        "--old",
        &old.url(),
        "--new",
        &new.url(),
        "--quiet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(count(&report, "exchanges"), 3);
    assert_eq!(count(&report, "equal"), 3);
    assert_eq!(old.hits(), 3);
}

#[test]
fn bad_imports_name_the_file_and_record_and_write_nothing() {
    let p = Project::new();
    p.file("cut.har", "{\"log\":{\"version\":\"1.2\",\"entries\":[{\"request\":{\"method\":\"GET\",\"url\":\"/a\"");
    let run = p.run(&["import", "har", "cut.har", "-o", "out.jsonl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cut.har:1: entry 1"), "{}", run.stderr);
    assert!(
        !p.exists("out.jsonl"),
        "a half-written import was left behind"
    );

    p.file(
        "bad.gor",
        "1 abc 1700000000000000000\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let run = p.run(&["import", "gor", "bad.gor", "-o", "out.jsonl"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad.gor:1"), "{}", run.stderr);
    assert!(!p.exists("out.jsonl"));

    p.file(
        "empty.har",
        "{\"log\":{\"version\":\"1.2\",\"entries\":[]}}",
    );
    let run = p.run(&["diff", "empty.har", "empty.har"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("empty.har"), "{}", run.stderr);
}

#[test]
fn formats_are_sniffed_when_the_name_says_nothing() {
    let p = Project::new();
    let har = std::fs::read(fixture("har/insomnia.har")).unwrap();
    p.file("capture.json", har);
    let gor = std::fs::read(fixture("gor/requests-v2.gor")).unwrap();
    p.file("traffic.log", gor);
    for file in ["capture.json", "traffic.log"] {
        let out = format!("{file}-report");
        let run = p.run(&["diff", file, file, "--quiet", "--out", &out]);
        let report = report_in(&p, &out);
        assert!(count(&report, "exchanges") > 0, "{file}: {}", run.stderr);
        assert_eq!(count(&report, "different"), 0, "{file}");
    }
}

/// A GoReplay record as GoReplay writes it.
fn gor_record(header: &str, message: &str) -> String {
    format!("{header}\n{message}\n🐵🙈🙉\n")
}

#[test]
fn goreplay_chunk_lines_ending_in_a_bare_lf_import() {
    let p = Project::new();
    let gor = [
        gor_record("1 a 1700000000000000000", "GET /a HTTP/1.1\nHost: h\n\n"),
        gor_record(
            "2 a 1700000000000000001",
            "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n6;ext=1\nhello \n6\r\nworld!\r\n0\nX-Trailer: t\n\n",
        ),
    ]
    .concat();
    p.file("rewritten.gor", gor);
    let run = p.run(&["import", "gor", "rewritten.gor", "-o", "out.jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line: Value = serde_json::from_str(p.read("out.jsonl").trim()).expect("one exchange");
    assert_eq!(line["response"]["body"]["text"], "hello world!");
}
