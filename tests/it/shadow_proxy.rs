//! `shadowdiff shadow` as a real process on real loopback sockets: clients get the primary's
//! answers byte for byte (repeated headers, chunked and gzip bodies, pipelining, large and
//! streamed bodies) whatever the candidate does (slow, resetting, failing, down); mirrored
//! exchanges are judged, counted in `/metrics`, logged and reported on SIGHUP and at the stop;
//! a full queue skips; unsafe methods are mirrored only when allowed; bad usage and a candidate
//! that cannot start.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStderr, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::servers::{
    answer_once_then_close, closed_port_url, json, Action, TestRequest, TestServer,
};
use crate::common::{
    block_on, count, gzip, http_client, report_in, shadowdiff, signal_and_wait, totals, Project,
};

/// A running `shadowdiff shadow`.
struct Shadow {
    child: Child,
    stderr: BufReader<ChildStderr>,
    url: String,
    metrics: String,
}

impl Shadow {
    /// Starts `shadowdiff shadow --listen 127.0.0.1:0 --admin 127.0.0.1:0 --primary PRIMARY
    /// --candidate CANDIDATE --out report EXTRA...` and reads both addresses from its first
    /// line on stderr.
    fn start(dir: &Path, primary: &str, candidate: &str, extra: &[&str]) -> Shadow {
        let mut child = shadowdiff(
            dir,
            &[
                "shadow",
                "--listen",
                "127.0.0.1:0",
                "--admin",
                "127.0.0.1:0",
                "--primary",
                primary,
                "--candidate",
                candidate,
                "--out",
                "report",
            ],
        )
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shadowdiff shadow");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("read the first line");
        let rest = first
            .trim()
            .strip_prefix("shadowdiff shadow: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        let (url, metrics) = rest
            .split_once("; metrics on ")
            .unwrap_or_else(|| panic!("no metrics address in {first:?}"));
        assert!(metrics.ends_with("/metrics"), "{first:?}");
        Shadow {
            child,
            stderr,
            url: url.to_string(),
            metrics: metrics.to_string(),
        }
    }

    /// The metrics, parsed: each sample line's name with labels, and its value.
    fn metrics(&self) -> BTreeMap<String, f64> {
        let text = block_on(async {
            let response = http_client()
                .build()
                .expect("client")
                .get(&self.metrics)
                .send()
                .await
                .expect("GET /metrics");
            assert_eq!(response.status(), 200);
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
            response.text().await.expect("metrics text")
        });
        parse_metrics(&text)
    }

    /// Waits until every one of `requests` mirrored exchanges is judged or skipped, as the
    /// metrics say, for at most ten seconds.
    fn settle(&self, requests: f64) -> BTreeMap<String, f64> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let metrics = self.metrics();
            let done = sum(&metrics, "shadowdiff_exchanges_total")
                + sum(&metrics, "shadowdiff_skipped_total");
            if done >= requests || Instant::now() > deadline {
                return metrics;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal`, waits, and returns the exit code and the rest of stderr.
    fn stop_with(mut self, signal: i32) -> (i32, String) {
        let status = signal_and_wait(&mut self.child, signal);
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("read stderr");
        (status.code().unwrap_or(-1), rest)
    }

    /// SIGTERM, then the exit code and the rest of stderr.
    fn stop(self) -> (i32, String) {
        self.stop_with(libc::SIGTERM)
    }
}

impl Drop for Shadow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sample lines of the text format as `name{labels}` → value.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("a sample line");
            (name.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

/// The sum of every series of `name`.
fn sum(metrics: &BTreeMap<String, f64>, name: &str) -> f64 {
    metrics
        .iter()
        .filter(|(key, _)| *key == name || key.starts_with(&format!("{name}{{")))
        .map(|(_, value)| value)
        .sum()
}

/// The value of one series, 0 when absent.
fn series(metrics: &BTreeMap<String, f64>, key: &str) -> f64 {
    metrics.get(key).copied().unwrap_or(0.0)
}

/// The primary of most tests: a gzip JSON body naming the path and a `total`, repeated headers,
/// a cookie; `/chunked/...` answers with a chunked body and closes the connection, saying so.
/// What describes the connection (`connection`, the framing) is the proxy's own and is left
/// out of what the tests compare.
fn primary_server(total: u32) -> TestServer {
    TestServer::start(move |request| answer(request, total))
}

fn answer(request: &TestRequest, total: u32) -> Action {
    if request.path.starts_with("/chunked/") {
        let body = format!(r#"{{"path":"{}","total":{total}}}"#, request.path);
        let (a, b) = body.split_at(body.len() / 2);
        return Action::Raw(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\nx-multi: one\r\nx-multi: two\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                a.len(),
                b.len()
            )
            .into_bytes(),
        );
    }
    Action::Respond {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("content-encoding".into(), "gzip".into()),
            ("x-multi".into(), "one".into()),
            ("x-multi".into(), "two".into()),
            ("set-cookie".into(), "session=s3cret".into()),
        ],
        body: gzip(format!(r#"{{"path":"{}","total":{total}}}"#, request.path)),
    }
}

/// What a client saw.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Sends GET `path` to each base URL in `bases` `count` times, `concurrency` at a time, and
/// returns what was seen per request, with the slowest answer's time.
fn load(base: &str, paths: &[String], concurrency: usize) -> (Vec<Seen>, Duration) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // No decompression: the client must see the bytes the primary sent.
        let client = http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = Vec::new();
        for path in paths {
            let permit = semaphore.clone().acquire_owned().await.expect("permit");
            let client = client.clone();
            let url = format!("{base}{path}");
            tasks.push(tokio::spawn(async move {
                let started = Instant::now();
                let response = client
                    .get(&url)
                    .header("authorization", "Bearer client-secret")
                    .send()
                    .await
                    .expect("send through shadow");
                let status = response.status().as_u16();
                let headers = response
                    .headers()
                    .iter()
                    .filter(|(name, _)| {
                        !matches!(
                            name.as_str(),
                            "date" | "content-length" | "transfer-encoding" | "connection"
                        )
                    })
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
                    .collect();
                let body = response.bytes().await.expect("body").to_vec();
                drop(permit);
                (
                    Seen {
                        status,
                        headers,
                        body,
                    },
                    started.elapsed(),
                )
            }));
        }
        let mut seen = Vec::new();
        let mut slowest = Duration::ZERO;
        for task in tasks {
            let (answer, took) = task.await.expect("request task");
            slowest = slowest.max(took);
            seen.push(answer);
        }
        (seen, slowest)
    })
}

/// `/orders/I` for I in 0..n, every tenth `/chunked/I`.
fn paths(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 10 {
            0 => format!("/chunked/{i}"),
            _ => format!("/orders/{i}"),
        })
        .collect()
}

#[test]
fn clients_get_the_primary_answer_byte_for_byte_and_every_exchange_is_judged_once() {
    const COUNT: usize = 400;
    let primary = primary_server(10);
    let direct_paths = paths(COUNT);
    // The candidate differs in `total` on the orders routes only.
    let candidate = TestServer::start(|request| {
        let total = if request.path.starts_with("/orders/") {
            11
        } else {
            10
        };
        answer(request, total)
    });
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &["--log", "mismatches.jsonl", "--log-per-minute", "5"],
    );
    let (direct, _) = load(&primary.url(), &direct_paths, 16);
    let (through, _) = load(&shadow.url, &direct_paths, 16);
    assert_eq!(through.len(), COUNT);
    for (i, (seen, expected)) in through.iter().zip(&direct).enumerate() {
        assert_eq!(seen, expected, "request {i} ({})", direct_paths[i]);
    }
    let gzip_seen = &through[1];
    assert!(gzip_seen
        .headers
        .contains(&("content-encoding".into(), "gzip".into())));
    let multi: Vec<_> = gzip_seen
        .headers
        .iter()
        .filter(|(n, _)| n == "x-multi")
        .collect();
    assert_eq!(multi.len(), 2, "{:?}", gzip_seen.headers);

    let metrics = shadow.settle(COUNT as f64);
    assert_eq!(series(&metrics, "shadowdiff_requests_total"), COUNT as f64);
    assert_eq!(sum(&metrics, "shadowdiff_exchanges_total"), COUNT as f64);
    let orders = (COUNT - COUNT / 10) as f64;
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_exchanges_total{route="GET /orders/{id}",outcome="different"}"#
        ),
        orders
    );
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_differences_total{route="GET /orders/{id}",signature="body $.total changed"}"#
        ),
        orders
    );
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_target_latency_seconds_count{target="candidate"}"#
        ),
        COUNT as f64
    );
    assert_eq!(series(&metrics, "shadowdiff_queue_depth"), 0.0);
    // The log keeps 5 lines a minute of the one signature; the rest are counted.
    assert_eq!(
        series(&metrics, "shadowdiff_mismatch_log_suppressed_total"),
        orders - 5.0
    );
    // The primary saw each request once, the candidate each mirrored one once.
    assert_eq!(primary.hits(), 2 * COUNT);
    assert_eq!(candidate.hits(), COUNT);
    let (code, stderr) = shadow.stop();
    assert_eq!(code, 1, "the orders differ: the gate fails\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "{COUNT} requests forwarded, {COUNT} mirrored exchanges judged"
        )),
        "{stderr}"
    );

    let report = report_in(&project, "report");
    let (exchanges, equal, different, _, errors, skipped) = totals(&report);
    assert_eq!(
        (exchanges, equal, different, errors, skipped),
        (COUNT as u64, (COUNT / 10) as u64, orders as u64, 0, 0)
    );
    let log = project.read("mismatches.jsonl");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        assert_eq!(line["route"], "GET /orders/{id}");
        assert_eq!(line["signature"], "body $.total changed");
        assert_eq!(
            (line["old"].as_i64(), line["new"].as_i64()),
            (Some(10), Some(11))
        );
        let reproduce = line["reproduce"].as_str().expect("a command");
        assert!(reproduce.starts_with(&format!("curl -sS -i {}/orders/", candidate.url())));
    }
    assert!(!log.contains("client-secret"), "{log}");

    // The parts re-judge offline to the same counts.
    assert!(project.exists("report/outcomes-000001.jsonl.zst"));
    let rejudged = project.run(&["diff", "report", "--out", "again", "-q"]);
    assert_eq!(rejudged.code, 1, "{}", rejudged.stderr);
    let again = report_in(&project, "again");
    assert_eq!(again["totals"], report["totals"]);
    let outcomes = crate::common::unzstd(
        &std::fs::read(project.path().join("report/outcomes-000001.jsonl.zst")).unwrap(),
    );
    assert!(!String::from_utf8_lossy(&outcomes).contains("client-secret"));
}

#[test]
fn a_slow_resetting_failing_or_dead_candidate_never_changes_or_delays_the_client() {
    let primary = primary_server(10);
    let slow = TestServer::start(|request| {
        Action::Delayed(Duration::from_secs(4), Box::new(answer(request, 10)))
    });
    let resetting = TestServer::start(|_| Action::Reset);
    let failing = TestServer::start(|_| json(500, r#"{"error":"boom"}"#));
    let dead = closed_port_url();
    let want = paths(20);
    let (direct, _) = load(&primary.url(), &want, 4);
    for (name, candidate, expected) in [
        ("slow", slow.url(), "errors"),
        ("resetting", resetting.url(), "errors"),
        ("failing", failing.url(), "different"),
        ("dead", dead, "errors"),
    ] {
        let project = Project::new();
        let shadow = Shadow::start(
            project.path(),
            &primary.url(),
            &candidate,
            &["--timeout", "2s", "--drain-timeout", "5s"],
        );
        let (through, slowest) = load(&shadow.url, &want, 4);
        assert_eq!(through, direct, "{name}");
        // The slow candidate takes 4 s (past the 2 s timeout): a client waiting for it would
        // take that long.
        assert!(slowest < Duration::from_secs(1), "{name}: {slowest:?}");
        let (code, stderr) = shadow.stop();
        assert_eq!(code, 1, "{name}: {stderr}");
        let report = report_in(&project, "report");
        totals(&report);
        assert_eq!(count(&report, expected), 20, "{name}: {}", report["totals"]);
    }
}

#[test]
fn a_secondary_tells_noise_from_change() {
    use std::sync::atomic::{AtomicU64, Ordering};
    /// A fresh `ts` each answer (noise: no two servers ever give the same, as their `seed`s
    /// differ), and `total`.
    fn noisy(seed: u64, total: u32) -> TestServer {
        let clock = Arc::new(AtomicU64::new(0));
        TestServer::start(move |request| {
            let ts = clock.fetch_add(1, Ordering::SeqCst) * 7 + seed;
            json(
                200,
                &format!(r#"{{"path":"{}","ts":{ts},"total":{total}}}"#, request.path),
            )
        })
    }
    let primary = noisy(1, 10);
    let secondary = noisy(2, 10);
    let candidate = noisy(3, 12);
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &["--secondary", &secondary.url()],
    );
    let want: Vec<String> = (0..30).map(|i| format!("/orders/{i}")).collect();
    load(&shadow.url, &want, 4);
    let metrics = shadow.settle(30.0);
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_differences_total{route="GET /orders/{id}",signature="body $.total changed"}"#
        ),
        30.0
    );
    assert!(
        !metrics.keys().any(|key| key.contains("$.ts")),
        "noise is not counted as a difference: {metrics:?}"
    );
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_target_latency_seconds_count{target="secondary"}"#
        ),
        30.0
    );
    assert_eq!(secondary.hits(), 30);
    let (code, _) = shadow.stop();
    assert_eq!(code, 1);
    let report = report_in(&project, "report");
    let signatures = &report["routes"][0]["signatures"];
    let ts = signatures
        .as_array()
        .expect("signatures")
        .iter()
        .find(|s| s["path"] == "$.ts")
        .unwrap_or_else(|| panic!("{signatures}"));
    assert_eq!(ts["noise"], true, "{ts}");
    let total = signatures
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "$.total")
        .unwrap_or_else(|| panic!("{signatures}"));
    assert_eq!(
        (total["noise"].as_bool(), total["failing"].as_bool()),
        (Some(false), Some(true))
    );
}

#[test]
fn a_full_queue_skips_the_exchange_and_never_holds_the_client() {
    let primary = primary_server(10);
    let candidate = TestServer::start(|request| {
        Action::Delayed(Duration::from_millis(1500), Box::new(answer(request, 10)))
    });
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &[
            "--queue",
            "1",
            "--concurrency",
            "1",
            "--drain-timeout",
            "10s",
        ],
    );
    let want: Vec<String> = (0..20).map(|i| format!("/orders/{i}")).collect();
    let (through, slowest) = load(&shadow.url, &want, 20);
    assert!(through.iter().all(|seen| seen.status == 200));
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    let metrics = shadow.metrics();
    let full = series(&metrics, r#"shadowdiff_skipped_total{reason="queue_full"}"#);
    assert!(
        full >= 17.0,
        "one mirrored, one queued, the rest skipped: {metrics:?}"
    );
    let (code, stderr) = shadow.stop();
    assert_eq!(code, 0, "{stderr}");
    let report = report_in(&project, "report");
    let (exchanges, equal, _, _, _, skipped) = totals(&report);
    assert_eq!(exchanges, 20);
    assert_eq!(skipped, full as u64);
    assert_eq!(equal + skipped, 20, "{}", report["totals"]);
    let reasons = report["routes"][0]["skip_reasons"].to_string();
    assert!(reasons.contains("shadow queue full"), "{reasons}");
}

#[test]
fn sighup_writes_the_report_so_far_and_sigterm_the_final_one() {
    let primary = primary_server(10);
    let candidate = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(project.path(), &primary.url(), &candidate.url(), &[]);
    load(&shadow.url, &paths(5), 2);
    shadow.settle(5.0);
    let pid = i32::try_from(shadow.child.id()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !project.exists("report/report.json") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let so_far = report_in(&project, "report");
    assert_eq!(count(&so_far, "exchanges"), 5);
    assert!(project.exists("report/outcomes-000001.jsonl.zst"));
    load(&shadow.url, &paths(3), 2);
    shadow.settle(8.0);
    let (code, stderr) = shadow.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("report written to report (SIGHUP)"),
        "{stderr}"
    );
    let last = report_in(&project, "report");
    assert_eq!(totals(&last), (8, 8, 0, 0, 0, 0));
    assert!(project.exists("report/outcomes-000002.jsonl.zst"));
    assert!(!project.exists("report/outcomes-000003.jsonl.zst"));
    let rejudged = project.run(&["diff", "report", "--out", "again", "-q"]);
    assert_eq!(rejudged.code, 0, "{}", rejudged.stderr);
    assert_eq!(count(&report_in(&project, "again"), "exchanges"), 8);
    // The same folder is not reused: two processes' parts would read as one run.
    let refused = project.run(&[
        "shadow",
        "--listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--primary",
        &primary.url(),
        "--candidate",
        &candidate.url(),
        "--out",
        "report",
    ]);
    crate::common::assert_bad(&refused, &["outcomes-000001.jsonl.zst already exists"]);
}

/// Sends `method path` with a body through `base`; returns the status.
fn send(method: &str, url: &str, body: &'static str) -> u16 {
    block_on(async {
        let client = http_client().build().expect("client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        client
            .request(method, url)
            .body(body)
            .send()
            .await
            .expect("send")
            .status()
            .as_u16()
    })
}

#[test]
fn unsafe_methods_reach_the_primary_and_are_mirrored_only_when_allowed() {
    let primary = primary_server(10);
    let candidate = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(project.path(), &primary.url(), &candidate.url(), &[]);
    assert_eq!(
        send("POST", &format!("{}/orders", shadow.url), r#"{"n":1}"#),
        200
    );
    assert_eq!(send("GET", &format!("{}/orders/1", shadow.url), ""), 200);
    let metrics = shadow.settle(2.0);
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_skipped_total{reason="not_allowed"}"#
        ),
        1.0
    );
    let (code, _) = shadow.stop();
    assert_eq!(code, 0);
    assert_eq!(primary.hits(), 2);
    assert_eq!(candidate.hits(), 1);
    assert!(candidate.requests().iter().all(|r| r.method == "GET"));

    let allowed = Project::new();
    let shadow = Shadow::start(
        allowed.path(),
        &primary.url(),
        &candidate.url(),
        &["--allow-method", "POST"],
    );
    assert_eq!(
        send("POST", &format!("{}/orders", shadow.url), r#"{"n":2}"#),
        200
    );
    shadow.settle(1.0);
    shadow.stop();
    let posted = candidate.requests();
    let post = posted
        .iter()
        .find(|r| r.method == "POST")
        .expect("mirrored");
    assert_eq!(post.body_text(), r#"{"n":2}"#);
}

#[test]
fn sample_mirrors_a_share_and_skips_the_rest() {
    let primary = primary_server(10);
    let candidate = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &["--sample", "0"],
    );
    load(&shadow.url, &paths(10), 2);
    let metrics = shadow.settle(10.0);
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_skipped_total{reason="not_sampled"}"#
        ),
        10.0
    );
    let (code, _) = shadow.stop();
    assert_eq!(code, 1, "a gate with nothing compared fails, as in `run`");
    assert_eq!(candidate.hits(), 0);
    let report = report_in(&project, "report");
    assert_eq!(count(&report, "skipped"), 10);
    assert!(
        report["reasons"]
            .to_string()
            .contains("no exchange was compared"),
        "{}",
        report["reasons"]
    );

    // Half mirrored, the same half for the same traffic.
    let half = Project::new();
    let shadow = Shadow::start(
        half.path(),
        &primary.url(),
        &candidate.url(),
        &["--sample", "0.5"],
    );
    load(&shadow.url, &paths(200), 4);
    let metrics = shadow.settle(200.0);
    let mirrored = sum(&metrics, "shadowdiff_exchanges_total");
    assert!(
        (60.0..=140.0).contains(&mirrored),
        "{mirrored} of 200 mirrored"
    );
    assert_eq!(
        mirrored
            + series(
                &metrics,
                r#"shadowdiff_skipped_total{reason="not_sampled"}"#
            ),
        200.0
    );
    shadow.stop();
    assert_eq!(candidate.hits() as f64, mirrored);
}

/// Reads one HTTP/1.1 response with a `content-length` from `reader`: its head and body.
fn read_response(reader: &mut BufReader<TcpStream>) -> (String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a head line");
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_string)
        })
        .expect("content-length")
        .trim()
        .parse()
        .expect("a length");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    (head, body)
}

#[test]
fn pipelined_requests_and_a_streamed_request_body_are_answered_in_order() {
    let primary = TestServer::start(|request| {
        json(
            200,
            &format!(
                r#"{{"path":"{}","bytes":{}}}"#,
                request.path,
                request.body.len()
            ),
        )
    });
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &primary.url(),
        &["--allow-method", "POST"],
    );
    let addr = shadow.url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Three requests in one write; the second with a chunked body.
    stream
        .write_all(
            b"GET /a/1 HTTP/1.1\r\nhost: x\r\n\r\n\
              POST /b/2 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n\
              GET /c/3 HTTP/1.1\r\nhost: x\r\n\r\n",
        )
        .expect("write");
    let mut reader = BufReader::new(stream);
    let bodies: Vec<String> = (0..3)
        .map(|_| String::from_utf8(read_response(&mut reader).1).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            r#"{"path":"/a/1","bytes":0}"#,
            r#"{"path":"/b/2","bytes":7}"#,
            r#"{"path":"/c/3","bytes":0}"#
        ]
    );
    let metrics = shadow.settle(3.0);
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_exchanges_total{route="POST /b/{id}",outcome="equal"}"#
        ),
        1.0,
        "{metrics:?}"
    );
    let (code, _) = shadow.stop();
    assert_eq!(code, 0);
}

#[test]
fn bodies_over_the_cap_reach_the_client_whole_and_are_not_mirrored() {
    let big: Arc<Vec<u8>> = Arc::new((0..3_000_000u32).map(|i| (i % 251) as u8).collect());
    let served = big.clone();
    let primary = TestServer::start(move |_| Action::Respond {
        status: 200,
        headers: vec![("content-type".into(), "application/octet-stream".into())],
        body: served.to_vec(),
    });
    let candidate = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &["--max-body-bytes", "1000000"],
    );
    let (through, _) = load(&shadow.url, &["/blob/1".to_string()], 1);
    assert_eq!(through[0].body.len(), big.len());
    assert!(through[0].body == *big);
    let metrics = shadow.settle(1.0);
    assert_eq!(
        series(&metrics, r#"shadowdiff_skipped_total{reason="too_large"}"#),
        1.0
    );
    shadow.stop();
    assert_eq!(candidate.hits(), 0);
}

#[test]
fn healthz_answers_once_listening_and_bad_usage_is_exit_2() {
    let primary = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(project.path(), &primary.url(), &primary.url(), &[]);
    let health = shadow.metrics.replace("/metrics", "/healthz");
    let status = block_on(async {
        http_client()
            .build()
            .unwrap()
            .get(&health)
            .send()
            .await
            .expect("GET /healthz")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    shadow.stop();

    let primary_url = primary.url();
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--primary", &primary_url],
            &["no candidate", "--candidate"],
        ),
        (
            &["--primary", "localhost:9", "--candidate", &primary_url],
            &["--primary `localhost:9`", "http or https"],
        ),
        (
            &[
                "--listen",
                "nowhere",
                "--primary",
                &primary_url,
                "--candidate",
                &primary_url,
            ],
            &["--listen `nowhere` is not an address"],
        ),
    ];
    for (args, needles) in cases {
        let listen: &[&str] = if args.contains(&"--listen") {
            &[]
        } else {
            &["--listen", "127.0.0.1:0"]
        };
        let run = project.run(&[&["shadow"], listen, args].concat());
        crate::common::assert_bad(&run, needles);
    }
}

#[test]
fn a_candidate_that_cannot_start_is_exit_3() {
    let primary = primary_server(10);
    let project = Project::new();
    project.file(
        "shadowdiff.toml",
        "[targets.new]\nstart = \"exit 7\"\nready_timeout = 5\n",
    );
    let run = project.run(&[
        "shadow",
        "--listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--primary",
        &primary.url(),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("target candidate"), "{}", run.stderr);
    assert!(!run.stderr.contains("listening on"), "{}", run.stderr);
}

#[test]
fn exchanges_cut_off_by_the_drain_timeout_count_as_not_run() {
    let primary = primary_server(10);
    let candidate = TestServer::start(|_| Action::Hang);
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary.url(),
        &candidate.url(),
        &["--drain-timeout", "300ms", "--timeout", "30s"],
    );
    let (through, _) = load(&shadow.url, &paths(3), 3);
    assert!(through.iter().all(|seen| seen.status == 200));
    let (code, stderr) = shadow.stop();
    assert_eq!(code, 1, "an incomplete report fails the gate\n{stderr}");
    assert!(stderr.contains("3 cut off by --drain-timeout"), "{stderr}");
    let report = report_in(&project, "report");
    totals(&report);
    assert_eq!(count(&report, "not_run"), 3, "{}", report["totals"]);
    assert_eq!(report["incomplete"], true);
    let reasons = report["reasons"].to_string();
    assert!(reasons.contains("--drain-timeout ran out"), "{reasons}");
}

#[test]
fn the_shipped_dashboard_and_alert_rules_query_metrics_shadow_exports() {
    let primary = primary_server(10);
    let candidate = primary_server(11);
    let project = Project::new();
    let shadow = Shadow::start(project.path(), &primary.url(), &candidate.url(), &[]);
    load(&shadow.url, &paths(3), 1);
    let exported: std::collections::BTreeSet<String> = shadow
        .settle(3.0)
        .keys()
        .map(|key| key.split('{').next().unwrap().to_string())
        .collect();
    shadow.stop();
    let examples = crate::common::repo_root().join("examples/shadow");
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(examples.join("grafana-dashboard.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    let mut queries: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().expect("an expr").to_string())
        .collect();
    assert!(queries.len() >= 6, "{queries:?}");
    let alerts = std::fs::read_to_string(examples.join("alerts.yml")).unwrap();
    assert!(alerts.contains("for: 5m"));
    queries.push(alerts);
    let names = regex::Regex::new(r"shadowdiff_[a-z_]+").unwrap();
    for text in &queries {
        for name in names.find_iter(text) {
            assert!(
                exported.contains(name.as_str()),
                "`{}` is not a metric shadow exports: {exported:?}",
                name.as_str()
            );
        }
    }
}

#[test]
fn report_merge_joins_the_reports_of_shadow_processes_but_not_with_a_replay() {
    let primary = primary_server(10);
    let candidate = TestServer::start(|request| {
        let total = if request.path.ends_with('3') { 11 } else { 10 };
        answer(request, total)
    });
    let project = Project::new();

    for (name, count) in [("east", 10), ("west", 25)] {
        let dir = project.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let shadow = Shadow::start(&dir, &primary.url(), &candidate.url(), &[]);
        load(&shadow.url, &paths(count), 2);
        shadow.settle(count as f64);
        let (code, stderr) = shadow.stop();
        assert_eq!(code, 1, "{stderr}");
    }
    let merged = project.run(&[
        "report",
        "merge",
        "east/report",
        "west/report",
        "--out",
        "both",
        "-q",
    ]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let both = report_in(&project, "both");
    let east = report_in(&project, "east/report");
    let west = report_in(&project, "west/report");
    for key in ["exchanges", "equal", "different"] {
        assert_eq!(
            count(&both, key),
            count(&east, key) + count(&west, key),
            "{key}"
        );
    }
    assert_eq!(count(&both, "exchanges"), 35);
    // The joined outcomes judge again to the merged counts.
    let again = project.run(&["diff", "both/outcomes.jsonl.zst", "--out", "again", "-q"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(report_in(&project, "again")["totals"], both["totals"]);

    // A replayed run is not live traffic: the two do not merge.
    project.file(
        "rec.jsonl",
        crate::common::lines(&[crate::common::exchange("r1", "/orders/1", 200, "{}")]),
    );
    let run = project.run(&[
        "run",
        "rec.jsonl",
        "--old",
        "recorded",
        "--new",
        "recorded",
        "--out",
        "replayed",
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mixed = project.run(&[
        "report",
        "merge",
        "east/report",
        "replayed",
        "--out",
        "mixed",
    ]);
    crate::common::assert_bad(&mixed, &["holds live traffic", "`replayed`"]);
}

#[test]
fn shadowdiff_toml_names_the_targets_and_the_gate_and_report_every_writes_reports() {
    let primary = primary_server(10);
    let candidate = primary_server(11);
    let project = Project::new();
    project.file(
        "shadowdiff.toml",
        format!(
            "[targets.old]\nurl = \"{}\"\n[targets.new]\nurl = \"{}\"\n[gate]\nmax_diff_rate = 1.0\n",
            primary.url(),
            candidate.url()
        ),
    );
    let mut child = shadowdiff(
        project.path(),
        &[
            "shadow",
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--out",
            "report",
            "--report-every",
            "200ms",
        ],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start shadowdiff shadow");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("shadowdiff shadow: listening on ")
        .and_then(|rest| rest.split_once(';'))
        .map(|(url, _)| url.to_string())
        .unwrap_or_else(|| panic!("{first:?}"));
    load(&url, &paths(4), 2);
    // No signal: --report-every writes the folder on its own.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut written = 0;
    while written < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        if project.exists("report/report.json") {
            written = count(&report_in(&project, "report"), "exchanges");
        }
    }
    assert_eq!(written, 4);
    let status = signal_and_wait(&mut child, libc::SIGTERM);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("(--report-every)"), "{rest}");
    assert_eq!(
        status.code(),
        Some(0),
        "max_diff_rate = 1.0 lets every difference pass\n{rest}"
    );
    let report = report_in(&project, "report");
    assert_eq!(count(&report, "different"), 4);

    // A primary that is not a base URL is named with its line.
    project.file(
        "shadowdiff.toml",
        format!(
            "[targets.old]\nurl = \"ftp://x\"\n[targets.new]\nurl = \"{}\"\n",
            candidate.url()
        ),
    );
    let bad = project.run(&["shadow", "--listen", "127.0.0.1:0", "--out", "again"]);
    crate::common::assert_bad(&bad, &["shadowdiff.toml:2", "url", "http or https"]);
}

#[test]
fn a_primary_that_closes_each_connection_after_answering_never_gives_a_client_a_502() {
    let primary = answer_once_then_close();
    let candidate = primary_server(10);
    let project = Project::new();
    let shadow = Shadow::start(
        project.path(),
        &primary,
        &candidate.url(),
        &["--sample", "0"],
    );
    let want: Vec<String> = (0..20).map(|i| format!("/items/{i}")).collect();
    let (through, _) = load(&shadow.url, &want, 1);
    let statuses: Vec<u16> = through.iter().map(|seen| seen.status).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    let metrics = shadow.settle(20.0);
    assert_eq!(
        series(
            &metrics,
            r#"shadowdiff_skipped_total{reason="primary_failed"}"#
        ),
        0.0
    );
    shadow.stop();
}
