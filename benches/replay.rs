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
//! - runs `shadowdiff run` once more with `--old recorded --new recorded` over the same exchanges
//!   with the server's answer recorded in each: the per-exchange work that is not HTTP (read,
//!   judge, aggregate, outcomes file, reports);
//! - prints a table: configuration, wall time, exchanges/s, requests/s, ratio to `wrk`, and the
//!   CPU time a request of the client (shadowdiff or wrk) and of the server, from `getrusage`
//!   (children for shadowdiff and wrk, this process for the server, which is all it runs); and
//!   the client CPU a request the 70 % aim allows on this machine when the cores are the limit:
//!   `(wrk + server) / 0.7 - server`.
//!
//! Environment:
//! - `SHADOWDIFF_BENCH_SERVER_THREADS` (default 1): worker threads of the server's runtime.
//! - `SHADOWDIFF_BENCH_SERVE=1`: only start the server and write the recording, print the
//!   `shadowdiff run` command line, and serve until killed (to profile the binary by hand).

#[path = "support/json_server.rs"]
mod json_server;
#[path = "support/order_json.rs"]
mod order_json;
#[path = "support/orders_recording.rs"]
mod orders_recording;

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
    let json = order_json::order();
    debug_assert!(serde_json::from_str::<Value>(&json).is_ok());
    Bytes::from(json)
}

/// Writes the recording of [`EXCHANGES`] GET exchanges; with `answer`, each holds that response
/// as recorded (for the `recorded` targets).
fn write_recording(path: &Path, answer: Option<&Bytes>) {
    let response = answer.map_or_else(String::new, |body| {
        let text = serde_json::to_string(std::str::from_utf8(body).expect("UTF-8 body"))
            .expect("encode body");
        format!(
            r#","response":{{"status":200,"headers":[["content-type","application/json"]],"body":{{"text":{text}}}}}"#
        )
    });
    orders_recording::write(path, EXCHANGES, &response);
}

/// CPU seconds (user + system) used so far by this process (`RUSAGE_SELF`: the server, as the
/// bench itself only waits) or by its waited-for children (`RUSAGE_CHILDREN`: shadowdiff, wrk).
fn cpu(who: libc::c_int) -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a valid pointer to a rusage.
    unsafe { libc::getrusage(who, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Wall time and CPU time of one measured run.
#[derive(Clone, Copy)]
struct Measured {
    wall: Duration,
    /// CPU seconds of the client process (shadowdiff or wrk).
    client_cpu: f64,
    /// CPU seconds of the server (this process) during the run.
    server_cpu: f64,
}

/// Measures [`RUNS`] runs: the median wall time, and the mean CPU seconds of the client and of
/// the server for each of the `units` (requests or exchanges) a run handles.
fn repeat(mut run: impl FnMut() -> Measured, units: usize) -> (Duration, f64, f64) {
    let runs: Vec<Measured> = (0..RUNS).map(|_| run()).collect();
    let mut walls: Vec<Duration> = runs.iter().map(|run| run.wall).collect();
    walls.sort();
    let total = (units * RUNS) as f64;
    let client = runs.iter().map(|run| run.client_cpu).sum::<f64>() / total;
    let server = runs.iter().map(|run| run.server_cpu).sum::<f64>() / total;
    (walls[RUNS / 2], client, server)
}

/// Runs `command` to completion, measuring it.
fn measure(command: &mut Command) -> (std::process::Output, Measured) {
    let (client0, server0) = (cpu(libc::RUSAGE_CHILDREN), cpu(libc::RUSAGE_SELF));
    let start = Instant::now();
    let output = command.output().expect("run the client");
    let wall = start.elapsed();
    let measured = Measured {
        wall,
        client_cpu: cpu(libc::RUSAGE_CHILDREN) - client0,
        server_cpu: cpu(libc::RUSAGE_SELF) - server0,
    };
    (output, measured)
}

/// The `shadowdiff run` command of one configuration; `url` is the old and new target
/// (`recorded` for the recorded answers).
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

/// Runs one configuration once; returns what it measured after checking exit code and report.
fn replay_once(recording: &Path, url: &str, config: &Config, scratch: &Path) -> Measured {
    let out = scratch.join("report");
    let (output, measured) = measure(&mut command(recording, url, config, &out));
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
    measured
}

/// What `wrk` reached: requests/s and CPU seconds a request of wrk and of the server.
struct Reference {
    line: String,
    rate: f64,
    client_per_request: f64,
    server_per_request: f64,
}

/// The best `wrk` run with `connections` connections and 1 or 2 threads; `None` when `wrk` is
/// not installed.
fn wrk(url: &str, connections: usize) -> Option<Reference> {
    let mut best: Option<Reference> = None;
    for threads in [1, 2] {
        let args = [
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{WRK_SECONDS}s"),
            format!("{url}/orders/1"),
        ];
        let line = format!("wrk {}", args.join(" "));
        if Command::new("wrk").arg("--version").output().is_err() {
            return None;
        }
        let (output, measured) = measure(Command::new("wrk").args(&args));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let rate = stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
            .and_then(|rate| rate.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{stdout}"));
        let requests = rate * measured.wall.as_secs_f64();
        let reference = Reference {
            line,
            rate,
            client_per_request: measured.client_cpu / requests,
            server_per_request: measured.server_cpu / requests,
        };
        println!(
            "{}: {rate:.0} requests/s, CPU a request: wrk {:.1} µs, server {:.1} µs",
            reference.line,
            reference.client_per_request * 1e6,
            reference.server_per_request * 1e6
        );
        if best.as_ref().map_or(true, |b| rate > b.rate) {
            best = Some(reference);
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
    write_recording(&recording, None);
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
        let (median, client, server) = repeat(
            || replay_once(&recording, &url, config, scratch.path()),
            EXCHANGES * config.requests_per_exchange(),
        );
        println!(
            "{}: median of {RUNS} {median:?}, CPU a request: shadowdiff {:.1} µs, server {:.1} µs",
            config.name(),
            client * 1e6,
            server * 1e6
        );
        rows.push((config, median, client, server));
    }

    // The same exchanges with the server's answer recorded: everything but HTTP.
    let answered = scratch.path().join("answered.jsonl");
    write_recording(&answered, Some(&body()));
    let offline = Config {
        concurrency: 32,
        noise_repeat: false,
    };
    let (offline_wall, offline_cpu, _) = repeat(
        || replay_once(&answered, "recorded", &offline, scratch.path()),
        EXCHANGES,
    );

    let reference = wrk(&url, 32);
    if reference.is_none() {
        println!("wrk not found: the wrk comparison is skipped (install it: apt-get install wrk)");
    }

    println!(
        "\n{EXCHANGES} exchanges, median of {RUNS} runs; ratio = shadowdiff requests/s / wrk requests/s; \
         CPU = mean µs a request (client: shadowdiff or wrk)"
    );
    println!(
        "{:<40} {:>9} {:>12} {:>12} {:>8} {:>11} {:>11}",
        "configuration", "wall", "exchanges/s", "requests/s", "vs wrk", "client CPU", "server CPU"
    );
    for (config, median, client, server) in &rows {
        let secs = median.as_secs_f64();
        let exchanges = EXCHANGES as f64 / secs;
        let requests = exchanges * config.requests_per_exchange() as f64;
        let ratio = reference.as_ref().map_or_else(
            || "-".to_string(),
            |reference| format!("{:.0} %", requests / reference.rate * 100.0),
        );
        println!(
            "{:<40} {:>8.2}s {:>12.0} {:>12.0} {:>8} {:>8.1} µs {:>8.1} µs",
            config.name(),
            secs,
            exchanges,
            requests,
            ratio,
            client * 1e6,
            server * 1e6
        );
    }
    let secs = offline_wall.as_secs_f64();
    println!(
        "{:<40} {:>8.2}s {:>12.0} {:>12} {:>8} {:>8.1} µs an exchange",
        "shadowdiff run --old/--new recorded",
        secs,
        EXCHANGES as f64 / secs,
        "-",
        "-",
        offline_cpu * 1e6
    );
    if let Some(reference) = &reference {
        println!(
            "{:<40} {:>9} {:>12} {:>12.0} {:>8} {:>8.1} µs {:>8.1} µs",
            reference.line,
            "",
            "",
            reference.rate,
            "100 %",
            reference.client_per_request * 1e6,
            reference.server_per_request * 1e6
        );
        let budget = (reference.client_per_request + reference.server_per_request) / 0.7
            - reference.server_per_request;
        println!(
            "\nWith the cores as the limit, 70 % of wrk's rate leaves the client {:.1} µs of CPU a \
             request ({:.1} µs an exchange of 2 requests); the work without HTTP takes {:.1} µs \
             an exchange.",
            budget * 1e6,
            2.0 * budget * 1e6,
            offline_cpu * 1e6
        );
    }
}
