//! The shipped stateful example, end to end: examples/stateful/shadowdiff.toml as it is, its
//! managed targets the example services this test build compiled (`cargo test` builds the
//! examples), each keeping its orders in a SQLite store under the report folder. The eight
//! recorded sessions replay in order with each side's own order ids, and the stores compared
//! after the replay find the one write v2 gets wrong, which no answer shows.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{repo_root, report_in, run_in, totals, Project};

/// An example service of this build: `target/<profile>/examples/NAME`, beside the folder of
/// the test binary (`target/<profile>/deps`).
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile.join("examples").join(name);
    assert!(binary.exists(), "{} is not built", binary.display());
    binary
}

/// The shipped settings, written into `p` with the paths made absolute and the services
/// started from this build instead of `cargo run --release`.
fn settings(p: &Project) -> PathBuf {
    let folder = repo_root().join("examples/stateful");
    let text = std::fs::read_to_string(folder.join("shadowdiff.toml")).expect("the settings");
    let mut text = text
        .replace(
            "recordings = \"sessions.jsonl\"",
            &format!(
                "recordings = \"{}\"",
                folder.join("sessions.jsonl").display()
            ),
        )
        .replace(
            "rules = \"../../comparators/\"",
            &format!("rules = \"{}\"", repo_root().join("comparators").display()),
        );
    for name in ["orders_v1", "orders_v2"] {
        text = text.replace(
            &format!("cargo run --quiet --release --example {name} --"),
            &example_binary(name).display().to_string(),
        );
    }
    assert!(!text.contains("--example"), "{text}");
    p.file("shadowdiff.toml", text)
}

#[test]
fn the_shipped_sessions_replay_in_order_and_the_stores_show_the_write_v2_gets_wrong() {
    let p = Project::new();
    let config = settings(&p);
    let config = config.to_str().expect("utf-8 temp path");
    let mut reports = Vec::new();
    for (concurrency, out) in [("8", "c8"), ("1", "c1")] {
        let done = run_in(
            p.path(),
            &[
                "run",
                "--config",
                config,
                "--out",
                out,
                "--concurrency",
                concurrency,
                "-q",
            ],
        );
        assert_eq!(done.code, 1, "{}", done.stderr);
        let report = report_in(&p, out);
        // 29 exchanges, all equal but the four reads of a cancelled order (v2 answers 404 where
        // v1 answers 410, a deliberate change); 246 rows (240 seeded, 6 created), all equal but
        // the five orders a change reached, whose revision v2 never counts up.
        assert_eq!(
            totals(&report),
            (29 + 246, 25 + 241, 4 + 5, 0, 0, 0),
            "{report:#}"
        );
        let routes = report["routes"].as_array().expect("routes");
        let route = |name: &str| -> &Value {
            routes
                .iter()
                .find(|route| route["route"] == name)
                .unwrap_or_else(|| panic!("no route {name}: {report:#}"))
        };
        let signatures = |name: &str| -> Vec<(String, u64)> {
            route(name)["signatures"]
                .as_array()
                .expect("signatures")
                .iter()
                .map(|s| {
                    (
                        s["signature"].as_str().unwrap().to_string(),
                        s["count"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(
            signatures("table orders"),
            [("$.revision changed".to_string(), 5)]
        );
        assert_eq!(signatures("GET /orders/{id}").len(), 3, "{report:#}");
        for write in [
            "POST /orders",
            "PATCH /orders/{id}",
            "POST /orders/{id}/cancel",
        ] {
            assert_eq!(route(write)["different"], 0, "{write}: {report:#}");
            assert_eq!(route(write)["skipped"], 0, "{write}: {report:#}");
        }
        // Each side created its six orders with ids of its own, none the recorded one.
        let captures = p.read(&format!("{out}/captures.jsonl"));
        let captures: Vec<Value> = captures
            .lines()
            .map(|line| serde_json::from_str(line).expect("a captures line"))
            .collect();
        assert_eq!(captures.len(), 6);
        for capture in &captures {
            let recorded = capture["recorded"].as_u64().expect("a recorded number");
            let old = capture["old"].as_u64().expect("v1 numbers its orders");
            assert!((1261..=1266).contains(&recorded), "{capture}");
            assert!((1241..=1246).contains(&old), "{capture}");
            assert_eq!(
                capture["new"].as_str().map(str::len),
                Some(36),
                "a UUID: {capture}"
            );
        }
        reports.push(verdict(&report));
    }
    // The services' noise (request ids, jitter, UUIDs) differs from run to run; what was found
    // does not, at any concurrency.
    assert_eq!(reports[0], reports[1]);
}

/// Per route: its counts, and each signature with its count and example ids.
fn verdict(report: &Value) -> Vec<String> {
    let mut lines = vec![report["totals"].to_string()];
    for route in report["routes"].as_array().expect("routes") {
        lines.push(format!(
            "{} equal {} different {} errors {} skipped {}",
            route["route"], route["equal"], route["different"], route["errors"], route["skipped"]
        ));
        for signature in route["signatures"].as_array().expect("signatures") {
            lines.push(format!(
                "  {} {} {}",
                signature["signature"], signature["count"], signature["examples"]
            ));
        }
    }
    lines
}
