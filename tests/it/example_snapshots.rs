//! The shipped example, end to end: `diff recordings/ examples/v2-capture/` with the shipped
//! comparators. Its report.json, report.md, junit.xml, report.html and terminal summary are
//! snapshots (reviewed, in tests/it/snapshots/): a change in what shadowdiff finds or says shows
//! up as a snapshot diff.

use crate::common::{repo_root, run_in, Project};

fn run_example(out: &std::path::Path, threads: &str) -> crate::common::Run {
    let out = out.to_str().expect("utf-8 temp path");
    run_in(
        &repo_root(),
        &[
            "diff",
            "recordings/",
            "examples/v2-capture/",
            "--rules",
            "comparators/",
            "--out",
            out,
            "--threads",
            threads,
            "--snapshot",
            &format!("{out}/shadowdiff.snap"),
        ],
    )
}

#[test]
fn shipped_example_report_and_summary() {
    let dir = Project::new();
    let run = run_example(dir.path(), "2");
    assert_eq!(
        run.code, 1,
        "the example has deliberate changes: {}",
        run.stderr
    );
    let out = dir.path().to_str().expect("utf-8 temp path");
    let read = |name: &str| dir.read(name).replace(out, "[OUT]");
    insta::assert_snapshot!("example_report_json", read("report.json"));
    insta::assert_snapshot!("example_report_md", read("report.md"));
    insta::assert_snapshot!("example_junit_xml", read("junit.xml"));
    insta::assert_snapshot!("example_report_html", read("report.html"));
    insta::assert_snapshot!("example_terminal_summary", run.stdout.replace(out, "[OUT]"));
}

#[test]
fn shipped_example_is_deterministic_across_thread_counts() {
    let (one, two) = (Project::new(), Project::new());
    assert_eq!(run_example(one.path(), "1").code, 1);
    assert_eq!(run_example(two.path(), "2").code, 1);
    for name in ["report.json", "report.html"] {
        let read = |dir: &Project| {
            dir.read(name)
                .replace(dir.path().to_str().expect("utf-8 temp path"), "[OUT]")
        };
        assert_eq!(read(&one), read(&two), "{name}");
    }
}
