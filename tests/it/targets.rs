//! Targets against real loopback servers and real processes: what is sent, what comes back, and
//! how each kind of failure is reported.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{gzip, Project};
use shadowdiff_core::{header, Body, Exchange, Request, Response};
use shadowdiff_replay::{CallError, Target, TargetConfig, TargetSettings};

fn settings(log_dir: &Path, timeout: Duration) -> TargetSettings {
    TargetSettings {
        timeout,
        log_dir: log_dir.to_path_buf(),
        lanes: 1,
        max_body_bytes: 1024 * 1024,
        data_dir: log_dir.join("data"),
    }
}

fn exchange(method: &str, url: &str, headers: &[(&str, &str)], body: Body) -> Exchange {
    Exchange {
        id: format!("{method} {url}"),
        ts: None,
        request: Request {
            method: method.into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body,
        },
        response: None,
        tags: Default::default(),
    }
}

fn get(url: &str) -> Exchange {
    exchange("GET", url, &[], Body::Empty)
}

fn url_config(url: &str) -> TargetConfig {
    TargetConfig {
        url: Some(url.into()),
        ..TargetConfig::default()
    }
}

/// Reads one request (head and a `content-length` body) from `stream`.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            if raw.len() >= end + 4 + length {
                return raw;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// A one-request-per-connection HTTP server. `/hang` never answers, `/close` closes without
/// answering, `/garbage` answers with something that is not HTTP, `/gzip` answers with a gzip
/// body, anything else echoes the raw request as the body.
fn test_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let raw = read_request(&mut stream);
                let first = String::from_utf8_lossy(&raw)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let path = first.split(' ').nth(1).unwrap_or("");
                let (head, body): (String, Vec<u8>) = match path {
                    "/hang" => {
                        std::thread::sleep(Duration::from_secs(5));
                        return;
                    }
                    "/close" => return,
                    "/garbage" => {
                        let _ = stream.write_all(b"SURPRISE nonsense\r\n\r\n");
                        return;
                    }
                    "/gzip" => (
                        "content-type: text/plain\r\ncontent-encoding: gzip\r\n".into(),
                        gzip("hello hello hello"),
                    ),
                    _ => (
                        "x-a: 1\r\nset-cookie: a=1\r\nx-b: 2\r\nset-cookie: b=2\r\n".into(),
                        raw.clone(),
                    ),
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\n{head}content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    port
}

/// The request head as the server received it, lower-cased, one line each.
fn received_head(reply_body: &Body) -> Vec<String> {
    let bytes = reply_body.bytes();
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .map(str::to_lowercase)
        .collect()
}

fn has_header(head: &[String], name: &str) -> bool {
    head.iter().any(|l| l.starts_with(&format!("{name}:")))
}

#[tokio::test]
async fn http_requests_are_sent_as_recorded_minus_hop_by_hop_with_edits() {
    std::env::set_var("SHADOWDIFF_TARGETS_TEST_TOKEN", "tok123");
    let dir = Project::new();
    let port = test_server();
    let mut config = url_config(&format!("http://127.0.0.1:{port}/base/"));
    config.headers.set.insert(
        "Authorization".into(),
        "Bearer ${SHADOWDIFF_TARGETS_TEST_TOKEN}".into(),
    );
    config.headers.remove.push("Cookie".into());
    let target = Target::start(
        "new",
        &config,
        &settings(dir.path(), Duration::from_secs(5)),
    )
    .await
    .unwrap();
    assert_eq!(target.name(), "new");
    let body = vec![0u8, 255, 1, 2, b'\n', 0x80];
    let sent = exchange(
        "POST",
        "/orders/1?expand=items&x=%20",
        &[
            ("Host", "prod.example"),
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Content-Length", "999"),
            ("x-keep", "1"),
            ("Cookie", "session=1"),
            ("Authorization", "Basic old"),
            ("x-keep", "2"),
        ],
        Body::Binary(body.clone()),
    );
    let reply = target.call(&sent, 0).await.unwrap();
    assert_eq!(reply.response.status, 200);
    assert!(reply.latency > Duration::ZERO);
    let head = received_head(&reply.response.body);
    assert_eq!(head[0], "post /base/orders/1?expand=items&x=%20 http/1.1");
    for gone in [
        "connection",
        "keep-alive",
        "te",
        "transfer-encoding",
        "upgrade",
        "cookie",
    ] {
        assert!(!has_header(&head, gone), "{gone} was sent: {head:?}");
    }
    assert!(
        head.contains(&format!("host: 127.0.0.1:{port}")),
        "{head:?}"
    );
    assert!(head.contains(&"content-length: 6".to_owned()), "{head:?}");
    assert!(
        head.contains(&"authorization: bearer tok123".to_owned()),
        "{head:?}"
    );
    let keeps: Vec<_> = head.iter().filter(|l| l.starts_with("x-keep:")).collect();
    assert_eq!(keeps, ["x-keep: 1", "x-keep: 2"]);
    assert!(
        reply.response.body.bytes().ends_with(&body),
        "binary body round trip"
    );
    assert!(matches!(reply.response.body, Body::Binary(_)));

    let names: Vec<&str> = reply
        .response
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    let cookies: Vec<&str> = reply
        .response
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert!(
        names.contains(&"x-a") && names.contains(&"x-b"),
        "{names:?}"
    );
    target.stop().await;
}

/// What a [`keep_alive_server`] counted: connections accepted and requests read.
#[derive(Clone, Default)]
struct Counts {
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl Counts {
    fn get(&self) -> (usize, usize) {
        (
            self.connections.load(Ordering::SeqCst),
            self.requests.load(Ordering::SeqCst),
        )
    }
}

/// A keep-alive HTTP server answering each request with its path; with `close_after_answer`
/// it closes each connection once it has answered, without saying so. Returns its URL and what
/// it counts.
fn keep_alive_server(close_after_answer: bool) -> (String, Counts) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counts = Counts::default();
    let counting = counts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counting.connections.fetch_add(1, Ordering::SeqCst);
            let counting = counting.clone();
            std::thread::spawn(move || loop {
                let raw = read_request(&mut stream);
                if raw.is_empty() {
                    return;
                }
                counting.requests.fetch_add(1, Ordering::SeqCst);
                let first = String::from_utf8_lossy(&raw)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let path = first.split(' ').nth(1).unwrap_or("").to_owned();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{path}",
                    path.len()
                );
                if stream.write_all(answer.as_bytes()).is_err() || close_after_answer {
                    return;
                }
            });
        }
    });
    (url, counts)
}

/// Calls `target` with `exchange` and checks that the answer is the request's path.
async fn answers_its_path(target: &Target, exchange: Exchange) {
    let reply = target.call(&exchange, 0).await.unwrap();
    assert_eq!(reply.response.body.bytes(), exchange.request.url.as_bytes());
}

#[tokio::test]
async fn calls_reuse_the_lanes_connections_and_pass_over_ones_the_server_closed() {
    let dir = Project::new();
    let config = settings(dir.path(), Duration::from_secs(5));
    let (url, counts) = keep_alive_server(false);
    let target = Target::start("new", &url_config(&url), &config)
        .await
        .unwrap();
    for i in 0..5 {
        answers_its_path(&target, get(&format!("/orders/{i}"))).await;
    }
    assert_eq!(
        counts.get(),
        (1, 5),
        "one connection for calls one after another"
    );
    let at_once = (0..4).map(|i| answers_its_path(&target, get(&format!("/at-once/{i}"))));
    futures_util::future::join_all(at_once).await;
    assert_eq!(
        counts.get(),
        (4, 9),
        "four calls at once: the idle connection and three new ones"
    );
    target.stop().await;

    // The server closes each connection after its answer: an idle connection it closed is not
    // used again, so every POST is answered, each sent once.
    let (url, counts) = keep_alive_server(true);
    let target = Target::start("new", &url_config(&url), &config)
        .await
        .unwrap();
    for i in 0..3 {
        let post = exchange("POST", &format!("/orders/{i}"), &[], Body::Empty);
        answers_its_path(&target, post).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counts.get(), (3, 3));
    target.stop().await;
}

#[tokio::test]
async fn preserve_host_sends_the_recorded_host() {
    let dir = Project::new();
    let port = test_server();
    let mut config = url_config(&format!("http://127.0.0.1:{port}"));
    config.preserve_host = true;
    let target = Target::start(
        "old",
        &config,
        &settings(dir.path(), Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let sent = exchange("GET", "/x", &[("Host", "prod.example")], Body::Empty);
    let reply = target.call(&sent, 0).await.unwrap();
    let head = received_head(&reply.response.body);
    assert_eq!(head[0], "get /x http/1.1");
    assert!(head.contains(&"host: prod.example".to_owned()), "{head:?}");
}

#[tokio::test]
async fn bodies_stay_as_the_server_sent_them() {
    let dir = Project::new();
    let port = test_server();
    let config = url_config(&format!("http://127.0.0.1:{port}"));
    let target = Target::start(
        "old",
        &config,
        &settings(dir.path(), Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let reply = target.call(&get("/gzip"), 0).await.unwrap();
    assert_eq!(reply.response.body.bytes(), gzip("hello hello hello"));
    assert_eq!(
        header(&reply.response.headers, "content-encoding"),
        Some("gzip")
    );
}

#[tokio::test]
async fn http_failures_have_the_right_kind() {
    let dir = Project::new();
    let port = test_server();
    let short = settings(dir.path(), Duration::from_millis(300));
    let target = Target::start(
        "new",
        &url_config(&format!("http://127.0.0.1:{port}")),
        &short,
    )
    .await
    .unwrap();

    let started = Instant::now();
    assert_eq!(target.call(&get("/hang"), 0).await, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(3));

    let err = target.call(&get("/close"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "reset", "{err}");
    // Read, then closed without an answer: written, so only an idempotent method goes again.
    assert!(err.may_resend("GET") && err.may_resend("PUT"), "{err:?}");
    assert!(
        !err.may_resend("POST") && !err.may_resend("PATCH"),
        "{err:?}"
    );

    let err = target.call(&get("/garbage"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "bad_response", "{err}");

    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = Target::start(
        "new",
        &url_config(&format!("http://127.0.0.1:{closed}")),
        &short,
    )
    .await
    .unwrap();
    let err = target.call(&get("/"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "refused", "{err}");
    assert!(err.to_string().contains(&closed.to_string()), "{err}");
    assert!(err.may_resend("POST"), "nothing was sent: {err:?}");
}

#[tokio::test]
async fn recorded_target_answers_from_the_recording() {
    let dir = Project::new();
    let target = Target::start(
        "old",
        &url_config("recorded"),
        &settings(dir.path(), Duration::from_secs(1)),
    )
    .await
    .unwrap();
    let mut with = get("/");
    let response = Response {
        status: 418,
        headers: vec![],
        body: Body::Text("tea".into()),
    };
    with.response = Some(response.clone());
    assert_eq!(target.call(&with, 0).await.unwrap().response, response);
    assert_eq!(
        target.call(&get("/"), 0).await.unwrap_err().kind(),
        "bad_response"
    );
}

#[tokio::test]
async fn bad_configurations_are_usage_errors_that_say_why() {
    let dir = Project::new();
    let settings = settings(dir.path(), Duration::from_secs(1));
    let mut bad_header = url_config("http://127.0.0.1:1");
    bad_header
        .headers
        .set
        .insert("bad header".into(), "x".into());
    let mut missing_env = url_config("http://127.0.0.1:1");
    missing_env.headers.set.insert(
        "authorization".into(),
        "${SHADOWDIFF_TARGETS_TEST_UNSET}".into(),
    );
    let cases = [
        (url_config("ftp://example.com"), "unknown target url"),
        (url_config("http://127.0.0.1:{port}"), "{port}"),
        (url_config("exec:"), "needs a command"),
        (TargetConfig::default(), "needs a `url`"),
        (bad_header, "`bad header`"),
        (missing_env, "SHADOWDIFF_TARGETS_TEST_UNSET"),
    ];
    for (config, expected) in cases {
        let Err(err) = Target::start("new", &config, &settings).await else {
            panic!("{config:?} started");
        };
        assert!(
            matches!(err, shadowdiff_replay::Error::Core(_)),
            "a bad setting (exit 2): {err}"
        );
        let message = err.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("targets.new"), "{message}");
    }
}

const EXEC_SCRIPT: &str = r#"
import json, sys, time
for line in sys.stdin:
    msg = json.loads(line)
    req = msg["request"]
    url = req["url"]
    sys.stderr.write("got " + url + "\n")
    sys.stderr.flush()
    if url == "/hang":
        time.sleep(60)
    if url == "/die":
        sys.exit(3)
    if url == "/garbage":
        print("this is not json", flush=True)
        continue
    if url == "/bare":
        print(json.dumps({"status": 202, "headers": [], "body": None}), flush=True)
        continue
    headers = [["x-method", req["method"]]] + req["headers"]
    print(json.dumps({"id": msg["id"], "response": {"status": 200, "headers": headers, "body": {"text": url}}}), flush=True)
"#;

async fn exec_target(dir: &Path, timeout: Duration) -> Target {
    let script = dir.join("echo.py");
    std::fs::write(&script, EXEC_SCRIPT).unwrap();
    let mut config = url_config(&format!("exec:python3 -u {}", script.display()));
    config.headers.set.insert("x-set".into(), "yes".into());
    Target::start("new", &config, &settings(&dir.join("logs"), timeout))
        .await
        .unwrap()
}

#[tokio::test]
async fn exec_targets_answer_json_lines_and_restart_after_failures() {
    let dir = Project::new();
    let target = exec_target(dir.path(), Duration::from_millis(1500)).await;

    let reply = target
        .call(&exchange("POST", "/a", &[("x-in", "1")], Body::Empty), 0)
        .await
        .unwrap();
    assert_eq!(reply.response.status, 200);
    assert_eq!(reply.response.body, Body::Text("/a".into()));
    let headers = &reply.response.headers;
    assert_eq!(header(headers, "x-method"), Some("POST"));
    assert_eq!(header(headers, "x-in"), Some("1"));
    assert_eq!(header(headers, "x-set"), Some("yes"));
    assert_eq!(
        target.call(&get("/bare"), 0).await.unwrap().response.status,
        202
    );

    let err = target.call(&get("/die"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "crashed", "{err}");
    assert!(err.to_string().contains("exit status: 3"), "{err}");
    assert_eq!(
        target.call(&get("/b"), 0).await.unwrap().response.status,
        200
    );

    let err = target.call(&get("/garbage"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "bad_response", "{err}");
    assert_eq!(
        target.call(&get("/c"), 0).await.unwrap().response.status,
        200
    );

    let started = Instant::now();
    assert_eq!(target.call(&get("/hang"), 0).await, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        target.call(&get("/d"), 0).await.unwrap().response.status,
        200
    );

    let log = target.log_path().unwrap().to_path_buf();
    assert_eq!(log, dir.path().join("logs/new.log"));
    target.stop().await;
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("got /a") && log.contains("got /d"), "{log}");
}

#[tokio::test]
async fn an_exec_answer_line_over_the_cap_is_body_too_large_and_the_process_restarts() {
    let dir = Project::new();
    // Answers /short with a line, and anything else with a line that never ends.
    let script = "while read -r line; do case \"$line\" in *'\"/short\"'*) \
                  echo '{\"status\": 200}';; *) yes x | tr -d '\\n';; esac; done";
    let target = Target::start(
        "new",
        &url_config(&format!("exec:{script}")),
        &settings(dir.path(), Duration::from_secs(10)),
    )
    .await
    .unwrap();
    let err = target.call(&get("/endless"), 0).await.unwrap_err();
    assert_eq!(err, CallError::BodyTooLarge { cap: 1024 * 1024 });
    assert!(err.to_string().contains("cap of 1048576 bytes"), "{err}");
    assert!(!err.may_resend("GET"));
    let reply = target.call(&get("/short"), 0).await.unwrap();
    assert_eq!(reply.response.status, 200);
    target.stop().await;
}

#[tokio::test]
async fn an_exec_target_that_keeps_dying_is_given_up() {
    let dir = Project::new();
    let target = Target::start(
        "old",
        &url_config("exec:echo dying >&2; exit 1"),
        &settings(dir.path(), Duration::from_secs(5)),
    )
    .await
    .unwrap();
    for _ in 0..5 {
        let err = target.call(&get("/"), 0).await.unwrap_err();
        assert_eq!(err.kind(), "crashed");
        assert!(!err.to_string().contains("giving up"), "{err}");
    }
    let started = Instant::now();
    let err = target.call(&get("/"), 0).await.unwrap_err();
    assert_eq!(err.kind(), "crashed");
    assert!(
        err.to_string().contains("died 5 times in a row; giving up"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(100));
}

fn port_of(target: &Target) -> u16 {
    let base = target.base_url().unwrap();
    base.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn managed_targets_start_answer_and_stop() {
    let dir = Project::new();
    std::fs::write(dir.path().join("hello.txt"), "hello").unwrap();
    let config = TargetConfig {
        start: Some(format!(
            "cd {} && exec python3 -m http.server {{port}} --bind 127.0.0.1",
            dir.path().display()
        )),
        ready: Some("/".into()),
        ready_timeout: Some(20.0),
        ..TargetConfig::default()
    };
    let logs = dir.path().join("report");
    let target = Target::start("old", &config, &settings(&logs, Duration::from_secs(5)))
        .await
        .unwrap();
    let port = port_of(&target);
    let reply = target.call(&get("/hello.txt"), 0).await.unwrap();
    assert_eq!(reply.response.status, 200);
    assert_eq!(reply.response.body, Body::Text("hello".into()));
    assert_eq!(target.log_path(), Some(logs.join("old.log").as_path()));
    assert!(logs.join("old.log").exists());
    target.stop().await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening"
    );
}

#[tokio::test]
async fn a_managed_target_that_exits_says_how_and_shows_its_log() {
    let dir = Project::new();
    let config = TargetConfig {
        start: Some("echo port {port} is not for me; exit 7".into()),
        ready_timeout: Some(10.0),
        ..TargetConfig::default()
    };
    let started = Instant::now();
    let Err(err) = Target::start(
        "new",
        &config,
        &settings(dir.path(), Duration::from_secs(1)),
    )
    .await
    else {
        panic!("started");
    };
    assert!(
        matches!(err, shadowdiff_replay::Error::Target { .. }),
        "a target failure (exit 3): {err}"
    );
    let message = err.to_string();
    assert!(message.contains("target new"), "{message}");
    assert!(message.contains("exit status: 7"), "{message}");
    assert!(message.contains("is not for me"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_managed_target_that_never_gets_ready_times_out() {
    let dir = Project::new();
    let config = TargetConfig {
        start: Some("sleep 30".into()),
        ready: Some("/health".into()),
        ready_timeout: Some(0.5),
        ..TargetConfig::default()
    };
    let started = Instant::now();
    let Err(err) = Target::start(
        "old",
        &config,
        &settings(dir.path(), Duration::from_secs(1)),
    )
    .await
    else {
        panic!("started");
    };
    assert!(
        matches!(err, shadowdiff_replay::Error::Target { .. }),
        "a target failure (exit 3): {err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("did not become ready at http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("/health"), "{message}");
    assert!(message.contains("old.log"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
