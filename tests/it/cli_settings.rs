//! Settings from flags and shadowdiff.toml: a value out of range is exit 2 naming the flag, or
//! the file and the line of the key, never a panic and never accepted silently; errors name the
//! file that was read; `out =` is honoured by every command that writes a report.

use crate::common::{assert_bad, exchange, lines, replay, Project};

/// A recording of two GETs whose stored responses `--old recorded --new recorded` replay.
fn project() -> Project {
    let p = Project::new();
    p.file(
        "recs.jsonl",
        lines(&[
            exchange("r1", "/orders/1", 200, r#"{"id":1}"#),
            exchange("r2", "/orders/2", 200, r#"{"id":2}"#),
        ]),
    );
    p
}

#[test]
fn run_flags_out_of_range_are_refused_naming_the_flag_and_the_range() {
    let p = project();
    let cases: &[(&[&str], &[&str])] = &[
        (&["--concurrency", "0"], &["--concurrency", "at least 1"]),
        (
            &["--concurrency", "-1"],
            &["--concurrency", "`-1` is not allowed", "at least 1"],
        ),
        (&["--threads", "0"], &["--threads", "at least 1"]),
        (&["--rate", "0"], &["--rate", "at least 0.001"]),
        (&["--rate", "NaN"], &["--rate", "nan is not a rate"]),
        (&["--rate", "-5"], &["--rate", "-5 is not a rate"]),
        (&["--rate", "1e-300"], &["--rate", "not a rate"]),
        (&["--timeout", "1e30s"], &["--timeout", "at most 24h"]),
        (&["--timeout", "-1s"], &["--timeout", "at most 24h"]),
        (
            &["--timeout", "0s"],
            &["--timeout", "not a positive duration"],
        ),
        (&["--retries", "-1"], &["--retries", "from 0 to 10"]),
        (&["--retries", "1000"], &["--retries", "more than 10"]),
        (
            &["--min-exchanges", "0"],
            &["--min-exchanges", "at least 1"],
        ),
        (
            &["--max-diff-rate", "-0.5"],
            &["--max-diff-rate", "between 0 and 1"],
        ),
        (
            &["--max-error-rate", "nan"],
            &["--max-error-rate", "between 0 and 1"],
        ),
        (
            &["--max-line-bytes", "0"],
            &["--max-line-bytes", "at least 1"],
        ),
        (
            &["--include-route", "["],
            &["--include-route", "not a valid route glob"],
        ),
        (
            &["--exclude-route", "GET /[a-"],
            &["--exclude-route", "not a valid route glob"],
        ),
    ];
    for (extra, needles) in cases {
        let run = replay(&p, "recorded", "recorded", extra);
        assert_bad(&run, needles);
        assert!(!p.exists("shadowdiff-report"), "{extra:?} wrote a report");
    }
    // In range, they run.
    let run = replay(
        &p,
        "recorded",
        "recorded",
        &[
            "--concurrency",
            "1",
            "--threads",
            "1",
            "--rate",
            "1000",
            "--timeout",
            "1m 30s",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn record_flags_out_of_range_are_refused_before_listening() {
    let p = Project::new();
    for (flag, value, needle) in [
        ("--timeout", "1e30s", "at most 24h"),
        ("--drain-timeout", "1e30s", "at most 24h"),
        ("--drain-timeout", "-3s", "at most 24h"),
        ("--rotate-bytes", "0", "at least 1"),
        ("--sample", "-0.1", "between 0 and 1"),
        ("--include-route", "[", "not a valid route glob"),
    ] {
        let run = p.run(&[
            "record",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:9",
            "-o",
            "rec.jsonl",
            flag,
            value,
        ]);
        assert_bad(&run, &[flag, needle]);
    }
}

#[test]
fn config_values_out_of_range_name_the_given_file_and_line() {
    let p = project();
    let cases = [
        ("rate = -5\n", "ci/other.toml:1: rate: -5 is not a rate"),
        (
            "concurrency = 0\n",
            "ci/other.toml:1: concurrency: must be at least 1",
        ),
        (
            "\n[noise]\nsignificance = nan\n",
            "ci/other.toml:3: noise.significance: nan is not",
        ),
        (
            "timeout = \"1e30s\"\n",
            "ci/other.toml:1: `1e30s` is not a duration",
        ),
        (
            "[filter]\ninclude_routes = [\"GET /a\", \"[\"]\n",
            "ci/other.toml:2: filter.include_routes[1]: `[` is not a valid route glob",
        ),
        (
            "[[gate.route]]\nmatch = \"[\"\n",
            "ci/other.toml:2: gate.route[0].match: `[` is not a valid route glob",
        ),
        (
            "[gate]\nmax_diff_rate = 2\n",
            "ci/other.toml:2: gate.max_diff_rate: 2 is not between 0 and 1",
        ),
        (
            "[targets.noise]\nstart = \"true\"\nready_timeout = 1e308\n",
            "ci/other.toml:3: [targets.noise] ready_timeout: 1e308",
        ),
    ];
    for (text, expected) in cases {
        p.file("ci/other.toml", text);
        let run = p.run(&[
            "run",
            "recs.jsonl",
            "--old",
            "recorded",
            "--new",
            "recorded",
            "-q",
            "--config",
            "ci/other.toml",
        ]);
        assert_bad(&run, &[&format!("error: {expected}")]);
    }
}

#[test]
fn a_bad_target_names_the_file_given_and_the_line_or_the_flag() {
    let p = project();
    p.file(
        "ci/other.toml",
        "recordings = \"../recs.jsonl\"\n\n[targets.old]\nurl = \"recorded\"\n\n[targets.new]\nurl = \"ftp://x\"\n",
    );
    let run = p.run(&["run", "--config", "ci/other.toml", "-q"]);
    assert_bad(
        &run,
        &["error: ci/other.toml:7: [targets.new] url: unknown target url `ftp://x`"],
    );
    assert!(!run.stderr.contains("shadowdiff.toml"), "{}", run.stderr);

    p.file("ci/empty.toml", "[targets.old]\npreserve_host = true\n");
    let run = p.run(&[
        "run",
        "recs.jsonl",
        "--config",
        "ci/empty.toml",
        "--new",
        "recorded",
    ]);
    assert_bad(
        &run,
        &["error: ci/empty.toml:1: [targets.old]: needs `url` or `start`"],
    );

    // No config file at all: the flag is named.
    let run = replay(&Project::new(), "recorded", "recorded", &[]);
    assert_eq!(run.code, 2);
    let run = p.run(&[
        "run",
        "recs.jsonl",
        "--old",
        "ftp://x",
        "--new",
        "recorded",
        "-q",
    ]);
    assert_bad(&run, &["error: --old: unknown target url `ftp://x`"]);
    assert!(!run.stderr.contains("shadowdiff.toml"), "{}", run.stderr);
}

#[test]
fn diff_and_merge_write_where_out_of_shadowdiff_toml_says_unless_the_flag_says_otherwise() {
    let p = project();
    p.file("shadowdiff.toml", "out = \"reports/from-file\"\n");
    let run = p.run(&["diff", "recs.jsonl", "recs.jsonl", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.path().join("reports/from-file/report.json").is_file());
    assert!(!p.exists("shadowdiff-report"));

    let run = p.run(&["diff", "recs.jsonl", "recs.jsonl", "-q", "--out", "flag"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.path().join("flag/report.json").is_file());

    std::fs::remove_dir_all(p.path().join("reports")).unwrap();
    let run = p.run(&["report", "merge", "flag", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(p.path().join("reports/from-file/report.json").is_file());
    assert!(!p.exists("shadowdiff-report"));
}

#[test]
fn an_outcomes_line_whose_latency_is_not_a_duration_is_bad_input_with_its_line() {
    let p = Project::new();
    let line = |latency: &str| {
        format!(
            r#"{{"id":"r1","seq":0,"route":"GET /o","outcome":"equal","request":{{"method":"GET","url":"/o","headers":[],"body":null}},"old":{{"response":{{"status":200,"headers":[],"body":{{"text":"a"}}}},"latency_ms":{latency}}},"new":{{"response":{{"status":200,"headers":[],"body":{{"text":"a"}}}},"latency_ms":1.5}}}}"#
        )
    };
    p.file("outcomes.jsonl", lines(&[line("2.0"), line("1e308")]));
    let run = p.run(&["diff", "outcomes.jsonl", "-q"]);
    assert_bad(&run, &["outcomes.jsonl:2", "old.latency_ms 1e308"]);
    p.file("outcomes.jsonl", lines(&[line("-4.0")]));
    let run = p.run(&["diff", "outcomes.jsonl", "-q"]);
    assert_bad(&run, &["outcomes.jsonl:1", "old.latency_ms -4.0"]);
    p.file("outcomes.jsonl", lines(&[line("2.0")]));
    let run = p.run(&["diff", "outcomes.jsonl", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
