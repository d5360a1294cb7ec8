//! `shadowdiff run` end to end: the real binary replaying real recordings against real HTTP
//! servers on 127.0.0.1, including targets that fail in every way we know.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::servers::{closed_port_url, json, partial_head, short_body, Action, TestServer};
use crate::common::{
    across_routes, behaviour, count, files_under, lines, outcome_lines, replay, report, report_in,
    run_measured, shadowdiff, signal_and_wait, totals, unzstd, Project,
};
use serde_json::Value;

/// A GET exchange line for `/orders/{i}` with a recorded JSON response.
fn get(i: u32) -> String {
    serde_json::json!({
        "id": format!("r{i}"),
        "request": {"method": "GET", "url": format!("/orders/{i}?expand=items"),
                    "headers": [["accept", "application/json"], ["authorization", "Bearer t"]], "body": null},
        "response": {"status": 200, "headers": [["content-type", "application/json"]],
                     "body": {"text": format!("{{\"id\":{i}}}")}},
    })
    .to_string()
}

/// A POST exchange line.
fn post(i: u32) -> String {
    serde_json::json!({
        "id": format!("p{i}"),
        "request": {"method": "POST", "url": "/orders", "headers": [["content-type", "application/json"]],
                    "body": {"text": format!("{{\"sku\":\"A{i}\"}}")}},
    })
    .to_string()
}

fn recordings(project: &Project, count: u32) {
    project.file(
        "recs.jsonl",
        lines(&(1..=count).map(get).collect::<Vec<_>>()),
    );
}

/// A server answering `/orders/{id}` with the id and the given total.
fn orders(total: f64) -> TestServer {
    TestServer::start(move |request| {
        let id = request.id();
        json(200, &format!("{{\"id\":{id},\"total\":{total}}}"))
    })
}

/// The exchanges not run, and their reasons with counts over all routes.
fn not_run(report: &Value) -> (u64, Vec<String>) {
    let reasons = across_routes(report, "not_run_reasons")
        .iter()
        .map(|g| format!("{} {}", g["reason"].as_str().unwrap(), g["count"]))
        .collect();
    (count(report, "not_run"), reasons)
}

fn error_kinds(report: &Value) -> Vec<String> {
    across_routes(report, "error_kinds")
        .iter()
        .map(|k| format!("{} {}", k["kind"].as_str().unwrap(), k["count"]))
        .collect()
}

#[test]
fn equal_services_pass() {
    let p = Project::new();
    recordings(&p, 6);
    let (old, new) = (orders(10.0), orders(10.0));
    let run = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (6, 6, 0, 0, 0, 0));
    assert_eq!(old.hits(), 6);
    assert_eq!(new.hits(), 6);
    assert!(p.exists("shadowdiff-report/outcomes.jsonl.zst"));
}

#[test]
fn a_changed_field_fails_with_its_signature() {
    let p = Project::new();
    recordings(&p, 4);
    let (old, new) = (orders(10.0), orders(12.5));
    let run = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (4, 0, 4, 0, 0, 0));
    assert_eq!(report["routes"][0]["route"], "GET /orders/{id}");
    let sig = &report["routes"][0]["signatures"][0];
    assert_eq!(sig["signature"], "body $.total changed");
    assert_eq!(sig["samples"][0]["old"], 10.0);
    assert_eq!(sig["samples"][0]["new"], 12.5);
}

/// A server whose responses carry a fresh request id on every call (`NAME-N`): noise.
fn noisy(name: &'static str) -> TestServer {
    let counter = Arc::new(AtomicU64::new(0));
    TestServer::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        json(
            200,
            &format!("{{\"total\":1,\"requestId\":\"{name}-{n}\"}}"),
        )
    })
}

#[test]
fn noise_only_differences_pass_with_noise_repeat() {
    let p = Project::new();
    recordings(&p, 8);
    let (old, new) = (noisy("old"), noisy("new"));
    assert_eq!(replay(&p, &old.url(), &new.url(), &[]).code, 1);
    let run = replay(&p, &old.url(), &new.url(), &["--noise-repeat"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (8, 0, 0, 8, 0, 0));
    let sig = &report["routes"][0]["signatures"][0];
    assert_eq!(sig["signature"], "body $.requestId changed");
    assert_eq!(sig["noise"], true);
    assert_eq!(sig["count"], 8);
    assert_eq!(sig["noise_count"], 8);
    let suggested = p.read("shadowdiff-report/suggested-rules.toml");
    assert!(suggested.contains("\"$.requestId\""), "{suggested}");
    assert_eq!(
        old.hits(),
        8 + 16,
        "old is called twice per exchange with --noise-repeat"
    );
}

#[test]
fn a_real_change_is_not_hidden_by_noise() {
    let p = Project::new();
    recordings(&p, 8);
    let old = noisy("old");
    let counter = Arc::new(AtomicU64::new(0));
    let new = TestServer::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        json(200, &format!("{{\"total\":2,\"requestId\":\"other-{n}\"}}"))
    });
    let run = replay(&p, &old.url(), &new.url(), &["--noise-repeat"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (8, 0, 8, 0, 0, 0));
    let flags: Vec<(String, bool)> = report["routes"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["signature"].as_str().unwrap().to_string(),
                s["noise"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("body $.requestId changed".to_string(), true),
            ("body $.total changed".to_string(), false)
        ]
    );
}

#[test]
fn a_refusing_target_exits_3_with_a_report() {
    let p = Project::new();
    recordings(&p, 5);
    let old = orders(1.0);
    let run = replay(&p, &old.url(), &closed_port_url(), &["--retries", "0"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (5, 0, 0, 0, 5, 0));
    assert_eq!(error_kinds(&report), ["new_refused 5"]);
    assert_eq!(report["verdict"], "fail");
    assert!(
        report["reasons"][0]
            .as_str()
            .unwrap()
            .contains("target new never answered"),
        "{}",
        report["reasons"]
    );
}

#[test]
fn a_hanging_target_times_out() {
    let p = Project::new();
    recordings(&p, 3);
    let old = orders(1.0);
    let new = TestServer::start(|_| Action::Hang);
    let run = replay(&p, &old.url(), &new.url(), &["--timeout", "300ms"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (3, 0, 0, 0, 3, 0));
    assert_eq!(error_kinds(&report), ["new_timeout 3"]);
}

#[test]
fn a_resetting_target_is_an_error_per_exchange() {
    let p = Project::new();
    recordings(&p, 3);
    let old = orders(1.0);
    let new = TestServer::start(|_| Action::Reset);
    let run = replay(&p, &old.url(), &new.url(), &["--retries", "0"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (3, 0, 0, 0, 3, 0));
    assert_eq!(error_kinds(&report), ["new_reset 3"]);
}

#[test]
fn a_target_answering_500_is_different_not_an_error() {
    let p = Project::new();
    recordings(&p, 3);
    let old = orders(1.0);
    let new = TestServer::start(|_| json(500, "{\"error\":\"boom\"}"));
    let run = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (3, 0, 3, 0, 0, 0));
    let sigs: Vec<&str> = report["routes"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["signature"].as_str().unwrap())
        .collect();
    assert!(sigs.contains(&"status changed"), "{sigs:?}");
}

#[test]
fn twenty_failures_in_a_row_stop_the_run_marked_incomplete() {
    let p = Project::new();
    recordings(&p, 40);
    let old = orders(1.0);
    let run = replay(
        &p,
        &old.url(),
        &closed_port_url(),
        &["--retries", "0", "--concurrency", "1"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(report["incomplete"], true);
    // The 20 left are counted, not dropped: every recording read ends in one outcome.
    assert_eq!(totals(&report), (40, 0, 0, 0, 20, 0));
    assert_eq!(
        not_run(&report),
        (
            20,
            vec!["target new failed 20 times in a row 20".to_string()]
        )
    );
    assert_eq!(old.hits(), 20, "old was called after the stop");
    assert!(report["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("the run is incomplete: target new failed 20 times in a row"));
}

/// A server answering like [`orders`] the first `answered` requests, then resetting every
/// connection after reading its request.
fn orders_then_resets(answered: usize) -> TestServer {
    let seen = AtomicUsize::new(0);
    TestServer::start(move |request| {
        if seen.fetch_add(1, Ordering::SeqCst) >= answered {
            return Action::Reset;
        }
        let id = request.id();
        json(200, &format!("{{\"id\":{id},\"total\":1}}"))
    })
}

#[test]
fn a_target_that_starts_failing_stops_the_sending_at_once_and_the_rest_is_counted() {
    let p = Project::new();
    recordings(&p, 300);
    let (old, new) = (orders(1.0), orders_then_resets(30));
    let run = replay(
        &p,
        &old.url(),
        &new.url(),
        &["--retries", "0", "--concurrency", "1"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    // 30 answers, then 20 failures in a row: the 50th exchange stops the run, and nothing is
    // sent after it.
    assert_eq!((old.hits(), new.hits()), (50, 50));
    let report = report(&p);
    assert_eq!(report["incomplete"], true);
    assert_eq!(totals(&report), (300, 30, 0, 0, 20, 0));
    assert_eq!(
        not_run(&report),
        (
            250,
            vec!["target new failed 20 times in a row 250".to_string()]
        )
    );
    let lines = outcome_lines(&p);
    assert_eq!(lines.len(), 300, "every outcome is in the outcomes file");
    assert_eq!(lines[299]["outcome"], "not_run");
    let rejudged = p.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--out",
        "again",
    ]);
    assert_eq!(rejudged.code, 1, "{}", rejudged.stderr);
    let again = report_in(&p, "again");
    assert_eq!(again["totals"], report["totals"]);
    assert_eq!(again["incomplete"], true);
}

#[test]
fn a_target_failing_under_concurrency_is_not_called_past_what_was_in_flight() {
    let p = Project::new();
    recordings(&p, 300);
    let (old, new) = (orders(1.0), orders_then_resets(30));
    let run = replay(
        &p,
        &old.url(),
        &new.url(),
        &["--retries", "0", "--concurrency", "8", "--threads", "2"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    let (exchanges, equal, different, _, errors, _) = totals(&report);
    let (not_run, reasons) = not_run(&report);
    assert_eq!(exchanges, 300);
    assert_eq!(
        reasons,
        [format!("target new failed 20 times in a row {not_run}")]
    );
    // Each exchange with an outcome called new once; at most the 8 in flight when the run
    // stopped were sent and not finished.
    let called = (equal + different + errors) as usize;
    assert!(
        (called..=called + 8).contains(&new.hits()),
        "{} requests reached new for {called} exchanges judged",
        new.hits()
    );
    assert_eq!(outcome_lines(&p).len(), 300);
}

#[test]
fn ctrl_c_keeps_what_finished_sends_nothing_more_and_counts_the_rest() {
    let p = Project::new();
    recordings(&p, 300);
    let slow = || {
        TestServer::start(|request| {
            let id = request.id();
            let answer = json(200, &format!("{{\"id\":{id},\"total\":1}}"));
            Action::Delayed(std::time::Duration::from_millis(20), Box::new(answer))
        })
    };
    let (old, new) = (slow(), slow());
    let mut child = shadowdiff(
        p.path(),
        &[
            "run",
            "recs.jsonl",
            "--old",
            &old.url(),
            "--new",
            &new.url(),
            "--concurrency",
            "4",
            "--quiet",
        ],
    )
    .spawn()
    .expect("start shadowdiff");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while new.hits() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(new.hits() >= 40, "the run did not get going");
    let status = signal_and_wait(&mut child, libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    let hits = new.hits();
    let report = report(&p);
    assert_eq!(report["incomplete"], true);
    assert_eq!(report["reasons"][0], "the run is incomplete: interrupted");
    let (exchanges, equal, different, _, errors, _) = totals(&report);
    let (not_run, reasons) = not_run(&report);
    assert!(not_run > 0 && exchanges <= 300, "{}", report["totals"]);
    assert_eq!(reasons, [format!("interrupted {not_run}")]);
    // Every answer that finished is kept; at most the 4 in flight were sent and not finished.
    let called = (equal + different + errors) as usize;
    assert!(
        (called..=called + 4).contains(&hits),
        "{hits} requests reached new for {called} exchanges judged"
    );
    assert_eq!(outcome_lines(&p).len() as u64, exchanges);
}

#[test]
fn bad_input_leaves_the_report_folder_of_an_earlier_run_as_it_was() {
    let p = Project::new();
    recordings(&p, 60);
    let old = orders(1.0);
    // An exec target, so that the folder holds a log written as the run goes.
    p.file(
        "answer.sh",
        "while read -r line; do echo \"asked $line\" >&2; echo '{\"status\": 200}'; done\n",
    );
    let first = replay(&p, &old.url(), "exec:sh answer.sh", &[]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let before = files_under(&p.path().join("shadowdiff-report"));
    for name in [
        "report.json",
        "outcomes.jsonl.zst",
        "aggregate.json",
        "logs/new.log",
    ] {
        assert!(before.contains_key(name), "{name}: {:?}", before.keys());
    }
    let mut lines: Vec<String> = (1..=60).map(get).collect();
    lines[50] = "{\"id\": \"r51\", not json".to_string();
    p.file("recs.jsonl", crate::common::lines(&lines));
    let second = replay(&p, &old.url(), "exec:sh answer.sh", &[]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(second.stderr.contains("recs.jsonl:51"), "{}", second.stderr);
    let after = files_under(&p.path().join("shadowdiff-report"));
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "files appeared or vanished"
    );
    let changed: Vec<&String> = before
        .iter()
        .filter(|(name, bytes)| after[*name] != **bytes)
        .map(|(name, _)| name)
        .collect();
    assert!(changed.is_empty(), "changed by the failed run: {changed:?}");
    // A folder that did not exist is not left behind either.
    let fresh = replay(
        &p,
        &old.url(),
        "exec:sh answer.sh",
        &["--out", "new/report"],
    );
    assert_eq!(fresh.code, 2, "{}", fresh.stderr);
    assert!(!p.exists("new"), "a folder was left behind");
}

#[test]
fn an_exec_target_that_crashes_fails_the_target() {
    let p = Project::new();
    recordings(&p, 3);
    let old = orders(1.0);
    let run = replay(&p, &old.url(), "exec:exit 1", &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (3, 0, 0, 0, 3, 0));
    assert_eq!(error_kinds(&report), ["new_crashed 3"]);
}

#[test]
fn an_exec_target_restarted_by_one_lane_keeps_answering_the_others() {
    let p = Project::new();
    recordings(&p, 120);
    // Answers four requests, then exits on the fifth without answering: every fifth call
    // fails and the next one restarts it, from whichever replay lane makes that call.
    p.file(
        "flaky.sh",
        "n=0\nwhile read -r line; do\n  n=$((n + 1))\n  [ \"$n\" -eq 5 ] && exit 0\n  \
         echo '{\"status\": 200, \"headers\": [], \"body\": null}'\ndone\n",
    );
    let old = orders(1.0);
    let run = replay(
        &p,
        &old.url(),
        "exec:sh flaky.sh",
        &["--threads", "4", "--concurrency", "8", "--retries", "0"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&p);
    let (exchanges, _, _, _, errors, _) = totals(&report);
    assert_eq!(
        (exchanges, errors),
        (120, 24),
        "{}",
        report["routes"][0]["error_kinds"]
    );
    assert_eq!(error_kinds(&report), ["new_crashed 24"]);
    assert!(
        report["routes"][0]["error_kinds"][0]["message"]
            .as_str()
            .unwrap()
            .contains("exited before answering"),
        "{report}"
    );
}

#[test]
fn posts_are_skipped_unless_allowed() {
    let p = Project::new();
    p.file("recs.jsonl", lines(&[get(1), post(1), post(2)]));
    let (old, new) = (orders(1.0), orders(1.0));
    let run1 = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(run1.code, 0, "{}", run1.stderr);
    let report1 = report(&p);
    assert_eq!(totals(&report1), (3, 1, 0, 0, 0, 2));
    assert_eq!(old.hits(), 1, "a POST reached the old target");
    let skipped = &report1["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == "POST /orders")
        .unwrap()["skip_reasons"][0];
    assert_eq!(skipped["count"], 2);
    assert!(skipped["reason"]
        .as_str()
        .unwrap()
        .contains("--allow-method POST"));
    let run2 = replay(&p, &old.url(), &new.url(), &["--allow-method", "POST"]);
    assert_eq!(run2.code, 0, "{}", run2.stderr);
    assert_eq!(totals(&report(&p)), (3, 3, 0, 0, 0, 0));
    assert_eq!(old.hits(), 1 + 3);
}

/// The methods of the requests a server read, sorted (exchanges replay concurrently).
fn methods(server: &TestServer) -> Vec<String> {
    let mut methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    methods.sort();
    methods
}

#[test]
fn an_answer_cut_short_is_never_sent_again() {
    let p = Project::new();
    p.file("recs.jsonl", lines(&[get(1), post(1)]));
    let old = orders(1.0);
    let new = TestServer::start(|_| short_body(100, "{\"id\":1}"));
    let run = replay(&p, &old.url(), &new.url(), &["--allow-method", "POST"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        methods(&new),
        ["GET", "POST"],
        "an answered request was sent again"
    );
    let report = report(&p);
    assert_eq!(totals(&report), (2, 0, 0, 0, 2, 0));
    assert_eq!(error_kinds(&report), ["new_cut_short 1", "new_cut_short 1"]);
    let message = report["routes"][0]["error_kinds"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("cut short after 8 of the 100 bytes its content-length announced"),
        "{message}"
    );
}

#[test]
fn a_head_cut_short_is_never_sent_again() {
    let p = Project::new();
    recordings(&p, 1);
    let old = orders(1.0);
    let new = TestServer::start(|_| partial_head());
    let run = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        new.hits(),
        1,
        "a GET was sent again after part of its answer arrived"
    );
    assert_eq!(error_kinds(&report(&p)), ["new_cut_short 1"]);
}

#[test]
fn only_idempotent_requests_are_sent_again_after_a_reset() {
    let p = Project::new();
    p.file("recs.jsonl", lines(&[get(1), post(1)]));
    let old = orders(1.0);
    // Reads each request, then resets the connection without a byte of an answer.
    let new = TestServer::start(|_| Action::Reset);
    let run = replay(
        &p,
        &old.url(),
        &new.url(),
        &[
            "--allow-method",
            "POST",
            "--retries",
            "2",
            "--concurrency",
            "1",
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        methods(&new),
        ["GET", "GET", "GET", "POST"],
        "the GET is retried twice, the POST that may have been written never"
    );
    assert_eq!(error_kinds(&report(&p)), ["new_reset 1", "new_reset 1"]);
}

#[test]
fn an_endless_body_stops_at_the_cap_in_bounded_memory() {
    let p = Project::new();
    recordings(&p, 1);
    let old = orders(1.0);
    let new = TestServer::start(|_| Action::Endless);
    let (run, peak_kib) = run_measured(
        p.path(),
        &[
            "run",
            "recs.jsonl",
            "--old",
            &old.url(),
            "--new",
            &new.url(),
            "--quiet",
            "--max-body-bytes",
            "1048576",
            "--timeout",
            "10s",
        ],
    );
    // Without the cap the body grows until the timeout: hundreds of MB at the server's pace.
    assert!(
        peak_kib > 1024,
        "the memory sampler saw the run: {peak_kib} KiB"
    );
    assert!(
        peak_kib < 64 * 1024,
        "peak memory {peak_kib} KiB for a 1 MiB cap"
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(new.hits(), 1, "an answer over the cap was asked for again");
    let report = report(&p);
    assert_eq!(error_kinds(&report), ["new_body_too_large 1"]);
    let message = report["routes"][0]["error_kinds"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("cap of 1048576 bytes"), "{message}");
}

#[test]
fn the_cap_from_shadowdiff_toml_refuses_a_content_length_above_it_unread() {
    let p = Project::new();
    recordings(&p, 1);
    p.file("shadowdiff.toml", "max_body_bytes = 4\n");
    let (old, new) = (orders(1.0), orders(1.0));
    let capped = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(capped.code, 3, "{}", capped.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (1, 0, 0, 0, 1, 0));
    assert_eq!(error_kinds(&report), ["old_body_too_large 1"]);
    assert_eq!(old.hits(), 1);
    let zero = p.run(&[
        "run",
        "recs.jsonl",
        "--old",
        &old.url(),
        "--new",
        &new.url(),
        "--max-body-bytes",
        "0",
    ]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    p.file("shadowdiff.toml", "max_body_bytes = 0\n");
    let zero = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    assert!(zero.stderr.contains("shadowdiff.toml:1"), "{}", zero.stderr);
}

#[test]
fn the_report_is_the_same_at_any_concurrency() {
    let p = Project::new();
    recordings(&p, 120);
    let old = orders(1.0);
    let new = TestServer::start(|request| {
        let id: u32 = request.id().parse().unwrap();
        if id % 7 == 0 {
            json(404, "{\"error\":\"gone\"}")
        } else {
            json(
                200,
                &format!(
                    "{{\"id\":{id},\"total\":{}}}",
                    if id % 3 == 0 { 2 } else { 1 }
                ),
            )
        }
    });
    // One replay lane against three, each with its share of 64 in flight.
    for (concurrency, threads, out) in [("1", "1", "c1"), ("64", "3", "c64")] {
        let run = replay(
            &p,
            &old.url(),
            &new.url(),
            &[
                "--concurrency",
                concurrency,
                "--threads",
                threads,
                "--out",
                out,
            ],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
    let (c1, c64) = (p.read("c1/report.json"), p.read("c64/report.json"));
    assert!(c1.contains("\"p99_ms\""), "latency is reported: {c1}");
    assert_eq!(behaviour(&c1), behaviour(&c64));
}

#[test]
fn a_past_run_is_rejudged_under_new_rules_without_replaying() {
    let p = Project::new();
    recordings(&p, 4);
    let (old, new) = (orders(10.0), orders(12.5));
    assert_eq!(replay(&p, &old.url(), &new.url(), &[]).code, 1);
    let hits = (old.hits(), new.hits());
    p.file("rules.toml", "[defaults]\nignore = [\"$.total\"]\n");
    let rejudged = p.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--rules",
        "rules.toml",
        "--out",
        "again",
    ]);
    assert_eq!(rejudged.code, 0, "{}{}", rejudged.stdout, rejudged.stderr);
    let again = report_in(&p, "again");
    assert_eq!(totals(&again), (4, 4, 0, 0, 0, 0));
    assert_eq!(
        (old.hits(), new.hits()),
        hits,
        "re-judging replayed something"
    );
    let same_rules = p.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--out",
        "same",
    ]);
    assert_eq!(same_rules.code, 1);
    let same = report_in(&p, "same");
    assert_eq!(same["routes"], report(&p)["routes"]);
}

#[test]
fn a_missing_target_is_bad_usage() {
    let p = Project::new();
    recordings(&p, 1);
    let run = p.run(&["run", "recs.jsonl", "--new", "http://127.0.0.1:1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no old target"), "{}", run.stderr);
}

#[test]
fn a_target_that_dies_mid_run_leaves_every_exchange_accounted_for() {
    let p = Project::new();
    recordings(&p, 10);
    let old = orders(1.0);
    let new = TestServer::dies_after(4, |request| {
        let id = request.id();
        json(200, &format!("{{\"id\":{id},\"total\":1}}"))
    });
    let run = replay(
        &p,
        &old.url(),
        &new.url(),
        &["--concurrency", "1", "--retries", "0"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&p);
    let (exchanges, equal, different, noise_only, errors, skipped) = totals(&report);
    assert_eq!((exchanges, different, noise_only, skipped), (10, 0, 0, 0));
    assert_eq!(equal, 4);
    assert_eq!(errors, 6);
}

#[test]
fn partitions_split_the_run_without_losing_an_exchange() {
    let p = Project::new();
    recordings(&p, 30);
    let (old, new) = (orders(1.0), orders(2.0));
    for kind in ["hash", "count"] {
        let mut sum = 0;
        for k in 1..=3 {
            let partition = format!("{kind}:{k}/3");
            let out = format!("{kind}{k}");
            let run = replay(
                &p,
                &old.url(),
                &new.url(),
                &["--partition", &partition, "--out", &out],
            );
            assert_eq!(run.code, 1, "{}", run.stderr);
            let shard = report_in(&p, &out);
            let (exchanges, _, different, ..) = totals(&shard);
            assert_eq!(exchanges, different);
            if kind == "count" {
                assert_eq!(exchanges, 10);
            }
            sum += exchanges;
        }
        assert_eq!(sum, 30, "{kind} shards lost or doubled exchanges");
    }
}

#[test]
fn managed_targets_from_shadowdiff_toml_are_started_and_stopped() {
    let p = Project::new();
    p.file("site/orders/1", "{\"id\":1}");
    p.file("recs.jsonl", lines(&[get(1)]));
    let serve = "python3 -m http.server {port} --bind 127.0.0.1 --directory site";
    p.file(
        "shadowdiff.toml",
        format!(
            "recordings = \"recs.jsonl\"\n[targets.old]\nstart = \"{serve}\"\nready = \"/orders/1\"\n\
             [targets.new]\nstart = \"{serve}\"\nready = \"/orders/1\"\n"
        ),
    );
    let run = p.run(&["run", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report(&p);
    assert_eq!(totals(&report), (1, 1, 0, 0, 0, 0));
    let log = p.read("shadowdiff-report/logs/old.log");
    assert!(
        log.contains("GET /orders/1"),
        "the managed server's log was not captured: {log}"
    );
    let line = &outcome_lines(&p)[0];
    let answered = |role: &str| line[role]["response"]["status"] == 200;
    assert!(answered("old") && answered("new"), "{line}");
}

#[test]
fn a_managed_target_that_cannot_start_is_a_target_failure() {
    let p = Project::new();
    recordings(&p, 1);
    p.file(
        "shadowdiff.toml",
        "[targets.old]\nstart = \"exit 7\"\n[targets.new]\nurl = \"recorded\"\n",
    );
    let run = p.run(&["run", "recs.jsonl", "--quiet"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("target old"), "{}", run.stderr);
}

/// Processes whose command line mentions `marker`, from /proc.
fn processes_mentioning(marker: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .filter(|command| command.contains(marker))
        .collect()
}

#[test]
fn ctrl_c_stops_managed_targets_and_writes_what_was_done() {
    let p = Project::new();
    let site = p.file("site/orders/1", "{\"id\":1}");
    let site = site
        .parent()
        .and_then(|d| d.parent())
        .expect("site folder")
        .to_str()
        .expect("utf-8");
    recordings(&p, 5);
    let hang = TestServer::start(|_| Action::Hang);
    p.file(
        "shadowdiff.toml",
        format!(
            "[targets.old]\nstart = \"python3 -m http.server {{port}} --bind 127.0.0.1 --directory {site}\"\nready = \"/orders/1\"\n"
        ),
    );
    let mut child = shadowdiff(
        p.path(),
        &[
            "run",
            "recs.jsonl",
            "--new",
            &hang.url(),
            "--timeout",
            "60s",
            "--quiet",
        ],
    )
    .spawn()
    .expect("start shadowdiff");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while hang.hits() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(hang.hits() > 0, "the run never reached the new target");
    assert!(
        !processes_mentioning(site).is_empty(),
        "the managed server is not running"
    );
    let status = signal_and_wait(&mut child, libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    let report = report(&p);
    assert_eq!(report["incomplete"], true);
    assert!(report["reasons"][0]
        .as_str()
        .unwrap()
        .contains("interrupted"));
    let left = processes_mentioning(site);
    assert!(
        left.is_empty(),
        "the managed server still runs after Ctrl-C: {left:?}"
    );
}

#[test]
fn an_accepted_change_passes_the_rerun_and_the_offline_rejudge_alike() {
    let p = Project::new();
    recordings(&p, 4);
    let (old, new) = (orders(10.0), orders(12.5));
    assert_eq!(replay(&p, &old.url(), &new.url(), &[]).code, 1);
    assert!(p
        .read("shadowdiff.snap.new")
        .contains("body $.total changed"));
    let accept = p.run(&["accept", "--reason", "v2 adds the service fee"]);
    assert_eq!(accept.code, 0, "{}", accept.stderr);
    let rerun = replay(&p, &old.url(), &new.url(), &[]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let rejudged = p.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--out",
        "again",
        "-q",
    ]);
    assert_eq!(rejudged.code, 0, "{}", rejudged.stderr);
    let again = report_in(&p, "again");
    assert_eq!(again["verdict"], "pass");
    assert_eq!(again["routes"], report(&p)["routes"]);
    assert_eq!(
        again["routes"][0]["signatures"][0]["accepted_reason"],
        "v2 adds the service fee"
    );
}

#[test]
fn equal_bodies_are_stored_once_and_rejudged_alike() {
    let p = Project::new();
    recordings(&p, 3);
    let (old, new) = (orders(10.0), orders(10.0));
    assert_eq!(
        replay(&p, &old.url(), &new.url(), &["--noise-repeat"]).code,
        0
    );
    let bytes = std::fs::read(p.path().join("shadowdiff-report/outcomes.jsonl.zst")).unwrap();
    let text = String::from_utf8(unzstd(&bytes)).unwrap();
    assert_eq!(text.matches("\"same_body\":true").count(), 6, "{text}");
    let rejudged = p.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--out",
        "again",
    ]);
    assert_eq!(rejudged.code, 0, "{}", rejudged.stderr);
    let again = report_in(&p, "again");
    // Without the restored bodies, new would have none: `body $ removed` in every exchange.
    assert_eq!(totals(&again), (3, 3, 0, 0, 0, 0));
}

/// A server answering `/orders/{id}` with tags in a fresh order on every call (a list built from
/// a hash set), from a seeded generator; `changed` is the id whose tag `c` reads `x`.
fn shuffling(seed: u64, changed: Option<u32>) -> TestServer {
    let state = Arc::new(AtomicU64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1));
    TestServer::start(move |request| {
        let id: u32 = request.id().parse().unwrap_or(0);
        let mut tags = vec!["a", "b", "c", "d"];
        if changed == Some(id) {
            tags[2] = "x";
        }
        for i in (1..tags.len()).rev() {
            // xorshift64, one step per swap.
            let mut x = state.load(Ordering::Relaxed);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.store(x, Ordering::Relaxed);
            tags.swap(i, (x % (i as u64 + 1)) as usize);
        }
        json(
            200,
            &serde_json::json!({"id": id, "tags": tags}).to_string(),
        )
    })
}

#[test]
fn a_list_old_itself_reorders_is_never_a_real_difference_and_a_changed_element_is_found() {
    for seed in 0..12 {
        let p = Project::new();
        recordings(&p, 30);
        let old = shuffling(seed, None);
        let same = shuffling(seed + 100, None);
        let run_same = replay(&p, &old.url(), &same.url(), &["--noise-repeat"]);
        let report_same = report(&p);
        assert_eq!(
            run_same.code, 0,
            "seed {seed}: {}",
            report_same["routes"][0]["signatures"]
        );
        assert_eq!(report_same["totals"]["different"], 0, "seed {seed}");

        let changed = shuffling(seed + 200, Some(7));
        let run_changed = replay(&p, &old.url(), &changed.url(), &["--noise-repeat"]);
        let report_changed = report(&p);
        assert_eq!(run_changed.code, 1, "seed {seed}: {}", run_changed.stderr);
        assert_eq!(report_changed["totals"]["different"], 1, "seed {seed}");
        let failing: Vec<&Value> = report_changed["routes"][0]["signatures"]
            .as_array()
            .expect("signatures")
            .iter()
            .filter(|s| s["failing"] == true)
            .collect();
        assert!(!failing.is_empty(), "seed {seed}");
        for sig in failing {
            assert!(
                sig["path"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("$.tags"),
                "seed {seed}: {sig}"
            );
            assert_eq!(sig["examples"], serde_json::json!(["r7"]), "seed {seed}");
        }
    }
}
