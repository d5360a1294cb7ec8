//! Reports for the unit tests of every stage: one route of each kind a renderer must show, and
//! the pieces to build others (a signature, a noise signature, a route, a report of routes).

use serde_json::json;

use crate::{
    Counts, ErrorGroup, LatencySummary, Report, RouteReport, Sample, SignatureReport, SkipGroup,
    SnapshotStatus, StaleSignature, Truncated, Verdict, SCHEMA,
};

/// A target's answer times over 10 answers: p50 1.23 ms, p95 4.0, p99 9.87, max 12.0.
pub(crate) fn latency() -> LatencySummary {
    LatencySummary {
        count: 10,
        p50_ms: 1.23,
        p95_ms: 4.0,
        p99_ms: 9.87,
        max_ms: 12.0,
        bins: vec![],
    }
}

/// A signature seen in `count` of 10 exchanges, neither noise nor accepted nor failing.
pub(crate) fn signature(text: &str, count: u64) -> SignatureReport {
    SignatureReport {
        signature: text.into(),
        target: "body".into(),
        path: Some("$.total".into()),
        kind: "changed".into(),
        count,
        noise_count: 0,
        rate: count as f64 / 10.0,
        noise: false,
        accepted: false,
        accepted_rate: None,
        accepted_reason: None,
        failing: false,
        examples: vec!["r1".into()],
        samples: vec![Sample {
            id: "r1".into(),
            path: Some("$.total".into()),
            old: Some(json!(10)),
            new: Some(json!(12.5)),
            truncated: Truncated::default(),
            request: None,
        }],
        note: None,
    }
}

/// A noise signature (`kind` at `path` of `target`) seen in all 10 exchanges, 9 times between
/// old's two answers as well.
pub(crate) fn noise(text: &str, target: &str, path: Option<&str>, kind: &str) -> SignatureReport {
    SignatureReport {
        target: target.into(),
        path: path.map(String::from),
        kind: kind.into(),
        noise: true,
        noise_count: 9,
        ..signature(text, 10)
    }
}

/// A passing report of these routes and nothing else.
pub(crate) fn report_of(routes: Vec<RouteReport>) -> Report {
    Report {
        schema: SCHEMA.into(),
        verdict: Verdict::Pass,
        reasons: vec![],
        incomplete: false,
        missing_shards: vec![],
        notes: vec![],
        totals: Counts::default(),
        ignored: vec![],
        routes,
        snapshot: None,
        targets: Default::default(),
        latency: Default::default(),
    }
}

/// A route of 10 exchanges with these signatures and no errors.
pub(crate) fn route(name: &str, verdict: Verdict, signatures: Vec<SignatureReport>) -> RouteReport {
    let different = signatures.iter().map(|s| s.count).max().unwrap_or(0);
    RouteReport {
        route: name.into(),
        counts: Counts {
            exchanges: 10,
            equal: 10 - different,
            different,
            ..Counts::default()
        },
        unaccepted: signatures
            .iter()
            .filter(|s| s.failing)
            .map(|s| s.count)
            .max()
            .unwrap_or(0),
        signatures,
        error_kinds: vec![],
        skip_reasons: vec![],
        not_run_reasons: vec![],
        ignored: vec![],
        verdict,
        reasons: vec![format!("{name} reason")],
        latency: Default::default(),
    }
}

/// Two errors of kind `no_response` on `route`, which then counts 8 equal exchanges.
pub(crate) fn with_errors(mut route: RouteReport) -> RouteReport {
    route.counts.errors = 2;
    route.counts.equal -= 2;
    route.error_kinds = vec![ErrorGroup {
        kind: "no_response".into(),
        count: 2,
        examples: vec!["r7".into(), "r8".into()],
        message: "new: connection refused".into(),
    }];
    route
}

/// [`report`] cut short: 4 exchanges of `GET /users` were not run as a target went down.
pub(crate) fn cut_short() -> Report {
    let mut report = report();
    let reason = "target new failed 20 times in a row";
    let users = &mut report.routes[2];
    users.counts.equal -= 4;
    users.counts.not_run = 4;
    users.not_run_reasons = vec![SkipGroup {
        reason: reason.into(),
        count: 4,
        examples: vec!["r21".into(), "r22".into()],
    }];
    report.totals.equal -= 4;
    report.totals.not_run = 4;
    report.incomplete = true;
    report
        .reasons
        .insert(0, format!("the run is incomplete: {reason}"));
    report
}

/// A failing report: one route with a failing, an accepted, an above-its-accepted-rate and a
/// noise signature; one route that fails by its errors; one equal route; a snapshot with
/// pending changes and a stale entry.
pub(crate) fn report() -> Report {
    let failing = SignatureReport {
        failing: true,
        ..signature("body $.total changed", 3)
    };
    let accepted = SignatureReport {
        accepted: true,
        accepted_rate: Some(0.5),
        accepted_reason: Some("rounding".into()),
        ..signature("body $.tax changed", 2)
    };
    let above = SignatureReport {
        failing: true,
        accepted_rate: Some(0.1),
        ..signature("body $.fee changed", 2)
    };
    let noise = SignatureReport {
        noise: true,
        noise_count: 4,
        ..signature("header date changed", 4)
    };
    let routes = vec![
        route(
            "GET /orders/{id}",
            Verdict::Fail,
            vec![above, accepted, failing, noise],
        ),
        with_errors(route("GET /health", Verdict::Fail, vec![])),
        route("GET /users", Verdict::Pass, vec![]),
    ];
    let mut totals = Counts::default();
    for route in &routes {
        totals.add(&route.counts);
    }
    Report {
        schema: SCHEMA.into(),
        verdict: Verdict::Fail,
        reasons: vec![
            "GET /orders/{id}: 3 of 10 differ".into(),
            "GET /health: 2 of 10 ended in error".into(),
        ],
        incomplete: false,
        missing_shards: vec![],
        notes: vec![],
        totals,
        ignored: vec![],
        routes,
        snapshot: Some(SnapshotStatus {
            path: "shadowdiff.snap".into(),
            accepted: 2,
            pending: 2,
            pending_file: Some("shadowdiff.snap.new".into()),
            stale: vec![StaleSignature {
                route: "GET /gone".into(),
                signature: "status changed".into(),
            }],
        }),
        targets: Default::default(),
        latency: Default::default(),
    }
}
