//! `junit.xml`: the report as JUnit test results, for the test views of CI systems. The suite
//! `gate` comes first, so its failure (the run's reasons) is what CI shows first; then one suite
//! per route, with one test case per signature: failing signatures fail, noise and accepted ones
//! pass and say so.

use crate::unit::Unit;
use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::document::percent;
use crate::{Report, RouteReport, Side, SignatureReport, Verdict};

/// The report as JUnit XML, without timestamps or durations: the same report gives the same file.
pub fn render(report: &Report) -> String {
    let mut junit = Junit::new("shadowdiff");
    junit.add_test_suite(gate(report));
    junit.add_test_suites(report.routes.iter().map(route));
    junit
        .to_string()
        .expect("a report always serializes to XML in memory")
}

/// The suite `gate`: one test case `verdict` that fails with the run's first reason as its
/// message and every reason in its description.
fn gate(report: &Report) -> TestSuite {
    let mut suite = TestSuite::new("gate");
    let case = match report.verdict {
        Verdict::Pass => passing("verdict", "gate", &report.reasons.join("\n")),
        Verdict::Fail => failing(
            "verdict",
            "gate",
            report.reasons.first().map_or("fail", String::as_str),
            &report.reasons.join("\n"),
        ),
    };
    suite.add_test_case(case);
    suite
}

/// One route's suite: its signatures, its errors, or "no differences".
fn route(route: &RouteReport) -> TestSuite {
    let mut suite = TestSuite::new(clean(&route.route));
    suite.add_test_cases(route.signatures.iter().map(|sig| signature(route, sig)));
    if !route.error_kinds.is_empty() {
        suite.add_test_case(errors(route));
    }
    if !route.not_run_reasons.is_empty() {
        suite.add_test_case(not_run(route));
    }
    if route.signatures.is_empty() && route.verdict == Verdict::Pass {
        suite.add_test_case(passing(
            "no differences",
            &route.route,
            &route.reasons.join("\n"),
        ));
    }
    suite
}

/// One signature: a failure when it fails the gate, a pass saying why otherwise.
fn signature(route: &RouteReport, sig: &SignatureReport) -> TestCase {
    let seen = format!(
        "in {} of {} {} ({})",
        sig.count,
        route.counts.exchanges,
        Unit::of_route(&route.route).plural(),
        percent(sig.rate)
    );
    if sig.failing {
        let message = match sig.accepted_rate {
            Some(max) => format!("{seen}, above the accepted {}", percent(max)),
            None => format!("not accepted: {seen}"),
        };
        let sample = sig.samples.first().map(|sample| {
            format!(
                "e.g. {} at {}: {} → {}",
                sample.id,
                sample.path.as_deref().unwrap_or("status"),
                sample.shown(Side::Old).text(),
                sample.shown(Side::New).text()
            )
        });
        let description: Vec<String> = sample.into_iter().chain(sig.note.clone()).collect();
        return failing(
            &sig.signature,
            &route.route,
            &message,
            &description.join("\n"),
        );
    }
    let why = if sig.noise {
        format!(
            "noise: old disagrees with itself about as often (old vs old: {})",
            sig.noise_count
        )
    } else if sig.accepted {
        let limit = sig
            .accepted_rate
            .map(|max| format!(" up to {}", percent(max)))
            .unwrap_or_default();
        let reason = sig
            .accepted_reason
            .as_deref()
            .map(|reason| format!(": {reason}"))
            .unwrap_or_default();
        format!("accepted by the snapshot{limit}{reason}")
    } else {
        "within the route's limits".to_string()
    };
    passing(&sig.signature, &route.route, &format!("{seen}; {why}"))
}

/// The test case "errors": fails when the route fails and has errors.
fn errors(route: &RouteReport) -> TestCase {
    let kinds: Vec<String> = route
        .error_kinds
        .iter()
        .map(|e| format!("{} ({})", e.kind, e.count))
        .collect();
    let message = format!(
        "{} {} ended in error: {}",
        route.counts.errors,
        Unit::of_route(&route.route).plural(),
        kinds.join(", ")
    );
    let details: Vec<String> = route
        .error_kinds
        .iter()
        .map(|e| format!("{}: {}  e.g. {}", e.kind, e.message, e.examples.join(", ")))
        .collect();
    match route.verdict {
        Verdict::Fail => failing("errors", &route.route, &message, &details.join("\n")),
        Verdict::Pass => passing(
            "errors",
            &route.route,
            &format!("{message}\n{}", details.join("\n")),
        ),
    }
}

/// The test case "not run", skipped: the route's exchanges the run stopped before, by reason.
fn not_run(route: &RouteReport) -> TestCase {
    let reasons: Vec<String> = route
        .not_run_reasons
        .iter()
        .map(|group| format!("{} ({})", group.reason, group.count))
        .collect();
    let mut status = TestCaseStatus::skipped();
    status.set_message(clean(&format!(
        "{} {} not run: {}",
        route.counts.not_run,
        Unit::of_route(&route.route).plural(),
        reasons.join(", ")
    )));
    let mut case = TestCase::new("not run", status);
    case.set_classname(clean(&route.route));
    case
}

/// A passing test case whose standard output says why it passes.
fn passing(name: &str, classname: &str, out: &str) -> TestCase {
    let mut case = TestCase::new(clean(name), TestCaseStatus::success());
    case.set_classname(clean(classname));
    if !out.is_empty() {
        case.set_system_out(clean(out));
    }
    case
}

/// A failing test case with its message and, when there is one, a longer description.
fn failing(name: &str, classname: &str, message: &str, description: &str) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(clean(message));
    if !description.is_empty() {
        status.set_description(clean(description));
    }
    let mut case = TestCase::new(clean(name), status);
    case.set_classname(clean(classname));
    case
}

/// Text with the characters XML cannot hold, and control characters, written as `\u{..}`:
/// quick-junit would drop them (and the ANSI sequences they start) silently.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, route, signature};

    /// The `(name, tests, failures)` of every suite.
    fn suites(xml: &str) -> Vec<(String, String, String)> {
        let doc = roxmltree::Document::parse(xml).expect("valid XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| {
                let attr = |name| n.attribute(name).unwrap_or_default().to_string();
                (attr("name"), attr("tests"), attr("failures"))
            })
            .collect()
    }

    fn case<'a>(doc: &'a roxmltree::Document<'a>, name: &str) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no test case {name}"))
    }

    fn child_text<'a>(node: roxmltree::Node<'a, 'a>, tag: &str) -> Option<&'a str> {
        node.children()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.text())
    }

    #[test]
    fn gate_first_then_a_suite_per_route_with_a_case_per_signature() {
        let xml = render(&testutil::report());
        let suites = suites(&xml);
        let expect = |name: &str, tests: &str, failures: &str| {
            (name.to_string(), tests.to_string(), failures.to_string())
        };
        assert_eq!(
            suites,
            vec![
                expect("gate", "1", "1"),
                expect("GET /orders/{id}", "4", "2"),
                expect("GET /health", "1", "1"),
                expect("GET /users", "1", "0"),
            ]
        );
        assert!(
            !xml.contains("timestamp") && !xml.contains("time="),
            "{xml}"
        );
    }

    #[test]
    fn failures_say_why_and_passes_say_so() {
        let xml = render(&testutil::report());
        let doc = roxmltree::Document::parse(&xml).expect("valid XML");
        let failure = |name: &str| {
            case(&doc, name)
                .children()
                .find(|n| n.has_tag_name("failure"))
                .unwrap_or_else(|| panic!("{name} does not fail"))
        };
        let verdict = failure("verdict");
        assert_eq!(
            verdict.attribute("message"),
            Some("GET /orders/{id}: 3 of 10 differ")
        );
        assert!(verdict.text().unwrap_or_default().contains("GET /health"));
        let total = failure("body $.total changed");
        assert_eq!(
            total.attribute("message"),
            Some("not accepted: in 3 of 10 exchanges (30.00%)")
        );
        assert_eq!(total.text(), Some("e.g. r1 at $.total: 10 → 12.5"));
        assert_eq!(
            failure("body $.fee changed").attribute("message"),
            Some("in 2 of 10 exchanges (20.00%), above the accepted 10.00%")
        );
        assert_eq!(
            failure("errors").attribute("message"),
            Some("2 exchanges ended in error: no_response (2)")
        );
        let out = |name: &str| child_text(case(&doc, name), "system-out").unwrap_or_default();
        assert!(
            out("body $.tax changed").contains("accepted by the snapshot up to 50.00%: rounding"),
            "{xml}"
        );
        assert!(out("header date changed").starts_with("in 4 of 10 exchanges (40.00%); noise"));
        assert_eq!(out("no differences"), "GET /users reason");
        assert_eq!(
            case(&doc, "no differences").attribute("classname"),
            Some("GET /users")
        );
    }

    #[test]
    fn a_passing_route_with_errors_and_an_unjudged_difference_passes() {
        let mut report = testutil::report();
        report.verdict = Verdict::Pass;
        report.routes = vec![testutil::with_errors(route(
            "GET /a",
            Verdict::Pass,
            vec![signature("status changed", 1)],
        ))];
        let xml = render(&report);
        assert_eq!(suites(&xml)[1], ("GET /a".into(), "2".into(), "0".into()));
        let doc = roxmltree::Document::parse(&xml).expect("valid XML");
        assert_eq!(
            child_text(case(&doc, "status changed"), "system-out"),
            Some("in 1 of 10 exchanges (10.00%); within the route's limits")
        );
        let errors = child_text(case(&doc, "errors"), "system-out").unwrap_or_default();
        assert!(
            errors.starts_with("2 exchanges ended in error: no_response (2)\nno_response: "),
            "{errors}"
        );
    }

    #[test]
    fn markup_and_control_characters_still_give_valid_xml() {
        let path = "$['<a href=\"x\">&\u{1}\u{1b}[31m\u{ffff}']";
        let mut sig = signature(&format!("body {path} changed"), 1);
        sig.failing = true;
        sig.samples[0].path = Some(path.into());
        sig.samples[0].new = Some(serde_json::json!("</failure>]]>"));
        let mut report = testutil::report();
        report.routes = vec![route("GET /<x>&\"y\"", Verdict::Fail, vec![sig])];
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).expect("valid XML");
        let name = "body $['<a href=\"x\">&\\u{1}\\u{1b}[31m\\u{ffff}'] changed";
        let failure = case(&doc, name)
            .children()
            .find(|n| n.has_tag_name("failure"))
            .expect("a failure");
        assert_eq!(
            failure.text(),
            Some(
                "e.g. r1 at $['<a href=\"x\">&\\u{1}\\u{1b}[31m\\u{ffff}']: 10 → \"</failure>]]>\""
            )
        );
        assert_eq!(suites(&xml)[1].0, "GET /<x>&\"y\"");
    }
}
