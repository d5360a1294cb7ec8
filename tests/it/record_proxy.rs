//! `shadowdiff record` as a real process on real loopback sockets: forwarding fidelity under
//! load, the recording read back, redaction, sampling and filters, rotation, upstream failures,
//! graceful stop on SIGTERM, and bad usage.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Stdio};
use std::sync::Arc;

use crate::common::servers::{closed_port_url, Action, TestServer};
use crate::common::{
    block_on, gzip, http_client, peak_memory_kib, read_recording, shadowdiff, signal_and_wait,
    Project,
};
use shadowdiff_core::header;

/// A running `shadowdiff record`.
struct Proxy {
    child: Child,
    stderr: BufReader<ChildStderr>,
    url: String,
}

impl Proxy {
    /// Starts `shadowdiff record --listen 127.0.0.1:0 --upstream UPSTREAM -o OUTPUT EXTRA...`
    /// and reads the address from its first line on stderr.
    fn start(dir: &Path, upstream: &str, output: &str, extra: &[&str]) -> Proxy {
        let mut child = shadowdiff(
            dir,
            &[
                "record",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                upstream,
                "-o",
                output,
            ],
        )
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shadowdiff record");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("read the first line");
        let url = first
            .trim()
            .strip_prefix("shadowdiff record: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .to_string();
        Proxy { child, stderr, url }
    }

    /// Sends SIGTERM, waits, and returns the exit code and the rest of stderr.
    fn stop(mut self) -> (i32, String) {
        let status = signal_and_wait(&mut self.child, libc::SIGTERM);
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("read stderr");
        (status.code().unwrap_or(-1), rest)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The upstream of most tests: a gzip-encoded JSON body naming the path, a repeated header and a
/// cookie.
fn echo_server() -> TestServer {
    TestServer::start(|request| Action::Respond {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("content-encoding".into(), "gzip".into()),
            ("x-multi".into(), "one".into()),
            ("x-multi".into(), "two".into()),
            ("set-cookie".into(), "session=s3cret".into()),
        ],
        body: gzip(format!(r#"{{"path":"{}"}}"#, request.path)),
    })
}

/// The recording files in `dir`, in name order.
fn recording_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".jsonl.zst"))
        .collect();
    files.sort();
    files
}

/// What the client saw.
struct Seen {
    path: String,
    status: u16,
    multi: Vec<String>,
    encoding: Option<String>,
    body: Vec<u8>,
}

/// Sends `count` requests through `base`, `concurrency` at a time: GET /items/I?n=I with an
/// authorization header, every fifth a POST with a binary body.
fn load(base: &str, count: usize, concurrency: usize) -> Vec<Seen> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = http_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = Vec::with_capacity(count);
        for i in 0..count {
            let permit = semaphore.clone().acquire_owned().await.expect("permit");
            let client = client.clone();
            let path = format!("/items/{i}?n={i}");
            let url = format!("{base}{path}");
            tasks.push(tokio::spawn(async move {
                let request = if i % 5 == 0 {
                    client.post(&url).body(post_body(i))
                } else {
                    client.get(&url)
                };
                let response = request
                    .header("authorization", format!("Bearer secret-{i}"))
                    .send()
                    .await
                    .expect("send through the proxy");
                let status = response.status().as_u16();
                let multi = response
                    .headers()
                    .get_all("x-multi")
                    .iter()
                    .map(|v| v.to_str().unwrap_or_default().to_string())
                    .collect();
                let encoding = response
                    .headers()
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap_or_default().to_string());
                let body = response.bytes().await.expect("body").to_vec();
                drop(permit);
                Seen {
                    path,
                    status,
                    multi,
                    encoding,
                    body,
                }
            }));
        }
        let mut seen = Vec::with_capacity(count);
        for task in tasks {
            seen.push(task.await.expect("request task"));
        }
        seen
    })
}

/// Sends one request and returns the status and the body as text.
fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    block_on(async {
        let client = http_client().build().expect("client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    })
}

/// The binary body of POST number `i`.
fn post_body(i: usize) -> Vec<u8> {
    vec![0xff, 0x00, (i % 251) as u8, 0xc3, 0x28]
}

#[test]
fn under_load_every_answer_is_unchanged_and_recorded_once() {
    const COUNT: usize = 5_000;
    let server = echo_server();
    let project = Project::new();
    let proxy = Proxy::start(project.path(), &server.url(), "capture.jsonl.zst", &[]);
    let seen = load(&proxy.url, COUNT, 32);
    for answer in &seen {
        assert_eq!(answer.status, 200, "{}", answer.path);
        assert_eq!(answer.encoding.as_deref(), Some("gzip"));
        assert_eq!(answer.multi, ["one", "two"], "{}", answer.path);
        let expected = gzip(format!(r#"{{"path":"{}"}}"#, answer.path));
        assert_eq!(answer.body, expected, "{}", answer.path);
    }
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "recorded {COUNT} exchanges to capture-000001.jsonl.zst"
        )),
        "{stderr}"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), COUNT);
    for request in &requests {
        let i: usize = request.path["/items/".len()..]
            .split('?')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a numbered path");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer secret-{i}").as_str()),
            "the upstream gets the secret"
        );
        if i % 5 == 0 {
            assert_eq!(request.body, post_body(i));
        }
    }

    let recorded = read_recording(&project.path().join("capture-000001.jsonl.zst"));
    assert_eq!(recorded.len(), COUNT);
    let mut paths = std::collections::BTreeSet::new();
    let mut ids = std::collections::BTreeSet::new();
    for exchange in &recorded {
        assert!(ids.insert(exchange.id.clone()), "id {} twice", exchange.id);
        assert!(
            paths.insert(exchange.request.url.clone()),
            "{} twice",
            exchange.request.url
        );
        let i: usize = exchange
            .request
            .url
            .rsplit('=')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            exchange.request.method,
            if i % 5 == 0 { "POST" } else { "GET" }
        );
        if i % 5 == 0 {
            assert_eq!(exchange.request.body.bytes(), post_body(i).as_slice());
        }
        assert_eq!(
            header(&exchange.request.headers, "authorization"),
            Some("[redacted]")
        );
        let ts = exchange.ts.as_deref().expect("ts");
        assert!(
            ts.len() == 24 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
            "{ts}"
        );
        let response = exchange.response.as_ref().expect("a response");
        assert_eq!(response.status, 200);
        assert_eq!(header(&response.headers, "set-cookie"), Some("[redacted]"));
        assert_eq!(header(&response.headers, "content-encoding"), Some("gzip"));
        let multi: Vec<&str> = response
            .headers
            .iter()
            .filter(|(name, _)| name == "x-multi")
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(multi, ["one", "two"]);
        let expected = gzip(format!(r#"{{"path":"{}"}}"#, exchange.request.url));
        assert_eq!(response.body.bytes(), expected.as_slice());
    }
    for i in 0..COUNT {
        assert!(paths.contains(&format!("/items/{i}?n={i}")), "{i} missing");
    }
}

#[test]
fn keep_secrets_writes_them_as_sent() {
    let server = echo_server();
    let project = Project::new();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "keep.jsonl.zst",
        &["--keep-secrets"],
    );
    load(&proxy.url, 3, 1);
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    let recorded = read_recording(&project.path().join("keep-000001.jsonl.zst"));
    assert_eq!(recorded.len(), 3);
    for exchange in &recorded {
        let auth = header(&exchange.request.headers, "authorization").unwrap();
        assert!(auth.starts_with("Bearer secret-"), "{auth}");
        let response = exchange.response.as_ref().unwrap();
        assert_eq!(
            header(&response.headers, "set-cookie"),
            Some("session=s3cret")
        );
    }
}

#[test]
fn extra_headers_are_redacted_and_forwarded() {
    let server = echo_server();
    let project = Project::new();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "r.jsonl",
        &["--redact-header", "X-Api-Key"],
    );
    let (status, _) = send(
        "GET",
        &format!("{}/k", proxy.url),
        &[("x-api-key", "k-123")],
    );
    assert_eq!(status, 200);
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.requests()[0].header("x-api-key"), Some("k-123"));
    let text = project.read("r-000001.jsonl");
    assert!(!text.contains("k-123"), "{text}");
    let recorded = read_recording(&project.path().join("r-000001.jsonl"));
    assert_eq!(
        header(&recorded[0].request.headers, "x-api-key"),
        Some("[redacted]")
    );
}

#[test]
fn sample_zero_forwards_everything_and_records_nothing() {
    let server = echo_server();
    let project = Project::new();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "none.jsonl.zst",
        &["--sample", "0"],
    );
    let seen = load(&proxy.url, 20, 4);
    assert!(seen.iter().all(|s| s.status == 200));
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.hits(), 20);
    assert!(
        stderr.contains("recorded 0 exchanges to no file"),
        "{stderr}"
    );
    assert!(recording_files(project.path()).is_empty());
}

#[test]
fn method_and_route_filters_choose_what_is_recorded() {
    let server = echo_server();
    let project = Project::new();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "f.jsonl.zst",
        &["--method", "GET", "--exclude-route", "GET /health"],
    );
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/orders/17"),
        ("POST", "/orders/17"),
    ] {
        let (status, _) = send(method, &format!("{}{path}", proxy.url), &[]);
        assert_eq!(status, 200);
    }
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.hits(), 3);
    let recorded = read_recording(&project.path().join("f-000001.jsonl.zst"));
    let urls: Vec<(&str, &str)> = recorded
        .iter()
        .map(|e| (e.request.method.as_str(), e.request.url.as_str()))
        .collect();
    assert_eq!(urls, [("GET", "/orders/17")]);
}

#[test]
fn rotation_writes_parts_that_read_back_as_a_folder_in_order() {
    let server = echo_server();
    let project = Project::new();
    std::fs::create_dir(project.path().join("rec")).unwrap();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "rec/capture.jsonl.zst",
        &["--rotate-bytes", "3000"],
    );
    let seen = load(&proxy.url, 60, 1);
    assert!(seen.iter().all(|s| s.status == 200));
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    let files = recording_files(&project.path().join("rec"));
    assert!(files.len() >= 3, "{files:?}");
    for (n, file) in files.iter().enumerate() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!("capture-{:06}.jsonl.zst", n + 1));
    }
    let recorded = read_recording(&project.path().join("rec"));
    let ids: Vec<String> = recorded.iter().map(|e| e.id.clone()).collect();
    let expected: Vec<String> = (1..=60).map(|n| format!("c{n:06}")).collect();
    assert_eq!(ids, expected, "name order is time order");
}

#[test]
fn an_unreachable_upstream_gives_502_and_a_request_only_exchange() {
    let project = Project::new();
    let proxy = Proxy::start(project.path(), &closed_port_url(), "down.jsonl.zst", &[]);
    let (status, text) = send("GET", &format!("{}/orders/1", proxy.url), &[]);
    assert_eq!(status, 502);
    assert!(text.contains("upstream error"), "{text}");
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    let recorded = read_recording(&project.path().join("down-000001.jsonl.zst"));
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].request.url, "/orders/1");
    assert!(recorded[0].response.is_none());
}

#[test]
fn a_body_over_the_cap_reaches_the_client_whole_and_is_recorded_without_it() {
    const STREAMED: usize = 96 * 1024 * 1024;
    let server = TestServer::start(|_| Action::Endless);
    let project = Project::new();
    let proxy = Proxy::start(
        project.path(),
        &server.url(),
        "capture.jsonl.zst",
        &["--max-body-bytes", "1048576", "--timeout", "5s"],
    );
    let received = block_on(async {
        let client = http_client().build().expect("client");
        let mut response = client
            .get(format!("{}/export", proxy.url))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200);
        let mut received = 0;
        while received < STREAMED {
            let chunk = response.chunk().await.expect("a chunk").expect("more");
            assert!(
                chunk.iter().all(|b| *b == b'x'),
                "the body changed on the way"
            );
            received += chunk.len();
        }
        received
    });
    assert!(received >= STREAMED);
    // Holding what it forwards would take more than the 96 MiB streamed.
    let peak = peak_memory_kib(proxy.child.id()).expect("VmHWM of the running proxy");
    assert!(peak < 64 * 1024, "the proxy peaked at {peak} KiB");
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    let recorded = read_recording(&project.path().join("capture-000001.jsonl.zst"));
    assert_eq!(recorded.len(), 1, "{stderr}");
    assert_eq!(recorded[0].request.url, "/export");
    assert!(recorded[0].response.is_none(), "{:?}", recorded[0].response);
    let note = &recorded[0].tags["response_not_recorded"];
    assert!(note.contains("cap of 1048576 bytes"), "{note}");
}

#[test]
fn bad_usage_exits_2() {
    let project = Project::new();
    let bad_listen = project.run(&[
        "record",
        "--listen",
        "nowhere",
        "--upstream",
        "http://127.0.0.1:9",
        "-o",
        "a.jsonl.zst",
    ]);
    assert_eq!(bad_listen.code, 2, "{}", bad_listen.stderr);
    assert!(
        bad_listen.stderr.contains("--listen"),
        "{}",
        bad_listen.stderr
    );
    let bad_upstream = project.run(&[
        "record",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "ftp://x",
        "-o",
        "a.jsonl.zst",
    ]);
    assert_eq!(bad_upstream.code, 2, "{}", bad_upstream.stderr);
    assert!(
        bad_upstream.stderr.contains("--upstream"),
        "{}",
        bad_upstream.stderr
    );
    project.file("a-000001.jsonl.zst", "");
    let taken = project.run(&[
        "record",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:9",
        "-o",
        "a.jsonl.zst",
    ]);
    assert_eq!(taken.code, 2, "{}", taken.stderr);
    assert!(taken.stderr.contains("already exists"), "{}", taken.stderr);
    let bad_sample = project.run(&[
        "record",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        "http://127.0.0.1:9",
        "-o",
        "b.jsonl",
        "--sample",
        "2",
    ]);
    assert_eq!(bad_sample.code, 2, "{}", bad_sample.stderr);
}

#[test]
fn an_upstream_that_closes_each_connection_after_answering_never_gives_a_client_a_502() {
    let upstream = crate::common::servers::answer_once_then_close();
    let project = Project::new();
    let proxy = Proxy::start(project.path(), &upstream, "capture.jsonl.zst", &[]);
    for i in 0..20 {
        let (status, body) = send("GET", &format!("{}/items/{i}", proxy.url), &[]);
        assert_eq!((status, body.as_str()), (200, "ok"), "request {i}");
    }
    let (code, stderr) = proxy.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("recorded 20 exchanges"), "{stderr}");
}
