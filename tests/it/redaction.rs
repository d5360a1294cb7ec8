//! Secrets never reach an output: authorization, cookies and configured headers and body fields
//! are redacted in every report file, the outcomes file, reproduction commands and the
//! terminal, while the comparison still sees the real values.

use crate::common::servers::{Action, TestServer};
use crate::common::{files_under, gzip, lines, unzstd, zstd_bytes, Project, Run};

/// Every secret in this test contains this marker, so one search finds any leak.
const MARK: &str = "SECRET";

fn recordings(project: &Project) {
    let recs: Vec<String> = (1..=4)
        .map(|i| {
            serde_json::json!({
                "id": format!("r{i}"),
                "request": {"method": "GET", "url": format!("/account/{i}"),
                            "headers": [["authorization", format!("Bearer SECRET-AUTH-{i}")],
                                        ["cookie", "session=SECRET-COOKIE"],
                                        ["x-api-key", "SECRET-KEY"],
                                        ["accept", "application/json"]],
                            "body": null},
            })
            .to_string()
        })
        .collect();
    project.file("recs.jsonl", lines(&recs));
}

fn account(side: &'static str, total: u32) -> TestServer {
    TestServer::start(move |request| {
        let id = request.id();
        Action::Respond {
            status: 200,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("set-cookie".into(), format!("sid=SECRET-SETCOOKIE-{side}")),
                ("x-api-key".into(), format!("SECRET-ECHO-{side}")),
            ],
            body: format!(
                r#"{{"id":{id},"total":{total},"auth":{{"token":"SECRET-TOKEN-{side}-{id}"}}}}"#
            )
            .into_bytes(),
        }
    })
}

/// Every file under `dir`, decompressed when zstd, as text.
fn all_text(dir: &std::path::Path) -> Vec<(String, String)> {
    files_under(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let text = if name.ends_with(".zst") {
                String::from_utf8(unzstd(&bytes)).expect("decompressed text")
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            (dir.join(name).display().to_string(), text)
        })
        .collect()
}

fn assert_no_secret(files: &[(String, String)], run: &Run) {
    for (name, text) in files
        .iter()
        .chain([("stdout".to_string(), run.stdout.clone())].iter())
        .chain([("stderr".to_string(), run.stderr.clone())].iter())
    {
        if let Some(at) = text.find(MARK) {
            let start = at.saturating_sub(60);
            panic!(
                "a secret leaked into {name}: …{}…",
                &text[start..(at + 40).min(text.len())]
            );
        }
    }
}

#[test]
fn a_run_redacts_everywhere_but_compares_real_values() {
    let p = Project::new();
    recordings(&p);
    p.file(
        "shadowdiff.toml",
        "[redact]\nheaders = [\"x-api-key\"]\nfields = [\"$..token\"]\n",
    );
    let (old, new) = (account("OLD", 1), account("NEW", 2));
    let run = p.run(&[
        "run",
        "recs.jsonl",
        "--old",
        &old.url(),
        "--new",
        &new.url(),
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The targets received the real secrets.
    let sent = &old.requests()[0];
    assert!(sent
        .header("authorization")
        .is_some_and(|v| v.starts_with("Bearer SECRET-AUTH-")));
    // The comparison saw the real tokens differ...
    let report = p.read("shadowdiff-report/report.json");
    assert!(report.contains("\"body $.auth.token changed\""), "{report}");
    assert!(report.contains("\"body $.total changed\""), "{report}");
    // ...and no output shows a secret: report files, outcomes, the pending snapshot, stdout.
    let mut files = all_text(&p.path().join("shadowdiff-report"));
    files.push(("shadowdiff.snap.new".into(), p.read("shadowdiff.snap.new")));
    assert!(files
        .iter()
        .any(|(name, _)| name.ends_with("outcomes.jsonl.zst")));
    assert_no_secret(&files, &run);
    let markdown = p.read("shadowdiff-report/report.md");
    assert!(
        markdown.contains("-H 'authorization: [redacted]'"),
        "the reproduction command keeps the header, redacted: {markdown}"
    );
    assert!(report.contains("\"[redacted]\""), "{report}");
}

#[test]
fn diff_redacts_fields_named_by_flag() {
    let p = Project::new();
    let side = |token: &str| {
        lines(&[serde_json::json!({
            "id": "r1",
            "request": {"method": "GET", "url": "/me", "headers": [["cookie", "SECRET-C"]], "body": null},
            "response": {"status": 200, "headers": [["content-type", "application/json"]],
                         "body": {"text": format!(r#"{{"user":{{"ssn":"{token}","name":"Ann"}}}}"#)}},
        })
        .to_string()])
    };
    p.file("a.jsonl", side("SECRET-111"));
    p.file("b.jsonl", side("SECRET-222"));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--redact-field", "$.user.ssn"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = p.read("shadowdiff-report/report.json");
    assert!(report.contains("\"body $.user.ssn changed\""), "{report}");
    let mut files = all_text(&p.path().join("shadowdiff-report"));
    files.push(("shadowdiff.snap.new".into(), p.read("shadowdiff.snap.new")));
    assert_no_secret(&files, &run);
}

/// `body` encoded with `coding` as a server would send it.
fn encoded(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    match coding {
        "gzip" => gzip(body),
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                w.write_all(body).unwrap();
            }
            out
        }
        "zstd" => zstd_bytes(body),
        other => panic!("{other}"),
    }
}

/// A server answering JSON whose `auth.token` is a secret, encoded with `coding`, or, without
/// one, as JSON cut short that cannot parse.
fn encoded_account(side: &'static str, coding: Option<&'static str>) -> TestServer {
    TestServer::start(move |request| {
        let id = request.id();
        let body = format!(
            r#"{{"id":{id},"auth":{{"token":"SECRET-TOKEN-{side}-{id}"}},"side":"{side}"}}"#
        );
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        let body = match coding {
            Some(coding) => {
                headers.push(("content-encoding".into(), coding.into()));
                encoded(coding, body.as_bytes())
            }
            None => body.as_bytes()[..body.len() - 2].to_vec(),
        };
        Action::Respond {
            status: 200,
            headers,
            body,
        }
    })
}

#[test]
fn fields_in_encoded_or_unparseable_bodies_are_redacted_in_the_run_and_when_rejudged() {
    for coding in [
        Some("gzip"),
        Some("deflate"),
        Some("br"),
        Some("zstd"),
        None,
    ] {
        let p = Project::new();
        recordings(&p);
        let (old, new) = (
            encoded_account("OLD", coding),
            encoded_account("NEW", coding),
        );
        let run = p.run(&[
            "run",
            "recs.jsonl",
            "--old",
            &old.url(),
            "--new",
            &new.url(),
            "--redact-header",
            "x-api-key",
            "--redact-field",
            "$..token",
            "--format",
            "markdown",
        ]);
        assert_eq!(run.code, 1, "{coding:?}: {}", run.stderr);
        let report = p.read("shadowdiff-report/report.json");
        if coding.is_some() {
            // The comparison saw the real, decoded values.
            assert!(report.contains("\"body $.auth.token changed\""), "{report}");
            assert!(report.contains("\"body $.side changed\""), "{report}");
        }
        let mut files = all_text(&p.path().join("shadowdiff-report"));
        files.push(("shadowdiff.snap.new".into(), p.read("shadowdiff.snap.new")));
        assert_no_secret(&files, &run);
        // Re-judged without any redaction setting, the stored file has nothing left to leak.
        let rejudged = p.run(&[
            "diff",
            "shadowdiff-report/outcomes.jsonl.zst",
            "--out",
            "rejudged",
            "--format",
            "markdown",
        ]);
        // Bodies replaced whole are the same text on both sides: nothing differs any more.
        let expected = if coding.is_some() { 1 } else { 0 };
        assert_eq!(rejudged.code, expected, "{coding:?}: {}", rejudged.stderr);
        let mut files = all_text(&p.path().join("rejudged"));
        if p.exists("shadowdiff.snap.new") {
            files.push(("shadowdiff.snap.new".into(), p.read("shadowdiff.snap.new")));
        }
        assert_no_secret(&files, &rejudged);
        let outcomes = all_text(&p.path().join("shadowdiff-report"))
            .into_iter()
            .find(|(name, _)| name.ends_with("outcomes.jsonl.zst"))
            .map(|(_, text)| text)
            .expect("outcomes");
        if let Some(coding) = coding {
            assert!(
                outcomes.contains(&format!("[\"x-shadowdiff-decoded\",\"{coding}\"]")),
                "the stored body says it was decoded: {outcomes}"
            );
            assert!(outcomes.contains(r#"\"side\":\"NEW\""#), "{outcomes}");
        } else {
            assert!(
                outcomes.contains("[redacted: the body is not JSON"),
                "{outcomes}"
            );
        }
        if coding.is_some() {
            let rejudged = p.read("rejudged/report.json");
            assert!(rejudged.contains("\"body $.side changed\""), "{rejudged}");
            assert!(!rejudged.contains("content-encoding"), "{rejudged}");
        }
    }
}
