//! `shadowdiff record`: a reverse proxy that forwards every request to one upstream, hands its
//! answer back unchanged, and writes each exchange to a native recording.
//!
//! The parts:
//! - `proxy` serves HTTP/1.1 (hyper 1) and forwards with the HTTP client targets use (hyper-util,
//!   rustls; no decompression, no redirects, no system proxy); upstream failures become a 502 for the client and a
//!   request-only exchange (no `response`) in the recording;
//! - `select` decides which requests are recorded (`--method`, `--include-route`,
//!   `--exclude-route`, `--sample`); every request is forwarded either way;
//! - `redact` replaces secret header values in what is written, never in what is forwarded;
//! - `rotate` writes the exchanges on their own thread, fed by a bounded channel, into parts of
//!   about `--rotate-bytes` bytes of JSON (a new part starts once one is full):
//!   `-o DIR/capture.jsonl.zst` gives `DIR/capture-000001.jsonl.zst`,
//!   `DIR/capture-000002.jsonl.zst`, ... so that name order is time order and the folder reads
//!   back as one recording.
//!
//! Each recorded exchange has the id `cNNNNNN` (the request's 1-based number in this process;
//! gaps are requests that were not recorded) and `ts`, the time the request arrived (RFC 3339,
//! UTC, milliseconds). Header names are lower-case as hyper delivers them; repeated headers are
//! kept, grouped by name. Hop-by-hop headers (`connection`, `transfer-encoding`, ...) are neither
//! forwarded nor recorded, and the upstream sees `Host` of its own URL; nothing else is added.

mod proxy;
mod rotate;
mod select;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use shadowdiff_core::Redactor;

pub use proxy::serve;
pub use rotate::RotatingWriter;
pub use select::{sampled, Selection};

/// Everything `shadowdiff record` needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The upstream base URL, without a trailing `/`.
    pub upstream: String,
    /// The recording name the parts are derived from.
    pub output: PathBuf,
    /// Bytes of JSON after which a new part starts.
    pub rotate_bytes: u64,
    /// Which requests are recorded.
    pub selection: Selection,
    /// What is redacted in the recording.
    pub redactor: Redactor,
    /// The longest an upstream call may take.
    pub timeout: Duration,
    /// The longest in-flight requests may take to finish once asked to stop.
    pub drain_timeout: Duration,
    /// The largest upstream body recorded; a larger one is streamed to the client and its
    /// exchange recorded without the response.
    pub max_body_bytes: u64,
}

/// What a finished recording session wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Requests forwarded (answered by the upstream or with a 502).
    pub forwarded: u64,
    /// Exchanges written to the recording.
    pub recorded: u64,
    /// The parts written, in order.
    pub files: Vec<PathBuf>,
}

/// Checks an upstream URL (`http` or `https`, a host, no query or fragment) and returns it
/// without a trailing `/`; the error starts with the URL, for the caller to name where it came
/// from (`--upstream`, `--primary`, a settings file's line).
pub fn parse_upstream(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|err| {
        format!("`{text}` is not a URL ({err}); write e.g. http://127.0.0.1:9090")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}`: the scheme must be http or https, not {}",
            url.scheme()
        ));
    }
    if url.host_str().unwrap_or_default().is_empty() {
        return Err(format!("`{text}` has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`{text}`: a query string or fragment cannot be a base URL"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked() {
        assert_eq!(
            parse_upstream("http://127.0.0.1:9090/").unwrap(),
            "http://127.0.0.1:9090"
        );
        assert_eq!(
            parse_upstream("https://api.example.com/base/").unwrap(),
            "https://api.example.com/base"
        );
        assert!(parse_upstream("127.0.0.1:9090").is_err());
        assert!(parse_upstream("ftp://example.com").is_err());
        assert!(parse_upstream("http://example.com/?a=1").is_err());
        assert!(parse_upstream("not a url").is_err());
    }
}
