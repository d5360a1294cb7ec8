//! `shadowdiff run` beside `wrk` against nginx, as ratios, in one run.
//!
//! Run with `cargo bench --bench replay_speed`. Needs nginx (Debian's `nginx-light` or `nginx`)
//! and wrk; says which it could not find and stops, as without nginx there is nothing to
//! measure against. The bench:
//! - starts nginx from a config in a temp dir: one worker, keep-alive without limit, two ports
//!   (old and new) serving the same ~1 KB static JSON file for every `/orders/I`;
//! - writes a recording of 200 000 `GET /orders/I` exchanges;
//! - each round, interleaved: `shadowdiff run -c 32` on both cores, then with nginx pinned to
//!   core 0 and shadowdiff to core 1 (`taskset`), each checked to report every exchange equal;
//!   `wrk -t1 -c32` for 8 s on the same paths (a Lua script numbers them as the recording does),
//!   unpinned and pinned the same way;
//! - prints each run, then the medians and the ratio of shadowdiff's requests/s (old and new
//!   counted) to wrk's (aim: 0.8 with one core each).
//!
//! Environment: `SHADOWDIFF_BENCH_EXCHANGES` (default 200 000), `SHADOWDIFF_BENCH_ROUNDS`
//! (default 3).

#[path = "support/order_json.rs"]
mod order_json;
#[path = "support/orders_recording.rs"]
mod orders_recording;
#[path = "support/rounds.rs"]
mod rounds;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Connections of both clients.
const CONNECTIONS: usize = 32;
/// How long each wrk run lasts.
const WRK_SECONDS: u32 = 8;
/// The two ports nginx listens on, old and new.
const PORTS: [u16; 2] = [18_471, 18_472];

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A command, pinned to `core` with taskset when one is given.
fn pinned(core: Option<u32>, program: &str) -> Command {
    match core {
        Some(core) => {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", &core.to_string(), program]);
            taskset
        }
        None => Command::new(program),
    }
}

/// nginx serving `order.json` for every `/orders/` path on both ports, killed on drop.
struct Nginx(Child);

impl Nginx {
    fn start(dir: &Path, core: Option<u32>) -> Nginx {
        let www = dir.join("www");
        std::fs::create_dir_all(&www).expect("www");
        std::fs::create_dir_all(dir.join("logs")).expect("logs");
        std::fs::write(www.join("order.json"), order_json::order()).expect("order.json");
        let listen: String = PORTS
            .iter()
            .map(|port| format!("    listen 127.0.0.1:{port};\n"))
            .collect();
        let config = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid {dir}/nginx.pid;\n\
             error_log {dir}/logs/error.log;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 100000000;\n  server {{\n{listen}\
             \x20   root {www};\n    location /orders/ {{ default_type application/json; \
             try_files /order.json =404; }}\n  }}\n}}\n",
            dir = dir.display(),
            www = www.display(),
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).expect("nginx.conf");
        let child = pinned(core, "nginx")
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", PORTS[1])).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen on {PORTS:?}; see {}/logs/error.log",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx(child)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One `shadowdiff run`: requests/s, old and new counted.
fn shadowdiff(dir: &Path, recording: &Path, exchanges: usize, core: Option<u32>) -> f64 {
    let out = dir.join("report");
    let started = Instant::now();
    let output = pinned(core, env!("CARGO_BIN_EXE_shadowdiff"))
        .arg("run")
        .arg(recording)
        .args(["--old", &format!("http://127.0.0.1:{}", PORTS[0])])
        .args(["--new", &format!("http://127.0.0.1:{}", PORTS[1])])
        .args([
            "--concurrency",
            &CONNECTIONS.to_string(),
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run shadowdiff");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "shadowdiff run: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
            .expect("report.json parses");
    assert_eq!(report["totals"]["equal"], exchanges, "every exchange equal");
    (2 * exchanges) as f64 / wall
}

/// One wrk run on the recording's paths: its requests/s.
fn wrk(script: &Path, core: Option<u32>) -> f64 {
    let output = pinned(core, "wrk")
        .args([
            "-t1",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{WRK_SECONDS}s"),
            "-s",
        ])
        .arg(script)
        .arg(format!("http://127.0.0.1:{}", PORTS[0]))
        .output()
        .expect("run wrk");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{stdout}"))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let missing: Vec<&str> = ["nginx", "wrk", "taskset"]
        .into_iter()
        .filter(|program| !installed(program))
        .collect();
    if !missing.is_empty() {
        println!(
            "replay_speed: not run, {} not installed (apt-get install nginx-light wrk util-linux)",
            missing.join(", ")
        );
        return;
    }
    let exchanges = rounds::env_number("SHADOWDIFF_BENCH_EXCHANGES", 200_000);
    let round_count = rounds::env_number("SHADOWDIFF_BENCH_ROUNDS", 3).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let recording = dir.path().join("orders.jsonl");
    orders_recording::write(&recording, exchanges, "");
    let script = dir.path().join("paths.lua");
    std::fs::write(
        &script,
        "local i = -1\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", \
         \"/orders/\" .. i, {[\"accept\"] = \"application/json\"})\nend\n",
    )
    .expect("paths.lua");
    println!(
        "nginx: one worker, a {} byte static JSON file on ports {PORTS:?}; {exchanges} exchanges, \
         {CONNECTIONS} connections",
        order_json::order().len()
    );
    let mut rows = Vec::new();
    for (name, server, client) in [
        ("both cores", None, None),
        ("one core each", Some(0), Some(1)),
    ] {
        let nginx = Nginx::start(&dir.path().join(format!("nginx-{}", rows.len())), server);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 1..=round_count {
            ours.push(shadowdiff(dir.path(), &recording, exchanges, client));
            theirs.push(wrk(&script, client));
            println!(
                "{name}, round {round}: shadowdiff run {:.0} requests/s, wrk {:.0}",
                ours[round - 1],
                theirs[round - 1]
            );
        }
        drop(nginx);
        rows.push((name, rounds::median(&mut ours), rounds::median(&mut theirs)));
    }
    for (name, ours, theirs) in rows {
        println!(
            "{name}: shadowdiff run {ours:.0} requests/s (old and new), wrk {theirs:.0}: {:.2} of \
             wrk (aim with one core each: 0.8)",
            ours / theirs
        );
    }
}
