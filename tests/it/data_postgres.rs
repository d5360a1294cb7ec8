//! `shadowdiff data` against a real PostgreSQL server that the test starts
//! ([`TestPg`](shadowdiff_data::testpg::TestPg)): SQLite and exports against PostgreSQL, every
//! type bridged across the engines, keys of several columns ordered by a collation other than
//! the bytes', and PostgreSQL's bad SQL.

use serde_json::Value;

use crate::common::{across_routes, assert_bad, outcome_lines, report, totals, Project};
use crate::data_cli::{counted, sqlite};
use shadowdiff_data::testpg::TestPg;

/// The signatures of a report, every route's, with their counts, sorted.
fn signatures(report: &Value) -> Vec<(String, u64)> {
    counted(&across_routes(report, "signatures"))
}

/// Every type of README's table, in SQLite's way (old) and PostgreSQL's (new), equal row by
/// row except for one planted change in each of two rows.
const SQLITE_TYPES: &str = "
CREATE TABLE typed (id INTEGER, n BIGINT, f REAL, d NUMERIC, b BOOLEAN, t TEXT, bytes BLOB,
                    absent TEXT, doc TEXT, at DATETIME, day DATE, clock TIME);
INSERT INTO typed VALUES
  (1, 9007199254740993, 12.34, '12.340', 1, 'héllo', X'00FF10', NULL, '{\"b\":[1,2],\"a\":{\"x\":null}}',
   '2024-01-02 03:04:05', '2024-01-02', '03:04:05'),
  (2, -5, 0.5, '100', 0, '', X'', NULL, '[]', '2024-06-30 23:59:59.250', '1999-12-31', '23:59:59.5'),
  (3, 0, -1.25, '0.001', 1, 'x', X'41', NULL, '{}', '2024-01-01 00:00:00', '2024-02-29', '00:00:00'),
  (4, 1, 2.0, '7', 0, 'same', X'42', NULL, '{}', '2024-01-01 00:00:00', '2024-03-01', '12:00:00');
";

const POSTGRES_TYPES: &str = "
CREATE TABLE typed (id int PRIMARY KEY, n bigint, f float8, d numeric(10,3), b boolean, t text,
                    bytes bytea, absent text, doc jsonb, at timestamptz, day date, clock time);
INSERT INTO typed VALUES
  (1, 9007199254740993, 12.34, 12.34, true, 'héllo', '\\x00ff10', NULL, '{\"a\":{\"x\":null},\"b\":[1,2]}',
   '2024-01-02 04:04:05+01', '2024-01-02', '03:04:05'),
  (2, -5, 0.5, 100.000, false, '', '\\x', NULL, '[]', '2024-06-30 23:59:59.25+00', '1999-12-31', '23:59:59.5'),
  (3, 0, -1.25, 0.002, true, 'x', '\\x41', NULL, '{}', '2024-01-01 00:00:00+00', '2024-02-29', '00:00:00'),
  (4, 1, 2.0, 7, true, 'same', '\\x42', NULL, '{}', '2024-01-01 00:00:00+00', '2024-03-01', '12:00:00');
";

#[test]
fn every_type_compares_by_value_from_sqlite_to_postgresql() {
    let Some(server) = TestPg::start() else {
        return;
    };
    server.execute(POSTGRES_TYPES);
    let project = Project::new();
    sqlite(&project.path().join("old.db"), SQLITE_TYPES);
    let url = server.url();
    let run = project.run(&[
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        &url,
        "--table",
        "typed",
        "--key",
        "id",
        "--quiet",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report(&project);
    let (exchanges, equal, different, _, errors, _) = totals(&report);
    assert_eq!(
        (exchanges, equal, different, errors),
        (4, 2, 2, 0),
        "{}",
        report["routes"]
    );
    assert_eq!(
        signatures(&report),
        [
            ("$.b changed".to_string(), 1),
            ("$.d changed".to_string(), 1)
        ],
        "only the planted changes: 0.001 against 0.002 in row 3, false against true in row 4"
    );
    let lines = outcome_lines(&project);
    let first = &lines[0];
    assert_eq!(first["outcome"], "equal", "{first}");
    let new_row = &first["old"];
    assert_eq!(new_row["at"], "2024-01-02T03:04:05Z", "{new_row}");
    assert_eq!(new_row["bytes"], "AP8Q", "bytes as base64: {new_row}");
    assert!(!run.stderr.contains("joined on disk"), "{}", run.stderr);
}

#[test]
fn exports_compare_with_postgresql_and_keys_of_two_columns_keep_their_order() {
    let Some(server) = TestPg::start() else {
        return;
    };
    server.execute(
        "CREATE TABLE lines (region text COLLATE \"und-x-icu\", n int, qty int, price numeric);
         INSERT INTO lines VALUES ('a', 1, 1, 1.50), ('B', 1, 2, 2.00), ('c', 2, 3, 3.25),
                                  ('B', 2, 4, 4.00), ('é', 1, 5, 5.00);",
    );
    let project = Project::new();
    sqlite(
        &project.path().join("old.db"),
        "CREATE TABLE lines (region TEXT, n INTEGER, qty INTEGER, price NUMERIC);
         INSERT INTO lines VALUES ('a', 1, 1, 1.5), ('B', 1, 2, 2), ('c', 2, 3, 3.25),
                                  ('B', 2, 4, 4), ('é', 1, 6, 5);",
    );
    let url = server.url();
    let key = ["--table", "lines", "--key", "region,n", "--quiet"];
    let merged =
        project.run(&[&["data", "--old", "sqlite:old.db", "--new", &url][..], &key].concat());
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    assert!(
        !merged.stderr.contains("joined on disk"),
        "an ICU collation is overridden by the pushed COLLATE \"C\": {}",
        merged.stderr
    );
    assert_eq!(
        signatures(&report(&project)),
        [("$.qty changed".to_string(), 1)]
    );
    let ids: Vec<String> = outcome_lines(&project)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            r#"["B",1]"#,
            r#"["B",2]"#,
            r#"["a",1]"#,
            r#"["c",2]"#,
            r#"["é",1]"#
        ]
    );

    project.file(
        "old.csv",
        "region,n,qty,price\nc,2,3,3.25\na,1,1,1.50\nB,1,2,2\nB,2,4,4.0\né,1,6,5\n",
    );
    let csv = project.run(
        &[
            &["data", "--old", "old.csv", "--new", &url, "--out", "csv"][..],
            &key,
        ]
        .concat(),
    );
    assert_eq!(csv.code, 1, "{}", csv.stderr);
    assert!(
        csv.stderr.contains("old.csv is read in file order"),
        "{}",
        csv.stderr
    );
    let csv_report: Value =
        serde_json::from_str(&project.read("csv/report.json")).expect("report.json");
    assert_eq!(totals(&csv_report).0, 5);
    assert_eq!(signatures(&csv_report), [("$.qty changed".to_string(), 1)]);

    project.file(
        "old.jsonl",
        "{\"region\":\"a\",\"n\":1,\"qty\":1,\"price\":1.5}\n\
         {\"region\":\"B\",\"n\":1,\"qty\":2,\"price\":2}\n\
         {\"region\":\"c\",\"n\":2,\"qty\":3,\"price\":3.25}\n\
         {\"region\":\"B\",\"n\":2,\"qty\":4,\"price\":4}\n",
    );
    let jsonl = project.run(
        &[
            &[
                "data",
                "--old",
                "old.jsonl",
                "--new",
                &url,
                "--out",
                "jsonl",
            ][..],
            &key,
        ]
        .concat(),
    );
    assert_eq!(jsonl.code, 1, "{}", jsonl.stderr);
    let jsonl_report: Value =
        serde_json::from_str(&project.read("jsonl/report.json")).expect("report.json");
    assert_eq!(
        signatures(&jsonl_report),
        [("row extra in new".to_string(), 1)]
    );
}

#[test]
fn postgresqls_refusals_name_the_query_and_write_nothing() {
    let Some(server) = TestPg::start() else {
        return;
    };
    server.execute("CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a');");
    let project = Project::new();
    let url = server.url();
    let bad = project.run(&[
        "data",
        "--old",
        &url,
        "--new",
        &url,
        "--table",
        "t",
        "--key",
        "id",
        "--old-query",
        "SELECT id, v FROM no_such_table",
        "--quiet",
    ]);
    assert_bad(&bad, &["no_such_table", "127.0.0.1"]);
    let no_key = project.run(&[
        "data", "--old", &url, "--new", &url, "--table", "t", "--key", "ident", "--quiet",
    ]);
    assert_bad(
        &no_key,
        &["key column `ident` is not in the result", "id, v"],
    );
    assert!(!project.exists("shadowdiff-report"));
    let same = project.run(&[
        "data", "--old", &url, "--new", &url, "--table", "t", "--key", "id", "--quiet",
    ]);
    assert_eq!(same.code, 0, "{}", same.stderr);
}

#[test]
fn a_wrong_password_is_a_failed_source_that_never_shows_the_password() {
    let Some(server) = TestPg::start() else {
        return;
    };
    server.execute(
        "CREATE ROLE app LOGIN PASSWORD 'right-horse'; CREATE TABLE t (id int);
         GRANT SELECT ON t TO app; INSERT INTO t VALUES (1);",
    );
    server.require_passwords();
    let project = Project::new();
    sqlite(
        &project.path().join("old.db"),
        "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);",
    );
    let url = |password: &str| {
        format!(
            "postgres://app:{password}@127.0.0.1:{}/postgres?sslmode=disable",
            server.port()
        )
    };
    let wrong = url("battery-staple");
    let run = project.run(&[
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        &wrong,
        "--table",
        "t",
        "--key",
        "id",
        "--quiet",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(!run.stderr.contains("battery-staple"), "{}", run.stderr);
    assert!(
        run.stderr.contains("[redacted]") && run.stderr.contains("password"),
        "{}",
        run.stderr
    );
    assert!(!project.exists("shadowdiff-report"));
    let right = url("right-horse");
    let ok = project.run(&[
        "data",
        "--old",
        "sqlite:old.db",
        "--new",
        &right,
        "--table",
        "t",
        "--key",
        "id",
        "--quiet",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    for file in ["report.json", "report.md", "report.html", "junit.xml"] {
        let text = project.read(&format!("shadowdiff-report/{file}"));
        assert!(!text.contains("right-horse"), "{file} shows the password");
    }
}
