//! Targets: the implementations that answer replayed requests.
//!
//! `http://` and `https://` base URLs, `exec:COMMAND` (a long-running process speaking JSON Lines
//! on stdin/stdout) and `recorded` (the response stored in the recording). Any of them may be
//! managed: started by shadowdiff on a free port, awaited, and stopped at the end.
//!
//! The exec protocol, one JSON line each way per exchange: shadowdiff writes
//! `{"id": "<exchange id>", "request": {"method", "url", "headers", "body"}}` (the recording
//! format's request, with the target's header edits applied); the process answers with a bare
//! response `{"status", "headers", "body"}` or with `{"id": "<same id>", "response": {..}}`.
//! Its stderr goes to `<log_dir>/<name>.log`. A process that exits is restarted for the next
//! call; after five deaths in a row without an answer, the target gives up.

mod data;
mod exec;
mod headers;
mod http;
mod managed;
mod recorded;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::relay::IDEMPOTENT;

use self::exec::ExecTarget;
use self::headers::Edits;
use self::http::HttpTarget;
use self::managed::{free_port, Process};
use shadowdiff_core::Origin;

use crate::error::{Error, Result};
use shadowdiff_core::{Exchange, Response};

/// A target's answer and how long it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The response, body as received (still content-encoded).
    pub response: Response,
    /// From sending the request to the end of the body.
    pub latency: Duration,
}

/// Why a call produced no response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// No complete response within the timeout.
    Timeout,
    /// The connection could not be made (refused, unreachable, TLS failed): nothing was sent.
    Refused(String),
    /// The connection was reset or closed before any byte of a response arrived. `sent` says
    /// whether the request may have been written (hyper hands back a request it never started
    /// to write).
    Reset {
        /// What happened.
        message: String,
        /// Whether the request may have been written, in part or whole.
        sent: bool,
    },
    /// A response began to arrive and ended before it was complete: the connection closed in
    /// its head, or its body was shorter than announced.
    CutShort(String),
    /// Something answered, but not with a valid response.
    BadResponse(String),
    /// The answer was larger than the cap (`--max-body-bytes`); nothing more of it was read.
    BodyTooLarge {
        /// The cap, in bytes.
        cap: u64,
    },
    /// An exec target's process died or cannot be started.
    Crashed(String),
}

impl CallError {
    /// A stable, lower-case kind for reports: `timeout`, `refused`, `reset`, `cut_short`,
    /// `bad_response`, `body_too_large`, `crashed`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Timeout => "timeout",
            CallError::Refused(_) => "refused",
            CallError::Reset { .. } => "reset",
            CallError::CutShort(_) => "cut_short",
            CallError::BadResponse(_) => "bad_response",
            CallError::BodyTooLarge { .. } => "body_too_large",
            CallError::Crashed(_) => "crashed",
        }
    }

    /// Whether a request with `method` that failed so may be sent again: when nothing was sent,
    /// whatever the method; when it may have been written but no byte of an answer arrived,
    /// only an idempotent method; once any byte of an answer arrived (or the call timed out,
    /// or a process took it), never.
    pub fn may_resend(&self, method: &str) -> bool {
        match self {
            CallError::Refused(_) | CallError::Reset { sent: false, .. } => true,
            CallError::Reset { sent: true, .. } => IDEMPOTENT.contains(&method),
            _ => false,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout => f.write_str("no response within the timeout"),
            CallError::BodyTooLarge { cap } => write!(
                f,
                "the answer is larger than the cap of {cap} bytes (--max-body-bytes); nothing \
                 more of it was read"
            ),
            CallError::Refused(m)
            | CallError::Reset { message: m, .. }
            | CallError::CutShort(m)
            | CallError::BadResponse(m)
            | CallError::Crashed(m) => f.write_str(m),
        }
    }
}

/// How a target is described in `shadowdiff.toml` (`[targets.old]`) or by `--old URL`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// `http(s)://host:port[/base]`, `exec:COMMAND` or `recorded`. With `start`, may use `{port}`
    /// and defaults to `http://127.0.0.1:{port}`.
    pub url: Option<String>,
    /// Managed targets: the command that starts the service; `{port}` is a free port and
    /// `{data}` the target's data folder.
    pub start: Option<String>,
    /// A command run before the target starts (and so before the replay), to put its store in
    /// the starting state; `{data}` is the target's data folder, fresh for each run.
    pub reset: Option<String>,
    /// Managed targets: the path polled until it answers (any status below 500).
    pub ready: Option<String>,
    /// Managed targets: how long to wait for readiness, in seconds (required; the binary's
    /// settings fill in their default).
    pub ready_timeout: Option<f64>,
    /// Send the recorded `Host` header instead of the target's.
    #[serde(default)]
    pub preserve_host: bool,
    /// Header edits applied to every request.
    #[serde(default)]
    pub headers: HeaderEdits,
    /// Where these settings were given (the flag, or the file and its lines), for errors.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

/// Headers set or removed on every request to a target. Values expand `${ENV_VAR}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderEdits {
    /// Headers to set (replacing recorded ones of the same name).
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Header names to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

impl TargetConfig {
    /// The base URL of a target at a fixed address, for reproduction commands; credentials in it
    /// are redacted.
    pub fn fixed_url(&self) -> Option<String> {
        if self.start.is_some() {
            return None;
        }
        let url = self.url.as_deref()?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return None;
        }
        let mut parsed = url::Url::parse(url).ok()?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            let _ = parsed.set_username(shadowdiff_core::REDACTED);
            let _ = parsed.set_password(None);
        }
        Some(parsed.to_string().trim_end_matches('/').to_string())
    }

    /// The host of a target at a fixed http(s) URL that is neither on loopback nor at a
    /// private address (RFC 1918, IPv6 unique local, link-local): where replayed writes would
    /// change a shared system. Names are not resolved: `localhost` is loopback, any other name
    /// counts as remote. Managed, `exec:` and `recorded` targets are never remote.
    pub fn remote_host(&self) -> Option<String> {
        let url = url::Url::parse(&self.fixed_url()?).ok()?;
        let local = match url.host()? {
            url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
            url::Host::Ipv6(ip) => {
                ip.is_loopback()
                    || (ip.segments()[0] & 0xfe00) == 0xfc00
                    || (ip.segments()[0] & 0xffc0) == 0xfe80
            }
        };
        (!local).then(|| url.host_str().unwrap_or_default().to_string())
    }
}

/// Settings every target shares in one run.
#[derive(Clone, Debug)]
pub struct TargetSettings {
    /// The per-request timeout.
    pub timeout: Duration,
    /// Where managed targets' stdout and stderr are written (`<dir>/<name>.log`).
    pub log_dir: PathBuf,
    /// Replay lanes that will call the targets: an http(s) target keeps a connection pool for
    /// each, since a connection is driven by the lane that opened it.
    pub lanes: usize,
    /// The largest answer read: an http(s) response body, an exec target's answer line.
    pub max_body_bytes: u64,
    /// Where each target's data folder is made (`DIR/ROLE`, emptied at the start), which
    /// `{data}` names in its `reset`, `start` and `exec:` commands.
    pub data_dir: PathBuf,
}

/// A started target, ready for calls; managed processes are stopped by [`Target::stop`] or when
/// dropped.
pub struct Target {
    name: String,
    kind: Kind,
    /// The managed service's process, when shadowdiff started it.
    service: Option<Process>,
}

/// What answers the calls.
enum Kind {
    Http(Box<HttpTarget>),
    Exec(Box<ExecTarget>),
    Recorded,
}

impl Target {
    /// Starts (when managed) and connects to the target called `name` (`old`, `new`, `noise`).
    /// Errors are target failures (exit 3) or configuration errors (exit 2).
    pub async fn start(
        name: &str,
        config: &TargetConfig,
        settings: &TargetSettings,
    ) -> Result<Target> {
        let bad_config = |key: &str, message: String| match &config.origin {
            Some(origin) => Error::from(origin.error(key, message)),
            None => Error::usage(format!("targets.{name}: {message}")),
        };
        let failed = |message: String| Error::Target {
            target: name.to_owned(),
            message,
        };
        let edits = Edits::compile(&config.headers).map_err(|why| bad_config("headers", why))?;
        let log_path = settings.log_dir.join(format!("{name}.log"));
        let data = data::prepare(config, &settings.data_dir.join(name)).map_err(failed)?;
        let config = &data.fill(config);
        if let Some(reset) = &config.reset {
            data::reset(reset, &log_path).await.map_err(failed)?;
        }
        let url =
            match (&config.url, &config.start) {
                (Some(url), _) => url.trim().to_owned(),
                (None, Some(_)) => "http://127.0.0.1:{port}".to_owned(),
                (None, None) => return Err(bad_config(
                    "",
                    "needs a `url` (http(s)://host:port, exec:COMMAND or recorded) or a `start` \
                     command"
                        .to_owned(),
                )),
            };
        let is_http = url.starts_with("http://") || url.starts_with("https://");
        if config.start.is_none() {
            for (key, what, set) in [
                ("ready", "ready", config.ready.is_some()),
                (
                    "ready_timeout",
                    "ready_timeout",
                    config.ready_timeout.is_some(),
                ),
                ("url", "`{port}` in url", url.contains("{port}")),
            ] {
                if set {
                    return Err(bad_config(key, format!("{what} needs a `start` command")));
                }
            }
        } else if !is_http {
            return Err(bad_config(
                "url",
                format!("`start` needs an http(s) url, not `{url}`"),
            ));
        }
        let ready_timeout = config
            .ready_timeout
            .map(|secs| {
                shadowdiff_core::seconds_duration(secs).map_err(|why| {
                    bad_config(
                        "ready_timeout",
                        format!("{secs:?} {why} (a number of seconds)"),
                    )
                })
            })
            .transpose()?;

        if url == "recorded" {
            return Ok(Target {
                name: name.to_owned(),
                kind: Kind::Recorded,
                service: None,
            });
        }
        if let Some(command) = url.strip_prefix("exec:") {
            let command = command.trim();
            if command.is_empty() {
                return Err(bad_config(
                    "url",
                    "`exec:` needs a command after the colon".to_owned(),
                ));
            }
            let exec = ExecTarget::start(command, &log_path, settings, edits).map_err(failed)?;
            return Ok(Target {
                name: name.to_owned(),
                kind: Kind::Exec(Box::new(exec)),
                service: None,
            });
        }
        if !is_http {
            return Err(bad_config(
                "url",
                format!(
                    "unknown target url `{url}`: expected http(s)://host:port[/base], \
                     exec:COMMAND or recorded"
                ),
            ));
        }
        let Some(start) = &config.start else {
            let http = HttpTarget::new(&url, edits, config.preserve_host, settings)
                .map_err(|why| bad_config("url", why))?;
            return Ok(Target {
                name: name.to_owned(),
                kind: Kind::Http(Box::new(http)),
                service: None,
            });
        };

        // Settings fill in their default (the binary's table); a library caller names it.
        let Some(ready_timeout) = ready_timeout else {
            return Err(bad_config(
                "ready_timeout",
                "a managed target needs `ready_timeout` (seconds)".into(),
            ));
        };
        let port = free_port().map_err(failed)?.to_string();
        let url = url.replace("{port}", &port);
        let http = HttpTarget::new(&url, edits, config.preserve_host, settings)
            .map_err(|why| bad_config("url", why))?;
        let command = start.replace("{port}", &port);
        let mut service = Process::spawn(&command, &log_path, false).map_err(failed)?;
        let ready = config.ready.as_deref().unwrap_or("/");
        let ready_url = if ready.starts_with("http://") || ready.starts_with("https://") {
            ready.replace("{port}", &port)
        } else {
            http::join(http.base(), ready)
        };
        if let Err(message) = service.wait_ready(&ready_url, ready_timeout).await {
            service.stop().await;
            return Err(failed(message));
        }
        Ok(Target {
            name: name.to_owned(),
            kind: Kind::Http(Box::new(http)),
            service: Some(service),
        })
    }

    /// The role this target plays.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL of an http(s) target (with a managed target's port filled in).
    pub fn base_url(&self) -> Option<&str> {
        match &self.kind {
            Kind::Http(http) => Some(http.base()),
            Kind::Exec(_) | Kind::Recorded => None,
        }
    }

    /// Where the process shadowdiff started for this target writes its output, if it started one.
    pub fn log_path(&self) -> Option<&Path> {
        match (&self.kind, &self.service) {
            (_, Some(service)) => Some(service.log_path()),
            (Kind::Exec(exec), None) => Some(exec.log_path()),
            _ => None,
        }
    }

    /// Sends the exchange's request and returns the answer; `lane` is the replay lane calling
    /// (0 outside a replay). Never retries; the caller decides.
    pub async fn call(
        &self,
        exchange: &Exchange,
        lane: usize,
    ) -> std::result::Result<Reply, CallError> {
        match &self.kind {
            Kind::Http(http) => http.call(exchange, lane).await,
            Kind::Exec(exec) => exec.call(exchange).await,
            Kind::Recorded => recorded::call(exchange),
        }
    }

    /// Stops a managed process: SIGTERM, then kill after a grace period.
    pub async fn stop(self) {
        if let Kind::Exec(exec) = self.kind {
            exec.stop().await;
        }
        if let Some(service) = self.service {
            service.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(url: &str) -> Option<String> {
        TargetConfig {
            url: Some(url.into()),
            ..TargetConfig::default()
        }
        .remote_host()
    }

    #[test]
    fn loopback_and_private_addresses_are_local_and_the_rest_remote() {
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:9",
            "https://10.1.2.3/base",
            "http://192.168.0.7",
            "http://172.16.5.4",
            "http://[::1]:80",
            "http://[fd12::1]",
            "exec:./answer.sh",
            "recorded",
        ] {
            assert_eq!(remote(local), None, "{local}");
        }
        assert_eq!(
            remote("https://orders.example.com").as_deref(),
            Some("orders.example.com")
        );
        assert_eq!(remote("http://8.8.8.8:80").as_deref(), Some("8.8.8.8"));
        assert_eq!(
            remote("http://[2001:db8::1]").as_deref(),
            Some("[2001:db8::1]")
        );
        let managed = TargetConfig {
            start: Some("serve --port {port}".into()),
            ..TargetConfig::default()
        };
        assert_eq!(managed.remote_host(), None);
    }
}
