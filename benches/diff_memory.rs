//! Peak memory and time of `shadowdiff diff A B` at one and ten million pairs, with B in A's
//! order (the join streams) and shuffled (the join goes through its partitions on disk),
//! measured with `/usr/bin/time -v`.
//!
//! Run with `cargo bench --bench diff_memory`. Each pair is two small lines (about 140 bytes,
//! written zstd to a temp dir); one pair in 1 000 differs in a field. The shuffle is a full
//! permutation of B's lines. Memory must stay flat in the number of ids: the bench fails above
//! 100 MB peak resident memory, or if the two orders give different reports.
//!
//! Environment: `SHADOWDIFF_BENCH_PAIRS` overrides the sizes (comma-separated, e.g. `200000`).

#[path = "support/peak_memory.rs"]
mod peak_memory;
#[path = "support/xorshift.rs"]
mod xorshift;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use peak_memory::{measure, time_available};
use std::time::Instant;
use xorshift::Rng;

/// The peak memory `diff` must stay under, at any number of pairs.
const MAX_RSS_MB: f64 = 100.0;

/// The exchange line of pair `i`; B's differs in one pair of 1 000.
fn line(i: u64, side_b: bool) -> String {
    let total = if side_b && i % 1000 == 7 { 11 } else { 10 };
    format!(
        r#"{{"id":"r{i:08}","request":{{"method":"GET","url":"/orders/{i}"}},"response":{{"status":200,"body":{{"text":"{{\"id\":{i},\"total\":{total}}}"}}}}}}"#
    )
}

/// Writes the lines of `order` (pair numbers) to a zstd file at `path`.
fn write(path: &Path, order: impl Iterator<Item = u64>, side_b: bool) {
    let file = std::fs::File::create(path).expect("create a recording");
    let mut out = zstd::stream::write::Encoder::new(BufWriter::new(file), 1)
        .expect("zstd")
        .auto_finish();
    for i in order {
        out.write_all(line(i, side_b).as_bytes()).expect("write");
        out.write_all(b"\n").expect("write");
    }
}

/// Generates `pairs` pairs in both orders, runs `diff` on each, prints and checks the figures.
fn bench(pairs: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let a = dir.path().join("a.jsonl.zst");
    let same = dir.path().join("b-same.jsonl.zst");
    let shuffled = dir.path().join("b-shuffled.jsonl.zst");
    write(&a, 0..pairs, false);
    write(&same, 0..pairs, true);
    let mut order: Vec<u32> = (0..pairs as u32).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    write(&shuffled, order.iter().map(|&i| u64::from(i)), true);
    drop(order);
    let size: u64 = [&a, &same, &shuffled]
        .iter()
        .map(|p| std::fs::metadata(p).expect("corpus").len())
        .sum();
    println!(
        "corpus: {pairs} pairs, A + two Bs {:.1} MB zstd, written in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut reports = Vec::new();
    for (name, b) in [("same order", &same), ("shuffled", &shuffled)] {
        let (rss, wall, stdout) = measure(
            Command::new("/usr/bin/time")
                .arg("-v")
                .arg(env!("CARGO_BIN_EXE_shadowdiff"))
                .arg("diff")
                .arg(&a)
                .arg(b)
                .arg("--out")
                .arg(dir.path().join("report"))
                .arg("--snapshot")
                .arg(dir.path().join("shadowdiff.snap"))
                .args(["--format", "json"])
                .current_dir(dir.path()),
        );
        let report: serde_json::Value =
            serde_json::from_str(&stdout).expect("report.json on stdout");
        assert_eq!(report["totals"]["exchanges"], pairs, "{name}");
        assert_eq!(
            report["totals"]["different"],
            pairs.div_ceil(1000),
            "{name}"
        );
        println!(
            "shadowdiff diff A B, {pairs} pairs, B {name}: {wall:.1} s, {:.0} pairs/s, \
             peak RSS {rss:.1} MB (limit {MAX_RSS_MB} MB)",
            pairs as f64 / wall
        );
        assert!(
            rss < MAX_RSS_MB,
            "{pairs} pairs, B {name}: peak RSS {rss:.1} MB is above {MAX_RSS_MB} MB"
        );
        reports.push(stdout);
    }
    assert_eq!(reports[0], reports[1], "the order of B changed the report");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !time_available("diff_memory") {
        return;
    }
    let sizes: Vec<u64> = std::env::var("SHADOWDIFF_BENCH_PAIRS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 10_000_000]);
    for pairs in sizes {
        bench(pairs);
    }
}
