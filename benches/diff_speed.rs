//! `shadowdiff diff` beside its anchors, as ratios, on one corpus in one run.
//!
//! Run with `cargo bench --bench diff_speed`. The corpus (`support/diff_corpus.rs`): 200 000
//! pairs of `GET /orders/I` exchanges with ~1.1 KB order bodies, one body in ten changed in B.
//! Each round runs, interleaved so that the machine's load falls on all of them alike:
//! - the floor: both files read line by line, each line and its body parsed with serde_json,
//!   the bodies compared with `==`, on one thread (in this process);
//! - `shadowdiff diff A B --threads 2` (both cores) and, pinned to one core with `taskset -c 0`,
//!   `--threads 1`; each must exit 1 with 20 000 pairs different in report.json;
//! - jsondiffpatch 0.7.7 (Node.js, its default `diff`, `support/jsondiffpatch_anchor.mjs`),
//!   installed with npm into `target/bench-anchors` the first time; skipped, with a note, when
//!   `node` or `npm` is missing or the install fails.
//!
//! It prints each run's wall time, then the medians and the ratios the aims are about: the
//! floor's time over shadowdiff's (aim: 3 on both cores, above 1 on one) and jsondiffpatch's
//! over shadowdiff's (aim: 5). Environment: `SHADOWDIFF_BENCH_PAIRS` (default 200 000) and
//! `SHADOWDIFF_BENCH_ROUNDS` (default 5).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/diff_corpus.rs"]
mod diff_corpus;
#[path = "support/rounds.rs"]
mod rounds;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The jsondiffpatch release measured.
const JSONDIFFPATCH: &str = "jsondiffpatch@0.7.7";

/// Installs jsondiffpatch next to the anchor script, once; `None` (with the reason printed)
/// when it cannot run here.
fn jsondiffpatch() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-anchors/jsondiffpatch");
    let script = dir.join("anchor.mjs");
    std::fs::create_dir_all(&dir).expect("anchor dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/jsondiffpatch_anchor.mjs"),
        &script,
    )
    .expect("copy the anchor script");
    if !dir.join("node_modules/jsondiffpatch").exists() {
        let installed = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .arg(JSONDIFFPATCH)
            .status();
        if !matches!(installed, Ok(status) if status.success()) {
            println!(
                "jsondiffpatch: not run (npm install {JSONDIFFPATCH} failed or npm is missing)"
            );
            return None;
        }
    }
    if Command::new("node").arg("--version").output().is_err() {
        println!("jsondiffpatch: not run (node is not installed)");
        return None;
    }
    Some(script)
}

/// Runs one command, checks what it printed with `check`, returns its wall time.
fn timed(command: &mut Command, check: impl Fn(&std::process::Output)) -> f64 {
    let started = Instant::now();
    let output = command.output().expect("start the command");
    let wall = started.elapsed().as_secs_f64();
    check(&output);
    wall
}

fn shadowdiff(dir: &Path, a: &Path, b: &Path, threads: usize, pin: bool, different: usize) -> f64 {
    let mut command = if pin {
        let mut taskset = Command::new("taskset");
        taskset
            .args(["-c", "0"])
            .arg(env!("CARGO_BIN_EXE_shadowdiff"));
        taskset
    } else {
        Command::new(env!("CARGO_BIN_EXE_shadowdiff"))
    };
    let out = dir.join(format!("report-{threads}"));
    command
        .arg("diff")
        .arg(a)
        .arg(b)
        .arg("--out")
        .arg(&out)
        .arg("--snapshot")
        .arg(dir.join("none.snap"))
        .args(["--threads", &threads.to_string(), "--quiet"]);
    timed(&mut command, |output| {
        assert_eq!(
            output.status.code(),
            Some(1),
            "shadowdiff diff: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
                .expect("report.json parses");
        assert_eq!(
            report["totals"]["different"], different,
            "{threads} threads"
        );
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let pairs = rounds::env_number("SHADOWDIFF_BENCH_PAIRS", 200_000);
    let round_count = rounds::env_number("SHADOWDIFF_BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let (a, b) = diff_corpus::write(dir.path(), pairs);
    let size = std::fs::metadata(&a).expect("a").len() + std::fs::metadata(&b).expect("b").len();
    println!(
        "corpus: {pairs} pairs, A + B {:.0} MB, written in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let different = pairs.div_ceil(10);
    let pin = Command::new("taskset").arg("--version").output().is_ok();
    if !pin {
        println!("taskset is not installed: the one-core run is not pinned");
    }
    let anchor = jsondiffpatch();
    let mut floor = Vec::new();
    let mut both = Vec::new();
    let mut one = Vec::new();
    let mut jdp = Vec::new();
    for round in 1..=round_count {
        let t = Instant::now();
        assert_eq!(diff_corpus::floor(&a, &b), different);
        floor.push(t.elapsed().as_secs_f64());
        both.push(shadowdiff(dir.path(), &a, &b, 2, false, different));
        one.push(shadowdiff(dir.path(), &a, &b, 1, pin, different));
        if let Some(script) = &anchor {
            jdp.push(timed(
                Command::new("node").arg(script).arg(&a).arg(&b),
                |output| {
                    assert!(
                        output.status.success(),
                        "{}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                    let counts: serde_json::Value =
                        serde_json::from_slice(&output.stdout).expect("the anchor's counts");
                    assert_eq!(counts["different"], different, "jsondiffpatch's count");
                },
            ));
        }
        println!(
            "round {round}: floor {:.2} s, shadowdiff diff {:.2} s (2 threads), {:.2} s (1 thread, \
             1 core){}",
            floor[round - 1],
            both[round - 1],
            one[round - 1],
            jdp.last()
                .map(|t| format!(", jsondiffpatch {t:.2} s"))
                .unwrap_or_default()
        );
    }
    let (floor, both, one) = (
        rounds::median(&mut floor),
        rounds::median(&mut both),
        rounds::median(&mut one),
    );
    println!(
        "medians of {round_count}: floor {floor:.2} s, shadowdiff {both:.2} s on both cores, {one:.2} s \
         on one"
    );
    println!(
        "shadowdiff diff, both cores: {:.2}x the floor's throughput (aim: 3), {:.0} pairs/s",
        floor / both,
        pairs as f64 / both
    );
    println!(
        "shadowdiff diff, one core: {:.2}x the floor's throughput (aim: above 1)",
        floor / one
    );
    if !jdp.is_empty() {
        let jdp = rounds::median(&mut jdp);
        println!(
            "shadowdiff diff, both cores: {:.2}x jsondiffpatch's throughput (aim: 5; jsondiffpatch \
             {jdp:.2} s)",
            jdp / both
        );
    }
}
