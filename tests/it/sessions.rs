//! Stateful replay, sessions: with `--session`, the exchanges of one session reach the targets
//! one after another in recorded order, even at `--concurrency 64` with the sessions interleaved
//! in the file; without it, writes race, and `run` says so. A service that checks the order
//! itself is the judge.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::servers::{json, TestServer};
use crate::common::{assert_bad, behaviour, count, lines, report_in, totals, Project};

/// Sessions in the recording, and steps in each.
const SESSIONS: usize = 8;
const STEPS: usize = 5;

/// A service whose sessions must be driven step by step: `POST /steps/N` with `x-session: S`
/// (or the session in a cookie, the query or the body, as the test sends it) is answered 409
/// unless step N-1 of S was answered before it arrived. Step 1 takes 50 ms, so a step 2 sent
/// beside it always finds it unanswered.
struct OrderedService {
    server: TestServer,
    conflicts: Arc<AtomicUsize>,
}

impl OrderedService {
    fn start(session_of: fn(&crate::common::servers::TestRequest) -> String) -> OrderedService {
        let answered: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let conflicts = Arc::new(AtomicUsize::new(0));
        let seen = conflicts.clone();
        let server = TestServer::start(move |request| {
            let session = session_of(request);
            let step: usize = request.id().parse().expect("a step number");
            let last = answered.lock().unwrap().get(&session).copied().unwrap_or(0);
            if step != last + 1 {
                seen.fetch_add(1, Ordering::SeqCst);
                return json(409, &format!(r#"{{"error":"step {step} after {last}"}}"#));
            }
            std::thread::sleep(Duration::from_millis(if step == 1 { 50 } else { 2 }));
            answered.lock().unwrap().insert(session.clone(), step);
            json(200, &format!(r#"{{"session":"{session}","step":{step}}}"#))
        });
        OrderedService { server, conflicts }
    }

    fn conflicts(&self) -> usize {
        self.conflicts.load(Ordering::SeqCst)
    }
}

fn header_session(request: &crate::common::servers::TestRequest) -> String {
    request.header("x-session").unwrap_or_default().to_string()
}

/// The recording: every session's step 1, then every session's step 2, ...; each a POST with
/// the session in a header, a cookie, the query and the body.
fn recording(p: &Project) {
    let mut out = Vec::new();
    for step in 1..=STEPS {
        for session in 1..=SESSIONS {
            out.push(
                serde_json::json!({
                    "id": format!("s{session}-{step}"),
                    "request": {
                        "method": "POST",
                        "url": format!("/steps/{step}?cart=c{session}"),
                        "headers": [
                            ["content-type", "application/json"],
                            ["x-session", format!("c{session}")],
                            ["cookie", format!("theme=dark; sid=c{session}")],
                        ],
                        "body": {"text": format!(r#"{{"cart":{{"id":"c{session}"}}}}"#)},
                    },
                    "response": {"status": 200, "headers": [], "body": {"text": "{}"}},
                })
                .to_string(),
            );
        }
    }
    p.file("rec.jsonl", lines(&out));
}

fn run(p: &Project, old: &str, new: &str, extra: &[&str]) -> crate::common::Run {
    let args = [
        &[
            "run",
            "rec.jsonl",
            "--old",
            old,
            "--new",
            new,
            "--allow-method",
            "POST",
            "-q",
        ][..],
        extra,
    ]
    .concat();
    p.run(&args)
}

#[test]
fn sessions_replay_in_order_at_any_concurrency_and_give_the_same_report() {
    let p = Project::new();
    recording(&p);
    for (concurrency, threads, out) in [("64", "2", "c64"), ("1", "1", "c1")] {
        let (old, new) = (
            OrderedService::start(header_session),
            OrderedService::start(header_session),
        );
        let done = run(
            &p,
            &old.server.url(),
            &new.server.url(),
            &[
                "--session",
                "header:x-session",
                "--concurrency",
                concurrency,
                "--threads",
                threads,
                "--out",
                out,
            ],
        );
        assert_eq!(done.code, 0, "{}", done.stderr);
        assert!(!done.stderr.contains("order of writes"), "{}", done.stderr);
        assert_eq!(
            (old.conflicts(), new.conflicts()),
            (0, 0),
            "-c {concurrency}"
        );
        assert_eq!(old.server.hits(), SESSIONS * STEPS);
        let report = report_in(&p, out);
        assert_eq!(totals(&report), (40, 40, 0, 0, 0, 0));
    }
    // Timings aside, and the targets' addresses (each run had servers of its own).
    let without_targets = |dir: &str| {
        let mut report: serde_json::Value =
            serde_json::from_str(&behaviour(&p.read(&format!("{dir}/report.json")))).unwrap();
        report.as_object_mut().unwrap().remove("targets");
        report
    };
    assert_eq!(without_targets("c1"), without_targets("c64"));
}

#[test]
fn without_a_session_writes_race_and_run_says_so() {
    let p = Project::new();
    recording(&p);
    let (old, new) = (
        OrderedService::start(header_session),
        OrderedService::start(header_session),
    );
    let raced = run(
        &p,
        &old.server.url(),
        &new.server.url(),
        &["--concurrency", "64"],
    );
    assert!(
        raced.stderr.contains("no --session is set")
            && raced
                .stderr
                .contains("order of writes across exchanges is not kept"),
        "{}",
        raced.stderr
    );
    assert!(
        old.conflicts() > 0,
        "the control: unordered writes do reach the service out of order"
    );
    let report = report_in(&p, "shadowdiff-report");
    totals(&report);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("order of writes across exchanges is not kept"),
        "the report says it too: {notes}"
    );
    for file in ["report.md", "report.html"] {
        let text = p.read(&format!("shadowdiff-report/{file}"));
        assert!(
            text.contains("Note:") && text.contains("no --session is set"),
            "{file}"
        );
    }
}

#[test]
fn a_session_may_be_a_cookie_a_query_parameter_a_path_parameter_or_a_body_field() {
    let p = Project::new();
    recording(&p);
    p.file(
        "rules.toml",
        "[[route]]\nmatch = \"POST /steps/{step}\"\nallow = [\"POST\"]\n",
    );
    for spec in ["cookie:sid", "query:cart", "body:$.cart.id"] {
        let (old, new) = (
            OrderedService::start(header_session),
            OrderedService::start(header_session),
        );
        let done = run(
            &p,
            &old.server.url(),
            &new.server.url(),
            &["--session", spec, "--concurrency", "64"],
        );
        assert_eq!(done.code, 0, "{spec}: {}", done.stderr);
        assert_eq!((old.conflicts(), new.conflicts()), (0, 0), "{spec}");
        assert_eq!(
            count(&report_in(&p, "shadowdiff-report"), "equal"),
            40,
            "{spec}"
        );
    }
    // `path:{step}` names a different session per step: the steps of one cart race again.
    let (old, new) = (
        OrderedService::start(header_session),
        OrderedService::start(header_session),
    );
    let raced = run(
        &p,
        &old.server.url(),
        &new.server.url(),
        &[
            "--session",
            "path:{step}",
            "--rules",
            "rules.toml",
            "--concurrency",
            "64",
        ],
    );
    assert!(old.conflicts() > 0, "{}", raced.stderr);

    // shadowdiff.toml's `session`, and a bad one named with its line.
    let (old, new) = (
        OrderedService::start(header_session),
        OrderedService::start(header_session),
    );
    p.file(
        "shadowdiff.toml",
        "concurrency = 64\nsession = \"header:x-session\"\n",
    );
    let done = run(&p, &old.server.url(), &new.server.url(), &[]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(old.conflicts(), 0);
    p.file(
        "shadowdiff.toml",
        "concurrency = 64\nsession = \"form:x\"\n",
    );
    let bad = run(&p, &old.server.url(), &new.server.url(), &[]);
    assert_bad(
        &bad,
        &["shadowdiff.toml:2", "session", "unknown kind `form`"],
    );
    let bad_flag = run(
        &p,
        &old.server.url(),
        &new.server.url(),
        &["--session", "path:id"],
    );
    assert_bad(&bad_flag, &["--session", "path:{id}"]);
}

#[test]
fn writes_against_a_target_off_loopback_and_private_networks_need_allow_remote_writes() {
    let p = Project::new();
    recording(&p);
    let local = OrderedService::start(header_session);
    let refused = run(&p, "https://orders.example.com", &local.server.url(), &[]);
    assert_bad(
        &refused,
        &[
            "old target is at orders.example.com",
            "--allow-remote-writes",
        ],
    );
    assert_eq!(local.server.hits(), 0, "refused before anything is sent");
    p.file(
        "rules.toml",
        "[[route]]\nmatch = \"POST /steps/{step}\"\nallow = [\"POST\"]\n",
    );
    let by_rule = p.run(&[
        "run",
        "rec.jsonl",
        "--old",
        &local.server.url(),
        "--new",
        "http://203.0.113.7:9",
        "--rules",
        "rules.toml",
    ]);
    assert_bad(&by_rule, &["new target is at 203.0.113.7"]);
    // Allowed, the run goes on to the target (what answers there depends on the network, so
    // only the refusal is checked).
    let allowed = run(
        &p,
        "http://203.0.113.7:9",
        &local.server.url(),
        &[
            "--allow-remote-writes",
            "--timeout",
            "300ms",
            "--retries",
            "0",
            "--session",
            "header:x-session",
        ],
    );
    assert_ne!(allowed.code, 2, "{}", allowed.stderr);
    assert!(
        !allowed.stderr.contains("neither loopback"),
        "{}",
        allowed.stderr
    );
    // Reads alone may go anywhere.
    let reads = p.run(&[
        "run",
        "rec.jsonl",
        "--old",
        "http://203.0.113.7:9",
        "--new",
        &local.server.url(),
        "--timeout",
        "300ms",
        "--retries",
        "0",
        "-q",
    ]);
    assert_ne!(reads.code, 2, "{}", reads.stderr);
    assert!(
        !reads.stderr.contains("neither loopback"),
        "{}",
        reads.stderr
    );
    assert_eq!(count(&report_in(&p, "shadowdiff-report"), "skipped"), 40);
}

#[test]
fn reset_puts_each_target_in_its_starting_state_in_a_fresh_data_folder() {
    let p = Project::new();
    p.file(
        "rec.jsonl",
        lines(&[crate::common::exchange(
            "o1",
            "/orders/1",
            200,
            r#"{"total":1}"#,
        )]),
    );
    // Each target serves the files of its own data folder, which its reset seeds.
    let target = |total: u32| {
        format!(
            "start = \"python3 -m http.server {{port}} --bind 127.0.0.1 --directory {{data}}\"\n\
             ready = \"/\"\nready_timeout = 30\n\
             reset = '''mkdir -p {{data}}/orders && printf '{{\"total\":{total}}}' > {{data}}/orders/1'''\n"
        )
    };
    p.file(
        "shadowdiff.toml",
        format!("[targets.old]\n{}[targets.new]\n{}", target(1), target(2)),
    );
    p.file("shadowdiff-report/data/old/stale", "from an earlier run");
    let run = p.run(&["run", "rec.jsonl", "-q"]);
    assert_eq!(
        run.code, 1,
        "old and new were seeded differently: {}",
        run.stderr
    );
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(count(&report, "different"), 1, "{report}");
    assert_eq!(
        p.read("shadowdiff-report/data/old/orders/1"),
        r#"{"total":1}"#
    );
    assert_eq!(
        p.read("shadowdiff-report/data/new/orders/1"),
        r#"{"total":2}"#
    );
    assert!(
        !p.exists("shadowdiff-report/data/old/stale"),
        "the folder is fresh for each run"
    );

    p.file(
        "shadowdiff.toml",
        format!(
            "[targets.old]\n{}[targets.new]\nurl = \"recorded\"\nreset = \"echo seeding; exit 4\"\n",
            target(1)
        ),
    );
    let failed = p.run(&["run", "rec.jsonl", "-q"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    for needle in [
        "target new",
        "reset `echo seeding; exit 4` failed",
        "seeding",
    ] {
        assert!(
            failed.stderr.contains(needle),
            "`{needle}` not in {}",
            failed.stderr
        );
    }
}

#[test]
fn a_session_recorded_out_of_file_order_replays_in_time_order_and_beyond_the_window_run_says_so() {
    let p = Project::new();
    let exchange = |id: &str, session: Option<&str>, ts: Option<&str>| {
        let headers = match session {
            Some(session) => serde_json::json!([["x-session", session]]),
            None => serde_json::json!([]),
        };
        let mut line = serde_json::json!({
            "id": id,
            "request": {"method": "GET", "url": format!("/o/{id}"), "headers": headers},
            "response": {"status": 200, "headers": [], "body": {"text": "{}"}},
        });
        if let Some(ts) = ts {
            line["ts"] = serde_json::json!(ts);
        }
        line.to_string()
    };
    // a2 is recorded before a1 but written after it (as a tool that writes an exchange when
    // its answer ends may); a3 has no ts and stays after a2, which it follows in the file.
    p.file(
        "swapped.jsonl",
        lines(&[
            exchange("a1", Some("a"), Some("2026-01-01T10:00:02Z")),
            exchange("b1", Some("b"), Some("2026-01-01T10:00:00Z")),
            exchange("a2", Some("a"), Some("2026-01-01T10:00:01Z")),
            exchange("a3", Some("a"), None),
        ]),
    );
    let (old, new) = (
        TestServer::start(|_| json(200, "{}")),
        TestServer::start(|_| json(200, "{}")),
    );
    let run = p.run(&[
        "run",
        "swapped.jsonl",
        "--old",
        &old.url(),
        "--new",
        &new.url(),
        "--session",
        "header:x-session",
        "--out",
        "swapped",
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for server in [&old, &new] {
        let sent: Vec<String> = server
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .filter(|path| path.starts_with("/o/a"))
            .collect();
        assert_eq!(sent, ["/o/a2", "/o/a3", "/o/a1"], "session a in time order");
    }
    assert!(!run.stderr.contains("time order"), "{}", run.stderr);
    assert!(report_in(&p, "swapped").get("notes").is_none());

    // An exchange recorded before one more than the window ahead of it in the file replays
    // where the window lets it, and run says so.
    let mut far = vec![exchange("a1", Some("a"), Some("2026-01-01T10:00:02Z"))];
    far.extend((0..1100).map(|n| exchange(&format!("f{n}"), None, None)));
    far.push(exchange("a2", Some("a"), Some("2026-01-01T10:00:01Z")));
    p.file("far.jsonl", lines(&far));
    let run = p.run(&[
        "run",
        "far.jsonl",
        "--old",
        "recorded",
        "--new",
        "recorded",
        "--session",
        "header:x-session",
        "--out",
        "far",
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let said = "the recordings are not in time order within session a: a2 is recorded before a1 \
                but comes too far after it in the file to be put back in time order (run looks \
                1024 exchanges or 64 MiB ahead), so it replays after it";
    assert!(run.stderr.contains(said), "{}", run.stderr);
    assert_eq!(report_in(&p, "far")["notes"], serde_json::json!([said]));
}
