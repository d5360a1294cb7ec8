//! report.html in a real browser: headless Chromium opens the page written by `shadowdiff
//! diff` for recordings that carry markup, and the dumped DOM shows that the page's own script
//! ran (the Content-Security-Policy hash is right) while the recorded markup stayed text.
//! The test runs wherever `chromium` or `chromium-browser` is on PATH. Where there is none it
//! says on stderr that it did not run and why (visible with `--nocapture`) and passes, so a fresh
//! clone's `cargo test` passes; with `SHADOWDIFF_REQUIRE_BROWSER=1` (set by .ci/run, which
//! installs Chromium) a missing browser fails it instead, so CI never passes it unseen.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{exchange, finished_within, lines, report_in, Project};

/// How long the browser may take to load the page and dump it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "<img src=x onerror=\"document.title='pwned2'\">";

/// Set to `1` where a missing browser must fail the test rather than skip it (.ci/run).
const REQUIRE_BROWSER: &str = "SHADOWDIFF_REQUIRE_BROWSER";

/// The Chromium binary on PATH, if there is one.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The browser to run, or `None` (said on stderr) when there is none and none is required.
fn chromium() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let why = "Chromium is not on PATH (`chromium` or `chromium-browser`); \
                   `apt-get install -y chromium` installs it";
        let required = std::env::var_os(REQUIRE_BROWSER).is_some_and(|v| v == "1");
        assert!(!required, "{REQUIRE_BROWSER}=1 but {why}");
        eprintln!("html_report: the browser test did not run: {why}");
    }
    found
}

/// The DOM of `page` after its scripts ran, as headless Chromium dumps it.
fn dump_dom(browser: &Path, page: &Path, scratch: &Path) -> String {
    let profile = scratch.join("profile");
    let dom = scratch.join("dom.html");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-quic",
            "--disable-sync",
            "--disable-default-apps",
            "--metrics-recording-only",
            "--no-default-browser-check",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom).expect("create dom.html"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    if !finished_within(&mut child, BROWSER_TIMEOUT) {
        let _ = child.wait();
        panic!("chromium did not dump the page within {BROWSER_TIMEOUT:?}");
    }
    let status = child.wait().expect("wait for chromium");
    assert!(status.success(), "chromium failed: {status}");
    std::fs::read_to_string(&dom).expect("read the dumped DOM")
}

#[test]
fn the_page_runs_its_own_script_and_shows_recorded_markup_as_text() {
    let Some(browser) = chromium() else {
        return;
    };
    let p = Project::new();
    let note = |text: &str| serde_json::json!({ "text": text }).to_string();
    p.file(
        "a.jsonl",
        lines(&[
            exchange("n1", "/notes/1", 200, &note(SCRIPT)),
            exchange("i1", "/images/1", 200, &note("a cat")),
        ]),
    );
    p.file(
        "b.jsonl",
        lines(&[
            exchange("n1", "/notes/1", 200, &note("plain")),
            exchange("i1", "/images/1", 200, &note(IMG)),
        ]),
    );
    let run = p.run(&["diff", "a.jsonl", "b.jsonl", "--out", "report"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = report_in(&p, "report");
    let routes: Vec<&str> = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| r["route"].as_str().expect("route name"))
        .collect();
    assert_eq!(routes.len(), 2, "{routes:?}");

    let scratch = Project::new();
    let dom = dump_dom(
        &browser,
        &p.path().join("report/report.html"),
        scratch.path(),
    );

    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not run:\n{dom}"
    );
    assert!(dom.contains("<title>shadowdiff: FAIL</title>"), "{dom}");
    assert!(!dom.contains("pwned</title>") && !dom.contains("pwned2</title>"));
    assert!(dom.contains("<h1>FAIL"), "no verdict:\n{dom}");
    for route in routes {
        assert!(dom.contains(route), "route {route} missing");
    }
    assert!(!dom.contains("<img"), "recorded markup became an element");
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains(r#"&lt;img src=x onerror=\"document.title='pwned2'\"&gt;"#));
}
