//! Peak memory and time of judging one million outcomes: `shadowdiff diff OUTCOMES` (the
//! re-judge of a run's outcomes file: parse, compare, aggregate, write every report) on a
//! generated outcomes file, measured with `/usr/bin/time -v`.
//!
//! Run with `cargo bench --bench aggregate`. The corpus (written to a temp dir, zstd) has
//! 1 000 000 exchanges over 60 routes; about 12 % differ in one to three of 40 signatures a
//! route, 1 % end in error, 1 % are skipped, and every answer carries a latency, so the
//! aggregate holds the most it ever holds per route: signatures with examples and samples,
//! error kinds, skip reasons, and latency histograms. Memory must stay flat in the number of
//! exchanges: the bench fails above 150 MB peak resident memory.
//!
//! Environment: `SHADOWDIFF_BENCH_EXCHANGES` overrides the number of exchanges.

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

/// The limit the issue sets for one million outcomes.
const MAX_RSS_MB: f64 = 150.0;
/// Routes in the corpus.
const ROUTES: u64 = 60;

fn write_outcomes(path: &Path, exchanges: u64) {
    let file = std::fs::File::create(path).expect("create the outcomes file");
    let mut out = zstd::stream::write::Encoder::new(BufWriter::new(file), 1)
        .expect("zstd")
        .auto_finish();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seq in 0..exchanges {
        let route = rng.below(ROUTES);
        let url = format!("/r{route}/items/{seq}");
        let roll = rng.below(100);
        let latency = |rng: &mut Rng| 0.2 + rng.below(50_000) as f64 / 1000.0;
        let old_body = format!(r#"{{"id":{seq},"a":1,"b":"x","c":[1,2,3]}}"#);
        let answer = |body: &str, latency: f64| {
            serde_json::json!({
                "response": {"status": 200, "headers": [["content-type", "application/json"]],
                             "body": {"text": body}},
                "latency_ms": latency,
            })
        };
        let mut line = serde_json::json!({
            "id": format!("x{seq}"),
            "seq": seq,
            "route": format!("GET /r{route}/items/{{id}}"),
            "outcome": "equal",
            "request": {"method": "GET", "url": url, "headers": [["accept", "application/json"]], "body": null},
        });
        if roll == 0 {
            line["outcome"] = "skipped".into();
            line["reason"] = "method POST is not replayed (allow it with --allow-method)".into();
        } else if roll == 1 {
            line["outcome"] = "error".into();
            line["old"] = answer(&old_body, latency(&mut rng));
            line["new"] = serde_json::json!({
                "error": {"kind": "timeout", "message": "no answer within 10s"},
                "latency_ms": 10000.0,
            });
        } else {
            let new_body = if roll < 14 {
                let field = rng.below(40);
                let count = rng.below(3) + 1;
                let mut changed = format!(r#"{{"id":{seq},"a":1,"b":"x","c":[1,2,3]"#);
                for k in 0..count {
                    changed.push_str(&format!(r#","f{}":{}"#, (field + k) % 40, rng.below(9)));
                }
                changed.push('}');
                changed
            } else {
                old_body.clone()
            };
            line["old"] = answer(&old_body, latency(&mut rng));
            line["new"] = answer(&new_body, latency(&mut rng));
        }
        serde_json::to_writer(&mut out, &line).expect("write");
        out.write_all(b"\n").expect("write");
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !time_available("aggregate") {
        return;
    }
    let exchanges: u64 = std::env::var("SHADOWDIFF_BENCH_EXCHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let outcomes = dir.path().join("outcomes.jsonl.zst");
    let started = Instant::now();
    write_outcomes(&outcomes, exchanges);
    let size = std::fs::metadata(&outcomes).expect("corpus").len();
    println!(
        "corpus: {exchanges} outcomes, {:.1} MB zstd, written in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let (rss, wall, stdout) = measure(
        Command::new("/usr/bin/time")
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_shadowdiff"))
            .args(["diff"])
            .arg(&outcomes)
            .arg("--out")
            .arg(dir.path().join("report"))
            .arg("--snapshot")
            .arg(dir.path().join("shadowdiff.snap"))
            .args(["--format", "json"])
            .current_dir(dir.path()),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("report.json on stdout");
    assert_eq!(report["totals"]["exchanges"], exchanges);
    let signatures: usize = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| r["signatures"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "shadowdiff diff OUTCOMES: {exchanges} outcomes, {} routes, {signatures} signatures: \
         {wall:.1} s, {:.0} outcomes/s, peak RSS {rss:.1} MB (limit {MAX_RSS_MB} MB)",
        report["routes"].as_array().map_or(0, Vec::len),
        exchanges as f64 / wall
    );
    assert!(
        rss < MAX_RSS_MB,
        "peak RSS {rss:.1} MB is above {MAX_RSS_MB} MB"
    );
}
