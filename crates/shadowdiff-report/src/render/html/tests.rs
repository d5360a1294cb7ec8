//! Whole-page checks: hostile recordings show as text, and the page is deterministic.

use serde_json::json;

use crate::{
    Counts, ErrorGroup, IgnoredRule, Latency, LatencyBin, LatencySummary, Report, RouteReport,
    Sample, SignatureReport, SnapshotStatus, TargetNames, Truncated, Verdict, SCHEMA,
};
use shadowdiff_core::{Body, Request};

use super::assets::SCRIPT_SHA256;
use super::render;

const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "<img src=x onerror=\"document.title='pwned2'\">";

fn hostile_report() -> Report {
    let sample = Sample {
        id: format!("r1{IMG}"),
        path: Some("$.note".into()),
        old: Some(json!(SCRIPT)),
        new: Some(json!({"x": IMG})),
        truncated: Truncated::default(),
        request: Some(Request {
            method: "POST".into(),
            url: format!("/orders?q={SCRIPT}"),
            headers: vec![("x-evil".into(), IMG.into())],
            body: Body::Text(SCRIPT.into()),
        }),
    };
    let signature = SignatureReport {
        signature: format!("body $['{IMG}'] changed"),
        target: "body".into(),
        path: Some(format!("$['{IMG}']")),
        kind: "changed".into(),
        count: 1,
        noise_count: 0,
        rate: 1.0,
        noise: false,
        accepted: false,
        accepted_rate: None,
        accepted_reason: None,
        failing: true,
        examples: vec![sample.id.clone()],
        samples: vec![sample],
        note: Some(SCRIPT.into()),
    };
    let counts = Counts {
        exchanges: 2,
        equal: 0,
        different: 1,
        noise_only: 0,
        errors: 1,
        skipped: 0,
        not_run: 0,
    };
    let rule = IgnoredRule {
        rule: format!("rules.toml:1: ignore {SCRIPT}"),
        exchanges: 1,
    };
    let timing = |count| LatencySummary {
        count,
        p50_ms: 1.0,
        p95_ms: 2.0,
        p99_ms: 3.0,
        max_ms: 4.0,
        bins: vec![LatencyBin { le_ms: 5.0, count }],
    };
    Report {
        schema: SCHEMA.into(),
        verdict: Verdict::Fail,
        reasons: vec![format!("`GET /{SCRIPT}` fails")],
        incomplete: false,
        missing_shards: vec![],
        notes: vec![],
        totals: counts,
        ignored: vec![rule.clone()],
        routes: vec![RouteReport {
            route: format!("GET /{SCRIPT}"),
            counts,
            signatures: vec![signature],
            error_kinds: vec![ErrorGroup {
                kind: "no_response".into(),
                count: 1,
                examples: vec![IMG.into()],
                message: SCRIPT.into(),
            }],
            skip_reasons: vec![],
            not_run_reasons: vec![],
            ignored: vec![rule],
            unaccepted: 1,
            verdict: Verdict::Fail,
            reasons: vec![IMG.into()],
            latency: Latency::default(),
        }],
        snapshot: Some(SnapshotStatus {
            path: format!("{IMG}.snap"),
            accepted: 0,
            pending: 1,
            pending_file: Some(format!("{SCRIPT}.snap.new")),
            stale: vec![],
        }),
        targets: TargetNames {
            old: Some(format!("http://old/{IMG}")),
            new: None,
        },
        latency: Latency {
            old: Some(timing(2)),
            new: Some(timing(1)),
            noise: None,
        },
    }
}

#[test]
fn recorded_markup_shows_as_text() {
    let html = render(&hostile_report());
    assert!(!html.contains("<script>document"), "a raw script tag");
    assert!(!html.contains("<img"), "a raw img tag");
    assert!(!html.contains("onerror=\""), "a raw event attribute");
    assert!(html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=&quot;document.title=&#39;pwned2&#39;&quot;&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(html.contains("<title>shadowdiff: FAIL</title>"));
}

#[test]
fn the_verdict_comes_first_and_the_policy_names_the_script() {
    let html = render(&hostile_report());
    assert!(html.contains(&format!("script-src 'sha256-{SCRIPT_SHA256}'")));
    let body = &html[html.find("<body>").expect("a body")..];
    let verdict = body.find("id=\"verdict\"").expect("the verdict");
    for later in [
        "id=\"totals\"",
        "id=\"snapshot\"",
        "id=\"routes\"",
        "id=\"latency\"",
    ] {
        assert!(
            body.find(later).expect(later) > verdict,
            "{later} before the verdict"
        );
    }
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    assert_eq!(render(&hostile_report()), render(&hostile_report()));
}

#[test]
fn offline_reports_have_no_latency_section() {
    let mut report = hostile_report();
    report.latency = Latency::default();
    assert!(!render(&report).contains("id=\"latency\""));
}
