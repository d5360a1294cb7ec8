//! Stateful replay, captures: a service that numbers what it creates in its own way gets, in
//! each later request, the id it chose itself (in the path, the query, the JSON body and a
//! header), never the recorded one; its answers compare equal to the other side's although the
//! ids differ; a capture one side failed makes the exchanges needing it error outcomes that reach
//! no target; and the run's map of captures is in the report folder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::servers::{json, Action, TestRequest, TestServer};
use crate::common::{behaviour, lines, outcome_lines_in, report_in, totals, Project};

/// Sessions that create an order, add a line to it and read it.
const GOOD: usize = 6;

/// An orders service choosing its own ids: ten times the session's number (`old`, so that what
/// it answers never depends on timing) or `n-1`, `n-2`, ... in order of arrival (`new`).
/// A line added must name the order in the path, the query, the body and `x-order` alike, or
/// it is refused with 400, as is any request naming an order it never created (404). `new`
/// refuses an order whose body says `"reject": true` (422).
struct OrdersService {
    server: TestServer,
}

impl OrdersService {
    fn start(numbered: bool) -> OrdersService {
        let orders: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let next = Arc::new(Mutex::new(0usize));
        let server = TestServer::start(move |request| {
            let path = request.path.split('?').next().unwrap_or_default();
            let segments: Vec<&str> = path.split('/').skip(1).collect();
            match (request.method.as_str(), segments.as_slice()) {
                ("POST", ["orders"]) => {
                    if !numbered && request.body_text().contains(r#""reject":true"#) {
                        return json(422, r#"{"error":"rejected"}"#);
                    }
                    let mut next = next.lock().unwrap();
                    *next += 1;
                    let id = if numbered {
                        let session = request.header("x-session").unwrap_or_default();
                        let n: usize = session.trim_start_matches('s').parse().unwrap_or(0);
                        (10 * n).to_string()
                    } else {
                        format!("\"n-{next}\"")
                    };
                    orders.lock().unwrap().insert(unquoted(&id), 0);
                    created(&id)
                }
                ("POST", ["orders", id, "lines"]) => {
                    let named = [
                        query_value(request, "order"),
                        request.header("x-order").map(str::to_string),
                        body_order(request),
                    ];
                    if named.iter().any(|n| n.as_deref() != Some(*id)) {
                        return json(400, &format!(r#"{{"error":"order {id} vs {named:?}"}}"#));
                    }
                    match orders.lock().unwrap().get_mut(*id) {
                        Some(lines) => {
                            *lines += 1;
                            json(200, &format!(r#"{{"lines":{lines}}}"#))
                        }
                        None => json(404, r#"{"error":"no such order"}"#),
                    }
                }
                ("GET", ["orders", id]) => match orders.lock().unwrap().get(*id) {
                    Some(lines) => {
                        let shown = if numbered {
                            id.to_string()
                        } else {
                            format!("\"{id}\"")
                        };
                        json(200, &format!(r#"{{"id":{shown},"lines":{lines},"qty":1}}"#))
                    }
                    None => json(404, r#"{"error":"no such order"}"#),
                },
                _ => json(404, "{}"),
            }
        });
        OrdersService { server }
    }
}

/// A 201 for order `id` (JSON text: a number or a quoted string), with its location.
fn created(id: &str) -> Action {
    Action::Respond {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("location".into(), format!("/orders/{}", unquoted(id))),
        ],
        body: format!(r#"{{"id":{id},"qty":1}}"#).into_bytes(),
    }
}

fn unquoted(id: &str) -> String {
    id.trim_matches('"').to_string()
}

fn query_value(request: &TestRequest, name: &str) -> Option<String> {
    let query = request.path.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_string))
}

fn body_order(request: &TestRequest) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&request.body).ok()?;
    match &body["order"] {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// One recorded exchange of session `s`.
fn exchange(id: &str, s: usize, method: &str, url: &str, body: &str, answer: &str) -> String {
    let mut headers = vec![
        serde_json::json!(["x-session", format!("s{s}")]),
        serde_json::json!(["content-type", "application/json"]),
    ];
    if url.contains("/lines") {
        headers.push(serde_json::json!(["x-order", format!("{}", 1000 + s)]));
    }
    serde_json::json!({
        "id": id,
        "request": {"method": method, "url": url, "headers": headers, "body": {"text": body}},
        "response": {"status": 200, "headers": [], "body": {"text": answer}},
    })
    .to_string()
}

/// Production numbered the orders 1001, 1002, ...: every session creates its order, then every
/// session adds a line, then every session reads its order, interleaved in the file. The last
/// session's order is one that new rejects.
fn recording(p: &Project) {
    let sessions = GOOD + 1;
    let mut out = Vec::new();
    for s in 1..=sessions {
        let body = if s == sessions {
            r#"{"reject":true}"#
        } else {
            "{}"
        };
        let answer = format!(r#"{{"id":{},"qty":1}}"#, 1000 + s);
        out.push(exchange(
            &format!("s{s}-create"),
            s,
            "POST",
            "/orders",
            body,
            &answer,
        ));
    }
    for s in 1..=sessions {
        let order = 1000 + s;
        out.push(exchange(
            &format!("s{s}-line"),
            s,
            "POST",
            &format!("/orders/{order}/lines?order={order}"),
            &format!(r#"{{"order":{order}}}"#),
            r#"{"lines":1}"#,
        ));
    }
    for s in 1..=sessions {
        let order = 1000 + s;
        out.push(exchange(
            &format!("s{s}-read"),
            s,
            "GET",
            &format!("/orders/{order}"),
            "",
            &format!(r#"{{"id":{order},"lines":1,"qty":1}}"#),
        ));
    }
    p.file("rec.jsonl", lines(&out));
    p.file(
        "rules.toml",
        r#"
[[route]]
match = "POST /orders"
allow = ["POST"]
capture = ["$.id"]

[[route]]
match = "POST /orders/{id}/lines"
allow = ["POST"]
"#,
    );
}

#[test]
fn captured_ids_reach_each_side_as_its_own_and_compare_as_the_recorded_ones() {
    let p = Project::new();
    recording(&p);
    let mut reports = Vec::new();
    for (concurrency, out) in [("64", "c64"), ("1", "c1")] {
        let (old, new) = (OrdersService::start(true), OrdersService::start(false));
        let done = p.run(&[
            "run",
            "rec.jsonl",
            "--old",
            &old.server.url(),
            "--new",
            &new.server.url(),
            "--rules",
            "rules.toml",
            "--session",
            "header:x-session",
            "--concurrency",
            concurrency,
            "--out",
            out,
            "-q",
        ]);
        assert_eq!(done.code, 1, "the rejected order differs: {}", done.stderr);
        // Old's ids are its own: no request carried a recorded id to it, nor to new.
        for (side, server) in [("old", &old.server), ("new", &new.server)] {
            let sent: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
            assert!(
                sent.iter().all(|path| !path.contains("100")),
                "{side} was sent a recorded id: {sent:?}"
            );
        }
        assert_eq!(
            old.server.hits(),
            3 * GOOD + 1,
            "the rejected session's create only"
        );
        assert_eq!(new.server.hits(), 3 * GOOD + 1);
        let report = report_in(&p, out);
        // Each good session: create, line, read equal; the rejected one: the create differs
        // (201 and 422), its line and its read are errors naming the capture.
        let sessions = (GOOD + 1) as u64;
        assert_eq!(
            totals(&report),
            (3 * sessions, 3 * GOOD as u64, 1, 0, 2, 0),
            "{report:#}"
        );
        let outcomes = outcome_lines_in(&p, out);
        let refused: Vec<&serde_json::Value> = outcomes
            .iter()
            .filter(|line| line["outcome"] == "error")
            .collect();
        assert_eq!(refused.len(), 2);
        for line in refused {
            let error = line["reason"].to_string();
            assert!(line["id"]
                .as_str()
                .unwrap()
                .starts_with(&format!("s{sessions}-")));
            assert!(
                error.contains(&format!(
                    "needs the value captured at $.id of s{sessions}-create (POST /orders), \
                     which new answered with status 422"
                )),
                "{error}"
            );
        }
        let captures: Vec<serde_json::Value> = p
            .read(&format!("{out}/captures.jsonl"))
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(captures.len(), GOOD + 1, "one per create, in input order");
        for (i, capture) in captures.iter().enumerate() {
            assert_eq!(capture["id"], format!("s{}-create", i + 1));
            assert_eq!(capture["capture"], "$.id");
            assert_eq!(capture["recorded"], 1001 + i);
        }
        let mut old_ids: Vec<u64> = captures[..GOOD]
            .iter()
            .map(|c| c["old"].as_u64().expect("old numbers its orders"))
            .collect();
        old_ids.sort_unstable();
        assert_eq!(
            old_ids,
            (1..=GOOD as u64).map(|s| 10 * s).collect::<Vec<_>>()
        );
        assert!(captures[..GOOD]
            .iter()
            .all(|c| c["new"].as_str().is_some_and(|id| id.starts_with("n-"))));
        assert_eq!(captures[GOOD]["error"], "new answered with status 422");
        reports.push(p.read(&format!("{out}/report.json")));
    }
    // The same report at -c 1 and -c 64, timings and the targets' addresses aside.
    let without_targets = |text: &str| {
        let mut report: serde_json::Value = serde_json::from_str(&behaviour(text)).unwrap();
        report.as_object_mut().unwrap().remove("targets");
        report
    };
    assert_eq!(without_targets(&reports[0]), without_targets(&reports[1]));
}

#[test]
fn a_run_scope_carries_captures_without_sessions_and_a_session_scope_without_one_uses_none() {
    let p = Project::new();
    recording(&p);
    let (old, new) = (OrdersService::start(true), OrdersService::start(false));
    let args = |old: &OrdersService, new: &OrdersService, extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            "rec.jsonl".into(),
            "--old".into(),
            old.server.url(),
            "--new".into(),
            new.server.url(),
            "--rules".into(),
            "rules.toml".into(),
            "-q".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    // No session: one exchange at a time keeps the order, and the captures carry over.
    let scoped = args(
        &old,
        &new,
        &[
            "--capture-scope",
            "run",
            "--concurrency",
            "1",
            "--out",
            "run",
        ],
    );
    let done = p.run(&scoped.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(done.code, 1, "{}", done.stderr);
    let sessions = (GOOD + 1) as u64;
    assert_eq!(
        totals(&report_in(&p, "run")),
        (3 * sessions, 3 * GOOD as u64, 1, 0, 2, 0)
    );
    let (old, new) = (OrdersService::start(true), OrdersService::start(false));
    let unscoped = args(&old, &new, &["--out", "none"]);
    let done = p.run(&unscoped.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        done.stderr
            .contains("the rules capture values but no --session is set"),
        "{}",
        done.stderr
    );
    // Without a session, recorded ids are sent as they are, and the services know none.
    let report = report_in(&p, "none");
    assert!(crate::common::count(&report, "equal") < 3 * GOOD as u64);
}

#[test]
fn a_bad_capture_scope_is_bad_usage_naming_it() {
    let p = Project::new();
    recording(&p);
    let done = p.run(&[
        "run",
        "rec.jsonl",
        "--old",
        "recorded",
        "--new",
        "recorded",
        "--capture-scope",
        "everywhere",
    ]);
    assert_eq!(done.code, 2);
    assert!(
        done.stderr.contains("not a capture scope"),
        "{}",
        done.stderr
    );
}
