//! junit.xml end to end: the real binary writes it next to report.json, and a JUnit reader sees
//! one suite for the gate and one per route, with the failing signatures as failures.

use crate::common::{exchange, lines, Project};

/// `(tests, failures)` of the suite `name`.
fn counts(doc: &roxmltree::Document<'_>, name: &str) -> (String, String) {
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(name))
        .unwrap_or_else(|| panic!("no suite {name}"));
    let attr = |a| suite.attribute(a).unwrap_or_default().to_string();
    (attr("tests"), attr("failures"))
}

/// The failure messages, in document order.
fn failure_messages<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<&'a str> {
    doc.descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.attribute("message"))
        .collect()
}

#[test]
fn junit_xml_has_a_suite_per_route_and_a_failure_per_failing_signature() {
    let p = Project::new();
    let order = |id: u32, total: f64, status: &str| {
        format!(r#"{{"id":{id},"total":{total},"status":"{status}"}}"#)
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 1..=4 {
        let url = format!("/orders/{i}");
        a.push(exchange(
            &format!("o{i}"),
            &url,
            200,
            &order(i, 10.0, "open"),
        ));
        let (total, status) = if i <= 2 {
            (12.5, "OPEN")
        } else {
            (10.0, "open")
        };
        b.push(exchange(
            &format!("o{i}"),
            &url,
            200,
            &order(i, total, status),
        ));
        let health = exchange(&format!("h{i}"), "/health", 200, r#"{"ok":true}"#);
        a.push(health.clone());
        b.push(health);
    }
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "report"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);

    let xml = p.read("report/junit.xml");
    let doc = roxmltree::Document::parse(&xml).expect("junit.xml is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("3"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites, ["gate", "GET /health", "GET /orders/{id}"]);
    assert_eq!(counts(&doc, "gate"), ("1".into(), "1".into()));
    assert_eq!(counts(&doc, "GET /health"), ("1".into(), "0".into()));
    assert_eq!(counts(&doc, "GET /orders/{id}"), ("2".into(), "2".into()));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| Some((n.attribute("classname")?, n.attribute("name")?)))
        .collect();
    assert_eq!(
        cases,
        [
            ("gate", "verdict"),
            ("GET /health", "no differences"),
            ("GET /orders/{id}", "body $.status changed"),
            ("GET /orders/{id}", "body $.total changed"),
        ]
    );
    assert_eq!(
        failure_messages(&doc),
        [
            "GET /orders/{id}: 2 of 4 compared exchanges (50.00%) differ in ways not accepted, \
             above the allowed 0.00%",
            "not accepted: in 2 of 4 exchanges (50.00%)",
            "not accepted: in 2 of 4 exchanges (50.00%)",
        ]
    );

    let run = p.run(&[
        "diff", "a.jsonl", "b.jsonl", "--out", "again", "--format", "junit",
    ]);
    assert_eq!(run.stdout, xml, "--format junit prints junit.xml");
}
