//! Reports stay small whatever the responses hold: a sample keeps 2 KiB of a value's JSON text
//! and says how large it was, and report.md stays under GitHub's 1 MiB job summary limit,
//! saying what it left out.

use crate::common::{exchange, lines, report_in, Project};

/// GitHub's limit for a job summary.
const MIB: usize = 1 << 20;

fn size(p: &Project, name: &str) -> usize {
    std::fs::metadata(p.path().join(name))
        .unwrap_or_else(|err| panic!("{name}: {err}"))
        .len() as usize
}

#[test]
fn a_five_megabyte_value_is_cut_in_samples_and_noted_with_its_size() {
    let p = Project::new();
    // 5 MB of numbers written as `1.50`: a sample must show them as sent.
    let values = "1.50,".repeat(1_048_576);
    let body = |last: u32| format!("{{\"blob\":[{values}{last}]}}");
    p.file(
        "a.jsonl",
        lines(&[exchange("r1", "/orders/1", 200, &body(1))]),
    );
    p.file(
        "b.jsonl",
        lines(&[exchange("r1", "/orders/1", 200, &body(2))]),
    );
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "report", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);

    let report = report_in(&p, "report");
    let sample = &report["routes"][0]["signatures"][0]["samples"][0];
    assert_eq!(sample["path"], "$.blob[1048576]", "{sample}");
    // The element itself is small; the whole-array case follows below.
    assert!(sample.get("truncated").is_none(), "{sample}");

    // A value that is itself large: the array replaced by another type.
    p.file(
        "b.jsonl",
        lines(&[exchange("r1", "/orders/1", 200, "{\"blob\":\"gone\"}")]),
    );
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "report", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = p.read("report/report.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("report.json");
    let sample = &report["routes"][0]["signatures"][0]["samples"][0];
    let whole = values.len() as u64 + 3;
    assert_eq!(sample["truncated"]["old"], whole, "{sample}");
    assert!(sample["truncated"].get("new").is_none(), "{sample}");
    let kept = sample["old"]
        .as_str()
        .expect("the start of the old value, as text");
    assert_eq!(kept.len(), 2048);
    assert!(kept.starts_with("[1.50,1.50,"), "numbers as sent: {kept}");
    assert_eq!(sample["new"], "gone");

    for (name, limit) in [
        ("report/report.json", 64 * 1024),
        ("report/report.html", 256 * 1024),
        ("report/report.md", 16 * 1024),
        ("report/junit.xml", 16 * 1024),
        ("report/aggregate.json", 64 * 1024),
    ] {
        assert!(size(&p, name) < limit, "{name}: {} bytes", size(&p, name));
    }
    let md = p.read("report/report.md");
    assert!(md.contains("`[1.50,1.50,"), "{md}");
    assert!(md.contains("… (5.2 MB, cut)`"), "{md}");
    assert!(p.read("report/report.html").contains("… (5.2 MB, cut)"));
    assert!(p.read("report/junit.xml").contains("… (5.2 MB, cut)"));
}

#[test]
fn report_md_stays_under_a_mebibyte_and_says_what_it_left_out() {
    let p = Project::new();
    // 12 000 routes with long names (letters only, so none is taken for an id), each with a
    // difference: the route table alone would be several megabytes.
    let word = |mut n: usize| {
        let mut w = String::new();
        for _ in 0..4 {
            w.push((b'g' + (n % 20) as u8) as char);
            n /= 20;
        }
        w
    };
    let long = "k".repeat(200);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..12_000 {
        let url = format!("/{}/{long}", word(i));
        a.push(exchange(&format!("r{i}"), &url, 200, r#"{"v":1}"#));
        b.push(exchange(&format!("r{i}"), &url, 200, r#"{"v":2}"#));
    }
    p.file("a.jsonl", lines(&a));
    p.file("b.jsonl", lines(&b));
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "report", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = p.read("report/report.md");
    assert!(md.len() < MIB, "report.md is {} bytes", md.len());
    assert!(
        md.len() > MIB / 2,
        "it lists as much as fits: {} bytes",
        md.len()
    );
    let last = md.lines().last().expect("a last line");
    assert!(
        last.starts_with("**Left out** to keep report.md under 1 MiB") && last.contains("routes"),
        "{last}"
    );
    // report.json keeps every route.
    let report = report_in(&p, "report");
    assert_eq!(report["routes"].as_array().map(Vec::len), Some(12_000));
}
