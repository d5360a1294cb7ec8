//! Helpers for driving the real `shadowdiff` binary on real files in a throwaway folder.

#![allow(dead_code)]

pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway project folder and the binary to run in it.
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
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// Reads a file of the project as text.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|err| panic!("read {name}: {err}"))
    }

    /// Runs `shadowdiff ARGS` with the project as working folder.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }
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
/// in KiB, as the kernel counted it for the process (`ru_maxrss` of wait4).
pub fn run_measured(dir: &Path, args: &[&str]) -> (Run, u64) {
    use std::io::Read as _;
    use std::process::Stdio;
    // Reaped by wait4 below, which gives the peak memory that std's `wait` does not.
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
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4(2) on a child this test started and has not reaped, with pointers to a
    // status and a zeroed rusage that live across the call; the kernel fills the rusage.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    // SAFETY: wait4 returned the child, so it filled the rusage (zeroed before in any case).
    let usage = unsafe { usage.assume_init() };
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
    (run, u64::try_from(usage.ru_maxrss).unwrap_or(0))
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
#[allow(dead_code)]
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
