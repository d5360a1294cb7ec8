//! Replay throughput of the real `shadowdiff` binary against a local fast server, next to what
//! `wrk` reaches against the same server with the same number of connections.
//!
//! Run with `cargo bench --bench replay` (the binary is built with the bench profile, which is
//! the release profile). The bench:
//! - starts one hyper 1 HTTP/1.1 server on 127.0.0.1 (its own tokio runtime in a background
//!   thread, keep-alive, every request answered 200 with the same ~1 KB JSON body) and uses it
//!   as both the old and the new target, so the `wrk` figure is like-for-like: same server, same
//!   number of connections;
//! - writes a recording of 20 000 `GET /orders/I` exchanges in the native format to a temp dir;
//! - runs `shadowdiff run REC --old URL --new URL --concurrency C --quiet --out DIR` for each
//!   configuration (C = 32 and 64, without and with `--noise-repeat`) three times, checks that it
//!   exits 0 and that report.json counts all 20 000 exchanges as equal, and keeps the median wall
//!   time; requests/s counts 2 requests an exchange (3 with `--noise-repeat`);
//! - runs `wrk -t1 -c32 -d10s` and `wrk -t2 -c32 -d10s` against `URL/orders/1` and takes the best
//!   "Requests/sec" as the reference (skipped, with a note, when `wrk` is not installed);
//! - prints a table: configuration, wall time, exchanges/s, requests/s, ratio to `wrk`.
//!
//! Environment:
//! - `SHADOWDIFF_BENCH_SERVER_THREADS` (default 1): worker threads of the server's runtime.
//! - `SHADOWDIFF_BENCH_SERVE=1`: only start the server and write the recording, print the
//!   `shadowdiff run` command line, and serve until killed (to profile the binary by hand).

#[path = "support/json_server.rs"]
mod json_server;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hyper::body::Bytes;

use serde_json::Value;

/// Exchanges in the recording.
const EXCHANGES: usize = 20_000;
/// Runs of each configuration; the median is reported.
const RUNS: usize = 3;
/// How long each `wrk` run lasts.
const WRK_SECONDS: u32 = 10;

/// One replay configuration.
struct Config {
    concurrency: usize,
    noise_repeat: bool,
}

impl Config {
    fn name(&self) -> String {
        format!(
            "shadowdiff run -c {}{}",
            self.concurrency,
            if self.noise_repeat {
                " --noise-repeat"
            } else {
                ""
            }
        )
    }

    /// HTTP requests sent for each exchange.
    fn requests_per_exchange(&self) -> usize {
        if self.noise_repeat {
            3
        } else {
            2
        }
    }
}

/// The fixed ~1 KB JSON body of every response.
fn body() -> Bytes {
    let items: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"sku":"SKU-{i:04}","name":"Item number {i}","quantity":{q},"price":{{"amount":{a}.99,"currency":"EUR"}}}}"#,
                q = i % 3 + 1,
                a = 10 + i * 7
            )
        })
        .collect();
    let json = format!(
        r#"{{"id":"ord-000001","status":"shipped","customer":{{"id":"cus-42","name":"Ada Lovelace","email":"ada@example.com"}},"items":[{}],"total":{{"amount":412.92,"currency":"EUR"}}}}"#,
        items.join(",")
    );
    debug_assert!(serde_json::from_str::<Value>(&json).is_ok());
    Bytes::from(json)
}

/// Writes the recording of [`EXCHANGES`] GET exchanges.
fn write_recording(path: &Path) {
    let mut out = BufWriter::new(File::create(path).expect("create recording"));
    for i in 0..EXCHANGES {
        writeln!(
            out,
            r#"{{"id":"r{i}","request":{{"method":"GET","url":"/orders/{i}","headers":[["accept","application/json"]],"body":null}}}}"#
        )
        .expect("write recording");
    }
    out.flush().expect("flush recording");
}

/// The `shadowdiff run` command of one configuration.
fn command(recording: &Path, url: &str, config: &Config, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shadowdiff"));
    command
        .arg("run")
        .arg(recording)
        .args(["--old", url, "--new", url])
        .args(["--concurrency", &config.concurrency.to_string()])
        .arg("--quiet")
        .arg("--out")
        .arg(out);
    if config.noise_repeat {
        command.arg("--noise-repeat");
    }
    command
}

/// Runs one configuration once; returns its wall time after checking exit code and report.
fn replay_once(recording: &Path, url: &str, config: &Config, scratch: &Path) -> Duration {
    let out = scratch.join("report");
    let mut command = command(recording, url, config, &out);
    let start = Instant::now();
    let output = command.output().expect("run shadowdiff");
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "{} exited {:?}: {}",
        config.name(),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("read report.json"))
            .expect("parse report.json");
    let totals = &report["totals"];
    let n = EXCHANGES as u64;
    assert_eq!(report["verdict"], "pass", "{}: {report}", config.name());
    assert_eq!(totals["exchanges"].as_u64(), Some(n), "{}", config.name());
    assert_eq!(totals["equal"].as_u64(), Some(n), "{}", config.name());
    elapsed
}

/// The best `wrk` requests/s with 32 connections and 1 or 2 threads, with its command line;
/// `None` when `wrk` is not installed.
fn wrk(url: &str, connections: usize) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    for threads in [1, 2] {
        let args = [
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{WRK_SECONDS}s"),
            format!("{url}/orders/1"),
        ];
        let line = format!("wrk {}", args.join(" "));
        let output = match Command::new("wrk").args(&args).output() {
            Ok(output) => output,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => panic!("cannot run wrk: {err}"),
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let rate = stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
            .and_then(|rate| rate.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{stdout}"));
        println!("{line}: {rate:.0} requests/s");
        if best.as_ref().map_or(true, |(b, _)| rate > *b) {
            best = Some((rate, line));
        }
    }
    best
}

fn main() {
    let threads = std::env::var("SHADOWDIFF_BENCH_SERVER_THREADS")
        .ok()
        .map(|t| {
            t.parse()
                .expect("SHADOWDIFF_BENCH_SERVER_THREADS is a number")
        })
        .unwrap_or(1);
    let url = json_server::start(threads, body());
    let scratch = tempfile::tempdir().expect("temp dir");
    let recording = scratch.path().join("bench.jsonl");
    write_recording(&recording);
    println!(
        "server: hyper 1, HTTP/1.1 keep-alive, {threads} worker thread(s), {} byte JSON body, \
         one server as both old and new: {url}",
        body().len()
    );

    if std::env::var_os("SHADOWDIFF_BENCH_SERVE").is_some() {
        let config = Config {
            concurrency: 32,
            noise_repeat: false,
        };
        let command = command(&recording, &url, &config, &scratch.path().join("report"));
        println!("serving until killed; replay with:\n{command:?}");
        loop {
            std::thread::park();
        }
    }

    let configs = [
        Config {
            concurrency: 32,
            noise_repeat: false,
        },
        Config {
            concurrency: 32,
            noise_repeat: true,
        },
        Config {
            concurrency: 64,
            noise_repeat: false,
        },
        Config {
            concurrency: 64,
            noise_repeat: true,
        },
    ];
    // Warm up the server, the page cache and the binary.
    replay_once(&recording, &url, &configs[0], scratch.path());

    let mut rows = Vec::new();
    for config in &configs {
        let mut times: Vec<Duration> = (0..RUNS)
            .map(|_| replay_once(&recording, &url, config, scratch.path()))
            .collect();
        times.sort();
        let median = times[RUNS / 2];
        println!(
            "{}: {:?} (median of {RUNS}: {:?})",
            config.name(),
            times,
            median
        );
        rows.push((config, median));
    }

    let reference = wrk(&url, 32);
    if reference.is_none() {
        println!("wrk not found: the wrk comparison is skipped (install it: apt-get install wrk)");
    }

    println!(
        "\n{EXCHANGES} exchanges, median of {RUNS} runs; ratio = shadowdiff requests/s / wrk requests/s"
    );
    println!(
        "{:<40} {:>9} {:>12} {:>12} {:>8}",
        "configuration", "wall", "exchanges/s", "requests/s", "vs wrk"
    );
    for (config, median) in &rows {
        let secs = median.as_secs_f64();
        let exchanges = EXCHANGES as f64 / secs;
        let requests = exchanges * config.requests_per_exchange() as f64;
        let ratio = reference.as_ref().map_or_else(
            || "-".to_string(),
            |(rate, _)| format!("{:.0} %", requests / rate * 100.0),
        );
        println!(
            "{:<40} {:>8.2}s {:>12.0} {:>12.0} {:>8}",
            config.name(),
            secs,
            exchanges,
            requests,
            ratio
        );
    }
    if let Some((rate, line)) = &reference {
        println!(
            "{line:<40} {:>9} {:>12} {rate:>12.0} {:>8}",
            "", "", "100 %"
        );
    }
}
