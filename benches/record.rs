//! Latency added by `shadowdiff record`: the same client sends the same requests to a local fast
//! server directly and through the proxy (the real binary, recording every exchange to a
//! zstd file), and the p50/p99 of both are printed side by side.
//!
//! Run with `cargo bench --bench record` (bench profile = release). The bench:
//! - starts one hyper 1 HTTP/1.1 server on 127.0.0.1 (its own 1-thread tokio runtime, keep-alive,
//!   every request answered 200 with the same ~1 KB JSON body);
//! - starts `shadowdiff record --listen 127.0.0.1:0 --upstream SERVER -o DIR/bench.jsonl.zst`;
//! - for each mode (sequential, and 32 requests at a time) sends 200 warm-up requests and then
//!   2 000 measured `GET /orders/I` requests with reqwest, directly and through the proxy;
//! - stops the proxy with SIGTERM, checks exit 0 and that the recording holds every request;
//! - prints p50, p99 and the added latency of each mode.

#[path = "support/json_server.rs"]
mod json_server;
#[path = "support/latency.rs"]
mod latency;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use hyper::body::Bytes;
use latency::{measure, quantile};

/// Measured requests per mode and path.
const REQUESTS: usize = 2_000;
/// Unmeasured requests first, to open connections and warm caches.
const WARMUP: usize = 200;

fn body() -> Bytes {
    let items: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"sku":"SKU-{i:04}","qty":{i},"price":{}.99}}"#, i * 3))
        .collect();
    Bytes::from(format!(r#"{{"id":1,"items":[{}]}}"#, items.join(",")))
}

fn main() {
    let server = json_server::start(1, body());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_shadowdiff"))
        .args([
            "record",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server,
            "-o",
        ])
        .arg(dir.path().join("bench.jsonl.zst"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shadowdiff record");
    let mut stderr = BufReader::new(proxy.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("first line");
    let via = first
        .trim()
        .strip_prefix("shadowdiff record: listening on ")
        .expect("listening line")
        .to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let mut sent = 0;
    println!("{REQUESTS} GET requests per row, ~1 KB JSON answers, loopback, latencies in µs");
    println!("{:<28} {:>9} {:>9}", "mode", "p50", "p99");
    for concurrency in [1, 32] {
        let mut rows = Vec::new();
        for (name, base) in [("direct", &server), ("through record", &via)] {
            let sorted = runtime.block_on(async {
                measure(&client, base, WARMUP, concurrency).await;
                let mut latencies = measure(&client, base, REQUESTS, concurrency).await;
                latencies.sort();
                latencies
            });
            if base == &via {
                sent += WARMUP + REQUESTS;
            }
            let (p50, p99) = (quantile(&sorted, 0.5), quantile(&sorted, 0.99));
            println!(
                "{:<28} {p50:>9.0} {p99:>9.0}",
                format!("c={concurrency} {name}")
            );
            rows.push((p50, p99));
        }
        println!(
            "{:<28} {:>9.0} {:>9.0}",
            format!("c={concurrency} added"),
            rows[1].0 - rows[0].0,
            rows[1].1 - rows[0].1
        );
    }

    let pid = i32::try_from(proxy.id()).expect("pid");
    // SAFETY: kill(2) with the id of the child this bench started and has not reaped.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = proxy.wait().expect("wait");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    assert!(status.success(), "{rest}");
    assert!(
        rest.contains(&format!("recorded {sent} exchanges")),
        "{rest}"
    );
    print!("{rest}");
}
