//! Stateful replay, the stores after it: two orders services keep their orders in SQLite files
//! under the data folders `run` gives them (`{data}`), seeded by their `reset`; old numbers new
//! orders in order of arrival, new names them `n-K`. `run --check-data` compares the two stores
//! in the same report, each side's keys read as the recorded ids they were captured for, and
//! `shadowdiff data --run DIR` compares them again later from the run's report folder.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::common::servers::{json as answer, Action, TestRequest, TestServer};
use crate::common::{lines, outcome_lines_in, report_in, totals, Project};

/// Sessions in the recording: each creates an order, changes it and reads it; the odd ones then
/// cancel it.
const SESSIONS: usize = 4;

/// The session whose cancel new answers but never stores.
const LOST_CANCEL: usize = 3;

/// Orders already in the seed both stores start from.
const SEEDED: usize = 3;

/// An orders service whose store is `orders.db` in `data` (opened per request: the folder is
/// made and seeded by the target's reset, after the service started).
fn service(numbered: bool, data: PathBuf) -> TestServer {
    let created = Mutex::new(0usize);
    TestServer::start(move |request| {
        let db = Connection::open(data.join("orders.db")).expect("the store");
        handle(&db, request, numbered, &created)
    })
}

fn handle(
    db: &Connection,
    request: &TestRequest,
    numbered: bool,
    created: &Mutex<usize>,
) -> Action {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let segments: Vec<&str> = request.path.split('/').skip(1).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["orders"]) => {
            let mut created = created.lock().unwrap();
            *created += 1;
            let id: Value = if numbered {
                let max: i64 = db
                    .query_row("SELECT max(id) FROM orders", [], |row| row.get(0))
                    .unwrap();
                json!(max + 1)
            } else {
                json!(format!("n-{created}"))
            };
            db.execute(
                "INSERT INTO orders (id, customer, qty, status) VALUES (?1, ?2, ?3, 'open')",
                params![sql(&id), body["customer"].as_str(), body["qty"].as_i64()],
            )
            .unwrap();
            order(db, &id, 201)
        }
        ("PATCH", ["orders", id]) => {
            let id = key(id, numbered);
            db.execute(
                "UPDATE orders SET qty = ?1 WHERE id = ?2",
                params![body["qty"].as_i64(), sql(&id)],
            )
            .unwrap();
            order(db, &id, 200)
        }
        ("POST", ["orders", id, "cancel"]) => {
            let id = key(id, numbered);
            let customer: Option<String> = db
                .query_row(
                    "SELECT customer FROM orders WHERE id = ?1",
                    [sql(&id)],
                    |row| row.get(0),
                )
                .optional()
                .unwrap();
            let lost = !numbered && customer.as_deref() == Some(&format!("c{LOST_CANCEL}")[..]);
            if !lost {
                db.execute(
                    "UPDATE orders SET status = 'cancelled' WHERE id = ?1",
                    [sql(&id)],
                )
                .unwrap();
            }
            match order_json(db, &id) {
                Some(mut shown) => {
                    shown["status"] = json!("cancelled");
                    answer(200, &shown.to_string())
                }
                None => answer(404, r#"{"error":"no such order"}"#),
            }
        }
        ("GET", ["orders", id]) => order(db, &key(id, numbered), 200),
        _ => answer(404, "{}"),
    }
}

/// An id of a path as the service keys it: old's are numbers.
fn key(segment: &str, numbered: bool) -> Value {
    match segment.parse::<i64>() {
        Ok(n) if numbered => json!(n),
        _ => json!(segment),
    }
}

fn sql(id: &Value) -> rusqlite::types::Value {
    match id {
        Value::Number(n) => rusqlite::types::Value::Integer(n.as_i64().unwrap()),
        other => rusqlite::types::Value::Text(other.as_str().unwrap_or_default().to_string()),
    }
}

fn order_json(db: &Connection, id: &Value) -> Option<Value> {
    db.query_row(
        "SELECT customer, qty, status FROM orders WHERE id = ?1",
        [sql(id)],
        |row| {
            Ok(json!({
                "id": id,
                "customer": row.get::<_, String>(0)?,
                "qty": row.get::<_, i64>(1)?,
                "status": row.get::<_, String>(2)?,
            }))
        },
    )
    .optional()
    .unwrap()
}

fn order(db: &Connection, id: &Value, status: u16) -> Action {
    match order_json(db, id) {
        Some(shown) => answer(status, &shown.to_string()),
        None => answer(404, r#"{"error":"no such order"}"#),
    }
}

/// The seed both stores start from: three orders of before the recording.
fn seed(path: &Path) {
    let db = Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE orders (id PRIMARY KEY, customer TEXT NOT NULL, qty INTEGER NOT NULL, \
         status TEXT NOT NULL);",
    )
    .unwrap();
    for n in 1..=SEEDED as i64 {
        db.execute(
            "INSERT INTO orders VALUES (?1, ?2, ?3, 'open')",
            params![n, format!("seed{n}"), n],
        )
        .unwrap();
    }
}

/// One recorded exchange of session `s`: production numbered its order 5000 + s.
fn exchange(s: usize, step: &str, method: &str, url: &str, body: Value, answer: Value) -> String {
    json!({
        "id": format!("s{s}-{step}"),
        "request": {
            "method": method,
            "url": url,
            "headers": [["x-session", format!("s{s}")], ["content-type", "application/json"]],
            "body": {"text": if body.is_null() { String::new() } else { body.to_string() }},
        },
        "response": {"status": 200, "headers": [], "body": {"text": answer.to_string()}},
    })
    .to_string()
}

/// Writes the recording (each step of every session, then the next step: sessions
/// interleave), the rules (which writes replay, where the new order's id is) and the settings
/// into the project `p`.
fn write_project(p: &Project, old_url: &str, new_url: &str) {
    seed(&p.path().join("seed.db"));
    let mut out = Vec::new();
    let order = |s: usize, qty: usize, status: &str| json!({"id": 5000 + s, "customer": format!("c{s}"), "qty": qty, "status": status});
    for s in 1..=SESSIONS {
        let body = json!({"customer": format!("c{s}"), "qty": s});
        out.push(exchange(
            s,
            "create",
            "POST",
            "/orders",
            body,
            order(s, s, "open"),
        ));
    }
    for s in 1..=SESSIONS {
        let url = format!("/orders/{}", 5000 + s);
        let body = json!({"qty": s + 10});
        out.push(exchange(
            s,
            "change",
            "PATCH",
            &url,
            body,
            order(s, s + 10, "open"),
        ));
    }
    for s in 1..=SESSIONS {
        let url = format!("/orders/{}", 5000 + s);
        out.push(exchange(
            s,
            "read",
            "GET",
            &url,
            Value::Null,
            order(s, s + 10, "open"),
        ));
    }
    for s in (1..=SESSIONS).filter(|s| s % 2 == 1) {
        let url = format!("/orders/{}/cancel", 5000 + s);
        let answer = order(s, s + 10, "cancelled");
        out.push(exchange(s, "cancel", "POST", &url, Value::Null, answer));
    }
    p.file("rec.jsonl", lines(&out));
    p.file(
        "rules.toml",
        r#"
[[route]]
match = "POST /orders"
allow = ["POST"]
capture = ["$.id"]

[[route]]
match = "PATCH /orders/{id}"
allow = ["PATCH"]

[[route]]
match = "POST /orders/{id}/cancel"
allow = ["POST"]
"#,
    );
    let seed = p.path().join("seed.db").display().to_string();
    p.file(
        "shadowdiff.toml",
        format!(
            r#"
recordings = "rec.jsonl"
rules = "rules.toml"
session = "header:x-session"

[targets.old]
url = "{old_url}"
reset = "cp '{seed}' {{data}}/orders.db"

[targets.new]
url = "{new_url}"
reset = "cp '{seed}' {{data}}/orders.db"

[data.old]
url = "sqlite:{{data}}/orders.db"

[data.new]
url = "sqlite:{{data}}/orders.db"

[[data.table]]
name = "orders"
key = "id"
key_capture = "$.id"
"#
        ),
    );
}

/// A project whose two services serve the stores under its default report folder, and the
/// services (which stop when dropped).
fn started_project() -> (Project, [TestServer; 2]) {
    let p = Project::new();
    let data = p.path().join("shadowdiff-report").join("data");
    let (old, new) = (
        service(true, data.join("old")),
        service(false, data.join("new")),
    );
    write_project(&p, &old.url(), &new.url());
    (p, [old, new])
}

/// The exchanges of the recording: every step of every session, the cancels of odd ones.
fn exchanges() -> u64 {
    (3 * SESSIONS + SESSIONS.div_ceil(2)) as u64
}

/// The outcomes of the table's rows, keyed by their id, in the file's order.
fn table_rows(p: &Project, out: &str) -> Vec<(String, String)> {
    outcome_lines_in(p, out)
        .into_iter()
        .filter(|line| line["table"] == "orders")
        .map(|line| {
            (
                line["id"].as_str().unwrap().to_string(),
                line["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_stores_after_a_replay_compare_by_the_recorded_ids_and_find_a_write_new_lost() {
    let mut tables = Vec::new();
    for concurrency in ["64", "1"] {
        let (p, _services) = started_project();
        let done = p.run(&["run", "--check-data", "--concurrency", concurrency]);
        assert_eq!(
            done.code, 1,
            "the lost cancel fails the gate: {}",
            done.stderr
        );
        assert!(
            done.stderr
                .contains("table orders: 7 rows in old, 7 in new"),
            "{}",
            done.stderr
        );
        // The replay: every exchange equal although each side chose its own ids. The stores:
        // the seeded orders and the created ones pair up (no row on one side only), and the
        // one cancel new did not keep is the one difference.
        let report = report_in(&p, "shadowdiff-report");
        let rows = (SEEDED + SESSIONS) as u64;
        assert_eq!(
            totals(&report),
            (exchanges() + rows, exchanges() + rows - 1, 1, 0, 0, 0),
            "{report:#}"
        );
        let route = report["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|route| route["route"] == "table orders")
            .unwrap_or_else(|| panic!("no table route: {report:#}"));
        let signatures: Vec<&str> = route["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["signature"].as_str().unwrap())
            .collect();
        assert_eq!(signatures, ["$.status changed"], "{route:#}");
        let rows = table_rows(&p, "shadowdiff-report");
        let lost = (5000 + LOST_CANCEL).to_string();
        let different: Vec<&str> = rows
            .iter()
            .filter(|(_, outcome)| outcome == "different")
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(different, [lost.as_str()], "{rows:?}");
        tables.push(rows);

        // Later, from the run's report folder: the same comparison.
        let again = p.run(&["data", "--run", "shadowdiff-report", "--out", "later", "-q"]);
        assert_eq!(again.code, 1, "{}", again.stderr);
        let later = report_in(&p, "later");
        let rows = (SEEDED + SESSIONS) as u64;
        assert_eq!(totals(&later), (rows, rows - 1, 1, 0, 0, 0), "{later:#}");
        assert_eq!(table_rows(&p, "later"), tables[tables.len() - 1]);
        // Without the run's captures the created orders pair nothing: each side keeps its own
        // ids, and each order is a row on one side only (a difference).
        let raw = p.run(&[
            "data",
            "--run",
            "shadowdiff-report",
            "--table",
            "orders",
            "--key",
            "id",
            "--out",
            "raw",
            "-q",
        ]);
        assert_eq!(raw.code, 1, "{}", raw.stderr);
        let created = 2 * SESSIONS as u64;
        assert_eq!(
            totals(&report_in(&p, "raw")),
            (SEEDED as u64 + created, SEEDED as u64, created, 0, 0, 0),
        );
    }
    assert_eq!(tables[0], tables[1], "the same rows at -c 64 and -c 1");
}

#[test]
fn a_store_that_cannot_be_read_after_the_replay_keeps_the_replays_report_and_says_why() {
    let (p, _services) = started_project();
    let settings = p.read("shadowdiff.toml").replace(
        "[data.new]\nurl = \"sqlite:{data}/orders.db\"",
        "[data.new]\nurl = \"sqlite:{data}/missing.db\"",
    );
    p.file("shadowdiff.toml", settings);
    let done = p.run(&["run", "--check-data", "-q"]);
    assert_eq!(
        done.code, 2,
        "a store the settings name wrongly: {}",
        done.stderr
    );
    assert!(done.stderr.contains("missing.db"), "{}", done.stderr);
    // The replay's outcomes are all there, and the report says why the stores are not.
    let report = report_in(&p, "shadowdiff-report");
    assert_eq!(totals(&report), (exchanges(), exchanges(), 0, 0, 0, 0));
    assert_eq!(report["incomplete"], true);
    let reasons = report["reasons"].to_string();
    assert!(
        reasons.contains("the stores could not be compared") && reasons.contains("missing.db"),
        "{reasons}"
    );
}

#[test]
fn store_check_settings_that_cannot_work_are_refused_naming_the_setting() {
    let p = Project::new();
    write_project(&p, "http://127.0.0.1:9", "http://127.0.0.1:9");
    let refused = |args: &[&str], needles: &[&str]| {
        let done = p.run(args);
        assert_eq!(done.code, 2, "{args:?}: {}", done.stderr);
        for needle in needles {
            assert!(done.stderr.contains(needle), "{args:?}: {}", done.stderr);
        }
        assert!(!p.exists("shadowdiff-report/report.json"));
    };
    refused(
        &["run", "--check-data", "--partition", "hash:1/2"],
        &["--check-data", "a shard's stores hold only its own writes"],
    );
    refused(
        &["data"],
        &[
            "shadowdiff.toml",
            "data.old.url",
            "{data} stands for the data folder a run gave",
        ],
    );
    refused(
        &["data", "--run", "nowhere"],
        &["nowhere/captures.jsonl does not exist", "table orders"],
    );
    let settings = p.read("shadowdiff.toml");
    p.file(
        "shadowdiff.toml",
        settings.replace("key = \"id\"\n", "key = [\"id\", \"customer\"]\n"),
    );
    refused(
        &["run", "--check-data"],
        &["shadowdiff.toml:", "key_capture needs a key of one column"],
    );
    p.file(
        "shadowdiff.toml",
        settings.replace("key_capture = \"$.id\"", "key_capture = \"id\""),
    );
    refused(
        &["run", "--check-data"],
        &["shadowdiff.toml:", "key_capture:"],
    );
    let without_tables = settings[..settings.find("[[data.table]]").unwrap()].to_string();
    p.file("shadowdiff.toml", without_tables);
    refused(&["run", "--check-data"], &["no [[data.table]] entry"]);
}
