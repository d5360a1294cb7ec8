//! The test servers of `tests/it/common/servers.rs` do what the fault tests rely on: answer with
//! keep-alive, hang, reset, close, send garbage, an answer cut short or an endless body, count
//! hits, die after n requests, and stop promptly when dropped. Checked with reqwest (as the replay stack sees them) and raw sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::servers::{
    closed_port_url, json, partial_head, short_body, text, Action, TestServer, ENDLESS_CHUNK,
};
use crate::common::{block_on, http_client};

fn client(timeout: Duration) -> reqwest::Client {
    http_client()
        .timeout(timeout)
        .build()
        .expect("a reqwest client")
}

/// One GET on a client of its own: the status, or the error.
fn get(url: &str, timeout: Duration) -> Result<u16, reqwest::Error> {
    block_on(async {
        let response = client(timeout).get(url).send().await?;
        Ok(response.status().as_u16())
    })
}

/// Sends raw bytes on a connection and reads until the server closes it.
fn raw(stream: &TcpStream, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut io = stream;
    io.write_all(bytes)?;
    let mut out = Vec::new();
    io.read_to_end(&mut out)?;
    Ok(out)
}

fn connect(server: &TestServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    stream
}

#[test]
fn responds_with_status_headers_and_body_and_records_requests() {
    let server = TestServer::start(|request| Action::Respond {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("set-cookie".into(), "a=1".into()),
            ("set-cookie".into(), "b=2".into()),
        ],
        body: format!(
            r#"{{"method":"{}","path":"{}","body":"{}"}}"#,
            request.method,
            request.path,
            request.body_text()
        )
        .into_bytes(),
    });
    block_on(async {
        let client = client(Duration::from_secs(5));
        let response = client
            .post(format!("{}/orders?x=1&y=2", server.url()))
            .header("x-test", "yes")
            .body("hello")
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 201);
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(
            response.text().await.expect("a body"),
            r#"{"method":"POST","path":"/orders?x=1&y=2","body":"hello"}"#
        );
        let response = client
            .get(format!("{}/health", server.url()))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 201);
    });
    assert_eq!(server.hits(), 2);
    let requests = server.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/orders?x=1&y=2");
    assert_eq!(requests[0].header("X-Test"), Some("yes"));
    assert_eq!(requests[0].body, b"hello");
    assert_eq!(requests[1].path, "/health");
    assert!(requests[1].body.is_empty());
}

#[test]
fn keeps_connections_alive_and_reads_chunked_bodies() {
    let server = TestServer::start(|request| text(200, &request.body_text()));
    let stream = connect(&server);
    let mut writer = &stream;
    writer
        .write_all(b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc")
        .expect("first request");
    writer
        .write_all(
            b"POST /b HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
              2\r\nde\r\n1;ext=1\r\nf\r\n0\r\n\r\n",
        )
        .expect("second request");
    let answer = raw(&stream, b"HEAD /c HTTP/1.1\r\nconnection: close\r\n\r\n").expect("answers");
    let answer = String::from_utf8(answer).expect("text");
    assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{answer}");
    assert!(answer.contains("content-length: 3\r\n\r\nabc"), "{answer}");
    assert!(answer.contains("content-length: 3\r\n\r\ndef"), "{answer}");
    assert!(
        answer.ends_with("content-length: 0\r\nconnection: close\r\n\r\n"),
        "{answer}"
    );
    assert_eq!(server.hits(), 3);
    assert_eq!(server.requests()[1].body, b"def");
}

#[test]
fn malformed_requests_get_400_and_are_not_counted() {
    let server = TestServer::start(|_| json(200, "{}"));
    let answer = raw(&connect(&server), b"BROKEN\r\n\r\n").expect("an answer");
    assert!(answer.starts_with(b"HTTP/1.1 400 "), "{answer:?}");
    let answer = raw(
        &connect(&server),
        b"GET / HTTP/1.1\r\ncontent-length: nope\r\n\r\n",
    )
    .expect("an answer");
    assert!(answer.starts_with(b"HTTP/1.1 400 "), "{answer:?}");
    assert_eq!(server.hits(), 0);
}

#[test]
fn hang_times_out_and_the_server_still_drops_promptly() {
    let server = TestServer::start(|_| Action::Hang);
    let started = Instant::now();
    let err = get(&server.url(), Duration::from_millis(300)).expect_err("no answer");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.hits(), 1);

    // A raw client that keeps waiting is released when the server drops.
    let stream = connect(&server);
    let mut writer = &stream;
    writer.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("send");
    while server.hits() < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(2));
    let mut buf = [0u8; 16];
    assert_eq!((&stream).read(&mut buf).expect("a clean end"), 0);
}

#[test]
fn reset_aborts_the_connection() {
    let server = TestServer::start(|_| Action::Reset);
    let err = get(&server.url(), Duration::from_secs(5)).expect_err("no answer");
    assert!(!err.is_timeout(), "{err:?}");
    let err = raw(&connect(&server), b"GET / HTTP/1.1\r\n\r\n").expect_err("a reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
}

#[test]
fn close_ends_the_connection_cleanly_without_an_answer() {
    let server = TestServer::start(|_| Action::Close);
    let err = get(&server.url(), Duration::from_secs(5)).expect_err("no answer");
    assert!(!err.is_timeout(), "{err:?}");
    let answer = raw(&connect(&server), b"GET / HTTP/1.1\r\n\r\n").expect("a clean end");
    assert!(answer.is_empty());
}

#[test]
fn garbage_is_not_http() {
    let server = TestServer::start(|_| Action::Garbage);
    let err = get(&server.url(), Duration::from_secs(5)).expect_err("not a response");
    assert!(!err.is_timeout(), "{err:?}");
    let answer = raw(&connect(&server), b"GET / HTTP/1.1\r\n\r\n").expect("bytes");
    assert_eq!(answer, b"not http\r\n\r\n");
}

#[test]
fn raw_answers_are_cut_short_as_written() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/short" => short_body(100, "0123456789"),
        _ => partial_head(),
    });
    let answer = raw(&connect(&server), b"GET /short HTTP/1.1\r\n\r\n").expect("bytes");
    let text = String::from_utf8(answer).expect("text");
    assert!(text.contains("content-length: 100\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n0123456789"), "{text}");
    let answer = raw(&connect(&server), b"GET /head HTTP/1.1\r\n\r\n").expect("bytes");
    assert_eq!(answer, b"HTTP/1.1 200 OK\r\ncontent-ty");
    let err = block_on(async {
        let response = client(Duration::from_secs(5))
            .get(format!("{}/short", server.url()))
            .send()
            .await
            .expect("a head");
        response.bytes().await.expect_err("a body cut short")
    });
    assert!(!err.is_timeout(), "{err:?}");
}

#[test]
fn an_endless_body_keeps_coming_until_the_client_hangs_up() {
    let server = TestServer::start(|_| Action::Endless);
    let received = block_on(async {
        let mut response = client(Duration::from_secs(10))
            .get(server.url())
            .send()
            .await
            .expect("a head");
        assert_eq!(response.status(), 200);
        let mut received = 0;
        while received < 8 * ENDLESS_CHUNK {
            received += response
                .chunk()
                .await
                .expect("a chunk")
                .expect("more")
                .len();
        }
        received
    });
    assert!(received >= 8 * ENDLESS_CHUNK);
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the endless writer did not stop"
    );
}

#[test]
fn closed_port_refuses() {
    let url = closed_port_url();
    let err = get(&url, Duration::from_secs(5)).expect_err("refused");
    assert!(err.is_connect(), "{err:?}");
    let addr = url.trim_start_matches("http://");
    let err = TcpStream::connect(addr).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn delayed_answers_arrive_late() {
    let server = TestServer::start(|_| {
        Action::Delayed(Duration::from_millis(200), Box::new(json(200, "{}")))
    });
    let started = Instant::now();
    let status = get(&server.url(), Duration::from_secs(5)).expect("an answer");
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn dies_after_n_requests() {
    let server = TestServer::dies_after(3, |_| json(200, r#"{"ok":true}"#));
    let outcomes = block_on(async {
        let client = client(Duration::from_secs(5));
        let mut outcomes = Vec::new();
        for _ in 0..5 {
            let outcome = client.get(format!("{}/x", server.url())).send().await;
            outcomes.push(outcome.map(|r| r.status().as_u16()));
        }
        outcomes
    });
    let statuses: Vec<_> = outcomes.iter().map(|o| o.as_ref().ok().copied()).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(200), None, None]);
    assert!(server.is_stopped());
    assert_eq!(server.hits(), 3);
    // The accept thread closes the listener right after the stop; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(server.addr()).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = TcpStream::connect(server.addr()).expect_err("the listener is closed");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn many_concurrent_requests_are_all_counted() {
    let server = TestServer::start(|request| json(200, &format!(r#"{{"p":"{}"}}"#, request.path)));
    let bodies = block_on(async {
        let client = client(Duration::from_secs(10));
        let calls = (0..200).map(|n| {
            let client = client.clone();
            let url = format!("{}/item/{n}", server.url());
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .expect("an answer")
                    .text()
                    .await
                    .expect("a body")
            }
        });
        futures_util::future::join_all(calls).await
    });
    for (n, body) in bodies.iter().enumerate() {
        assert_eq!(body, &format!(r#"{{"p":"/item/{n}"}}"#));
    }
    assert_eq!(server.hits(), 200);
}
