//! Recordings read from pipes: standard input (`-`) and a FIFO (what `<(zstdcat a)` gives) are
//! opened once and read whole, so no exchange of their first bytes is lost, and compressed
//! input is recognised by its magic number there too.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::servers::{json, TestServer};
use crate::common::{
    across_routes, exchange, finished_within, lines, report, run_with_input, shadowdiff, totals,
    zstd_bytes, Project, Run,
};
use serde_json::Value;

/// Exchanges `r1`..`r20` of `GET /orders/{i}`, answering `{"id":i}`, except that the ids in
/// `changed` answer `{"id":0}`. Well over 512 bytes come before `r15`.
fn recording(changed: &[u32]) -> String {
    let all: Vec<String> = (1..=20)
        .map(|i| {
            let id = if changed.contains(&i) { 0 } else { i };
            exchange(
                &format!("r{i}"),
                &format!("/orders/{i}"),
                200,
                &format!("{{\"id\":{id}}}"),
            )
        })
        .collect();
    let text = lines(&all);
    let before_r15 = text.find("\"r15\"").expect("r15");
    assert!(before_r15 > 512, "only {before_r15} bytes before r15");
    text
}

/// Runs `shadowdiff ARGS` in `dir`, killing it when it has not finished within `seconds` (a
/// reader waiting for a FIFO to be written again waits forever).
fn run_within(dir: &Path, args: &[&str], seconds: u64) -> Run {
    let mut child = shadowdiff(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shadowdiff");
    if !finished_within(&mut child, Duration::from_secs(seconds)) {
        let output = child.wait_with_output().expect("wait");
        panic!(
            "shadowdiff did not finish within {seconds}s; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    child.wait_with_output().expect("wait").into()
}

/// The run failed the gate with all 20 exchanges judged, `r1` and `r15` the two different: no
/// exchange of the input was lost.
fn assert_r1_and_r15_differ(p: &Project, run: &Run) {
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let report = report(p);
    assert_eq!(
        totals(&report),
        (20, 18, 2, 0, 0, 0),
        "{}",
        report["totals"]
    );
    assert_eq!(different_ids(&report), ["r1", "r15"]);
}

/// The ids of the exchanges a report shows as different.
fn different_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = across_routes(report, "signatures")
        .iter()
        .flat_map(|sig| sig["samples"].as_array().expect("samples").clone())
        .map(|sample| sample["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn diff_reads_a_fifo_whole() {
    let p = Project::new();
    p.file("b.jsonl", recording(&[]));
    let fifo = p.path().join("a.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let text = recording(&[1, 15]);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until shadowdiff opens the FIFO; a second open would find no writer.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("open the fifo");
            let _ = file.write_all(text.as_bytes());
        })
    };
    let run = run_within(p.path(), &["diff", "a.fifo", "b.jsonl", "--quiet"], 60);
    if !writer.is_finished() {
        // shadowdiff never opened the FIFO: open it here so that the writer ends.
        use std::os::unix::fs::OpenOptionsExt as _;
        let _reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
    }
    writer.join().expect("writer");
    assert_r1_and_r15_differ(&p, &run);
}

#[test]
fn diff_reads_standard_input_plain_or_zstd() {
    let text = recording(&[1, 15]);
    let compressed = zstd_bytes(&text);
    for input in [text.into_bytes(), compressed] {
        let p = Project::new();
        p.file("b.jsonl", recording(&[]));
        let run = run_with_input(p.path(), &["diff", "-", "b.jsonl", "--quiet"], input);
        assert_r1_and_r15_differ(&p, &run);
    }
}

#[test]
fn run_replays_standard_input() {
    let p = Project::new();
    let new = TestServer::start(|request| {
        let id = request.id();
        json(200, &format!("{{\"id\":{id}}}"))
    });
    let args = [
        "run",
        "-",
        "--old",
        "recorded",
        "--new",
        &new.url(),
        "--quiet",
    ];
    let run = run_with_input(p.path(), &args, recording(&[1, 15]).into_bytes());
    assert_r1_and_r15_differ(&p, &run);
    assert_eq!(new.hits(), 20);
}

#[test]
fn standard_input_named_twice_is_bad_usage() {
    let p = Project::new();
    let run = run_with_input(p.path(), &["diff", "-", "-"], recording(&[]).into_bytes());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`-` (standard input)"),
        "{}",
        run.stderr
    );
}
