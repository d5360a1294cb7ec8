//! `shadowdiff data` end to end: the real binary on SQLite files and exports it reads, the
//! shipped example, re-judging, shards merged, determinism, bad input, and flat memory.

use std::path::Path;

use serde_json::Value;

use crate::common::{
    across_routes, assert_bad, outcome_lines, repo_root, report, report_in, run_measured, totals,
    Project,
};

/// A SQLite database at `path` made by `sql`.
pub fn sqlite(path: &Path, sql: &str) {
    let _ = std::fs::remove_file(path);
    let db = rusqlite::Connection::open(path).expect("create the database");
    db.execute_batch(sql).expect("fill the database");
}

/// The signatures of the route `table NAME` with their counts, sorted.
fn signatures(report: &Value, table: &str) -> Vec<(String, u64)> {
    let route = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|r| r["route"] == format!("table {table}"))
        .unwrap_or_else(|| panic!("no route `table {table}` in {}", report["routes"]));
    counted(route["signatures"].as_array().expect("signatures"))
}

/// Signature entries of report.json as (signature, count), sorted.
pub fn counted(signatures: &[Value]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = signatures
        .iter()
        .map(|s| {
            (
                s["signature"].as_str().expect("signature").to_string(),
                s["count"].as_u64().expect("count"),
            )
        })
        .collect();
    out.sort();
    out
}

/// `shadowdiff data` on `old.db` and `new.db` of the project, table `table` keyed by `key`.
fn data_on_files(project: &Project, table: &str, key: &str) -> crate::common::Run {
    project.run(&[
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        "sqlite:new.db",
        "--table",
        table,
        "--key",
        key,
        "--quiet",
    ])
}

/// The keys (outcome ids) of the outcome lines whose differences include `signature`.
fn keys_with(lines: &[Value], signature: &str) -> Vec<String> {
    let mut keys: Vec<String> = lines
        .iter()
        .filter(|line| {
            line["differences"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["signature"] == signature))
        })
        .map(|line| line["id"].as_str().expect("id").to_string())
        .collect();
    keys.sort();
    keys
}

/// `shadowdiff data` on the shipped example, its report and pending snapshot changes written in
/// the project rather than beside the example's settings.
fn example_args(config: &Path) -> Vec<&str> {
    vec![
        "data",
        "--config",
        config.to_str().expect("a UTF-8 path"),
        "--out",
        "shadowdiff-report",
        "--snapshot",
        "shadowdiff.snap",
    ]
}

#[test]
fn the_shipped_example_names_the_planted_backfill_defects_and_nothing_else() {
    let project = Project::new();
    let config = repo_root().join("examples/data/shadowdiff.toml");
    let run = project.run(&[&example_args(&config)[..], &["--quiet"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("table orders: 240 rows in old, 239 in new"),
        "{}",
        run.stderr
    );
    let report = report(&project);
    let (exchanges, equal, different, _, errors, _) = totals(&report);
    assert_eq!((exchanges, errors), (240 + 60, 0));
    assert_eq!(
        different, 7,
        "one missing row, three cut notes, three wrong states"
    );
    assert_eq!(equal, 300 - 7);
    assert_eq!(
        signatures(&report, "orders"),
        [
            ("$.note changed".to_string(), 3),
            ("$.state changed".to_string(), 3),
            ("row missing in new".to_string(), 1),
        ]
    );
    assert!(signatures(&report, "customers").is_empty());
    let lines = outcome_lines(&project);
    assert_eq!(lines.len(), 300);
    assert_eq!(keys_with(&lines, "row missing in new"), ["1137"]);
    assert_eq!(
        keys_with(&lines, "$.note changed"),
        ["1042", "1096", "1205"]
    );
    assert_eq!(
        keys_with(&lines, "$.state changed"),
        ["1018", "1158", "1182"]
    );
    for name in ["report.json", "report.md", "junit.xml", "report.html"] {
        assert!(
            project.exists(&format!("shadowdiff-report/{name}")),
            "{name}"
        );
    }
    let terminal = project.run(&example_args(&config));
    assert!(
        terminal.stdout.contains("table orders"),
        "{}",
        terminal.stdout
    );
}

#[test]
fn outcomes_of_data_are_judged_again_by_diff_under_other_rules() {
    let project = Project::new();
    let example = repo_root().join("examples/data");
    let config = example.join("shadowdiff.toml");
    let run = project.run(&[&example_args(&config)[..], &["--quiet"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rules = example.join("comparators");
    let again = project.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        "again",
        "--quiet",
    ]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    let first = report(&project);
    let second = report_in(&project, "again");
    assert_eq!(totals(&first), totals(&second));
    assert_eq!(signatures(&first, "orders"), signatures(&second, "orders"));
    project.file("none/empty.toml", "");
    let bare = project.run(&[
        "diff",
        "shadowdiff-report/outcomes.jsonl.zst",
        "--rules",
        "none/empty.toml",
        "--out",
        "bare",
        "--quiet",
    ]);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
    let bare = signatures(&report_in(&project, "bare"), "orders");
    assert!(
        bare.contains(&("$.updated_at changed".to_string(), 239)),
        "without the rules every joined order differs in updated_at: {bare:?}"
    );
}

/// Two stores with the cases of one table: equal rows, a change, rows on one side, a
/// duplicate key, a two-column key, values stored two ways.
fn two_stores(project: &Project) {
    sqlite(
        &project.path().join("old.db"),
        "CREATE TABLE lines (order_id INTEGER, line INTEGER, sku TEXT, qty INTEGER, price REAL,
                             gift BOOLEAN, meta TEXT, at DATETIME);
         INSERT INTO lines VALUES
           (1, 1, 'A', 2, 12.34, 0, '{\"a\":1,\"b\":[1,2]}', '2024-01-02 03:04:05'),
           (1, 2, 'B', 1, 5.0, 1, NULL, '2024-01-02 03:04:05'),
           (2, 1, 'C', 3, 7.5, 0, '{}', '2024-01-03 00:00:00'),
           (3, 1, 'D', 1, 1.0, 0, '{}', '2024-01-04 00:00:00'),
           (4, 1, 'E', 1, 1.0, 0, '{}', '2024-01-05 00:00:00'),
           (4, 1, 'E', 1, 1.0, 0, '{}', '2024-01-05 00:00:00');",
    );
    sqlite(
        &project.path().join("new.db"),
        "CREATE TABLE order_lines (order_id INTEGER, line INTEGER, sku TEXT, quantity INTEGER,
                                   price NUMERIC, gift BOOLEAN, meta TEXT, at TEXT);
         INSERT INTO order_lines VALUES
           (2, 1, 'C', 4, '7.50', 0, '{}', '2024-01-03T00:00:00Z'),
           (1, 2, 'B', 1, 5, 1, NULL, '2024-01-02T03:04:05+00:00'),
           (1, 1, 'A', 2, '12.340', 0, '{\"b\":[1,2],\"a\":1}', '2024-01-02T04:04:05+01:00'),
           (4, 1, 'E', 1, 1.0, 0, '{}', '2024-01-05 00:00:00'),
           (5, 1, 'F', 1, 1.0, 0, '{}', '2024-01-06 00:00:00');",
    );
    project.file(
        "rules/lines.toml",
        "[[route]]\nmatch = \"table lines\"\njson = [\"$.meta\"]\n",
    );
}

/// `shadowdiff data` on [`two_stores`], with `extra` flags.
fn data_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec![
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        "sqlite:new.db",
        "--table",
        "lines",
        "--key",
        "order_id,line",
        "--new-query",
        "SELECT order_id, line, sku, quantity AS qty, price, gift, meta, at FROM order_lines",
        "--rules",
        "rules",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn every_key_ends_in_one_outcome_with_values_compared_as_values() {
    let project = Project::new();
    two_stores(&project);
    let run = project.run(&data_args(&[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&project);
    let (exchanges, equal, different, _, errors, _) = totals(&report);
    assert_eq!(
        (exchanges, equal, different, errors),
        (6, 2, 3, 1),
        "keys [1,1] [1,2] equal; [2,1] changed; [3,1] missing; [5,1] extra; [4,1] duplicated"
    );
    assert_eq!(
        signatures(&report, "lines"),
        [
            ("$.qty changed".to_string(), 1),
            ("row extra in new".to_string(), 1),
            ("row missing in new".to_string(), 1),
        ]
    );
    let lines = outcome_lines(&project);
    assert_eq!(keys_with(&lines, "$.qty changed"), ["[2,1]"]);
    let duplicate = lines
        .iter()
        .find(|l| l["outcome"] == "error")
        .expect("the duplicated key's outcome");
    assert_eq!(duplicate["id"], "[4,1]");
    assert_eq!(
        duplicate["key"],
        serde_json::json!({"order_id": 4, "line": 1})
    );
    let message = duplicate["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("old has 2 rows with this key (rows 5, 6)"),
        "{message}"
    );
    let kinds = across_routes(&report, "error_kinds");
    assert_eq!(kinds[0]["kind"], "duplicate_key", "{kinds:?}");
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["[1,1]", "[1,2]", "[2,1]", "[3,1]", "[4,1]", "[5,1]"],
        "key order"
    );
}

#[test]
fn the_report_is_the_same_bytes_at_any_thread_count() {
    let project = Project::new();
    two_stores(&project);
    let one = project.run(&data_args(&["--threads", "1", "--out", "one"]));
    let two = project.run(&data_args(&["--threads", "2", "--out", "two"]));
    assert_eq!((one.code, two.code), (1, 1), "{}{}", one.stderr, two.stderr);
    for file in ["report.json", "report.md", "junit.xml", "report.html"] {
        assert_eq!(
            project.read(&format!("one/{file}")),
            project.read(&format!("two/{file}")),
            "{file}"
        );
    }
    assert_eq!(
        std::fs::read(project.path().join("one/outcomes.jsonl.zst")).unwrap(),
        std::fs::read(project.path().join("two/outcomes.jsonl.zst")).unwrap()
    );
}

#[test]
fn exports_in_file_order_are_joined_on_disk_with_the_same_outcomes() {
    let project = Project::new();
    two_stores(&project);
    project.file(
        "new.csv",
        "order_id,line,sku,qty,price,gift,meta,at\n\
         2,1,C,4,7.50,0,{},2024-01-03T00:00:00Z\n\
         1,2,B,1,5,1,,2024-01-02T03:04:05Z\n\
         1,1,A,2,12.340,0,\"{\"\"b\"\":[1,2],\"\"a\"\":1}\",2024-01-02 03:04:05\n\
         4,1,E,1,1.0,0,{},2024-01-05 00:00:00\n\
         5,1,F,1,1.0,0,{},2024-01-06 00:00:00\n",
    );
    let run = project.run(&[
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        "new.csv",
        "--table",
        "lines",
        "--key",
        "order_id,line",
        "--rules",
        "rules",
        "--quiet",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("new.csv is read in file order, so the rows were joined on disk"),
        "{}",
        run.stderr
    );
    let report = report(&project);
    assert_eq!(totals(&report).0, 6);
    assert_eq!(
        signatures(&report, "lines"),
        [
            ("$.qty changed".to_string(), 1),
            ("row extra in new".to_string(), 1),
            ("row missing in new".to_string(), 1),
        ]
    );
}

#[test]
fn shards_by_key_hash_merge_into_the_whole_table() {
    let project = Project::new();
    let mut old = String::from("CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES ");
    let mut new = old.clone();
    let rows: Vec<String> = (1..=300).map(|i| format!("({i}, 'v{i}')")).collect();
    old.push_str(&rows.join(","));
    let changed: Vec<String> = (2..=301)
        .map(|i| format!("({i}, 'v{}')", if i % 10 == 0 { i + 1 } else { i }))
        .collect();
    new.push_str(&changed.join(","));
    sqlite(&project.path().join("old.db"), &format!("{old};"));
    sqlite(&project.path().join("new.db"), &format!("{new};"));
    let base = [
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        "sqlite:new.db",
        "--table",
        "t",
        "--key",
        "id",
        "--quiet",
    ];
    let whole = project.run(&[&base[..], &["--out", "whole"]].concat());
    assert_eq!(whole.code, 1, "{}", whole.stderr);
    for k in 1..=3 {
        let partition = format!("hash:{k}/3");
        let out = format!("shard-{k}");
        let run = project.run(&[&base[..], &["--partition", &partition, "--out", &out]].concat());
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
    let merged = project.run(&[
        "report", "merge", "shard-1", "shard-2", "shard-3", "--out", "merged", "--quiet",
    ]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let whole = report_in(&project, "whole");
    let merged = report_in(&project, "merged");
    assert_eq!(totals(&whole), totals(&merged));
    assert_eq!(totals(&whole).0, 301);
    assert_eq!(signatures(&whole, "t"), signatures(&merged, "t"));
    assert_eq!(
        signatures(&whole, "t"),
        [
            ("$.v changed".to_string(), 30),
            ("row extra in new".to_string(), 1),
            ("row missing in new".to_string(), 1),
        ]
    );
    let counts: Vec<u64> = (1..=3)
        .map(|k| totals(&report_in(&project, &format!("shard-{k}"))).0)
        .collect();
    assert!(
        counts.iter().all(|c| *c > 50),
        "keys spread over the shards: {counts:?}"
    );
}

#[test]
fn bad_sources_and_queries_are_named_and_write_nothing() {
    let project = Project::new();
    two_stores(&project);
    let data = |old: &str, new: &str, extra: &[&str]| {
        let table = ["--table", "lines", "--key", "order_id,line", "--quiet"];
        project.run(&[&["data", "--old", old, "--new", new][..], &table, extra].concat())
    };
    let sqlite_old = "sqlite:old.db";
    let sqlite_new = "sqlite:new.db";
    assert_bad(&data("sqlite:nope.db", sqlite_new, &[]), &["nope.db"]);
    let bad_sql = data(
        sqlite_old,
        sqlite_new,
        &["--old-query", "SELEC order_id FROM lines"],
    );
    assert_bad(&bad_sql, &["sqlite:old.db", "SELEC order_id FROM lines"]);
    let no_key = data(
        sqlite_old,
        sqlite_new,
        &["--new-query", "SELECT sku FROM order_lines"],
    );
    assert_bad(
        &no_key,
        &["key column `order_id` is not in the result", "sku"],
    );
    project.file("ragged.csv", "order_id,line,sku\n1,1,A\n1,2\n");
    assert_bad(&data(sqlite_old, "ragged.csv", &[]), &["ragged.csv:3"]);
    let unreachable = data(
        sqlite_old,
        "postgres://app:s3cr3t@127.0.0.1:1/orders?connect_timeout=2",
        &[],
    );
    assert_eq!(unreachable.code, 3, "{}", unreachable.stderr);
    assert!(
        !unreachable.stderr.contains("s3cr3t"),
        "{}",
        unreachable.stderr
    );
    assert!(
        unreachable.stderr.contains("127.0.0.1:1"),
        "{}",
        unreachable.stderr
    );
    let no_table = project.run(&["data", "--old", sqlite_old, "--new", sqlite_new]);
    assert_bad(&no_table, &["no table to compare"]);
    let count = data(sqlite_old, sqlite_new, &["--partition", "count:1/2"]);
    assert_bad(&count, &["hash:K/N"]);
    assert!(!project.exists("shadowdiff-report"), "nothing half-written");
}

#[test]
fn a_password_from_the_environment_never_reaches_the_report() {
    let project = Project::new();
    two_stores(&project);
    project.file(
        "shadowdiff.toml",
        "[data.old]\nurl = \"sqlite:old.db\"\n[data.new]\nurl = \"sqlite:new.db\"\n\n\
         [[data.table]]\nname = \"lines\"\nkey = [\"order_id\", \"line\"]\n\
         new = \"SELECT order_id, line, sku, quantity AS qty, price, gift, meta, at FROM order_lines\"\n",
    );
    let run = project.run(&["data", "--quiet"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let unset = crate::common::shadowdiff(
        project.path(),
        &[
            "data",
            "--new",
            "postgres://app:${SHADOWDIFF_IT_UNSET}@127.0.0.1:1/x",
            "--quiet",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(unset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("${SHADOWDIFF_IT_UNSET} is not set"));
    let secret = crate::common::shadowdiff(
        project.path(),
        &[
            "data",
            "--new",
            "postgres://app:${SHADOWDIFF_IT_PASSWORD}@127.0.0.1:1/x?connect_timeout=2",
            "--quiet",
        ],
    )
    .env("SHADOWDIFF_IT_PASSWORD", "hunter22")
    .output()
    .unwrap();
    assert_eq!(secret.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&secret.stderr).contains("hunter22"));
}

#[test]
fn a_million_rows_stream_in_flat_memory() {
    let project = Project::new();
    let fill = |name: &str, rows: u64| {
        sqlite(
            &project.path().join(name),
            &format!(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, total NUMERIC);
                 WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})
                 INSERT INTO t SELECT i, 'user' || i || '@example.com', (i % 1000) / 4.0 FROM n;",
                rows - 1
            ),
        );
    };
    let peak = |rows: u64, tag: &str| {
        fill(&format!("old-{tag}.db"), rows);
        fill(&format!("new-{tag}.db"), rows);
        let old = format!("sqlite:old-{tag}.db");
        let new = format!("sqlite:new-{tag}.db");
        let out = format!("out-{tag}");
        let (run, peak) = run_measured(
            project.path(),
            &[
                "data", "--old", &old, "--new", &new, "--table", "t", "--key", "id", "--out", &out,
                "--quiet",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(totals(&report_in(&project, &out)).1, rows);
        peak
    };
    let small = peak(100_000, "small");
    let large = peak(1_000_000, "large");
    assert!(
        large < small + 64 * 1024,
        "peak memory grew from {small} KiB at 100 000 rows to {large} KiB at 1 000 000"
    );
}

#[test]
fn the_shipped_examples_reports_are_snapshots() {
    let dir = Project::new();
    let out = dir.path().to_str().expect("utf-8 temp path");
    let snapshot = format!("{out}/shadowdiff.snap");
    let run = crate::common::run_in(
        &repo_root(),
        &[
            "data",
            "--config",
            "examples/data/shadowdiff.toml",
            "--out",
            out,
            "--snapshot",
            &snapshot,
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let read = |name: &str| dir.read(name).replace(out, "[OUT]");
    insta::assert_snapshot!("data_example_report_json", read("report.json"));
    insta::assert_snapshot!("data_example_report_md", read("report.md"));
    insta::assert_snapshot!("data_example_junit_xml", read("junit.xml"));
    insta::assert_snapshot!("data_example_report_html", read("report.html"));
    insta::assert_snapshot!(
        "data_example_terminal_summary",
        run.stdout.replace(out, "[OUT]")
    );
}

#[test]
fn accepted_differences_of_a_table_pass_the_next_run() {
    let project = Project::new();
    two_stores(&project);
    let first = project.run(&data_args(&[]));
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(project.exists("shadowdiff.snap.new"));
    let accept = project.run(&[
        "accept",
        "--reason",
        "the backfill dropped key [3,1] on purpose",
    ]);
    assert_eq!(accept.code, 0, "{}", accept.stderr);
    let snap = project.read("shadowdiff.snap");
    assert!(
        snap.contains("table lines") && snap.contains("row missing in new"),
        "{snap}"
    );
    let second = project.run(&data_args(&["--max-error-rate", "0.2"]));
    assert_eq!(second.code, 0, "{}", second.stderr);
}

#[test]
fn a_side_whose_order_is_not_the_key_order_is_joined_again_on_disk() {
    let project = Project::new();
    let rows = "INSERT INTO t VALUES (X'00', 'a'), (X'7F', 'b'), (X'FF', 'c'), (X'10', 'd');";
    sqlite(
        &project.path().join("old.db"),
        &format!("CREATE TABLE t (k BLOB, v TEXT); {rows}"),
    );
    sqlite(
        &project.path().join("new.db"),
        &format!("CREATE TABLE t (k BLOB, v TEXT); {rows} UPDATE t SET v = 'B' WHERE v = 'b';"),
    );
    let run = data_on_files(&project, "t", "k");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("its order is not the key order, so the rows were joined on disk"),
        "bytes are keyed by their base64 text, which SQLite's byte order does not follow: {}",
        run.stderr
    );
    let report = report(&project);
    assert_eq!(totals(&report), (4, 3, 1, 0, 0, 0));
    assert_eq!(signatures(&report, "t"), [("$.v changed".to_string(), 1)]);
    assert_eq!(
        outcome_lines(&project).len(),
        4,
        "the first attempt's outcomes are dropped"
    );
}

#[test]
fn redacted_columns_never_reach_a_report_or_the_outcomes() {
    let project = Project::new();
    let config = repo_root().join("examples/data/shadowdiff.toml");
    let run = project.run(
        &[
            &example_args(&config)[..],
            &[
                "--redact-field",
                "$.note",
                "--redact-field",
                "$.email",
                "--quiet",
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut written: Vec<(String, String)> =
        ["report.json", "report.md", "junit.xml", "report.html"]
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    project.read(&format!("shadowdiff-report/{name}")),
                )
            })
            .collect();
    let outcomes = crate::common::unzstd(
        &std::fs::read(project.path().join("shadowdiff-report/outcomes.jsonl.zst")).unwrap(),
    );
    written.push(("outcomes".into(), String::from_utf8(outcomes).unwrap()));
    for (name, text) in &written {
        for secret in ["Please leave the parcel", "Happy birthday", "@example.com"] {
            assert!(!text.contains(secret), "{name} holds `{secret}`");
        }
    }
    assert!(
        written[0].1.contains("$.note changed"),
        "the difference is still reported"
    );
}

#[test]
fn a_failed_comparison_leaves_the_report_folder_it_found() {
    let project = Project::new();
    two_stores(&project);
    let good = project.run(&data_args(&[]));
    assert_eq!(good.code, 1, "{}", good.stderr);
    let before = crate::common::files_under(&project.path().join("shadowdiff-report"));
    let bad = project.run(&data_args(&["--old-query", "SELECT nope FROM lines"]));
    assert_bad(&bad, &["SELECT nope FROM lines"]);
    let after = crate::common::files_under(&project.path().join("shadowdiff-report"));
    assert_eq!(before, after);
}

#[test]
fn a_key_stored_as_text_on_one_side_and_as_a_number_on_the_other_is_one_key() {
    let project = Project::new();
    sqlite(
        &project.path().join("old.db"),
        "CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (9, 'a'), (10, 'b'), (11, 'c');",
    );
    sqlite(
        &project.path().join("new.db"),
        "CREATE TABLE t (id TEXT, v TEXT); INSERT INTO t VALUES ('9', 'a'), ('10', 'b'), ('11', 'C');",
    );
    let run = data_on_files(&project, "t", "id");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("joined on disk"),
        "'10' sorts before '9' as text: {}",
        run.stderr
    );
    let report = report(&project);
    assert_eq!(totals(&report), (3, 2, 1, 0, 0, 0));
    assert_eq!(signatures(&report, "t"), [("$.v changed".to_string(), 1)]);
}
