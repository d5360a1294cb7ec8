//! report.md as a whole: its escaping, its blocks, and its size limit.

use shadowdiff_core::{Body, Request};

use crate::testutil;
use crate::{SignatureReport, Verdict};

use super::escape::{cell, code, reproduce, text};
use super::page::MAX_MARKDOWN;
use super::render;

#[test]
fn code_spans_hold_backticks_pipes_and_spaces() {
    assert_eq!(code("a|b"), "`a|b`");
    assert_eq!(cell(&code("a|b")), "`a\\|b`");
    assert_eq!(code("x`y"), "``x`y``");
    assert_eq!(code("`y"), "`` `y ``");
    assert_eq!(code(" y "), "`  y  `");
    assert_eq!(code("  "), "`  `");
}

#[test]
fn reproduce_commands_stay_inside_their_list_item() {
    let block = reproduce("curl --data-binary 'a\n```\nb'\ncurl x");
    assert_eq!(
        block,
        "    <details><summary>reproduce</summary>\n\n    ````sh\n    curl --data-binary 'a\n    \
         ```\n    b'\n    curl x\n    ````\n    </details>\n"
    );
}

#[test]
fn a_report_of_any_size_stays_under_a_mebibyte_and_says_what_was_left_out() {
    let mut report = testutil::report();
    let long = "x".repeat(100_000);
    let mut sig = SignatureReport {
        failing: true,
        signature: format!("body $.{long} changed"),
        ..testutil::signature("body $.total changed", 3)
    };
    sig.samples[0].request = Some(Request {
        method: "POST".into(),
        url: "/orders".into(),
        headers: vec![],
        body: Body::Text("y".repeat(64 * 1024)),
    });
    for i in 0..40 {
        report.routes.push(testutil::route(
            &format!("GET /r{i}/{long}"),
            Verdict::Fail,
            vec![sig.clone()],
        ));
    }
    for i in 0..100_000 {
        report.routes.push(testutil::route(
            &format!("GET /many/{i}"),
            Verdict::Pass,
            vec![],
        ));
    }
    report.reasons.push(long.repeat(100));
    let md = render(&report);
    assert!(md.len() <= MAX_MARKDOWN, "{} bytes", md.len());
    assert!(md.lines().all(|line| line.len() < 10_000), "a long line");
    let note = md.lines().last().expect("a last line");
    assert!(
        note.starts_with("**Left out** to keep report.md under 1 MiB"),
        "{note}"
    );
    assert!(
        note.contains(" routes") && note.contains("report.html"),
        "{note}"
    );
    // The verdict and the first routes are there.
    assert!(md.starts_with("## ❌ shadowdiff: FAIL"));
    assert!(md.contains("| `GET /orders/{id}` |"));
}

#[test]
fn a_report_that_fits_leaves_nothing_out() {
    let md = render(&testutil::report());
    assert!(!md.contains("Left out"), "{md}");
}

#[test]
fn running_text_cannot_open_markup() {
    assert_eq!(text("<script>|*x*"), "\\<script\\>\\|\\*x\\*");
    assert_eq!(text("&amp; ~~x~~"), "\\&amp; \\~\\~x\\~\\~");
}
