//! Latency added by `shadowdiff shadow` on the client's path, and the throughput at which the
//! primary path saturates: the same client sends the same requests to a local fast primary
//! directly and through the proxy (the real binary, mirroring every request to a candidate,
//! judging, counting metrics and writing outcome parts), and the figures are printed side by
//! side.
//!
//! Run with `cargo bench --bench shadow` (bench profile = release). The bench:
//! - starts two hyper 1 HTTP/1.1 servers on 127.0.0.1 (one worker thread each, keep-alive,
//!   every request answered 200 with the same ~1 KB JSON body): the primary and the candidate;
//! - starts `shadowdiff shadow --primary PRIMARY --candidate CANDIDATE`, and a second one whose
//!   candidate is a closed port (down);
//! - for 1, 32 and 256 requests at a time, sends 200 warm-up requests and then 2 000 measured
//!   `GET /orders/I` requests with reqwest, directly and through the proxy, and prints p50, p99
//!   and what the proxy added; with the candidate down at 32 at a time too;
//! - sends 20 000 requests 256 at a time, directly and through the proxy, and prints the
//!   requests a second of each (the primary path's saturation);
//! - reads `/metrics` and checks that every request was judged or skipped, then stops both
//!   proxies with SIGTERM and checks they exit 0 (equal answers pass the gate).

#[path = "support/json_server.rs"]
mod json_server;
#[path = "support/latency.rs"]
mod latency;

use std::io::{BufRead, BufReader, Read as _};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use latency::{measure, quantile};

/// Measured requests per row.
const REQUESTS: usize = 2_000;
/// Unmeasured requests first, to open connections and warm caches.
const WARMUP: usize = 200;
/// Requests of the throughput rows.
const THROUGHPUT: usize = 20_000;
/// The open-loop rows' rate, requests a second (below saturation on a 2-core machine).
const PACE: f64 = 2_000.0;
/// Requests of each open-loop row.
const PACED: usize = 4_000;

fn body() -> Bytes {
    let items: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"sku":"SKU-{i:04}","qty":{i},"price":{}.99}}"#, i * 3))
        .collect();
    Bytes::from(format!(r#"{{"id":1,"items":[{}]}}"#, items.join(",")))
}

/// A running `shadowdiff shadow`.
struct Shadow {
    child: Child,
    stderr: BufReader<ChildStderr>,
    url: String,
    metrics: String,
    _out: tempfile::TempDir,
}

impl Shadow {
    fn start(primary: &str, candidate: &str) -> Shadow {
        let out = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_shadowdiff"))
            .args([
                "shadow",
                "--listen",
                "127.0.0.1:0",
                "--admin",
                "127.0.0.1:0",
                "--primary",
                primary,
                "--candidate",
                candidate,
                "--quiet",
                "--snapshot",
            ])
            .arg(out.path().join("none.snap"))
            .arg("--out")
            .arg(out.path().join("report"))
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shadowdiff shadow");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("first line");
        let (url, metrics) = first
            .trim()
            .strip_prefix("shadowdiff shadow: listening on ")
            .and_then(|rest| rest.split_once("; metrics on "))
            .expect("listening line");
        Shadow {
            url: url.to_string(),
            metrics: metrics.to_string(),
            child,
            stderr,
            _out: out,
        }
    }

    /// SIGTERM; the exit status must be 0 (equal answers, or only skips and errors of a down
    /// candidate... which fail the gate: `expect_pass` says which).
    fn stop(mut self, expect_pass: bool) -> String {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) with the id of the child this bench started and has not reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = self.child.wait().expect("wait");
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("stderr");
        assert_eq!(status.success(), expect_pass, "{rest}");
        rest
    }
}

/// Sends `count` requests to `base` on a fixed schedule of `rate` a second (open loop), at most
/// `connections` at a time; each latency runs from when the request was sent (tokio's timer
/// ticks by the millisecond, too coarse to measure from when it was due).
async fn paced(
    client: &reqwest::Client,
    base: &str,
    count: usize,
    rate: f64,
    connections: usize,
) -> Vec<Duration> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(connections));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let permit = semaphore.clone().acquire_owned().await.expect("permit");
        let client = client.clone();
        let url = format!("{base}/orders/{i}");
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let response = client.get(&url).send().await.expect("send");
            assert_eq!(response.status().as_u16(), 200);
            response.bytes().await.expect("body");
            drop(permit);
            sent.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.push(task.await.expect("task"));
    }
    latencies
}

/// The sum of every series of `name` in the metrics text.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

fn main() {
    let primary = json_server::start(1, body());
    let candidate = json_server::start(1, body());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let down = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let shadow = Shadow::start(&primary, &candidate);
    let down_shadow = Shadow::start(&primary, &down);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(512)
        .build()
        .expect("client");
    let row = |base: &str, concurrency: usize| {
        runtime.block_on(async {
            measure(&client, base, WARMUP, concurrency).await;
            let mut latencies = measure(&client, base, REQUESTS, concurrency).await;
            latencies.sort();
            (quantile(&latencies, 0.5), quantile(&latencies, 0.99))
        })
    };
    println!("{REQUESTS} GET requests per row, ~1 KB JSON answers, loopback, latencies in µs");
    println!("{:<36} {:>9} {:>9}", "mode", "p50", "p99");
    let mut sent = 0;
    let mut sent_down = 0;
    let cases: [(&str, usize, &Shadow); 4] = [
        ("", 1, &shadow),
        ("", 32, &shadow),
        ("", 256, &shadow),
        (" (candidate down)", 32, &down_shadow),
    ];
    for (label, concurrency, through) in cases {
        let direct = row(&primary, concurrency);
        let via = row(&through.url, concurrency);
        if std::ptr::eq(through, &down_shadow) {
            sent_down += WARMUP + REQUESTS;
        } else {
            sent += WARMUP + REQUESTS;
        }
        println!(
            "{:<36} {:>9.0} {:>9.0}",
            format!("c={concurrency} direct"),
            direct.0,
            direct.1
        );
        println!(
            "{:<36} {:>9.0} {:>9.0}",
            format!("c={concurrency} through shadow{label}"),
            via.0,
            via.1
        );
        println!(
            "{:<36} {:>9.0} {:>9.0}",
            format!("c={concurrency} added{label}"),
            via.0 - direct.0,
            via.1 - direct.1
        );
    }
    println!();
    println!(
        "{PACED} GET requests per row at {PACE} a second (open loop), 32 connections at most, µs"
    );
    println!("{:<36} {:>9} {:>9}", "mode", "p50", "p99");
    let mut direct = (0.0, 0.0);
    for (name, base) in [
        ("direct", primary.as_str()),
        ("through shadow", shadow.url.as_str()),
        ("through shadow (candidate down)", down_shadow.url.as_str()),
    ] {
        let mut latencies = runtime.block_on(paced(&client, base, PACED, PACE, 32));
        latencies.sort();
        let row = (quantile(&latencies, 0.5), quantile(&latencies, 0.99));
        if base == primary.as_str() {
            direct = row;
        } else if base == shadow.url.as_str() {
            sent += PACED;
        } else {
            sent_down += PACED;
        }
        println!(
            "{:<36} {:>9.0} {:>9.0}",
            format!("paced {name}"),
            row.0,
            row.1
        );
        if base != primary.as_str() {
            println!(
                "{:<36} {:>9.0} {:>9.0}",
                format!(
                    "paced added{}",
                    name.strip_prefix("through shadow").unwrap_or("")
                ),
                row.0 - direct.0,
                row.1 - direct.1
            );
        }
    }
    println!();
    println!("{THROUGHPUT} GET requests 256 at a time, requests a second");
    for (name, base) in [
        ("direct", primary.as_str()),
        ("through shadow", shadow.url.as_str()),
    ] {
        let started = Instant::now();
        runtime.block_on(measure(&client, base, THROUGHPUT, 256));
        let rate = THROUGHPUT as f64 / started.elapsed().as_secs_f64();
        println!("{name:<36} {rate:>9.0}");
    }
    sent += THROUGHPUT;

    for (through, count) in [(&shadow, sent), (&down_shadow, sent_down)] {
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            let text = runtime.block_on(async {
                client
                    .get(&through.metrics)
                    .send()
                    .await
                    .expect("GET /metrics")
                    .text()
                    .await
                    .expect("metrics")
            });
            let done = metric_sum(&text, "shadowdiff_exchanges_total")
                + metric_sum(&text, "shadowdiff_skipped_total");
            if done >= count as f64 || Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(metric_sum(&text, "shadowdiff_requests_total"), count as f64);
        println!(
            "{}: {count} requests, {} judged, {} skipped (queue full: {})",
            through.url,
            metric_sum(&text, "shadowdiff_exchanges_total"),
            metric_sum(&text, "shadowdiff_skipped_total"),
            metric_sum(&text, "shadowdiff_skipped_total{reason=\"queue_full\"}"),
        );
    }
    print!("{}", shadow.stop(true));
    print!("{}", down_shadow.stop(false));
}
