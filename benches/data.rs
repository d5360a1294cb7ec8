//! Time and peak memory of `shadowdiff data` over one table of one and ten million rows, against
//! the floor of reading both stores (each side exported whole by its own client) and against
//! reladiff, the maintained data-diff.
//!
//! Run with `cargo bench --bench data`. The aim is that validating a table costs at most
//! 1.5× the export floor: exporting both sides ordered by key is the least any row-by-row
//! comparison reads, so the ratio to it is what is left for joining, bridging and judging.
//!
//! The table is an orders table: `id` key, `email`, `status`, `total` (NUMERIC), `created_at`
//! and `items` (a small JSON array). Old is generated inside the engine (a recursive CTE in
//! SQLite, `generate_series` in PostgreSQL); new is a copy with `status` changed on 1 % of the
//! rows and one row in 100 000 deleted. For each size the bench
//! - runs `/usr/bin/time -v shadowdiff data --old sqlite:old.db --new sqlite:new.db --table t
//!   --key id --quiet` and checks the report's totals;
//! - times `sqlite3 DB -csv 'SELECT * FROM t ORDER BY id' > /dev/null` for both files, the floor;
//! - where PostgreSQL is installed, loads the rows into two databases of one throwaway server
//!   (`timestamptz` and `jsonb` columns there) and does the same with `psql -c "\copy (SELECT *
//!   FROM t ORDER BY id) TO '/dev/null' CSV"` as the floor;
//! - where a `reladiff` executable is found (env `SHADOWDIFF_RELADIFF`, else PATH), runs its
//!   default comparison (hashdiff: with a difference in every segment it bisects down to its
//!   threshold and then compares every row) on both pairs, with every column, and prints its
//!   time beside shadowdiff's. It is given `SHADOWDIFF_BENCH_RELADIFF_LIMIT` seconds (default
//!   1 800) and reported as not finished past them.
//!
//! A missing `sqlite3`, PostgreSQL or reladiff is said on stdout and its anchor skipped.
//! `SHADOWDIFF_BENCH_QUICK=1` runs 100 000 rows only; `SHADOWDIFF_BENCH_ROWS` overrides the
//! sizes (comma-separated).

#[path = "support/peak_memory.rs"]
mod peak_memory;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use peak_memory::{measure, time_available};
use shadowdiff_data::testpg::TestPg;

/// The columns besides the key, as reladiff is told to compare them.
const COLUMNS: [&str; 5] = ["email", "status", "total", "created_at", "items"];

/// The rows of new that differ from old (status changed) and those missing from new, in SQL.
const CHANGED: &str = "id % 100 = 42";
const MISSING: &str = "id % 100000 = 7";

/// The executables the anchors need, each `None` when not found.
struct Tools {
    sqlite3: Option<PathBuf>,
    reladiff: Option<PathBuf>,
    postgres: Option<TestPg>,
}

/// The first executable named `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The differences shadowdiff must find in `rows` rows: changed plus missing keys.
fn expected_different(rows: u64) -> u64 {
    let changed = (1..=rows).filter(|i| i % 100 == 42).count() as u64;
    let missing = (1..=rows).filter(|i| i % 100_000 == 7).count() as u64;
    changed + missing
}

/// Writes old.db and new.db of `rows` rows into `dir`.
fn generate_sqlite(dir: &Path, rows: u64) -> (PathBuf, PathBuf) {
    let old = dir.join("old.db");
    let new = dir.join("new.db");
    let db = rusqlite::Connection::open(&old).expect("create old.db");
    db.execute_batch(&format!(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, status TEXT, total NUMERIC,
                         created_at TEXT, items TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO t SELECT i, 'user' || i || '@example.com',
           CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' WHEN 2 THEN 'pending'
                      ELSE 'refunded' END,
           (i % 100000) / 100.0 + 1,
           strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i * 37, 'unixepoch'),
           '[{{\"sku\":\"A' || (i % 97) || '\",\"qty\":' || (i % 5 + 1) ||
             '}},{{\"sku\":\"B' || (i % 89) || '\",\"qty\":1}}]'
         FROM n;"
    ))
    .expect("generate old.db");
    drop(db);
    std::fs::copy(&old, &new).expect("copy old.db to new.db");
    let db = rusqlite::Connection::open(&new).expect("open new.db");
    db.execute_batch(&format!(
        "UPDATE t SET status = 'lost' WHERE {CHANGED}; DELETE FROM t WHERE {MISSING};"
    ))
    .expect("change new.db");
    (old, new)
}

/// The URL of database `db` on the throwaway server.
fn db_url(server: &TestPg, db: &str) -> String {
    server.url().replacen("/postgres?", &format!("/{db}?"), 1)
}

/// Creates databases `old` and `new` of `rows` rows on the server (dropping earlier ones).
fn generate_postgres(server: &TestPg, rows: u64) {
    server.execute(&format!(
        "DROP DATABASE IF EXISTS old; DROP DATABASE IF EXISTS new; CREATE DATABASE old;
         \\c old
         CREATE TABLE t (id bigint PRIMARY KEY, email text, status text, total numeric(12, 2),
                         created_at timestamptz, items jsonb);
         INSERT INTO t SELECT i, 'user' || i || '@example.com',
           CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' WHEN 2 THEN 'pending'
                      ELSE 'refunded' END,
           (i % 100000) / 100.0 + 1,
           to_timestamp(1700000000 + i * 37),
           ('[{{\"sku\":\"A' || (i % 97) || '\",\"qty\":' || (i % 5 + 1) ||
             '}},{{\"sku\":\"B' || (i % 89) || '\",\"qty\":1}}]')::jsonb
         FROM generate_series(1, {rows}) AS i;
         \\c postgres
         CREATE DATABASE new TEMPLATE old;
         \\c new
         UPDATE t SET status = 'lost' WHERE {CHANGED};
         DELETE FROM t WHERE {MISSING};
         VACUUM ANALYZE t;
         \\c old
         VACUUM ANALYZE t;"
    ));
}

/// Runs `shadowdiff data` on the two URLs in `dir`, checks the totals, prints the figures and
/// returns the wall time.
fn shadowdiff(dir: &Path, label: &str, old: &str, new: &str, rows: u64) -> f64 {
    let out = dir.join(format!("report-{label}"));
    let (rss, wall, _) = measure(
        Command::new("/usr/bin/time")
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_shadowdiff"))
            .args([
                "data", "--old", old, "--new", new, "--table", "t", "--key", "id",
            ])
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .current_dir(dir),
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
            .expect("report.json is JSON");
    assert_eq!(report["totals"]["exchanges"], rows, "{label}");
    assert_eq!(
        report["totals"]["different"],
        expected_different(rows),
        "{label}"
    );
    println!(
        "{label}: shadowdiff data, {rows} rows: {wall:.1} s, {:.0} rows/s, peak RSS {:.1} MiB",
        rows as f64 / wall,
        rss
    );
    wall
}

/// Times `sh -c script` (an export to /dev/null); panics if it fails.
fn time_shell(script: &str) -> f64 {
    let started = Instant::now();
    let status = Command::new("sh")
        .args(["-c", script])
        .status()
        .expect("run sh");
    assert!(status.success(), "{script} failed");
    started.elapsed().as_secs_f64()
}

/// Prints the floor of reading both sides and shadowdiff's time as a ratio of it.
fn floor(label: &str, how: &str, seconds: f64, shadowdiff: f64, rows: u64) {
    println!(
        "{label}: floor ({how}, both sides): {seconds:.1} s, {:.0} rows/s; shadowdiff takes \
         {:.2}× the floor (aim: at most 1.5×)",
        rows as f64 / seconds,
        shadowdiff / seconds
    );
}

/// Seconds reladiff may run before it is reported as not finished.
fn reladiff_limit() -> u64 {
    std::env::var("SHADOWDIFF_BENCH_RELADIFF_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1800)
}

/// Runs reladiff's default (hashdiff) comparison of table `t` of the two URLs, every column,
/// under `/usr/bin/time -v` and `timeout`; prints its time and memory beside shadowdiff's.
fn reladiff(reladiff: &Path, label: &str, old: &str, new: &str, rows: u64, shadowdiff: f64) {
    let limit = reladiff_limit();
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-v")
        .args(["timeout", "--signal=KILL", &limit.to_string()])
        .arg(reladiff)
        .args([old, "t", new, "t", "-k", "id", "--stats"]);
    for column in COLUMNS {
        command.args(["-c", column]);
    }
    let started = Instant::now();
    let output = command.stdin(Stdio::null()).output().expect("run reladiff");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rss_kib: f64 = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    if wall >= limit as f64 && !output.status.success() {
        println!(
            "{label}: reladiff did not finish within {limit} s (SHADOWDIFF_BENCH_RELADIFF_LIMIT)"
        );
        return;
    }
    // reladiff exits 0 after logging an error (an unsupported URL scheme, for one).
    let error = stderr
        .lines()
        .find(|l| l.contains(" ERROR - "))
        .or_else(|| (!output.status.success()).then_some("it exited with an error"));
    if let Some(why) = error {
        println!("{label}: reladiff could not run: {}", why.trim());
        return;
    }
    let found = stdout
        .lines()
        .filter(|l| l.contains("exclusive") || l.contains("updated"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "{label}: reladiff (hashdiff, {} columns), {rows} rows: {wall:.1} s, {:.0} rows/s, peak \
         RSS {:.1} MiB ({found}); {:.2}× shadowdiff's time",
        COLUMNS.len() + 1,
        rows as f64 / wall,
        rss_kib / 1024.0,
        wall / shadowdiff
    );
}

/// Generates both stores of `rows` rows and runs every anchor that is here.
fn bench(tools: &Tools, rows: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let (old, new) = generate_sqlite(dir.path(), rows);
    let size = std::fs::metadata(&old).expect("old.db").len();
    println!(
        "corpus: {rows} rows, old.db {:.1} MB, generated with new.db in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let (old_url, new_url) = (
        format!("sqlite:{}", old.display()),
        format!("sqlite:{}", new.display()),
    );
    let ours = shadowdiff(dir.path(), "sqlite", &old_url, &new_url, rows);
    if let Some(sqlite3) = &tools.sqlite3 {
        let export = |db: &Path| {
            format!(
                "{} {} -csv 'SELECT * FROM t ORDER BY id' > /dev/null",
                sqlite3.display(),
                db.display()
            )
        };
        let seconds = time_shell(&export(&old)) + time_shell(&export(&new));
        floor("sqlite", "sqlite3 -csv", seconds, ours, rows);
    }
    if let Some(path) = &tools.reladiff {
        let (old, new) = (
            format!("sqlite:///{}", old.display()),
            format!("sqlite:///{}", new.display()),
        );
        reladiff(path, "sqlite", &old, &new, rows, ours);
    }
    drop(dir);
    let Some(server) = &tools.postgres else {
        return;
    };
    let started = Instant::now();
    generate_postgres(server, rows);
    println!(
        "corpus: {rows} rows in PostgreSQL databases old and new, old {} MB, loaded in {:.1} s",
        server
            .query("SELECT pg_database_size('old') / 1000000")
            .trim(),
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (old, new) = (db_url(server, "old"), db_url(server, "new"));
    let ours = shadowdiff(dir.path(), "postgres", &old, &new, rows);
    let export = |url: &str| {
        format!(
            "psql -X -q -d '{url}' -c \"\\copy (SELECT * FROM t ORDER BY id) TO '/dev/null' CSV\""
        )
    };
    let seconds = time_shell(&export(&old)) + time_shell(&export(&new));
    floor("postgres", "psql \\copy CSV", seconds, ours, rows);
    if let Some(path) = &tools.reladiff {
        let bare = |url: &str| url.replacen("postgres://", "postgresql://", 1);
        reladiff(path, "postgres", &bare(&old), &bare(&new), rows, ours);
    }
    server.execute("DROP DATABASE old; DROP DATABASE new;");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !time_available("data") {
        return;
    }
    let quick = std::env::var_os("SHADOWDIFF_BENCH_QUICK").is_some_and(|v| v == "1");
    let sizes: Vec<u64> = std::env::var("SHADOWDIFF_BENCH_ROWS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if quick {
                vec![100_000]
            } else {
                vec![1_000_000, 10_000_000]
            }
        });
    let tools = Tools {
        sqlite3: on_path("sqlite3"),
        reladiff: std::env::var_os("SHADOWDIFF_RELADIFF")
            .map(PathBuf::from)
            .or_else(|| on_path("reladiff")),
        postgres: TestPg::start().filter(|_| on_path("psql").is_some()),
    };
    if tools.sqlite3.is_none() {
        println!("not run: the SQLite export floor (no sqlite3 on PATH)");
    }
    if tools.postgres.is_none() {
        println!("not run: PostgreSQL → PostgreSQL (no PostgreSQL server programs or no psql)");
    }
    if tools.reladiff.is_none() {
        println!(
            "not run: reladiff (neither SHADOWDIFF_RELADIFF nor a reladiff on PATH; see \
             benches/README.md to install it)"
        );
    }
    for rows in sizes {
        bench(&tools, rows);
    }
}
