//! `exec:COMMAND` targets: one long-running process answering JSON Lines on stdin/stdout.
//!
//! The protocol, one line each way per exchange, in the shapes of the recording format
//! (README, "Recordings"):
//!
//! - shadowdiff writes `{"id": "<exchange id>", "request": {"method": .., "url": .., "headers":
//!   [[name, value], ..], "body": null | {"text": ..} | {"base64": ..}}}` and a newline. The
//!   headers are the recorded ones with the target's `headers.set` / `headers.remove` applied.
//! - the process answers with one line, either a bare response
//!   `{"status": 200, "headers": [[name, value], ..], "body": ..}` or the same wrapped as
//!   `{"id": "<exchange id>", "response": {..}}`. In the wrapped form, the id must match.
//!
//! Calls are serialised over the one process; its stderr is appended to `<log_dir>/<name>.log`.
//! If it exits or closes stdout, the call in flight is `crashed`; a line that is not a response
//! is `bad_response`; an answer line longer than the cap (`--max-body-bytes`, the body with its
//! JSON encoding) is `body_too_large`, read no further; no answer within the timeout is
//! `timeout`. In each case the process is stopped and a fresh one is started for the next call. After five deaths in a row without an
//! answer in between, every further call is `crashed` and nothing is restarted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt as _, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::Mutex;

use super::headers::Edits;
use super::managed::Process;
use super::{CallError, Reply, TargetSettings};
use shadowdiff_core::{Exchange, Request, Response};

/// How many deaths in a row make an exec target give up.
pub const MAX_DEATHS: u32 = 5;

/// A command and the process currently answering for it.
pub struct ExecTarget {
    command: String,
    log_path: PathBuf,
    timeout: Duration,
    max_line: u64,
    edits: Edits,
    state: Mutex<State>,
    /// The runtime the target was started on, which outlives every replay lane: a restarted
    /// process's pipes are registered there, so any lane can keep talking to it whichever lane
    /// restarted it, and whenever that lane ends.
    runtime: tokio::runtime::Handle,
}

struct State {
    running: Option<Running>,
    deaths: u32,
}

struct Running {
    process: Process,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    id: &'a str,
    request: &'a Request,
}

#[derive(Deserialize)]
struct WrappedReply {
    id: Option<serde_json::Value>,
    response: Response,
}

/// What went wrong talking to the process.
enum Failure {
    /// It exited or closed a pipe.
    Died(String),
    /// It answered with something that is not a response.
    Garbage(String),
    /// Its answer line is longer than the cap.
    TooLong,
}

impl ExecTarget {
    /// Starts `command` once, so that a command that cannot run fails at start; `settings`
    /// give the timeout and the longest answer line.
    pub fn start(
        command: &str,
        log_path: &Path,
        settings: &TargetSettings,
        edits: Edits,
    ) -> Result<ExecTarget, String> {
        let running = Running::spawn(command, log_path)?;
        Ok(ExecTarget {
            runtime: tokio::runtime::Handle::current(),
            command: command.to_owned(),
            log_path: log_path.to_path_buf(),
            timeout: settings.timeout,
            max_line: settings.max_body_bytes,
            edits,
            state: Mutex::new(State {
                running: Some(running),
                deaths: 0,
            }),
        })
    }

    /// Starts the process again, on the runtime the target was started on.
    fn restart(&self) -> Result<Running, String> {
        let _on_start_runtime = self.runtime.enter();
        Running::spawn(&self.command, &self.log_path)
    }

    /// Where the process's stderr goes.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Sends one request line and reads one response line.
    pub async fn call(&self, exchange: &Exchange) -> Result<Reply, CallError> {
        let mut state = self.state.lock().await;
        if state.deaths >= MAX_DEATHS {
            return Err(CallError::Crashed(format!(
                "exec target `{}` died {MAX_DEATHS} times in a row; giving up (see {})",
                self.command,
                self.log_path.display()
            )));
        }
        let mut request = exchange.request.clone();
        request.headers = self.edits.apply(&request.headers, false, true);
        let mut line = serde_json::to_vec(&RequestLine {
            id: &exchange.id,
            request: &request,
        })
        .map_err(|err| CallError::BadResponse(format!("cannot encode the request: {err}")))?;
        line.push(b'\n');

        let mut running = match state.running.take() {
            Some(running) => running,
            None => match self.restart() {
                Ok(running) => running,
                Err(message) => {
                    state.deaths += 1;
                    return Err(CallError::Crashed(message));
                }
            },
        };
        let started = Instant::now();
        let answer =
            tokio::time::timeout(self.timeout, running.round_trip(&line, self.max_line)).await;
        let latency = started.elapsed();
        let failure = match answer {
            Err(_) => {
                running.process.kill().await;
                return Err(CallError::Timeout);
            }
            Ok(Ok(text)) => match parse_reply(&text, &exchange.id) {
                Ok(response) => {
                    state.deaths = 0;
                    state.running = Some(running);
                    return Ok(Reply { response, latency });
                }
                Err(message) => Failure::Garbage(message),
            },
            Ok(Err(failure)) => failure,
        };
        match failure {
            Failure::Garbage(message) => {
                running.process.kill().await;
                Err(CallError::BadResponse(message))
            }
            Failure::TooLong => {
                running.process.kill().await;
                Err(CallError::BodyTooLarge { cap: self.max_line })
            }
            Failure::Died(message) => {
                state.deaths += 1;
                let status = running.exit_status().await;
                Err(CallError::Crashed(format!(
                    "exec target `{}` {message} ({status}; see {})",
                    self.command,
                    self.log_path.display()
                )))
            }
        }
    }

    /// Closes the process's stdin and stops it (SIGTERM, then kill).
    pub async fn stop(self) {
        let state = self.state.into_inner();
        if let Some(running) = state.running {
            let Running { process, stdin, .. } = running;
            drop(stdin);
            process.stop().await;
        }
    }
}

impl Running {
    fn spawn(command: &str, log_path: &Path) -> Result<Running, String> {
        let mut process = Process::spawn(command, log_path, true)?;
        let child = process.child();
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(format!("`{command}` started without pipes"));
        };
        Ok(Running {
            process,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// Writes `line` and reads the answer line, at most `max_line` bytes of it (without the
    /// newline).
    async fn round_trip(&mut self, line: &[u8], max_line: u64) -> Result<String, Failure> {
        let write = async {
            self.stdin.write_all(line).await?;
            self.stdin.flush().await
        };
        if let Err(err) = write.await {
            return Err(Failure::Died(format!("stopped reading its stdin: {err}")));
        }
        let mut answer = Vec::new();
        let limit = max_line.saturating_add(1);
        let read = (&mut self.stdout)
            .take(limit)
            .read_until(b'\n', &mut answer)
            .await;
        match read {
            Ok(0) => Err(Failure::Died("exited before answering".to_owned())),
            Ok(n) if n as u64 == limit && !answer.ends_with(b"\n") => Err(Failure::TooLong),
            Ok(_) if !answer.ends_with(b"\n") => Err(Failure::Died(
                "exited in the middle of an answer".to_owned(),
            )),
            Ok(_) => String::from_utf8(answer).map_err(|_| {
                Failure::Garbage("the exec target answered with invalid UTF-8".into())
            }),
            Err(err) => Err(Failure::Died(format!("cannot be read from: {err}"))),
        }
    }

    /// The exit status once the process has gone, killing it if it lingers.
    async fn exit_status(self) -> String {
        let Running {
            mut process, stdin, ..
        } = self;
        drop(stdin);
        let status = tokio::time::timeout(Duration::from_secs(1), process.child().wait()).await;
        let text = match status {
            Ok(Ok(status)) => status.to_string(),
            _ => "still running; killed".to_owned(),
        };
        process.kill().await;
        text
    }
}

/// Reads one answer line: a bare [`Response`] or `{"id": .., "response": {..}}`.
fn parse_reply(line: &str, id: &str) -> Result<Response, String> {
    let value: serde_json::Value = serde_json::from_str(line.trim_end())
        .map_err(|err| format!("the exec target answered with a line that is not JSON: {err}"))?;
    if value.get("response").is_some() {
        let wrapped: WrappedReply = serde_json::from_value(value)
            .map_err(|err| format!("the exec target's `response` is not a response: {err}"))?;
        match wrapped.id {
            None => {}
            Some(serde_json::Value::String(answered)) if answered == id => {}
            Some(other) => {
                return Err(format!(
                    "the exec target answered for id {other} while `{id}` was asked"
                ))
            }
        }
        Ok(wrapped.response)
    } else {
        serde_json::from_value(value)
            .map_err(|err| format!("the exec target's answer is not a response: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::Body;
    use std::sync::Arc;

    #[test]
    fn both_answer_forms_are_read() {
        let bare = parse_reply(
            r#"{"status":201,"headers":[["a","b"]],"body":{"text":"x"}}"#,
            "r1",
        )
        .unwrap();
        assert_eq!(bare.status, 201);
        assert_eq!(bare.body, Body::Text("x".into()));
        let wrapped =
            parse_reply(r#"{"id":"r1","response":{"status":404,"body":null}}"#, "r1").unwrap();
        assert_eq!(wrapped.status, 404);
        let no_id = parse_reply(r#"{"response":{"status":200}}"#, "r1").unwrap();
        assert_eq!(no_id.status, 200);
    }

    #[test]
    fn bad_answers_say_why() {
        let err = parse_reply("hello", "r1").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let err = parse_reply(r#"{"status":"ok"}"#, "r1").unwrap_err();
        assert!(err.contains("not a response"), "{err}");
        let err = parse_reply(r#"{"id":"r2","response":{"status":200}}"#, "r1").unwrap_err();
        assert!(err.contains("`r1`"), "{err}");
        let err = parse_reply(r#"{"id":"r1","response":7}"#, "r1").unwrap_err();
        assert!(err.contains("`response`"), "{err}");
    }

    #[test]
    fn a_process_restarted_by_a_lane_outlives_the_lane() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        // Answers two requests, then exits on the third without answering.
        let script = "n=0; while read -r line; do n=$((n + 1)); [ \"$n\" -eq 3 ] && exit 0; \
                      echo '{\"status\": 200}'; done";
        let main = tokio::runtime::Runtime::new().unwrap();
        let settings = TargetSettings {
            timeout: Duration::from_secs(5),
            log_dir: dir.path().to_path_buf(),
            lanes: 1,
            max_body_bytes: 1024,
            data_dir: std::env::temp_dir().join("shadowdiff-test-data"),
        };
        let target = Arc::new(
            main.block_on(async { ExecTarget::start(script, &log, &settings, Edits::default()) })
                .unwrap(),
        );
        let exchange = |id: &str| Exchange::request_only(id, "GET", "/");
        // A lane: its own runtime on its own thread, which ends after its calls. The third call
        // ends the first process, the fourth starts a new one from the lane.
        let lane_target = target.clone();
        let statuses = std::thread::spawn(move || {
            let lane = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            lane.block_on(async {
                let mut statuses = Vec::new();
                for id in ["a", "b", "c", "d"] {
                    statuses.push(
                        lane_target
                            .call(&exchange(id))
                            .await
                            .map(|r| r.response.status),
                    );
                }
                statuses
            })
        })
        .join()
        .unwrap();
        assert!(
            matches!(
                statuses[..],
                [Ok(200), Ok(200), Err(CallError::Crashed(_)), Ok(200)]
            ),
            "{statuses:?}"
        );
        // The lane is gone; the process it started still answers.
        let after = main.block_on(target.call(&exchange("e")));
        assert_eq!(after.map(|r| r.response.status), Ok(200));
    }
}
