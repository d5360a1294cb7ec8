//! Processes shadowdiff starts: managed services and exec targets.
//!
//! Each runs as `sh -c COMMAND` in its own process group, so a signal reaches the whole tree the
//! shell starts. Output goes to `<log_dir>/<name>.log`. A stop sends SIGTERM to the group, waits
//! up to five seconds, then SIGKILL, and returns once no process of the group runs (so its ports
//! are free); dropping a process (a run cut short) kills its group at once and waits for it the
//! same way.

use std::fs::{File, OpenOptions};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::client::{client, describe};

/// How long a stop waits after SIGTERM before it kills.
const GRACE: Duration = Duration::from_secs(5);
/// How long a stop waits for a killed group's processes to be gone.
const GONE_WAIT: Duration = Duration::from_secs(2);
/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(100);
/// How long one readiness probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How many lines of the log an error quotes.
const TAIL_LINES: usize = 20;

fn signal_group(group: i32, signal: i32) {
    if group > 0 {
        // SAFETY: kill(2) takes plain integers and has no memory effects; a negative pid names
        // the process group, and `group` is positive, so this never signals every process.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}

/// Waits, up to [`GONE_WAIT`], until no process of a killed group runs.
async fn wait_until_gone(group: i32) {
    let deadline = Instant::now() + GONE_WAIT;
    while group_alive(group) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether a process of `group` still runs (zombies waiting to be reaped do not count). Reads
/// `/proc`; where there is none, says no.
fn group_alive(group: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(|entry| entry.ok()).any(|entry| {
        process_state(&entry.file_name().to_string_lossy())
            .is_some_and(|(state, pgrp)| pgrp == group && !matches!(state, 'Z' | 'X'))
    })
}

/// The state letter and process group of process `pid`, from `/proc/PID/stat`.
fn process_state(pid: &str) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may hold spaces; the fields after it are plain.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state: the parent's pid, then the process group.
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((state, pgrp))
}

/// A free TCP port on 127.0.0.1, found by binding port 0 and letting the listener go.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|err| format!("cannot find a free port: {err}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|err| format!("cannot find a free port: {err}"))
}

/// Opens `path` for appending, creating its folder.
pub fn open_log(path: &Path) -> Result<File, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|err| format!("cannot open {}: {err}", path.display()))
}

/// The last lines of the log at `path`, for error messages.
pub fn log_tail(path: &Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].join("\n")
}

/// A running `sh -c COMMAND` in its own process group.
pub struct Process {
    child: Child,
    group: i32,
    log_path: PathBuf,
}

impl Process {
    /// Starts `sh -c command` with stderr (and stdout unless `piped`) appended to `log_path`.
    /// With `piped`, stdin and stdout are pipes for the caller; otherwise stdin is empty.
    pub fn spawn(command: &str, log_path: &Path, piped: bool) -> Result<Process, String> {
        let log = open_log(log_path)?;
        let stderr = log
            .try_clone()
            .map_err(|err| format!("cannot open {}: {err}", log_path.display()))?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .process_group(0)
            .kill_on_drop(true)
            .stderr(Stdio::from(stderr));
        if piped {
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        } else {
            cmd.stdin(Stdio::null()).stdout(Stdio::from(log));
        }
        let child = cmd
            .spawn()
            .map_err(|err| format!("cannot run `sh -c {command}`: {err}"))?;
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .unwrap_or(0);
        Ok(Process {
            child,
            group,
            log_path: log_path.to_path_buf(),
        })
    }

    /// The child, for its pipes and exit status.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Where the process writes its output.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// SIGTERM to the group, up to five seconds to exit, then SIGKILL.
    pub async fn stop(mut self) {
        signal_group(self.group, libc::SIGTERM);
        if tokio::time::timeout(GRACE, self.child.wait())
            .await
            .is_err()
        {
            signal_group(self.group, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
        // Children that ignore SIGTERM while the shell exits still get killed with the group,
        // and the stop ends when they are gone, so their ports are free once it returns.
        signal_group(self.group, libc::SIGKILL);
        wait_until_gone(self.group).await;
        self.forget();
    }

    /// SIGKILL to the group now, reap the shell, and wait for the rest of the group to go.
    pub async fn kill(mut self) {
        signal_group(self.group, libc::SIGKILL);
        let _ = self.child.wait().await;
        wait_until_gone(self.group).await;
        self.forget();
    }

    /// Marks the group as ended, so that dropping the process signals nothing.
    fn forget(&mut self) {
        self.group = 0;
    }

    /// Waits for a managed service to answer `url` with a status below 500, polling every
    /// 100 ms until `timeout`. Fails early, with the exit status and the end of the log, if the
    /// process exits first.
    pub async fn wait_ready(&mut self, url: &str, timeout: Duration) -> Result<(), String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|err| format!("`{url}` is not a URL to poll: {err}"))?;
        let client = client(PROBE_TIMEOUT)?;
        let deadline = Instant::now() + timeout;
        let mut last = "no answer yet".to_owned();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "exited ({status}) before it was ready at {url}; the end of {}:\n{}",
                    self.log_path.display(),
                    log_tail(&self.log_path)
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "did not become ready at {url} within {:.1} s: {last} (see {})",
                    timeout.as_secs_f64(),
                    self.log_path.display()
                ));
            }
            let probe = PROBE_TIMEOUT.min(left);
            match tokio::time::timeout(probe, client.get(uri.clone())).await {
                Ok(Ok(response)) if response.status().as_u16() < 500 => return Ok(()),
                Ok(Ok(response)) => last = format!("it answered {}", response.status()),
                Ok(Err(err)) => last = describe(&err),
                Err(_) => last = format!("no answer within {:.1} s", probe.as_secs_f64()),
            }
            tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.group != 0 {
            signal_group(self.group, libc::SIGKILL);
            // Blocks for the few milliseconds the kernel takes to end the group, so a run cut
            // short (Ctrl-C, a target down) leaves no process and no bound port behind.
            let deadline = Instant::now() + GONE_WAIT;
            while group_alive(self.group) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_real_ports_and_tails_are_short() {
        assert!(free_port().unwrap() > 0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/x.log");
        let mut file = open_log(&path).unwrap();
        use std::io::Write;
        for i in 0..50 {
            writeln!(file, "line {i}").unwrap();
        }
        let tail = log_tail(&path);
        assert_eq!(tail.lines().count(), TAIL_LINES);
        assert!(tail.ends_with("line 49"));
        assert_eq!(log_tail(&dir.path().join("missing")), "");
    }

    /// Whether `pid` is gone or only a zombie waiting to be reaped.
    pub(crate) fn is_dead(pid: &str) -> bool {
        process_state(pid).map_or(true, |(state, _)| matches!(state, 'Z' | 'X'))
    }

    /// The pid a test process writes to `path`, once the line is complete (5 s at most).
    async fn pid_written_to(path: &Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            if text.ends_with('\n') {
                return text.trim().to_owned();
            }
            assert!(Instant::now() < deadline, "no pid written");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn dropping_a_process_kills_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("p.log");
        let pid_file = dir.path().join("pid");
        let command = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let process = Process::spawn(&command, &log, false).unwrap();
        let pid = pid_written_to(&pid_file).await;
        assert!(!is_dead(&pid));
        drop(process);
        assert!(is_dead(&pid), "grandchild {pid} outlived the drop");
    }

    #[tokio::test]
    async fn a_stop_returns_once_the_whole_group_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        // The grandchild ignores SIGTERM, so only the group's SIGKILL ends it.
        let command = format!(
            "sh -c 'trap \"\" TERM; echo $$ > {}; exec sleep 30' & wait",
            pid_file.display()
        );
        let process = Process::spawn(&command, &dir.path().join("p.log"), false).unwrap();
        let pid = pid_written_to(&pid_file).await;
        let group = process.group;
        process.stop().await;
        assert!(is_dead(&pid), "grandchild {pid} outlived the stop");
        assert!(!group_alive(group));
    }
}
