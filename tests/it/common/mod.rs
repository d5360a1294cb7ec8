//! The helpers every area of the tests shares: a throwaway project folder and the real
//! `shadowdiff` binary run in it, the report and outcomes files it writes, recordings and
//! compressed bytes, an HTTP client, and (in [`servers`]) test servers.

pub mod servers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};

use serde_json::Value;
use shadowdiff_core::Exchange;
use shadowdiff_io::{read, Limits};

/// A throwaway folder: a project to run the binary in, or scratch space for a library test.
pub struct Project {
    dir: tempfile::TempDir,
}

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    /// An empty project folder.
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("create a temp folder"),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders) and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        write_file(&self.dir.path().join(name), contents)
    }

    /// Whether the project has a file or folder `name`.
    pub fn exists(&self, name: &str) -> bool {
        self.dir.path().join(name).exists()
    }

    /// Reads a file of the project as text.
    pub fn read(&self, name: &str) -> String {
        read_text(&self.dir.path().join(name))
    }

    /// Runs `shadowdiff ARGS` with the project as working folder.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }
}

/// Runs `shadowdiff run recs.jsonl --old OLD --new NEW --quiet EXTRA...` in the project.
pub fn replay(project: &Project, old: &str, new: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", "recs.jsonl", "--old", old, "--new", new, "--quiet"];
    args.extend_from_slice(extra);
    project.run(&args)
}

/// The command `shadowdiff ARGS` in `dir`, with colour and CI detection switched off, as every
/// test runs it.
pub fn shadowdiff(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shadowdiff"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY");
    command
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `shadowdiff ARGS` in `dir`, with colour and CI detection switched off.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    shadowdiff(dir, args)
        .output()
        .expect("run shadowdiff")
        .into()
}

/// Runs `shadowdiff ARGS` in `dir`, like [`run_in`], and also returns its peak resident memory
/// in KiB: the largest VmHWM of its /proc status, sampled every millisecond while it runs. Not
/// the `ru_maxrss` of wait4: a child starts with its parent's resident size in it (the kernel
/// keeps the peak of the memory it had before exec), and this test binary's own memory, with
/// every area's tests in one process, can be larger than what a test bounds.
pub fn run_measured(dir: &Path, args: &[&str]) -> (Run, u64) {
    use std::io::Read as _;
    use std::process::Stdio;
    // Reaped by waitpid below, after the memory sampler has seen it run.
    #[allow(clippy::zombie_processes)]
    let mut child = shadowdiff(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shadowdiff");
    let read_all = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read_all(Box::new(child.stderr.take().expect("stderr")));
    let pid = i32::try_from(child.id()).expect("pid");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(peak_memory_kib(child_id(pid)).unwrap_or(0));
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            peak
        })
    };
    let mut status = 0;
    // SAFETY: waitpid(2) on a child this test started and has not reaped, with a pointer to a
    // status that lives across the call.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let run = Run {
        code,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    (run, sampler.join().expect("the memory sampler"))
}

/// A process id as /proc names it.
fn child_id(pid: i32) -> u32 {
    u32::try_from(pid).expect("a positive pid")
}

/// The peak resident memory of a running process, in KiB (VmHWM of /proc/PID/status); none once
/// it has exited.
pub fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Writes `contents` to `path`, creating its folders, and returns the path.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> PathBuf {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folders");
    }
    std::fs::write(path, contents).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    path.to_path_buf()
}

/// Reads the file at `path` as text.
pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
pub fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("list a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, std::fs::read(&path).expect("read a file"));
            }
        }
    }
    files
}

/// The report.json of the run that wrote `shadowdiff-report/`.
pub fn report(project: &Project) -> Value {
    report_in(project, "shadowdiff-report")
}

/// The report.json in the project's folder `dir`.
pub fn report_in(project: &Project, dir: &str) -> Value {
    serde_json::from_str(&project.read(&format!("{dir}/report.json"))).expect("report.json is JSON")
}

/// The count `key` of a report's totals (`exchanges`, `equal`, `different`, ...).
pub fn count(report: &Value, key: &str) -> u64 {
    report["totals"][key].as_u64().expect("count")
}

/// Asserts that a report's totals add up: every exchange is equal, different, noise only, an
/// error, skipped or not run.
pub fn assert_totals_add_up(report: &Value) {
    let n = |k: &str| count(report, k);
    let sum =
        n("equal") + n("different") + n("noise_only") + n("errors") + n("skipped") + n("not_run");
    assert_eq!(
        n("exchanges"),
        sum,
        "totals do not add up: {}",
        report["totals"]
    );
}

/// The totals `exchanges`, `equal`, `different`, `noise_only`, `errors` and `skipped` of a
/// report (`not_run` is [`count`]`(report, "not_run")`), once checked to add up.
pub fn totals(report: &Value) -> (u64, u64, u64, u64, u64, u64) {
    assert_totals_add_up(report);
    let n = |k: &str| count(report, k);
    (
        n("exchanges"),
        n("equal"),
        n("different"),
        n("noise_only"),
        n("errors"),
        n("skipped"),
    )
}

/// The entries of the list `key` of every route of a report, route after route
/// (`signatures`, `error_kinds`, `not_run_reasons`, ...).
pub fn across_routes(report: &Value, key: &str) -> Vec<Value> {
    report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .flat_map(|route| {
            route[key]
                .as_array()
                .unwrap_or_else(|| panic!("no list {key} in {route}"))
                .clone()
        })
        .collect()
}

/// The lines of `shadowdiff-report/outcomes.jsonl.zst`, each an outcome.
pub fn outcome_lines(project: &Project) -> Vec<Value> {
    outcome_lines_in(project, "shadowdiff-report")
}

/// The lines of `DIR/outcomes.jsonl.zst` of a project, each an outcome.
pub fn outcome_lines_in(project: &Project, dir: &str) -> Vec<Value> {
    let bytes =
        std::fs::read(project.path().join(dir).join("outcomes.jsonl.zst")).expect("outcomes");
    unzstd(&bytes)
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("an outcome line"))
        .collect()
}

/// `bytes` compressed as zstd, as shadowdiff writes recordings and outcomes.
pub fn zstd_bytes(bytes: impl AsRef<[u8]>) -> Vec<u8> {
    zstd::encode_all(bytes.as_ref(), 3).expect("zstd")
}

/// zstd-compressed `bytes` (one frame or more) decompressed.
pub fn unzstd(bytes: &[u8]) -> Vec<u8> {
    zstd::decode_all(bytes).expect("zstd")
}

/// Real gzip bytes of `bytes`: a client that decompressed them would see something else.
pub fn gzip(bytes: impl AsRef<[u8]>) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes.as_ref()).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Every exchange of a recording file or folder, read by the library.
pub fn read_recording(path: &Path) -> Vec<Exchange> {
    read(path, &Limits::default())
        .expect("open the recording")
        .map(|record| record.expect("read an exchange").exchange)
        .collect()
}

/// Asserts that a run was refused as bad usage or bad input: exit 2, no panic, and an error
/// that contains every needle.
pub fn assert_bad(run: &Run, needles: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not in: {}",
            run.stderr
        );
    }
}

/// Sends `signal` (`libc::SIGINT` for Ctrl-C, `libc::SIGTERM`) to a child this test started,
/// and waits for it to exit.
pub fn signal_and_wait(child: &mut Child, signal: i32) -> ExitStatus {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "send signal {signal}");
    child.wait().expect("wait for the child")
}

/// Waits for a child this test started to exit, for at most `timeout`; when it has not exited by
/// then, kills it and returns false (the caller reaps it and says what did not finish).
pub fn finished_within(child: &mut Child, timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while child.try_wait().expect("wait for the child").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().expect("kill the child");
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// Runs an async block on a small runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// A reqwest client for the servers and proxies of a test: loopback, so never through a proxy
/// of the environment.
pub fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().no_proxy()
}

/// The root of this repository, where the shipped example lives.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One exchange line of the native format with a JSON response body.
pub fn exchange(id: &str, url: &str, status: u16, body: &str) -> String {
    serde_json::json!({
        "id": id,
        "request": {"method": "GET", "url": url, "headers": [["accept", "application/json"]], "body": null},
        "response": {"status": status, "headers": [["content-type", "application/json"]],
                     "body": {"text": body}},
    })
    .to_string()
}

/// Lines joined with newlines, ending with one.
pub fn lines(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A report.json with its timing figures (every field named `latency`) removed: what two runs
/// of the same behaviour must agree on byte for byte.
pub fn behaviour(report_json: &str) -> String {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("latency");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(report_json).expect("report.json");
    strip(&mut value);
    serde_json::to_string_pretty(&value).expect("json")
}

/// Runs `shadowdiff ARGS` in `dir` with `input` on standard input (for `review`, and for
/// recordings read from `-`).
pub fn run_with_input(dir: &Path, args: &[&str], input: impl Into<Vec<u8>>) -> Run {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = shadowdiff(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shadowdiff");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.into();
    let writer = std::thread::spawn(move || {
        // A reader that stops early closes the pipe; what it read is what the test checks.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for shadowdiff");
    writer.join().expect("writer");
    output.into()
}

/// Proptest's settings for the property tests: `cases` cases, with the failures it finds kept
/// next to the module that found them (`tests/it/engine_laws.proptest-regressions`), where they
/// are read again before new cases. Proptest's default would look beside the `main.rs` it finds
/// above the module, in `tests/proptest-regressions/`.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}
