//! `http://` and `https://` targets: one pool of HTTP/1.1 connections per target and replay
//! lane (a connection is driven by the thread that opened it, see `client`), requests sent as
//! recorded.
//!
//! hyper (rustls for https, webpki roots) rather than reqwest: replay is a loop of small
//! requests, and reqwest's extra layers (URL parsing with IDNA, request building, header-map
//! conversions) cost more CPU than the round trip itself; measured at 1.3 to 2 times the request
//! rate of reqwest on the replay bench's server. Redirects are not followed, bodies are not
//! decompressed and no proxy is taken from the environment, so the response is the one the
//! service sent; nothing is added to the recorded headers but `Host` (the target's, unless
//! `preserve_host`).
//!
//! A failed call says how far it got, which decides whether it may be sent again
//! ([`CallError::may_resend`]): a connection never made and a request hyper hands back
//! unwritten were not sent; after that, whether any byte of the answer arrived is read from the
//! connection's byte count, and any error once the head arrived is `cut_short`.

use std::io;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use hyper::{Method, Uri};

use super::headers::Edits;
use super::{CallError, Reply, TargetSettings};
use crate::client::{describe, LanePool, Unanswered};
use shadowdiff_core::{Body, Exchange, Response};

/// A base URL and the connections that call it, a pool for each replay lane.
pub struct HttpTarget {
    pools: Vec<LanePool>,
    base: String,
    timeout: Duration,
    max_body: u64,
    edits: Edits,
    preserve_host: bool,
}

impl HttpTarget {
    /// Checks `base` (`http(s)://host:port[/base]`) and builds the client. The error says what is
    /// wrong with the URL.
    pub fn new(
        base: &str,
        edits: Edits,
        preserve_host: bool,
        settings: &TargetSettings,
    ) -> Result<HttpTarget, String> {
        let parsed =
            url::Url::parse(base).map_err(|err| format!("`{base}` is not a valid URL: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("`{base}` is not an http(s)://host:port URL"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "`{base}`: a target URL is a base, without query or fragment"
            ));
        }
        let origin = base
            .parse::<Uri>()
            .map_err(|err| format!("`{base}` is not a URL that can be sent: {err}"))?;
        let (Some(scheme), Some(authority)) = (origin.scheme(), origin.authority()) else {
            return Err(format!("`{base}` is not an http(s)://host:port URL"));
        };
        Ok(HttpTarget {
            pools: (0..settings.lanes.max(1))
                .map(|_| LanePool::new(scheme.clone(), authority.clone(), settings.timeout))
                .collect::<Result<_, _>>()?,
            base: base.trim_end_matches('/').to_owned(),
            timeout: settings.timeout,
            max_body: settings.max_body_bytes,
            edits,
            preserve_host,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends the recorded request and reads the whole response, within the timeout, through
    /// the connection pool of replay lane `lane`.
    pub async fn call(&self, exchange: &Exchange, lane: usize) -> Result<Reply, CallError> {
        let started = Instant::now();
        let pool = &self.pools[lane % self.pools.len()];
        match tokio::time::timeout(self.timeout, self.exchange(pool, exchange)).await {
            Ok(Ok(response)) => Ok(Reply {
                response,
                latency: started.elapsed(),
            }),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(CallError::Timeout),
        }
    }

    async fn exchange(&self, pool: &LanePool, exchange: &Exchange) -> Result<Response, CallError> {
        let request = &exchange.request;
        let url = join(&self.base, &request.url);
        let uri = uri(&url)?;
        let method = Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            CallError::BadResponse(format!(
                "the recorded method `{}` is not a valid HTTP method",
                request.method
            ))
        })?;
        let mut builder = hyper::Request::builder().method(method).uri(uri);
        let headers = builder
            .headers_mut()
            .expect("a request builder with a valid method and URI has headers");
        for (name, value) in self.edits.apply(&request.headers, true, self.preserve_host) {
            let parsed_name = HeaderName::from_bytes(name.as_bytes());
            let parsed_value = HeaderValue::from_bytes(value.as_bytes());
            match (parsed_name, parsed_value) {
                (Ok(name), Ok(value)) => {
                    headers.append(name, value);
                }
                _ => {
                    return Err(CallError::BadResponse(format!(
                        "the recorded header `{name}` cannot be sent: invalid name or value"
                    )))
                }
            }
        }
        let body = Full::new(Bytes::copy_from_slice(request.body.bytes()));
        let outgoing = builder
            .body(body)
            .map_err(|err| CallError::BadResponse(format!("cannot build the request: {err}")))?;
        let (response, lease) = pool
            .send(outgoing)
            .await
            .map_err(|failed| at(&url, unanswered(&failed)))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = match value.to_str() {
                    Ok(visible) => visible.to_owned(),
                    Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        let body = read_body(response.into_body(), declared, self.max_body)
            .await
            .map_err(|err| at(&url, err))?;
        lease.release();
        Ok(Response {
            status,
            headers,
            body: Body::from_bytes(body),
        })
    }
}

/// Reads a response body whole, or fails as soon as it is larger than `cap` (a `content-length`
/// above it fails before anything is read), so memory stays bounded by the cap.
async fn read_body(
    mut body: Incoming,
    declared: Option<u64>,
    cap: u64,
) -> Result<Vec<u8>, CallError> {
    if declared.is_some_and(|length| length > cap) {
        return Err(CallError::BodyTooLarge { cap });
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| cut_short(&err, bytes.len(), declared))?;
        if let Ok(data) = frame.into_data() {
            if (bytes.len() + data.len()) as u64 > cap {
                return Err(CallError::BodyTooLarge { cap });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// A body that ended in an error after `received` bytes: what arrived, what was announced.
fn cut_short(err: &hyper::Error, received: usize, declared: Option<u64>) -> CallError {
    let announced = match declared {
        Some(length) => format!("{received} of the {length} bytes its content-length announced"),
        None => format!("{received} bytes"),
    };
    CallError::CutShort(format!(
        "the response body was cut short after {announced}: {}",
        describe(err)
    ))
}

/// The request URI; a recorded URL with characters a URI cannot hold (spaces, `|`, non-ASCII)
/// is percent-encoded first, as a browser would.
fn uri(url: &str) -> Result<Uri, CallError> {
    if let Ok(uri) = url.parse::<Uri>() {
        return Ok(uri);
    }
    url::Url::parse(url)
        .ok()
        .and_then(|encoded| encoded.as_str().parse::<Uri>().ok())
        .ok_or_else(|| CallError::BadResponse(format!("`{url}` is not a URL that can be sent")))
}

/// The base URL followed by the recorded path and query. A recorded absolute URL contributes
/// only its path and query.
pub fn join(base: &str, recorded: &str) -> String {
    let path = match recorded.find("://") {
        Some(scheme_end)
            if recorded[..scheme_end]
                .chars()
                .all(|c| c.is_ascii_alphabetic()) =>
        {
            let after = &recorded[scheme_end + 3..];
            match after.find(['/', '?']) {
                Some(start) => &after[start..],
                None => "/",
            }
        }
        _ => recorded,
    };
    let mut url = String::with_capacity(base.len() + 1 + path.len());
    url.push_str(base);
    if !(path.starts_with('/') || path.starts_with('?')) {
        url.push('/');
    }
    url.push_str(path);
    url
}

/// The error with the URL it happened at, so that a report says which address failed.
fn at(url: &str, err: CallError) -> CallError {
    match err {
        CallError::Refused(m) => CallError::Refused(format!("{url}: {m}")),
        CallError::Reset { message, sent } => CallError::Reset {
            message: format!("{url}: {message}"),
            sent,
        },
        CallError::CutShort(m) => CallError::CutShort(format!("{url}: {m}")),
        CallError::BadResponse(m) => CallError::BadResponse(format!("{url}: {m}")),
        other => other,
    }
}

/// Why the client got no response head, from how it failed and whether any byte of the answer
/// had arrived: a connection never made (refused; timed out), a request hyper handed back
/// unsent, a head that is not HTTP, a connection that ended in the head, or one that ended
/// before any answer.
fn unanswered(failed: &Unanswered) -> CallError {
    let (error, answered) = match failed {
        Unanswered::Connect(error) => {
            let timed_out = causes(&**error)
                .filter_map(|cause| cause.downcast_ref::<io::Error>())
                .any(|err| err.kind() == io::ErrorKind::TimedOut);
            return if timed_out {
                CallError::Timeout
            } else {
                CallError::Refused(format!("cannot connect: {}", describe(&**error)))
            };
        }
        Unanswered::Send { error, answered } => (error, *answered),
    };
    let message = describe(error);
    if error.is_canceled() {
        return CallError::Reset {
            message,
            sent: false,
        };
    }
    if error.is_parse() {
        return CallError::BadResponse(message);
    }
    if answered {
        return CallError::CutShort(format!(
            "the connection ended in the middle of the response head: {message}"
        ));
    }
    let closed = error.is_incomplete_message()
        || error.is_closed()
        || causes(error)
            .filter_map(|cause| cause.downcast_ref::<io::Error>())
            .any(|err| {
                matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                        | io::ErrorKind::UnexpectedEof
                )
            });
    if closed {
        CallError::Reset {
            message,
            sent: true,
        }
    } else {
        CallError::BadResponse(message)
    }
}

/// The error and its causes, outermost first.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |&cause| cause.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_a_uri_cannot_hold_are_percent_encoded() {
        assert_eq!(uri("http://h:1/a b?q=|").unwrap(), "http://h:1/a%20b?q=|");
        assert_eq!(
            uri("http://h:1/orders/1?x=2").unwrap(),
            "http://h:1/orders/1?x=2"
        );
    }

    #[test]
    fn recorded_paths_are_appended_to_the_base() {
        let base = "http://h:1/api";
        assert_eq!(join(base, "/orders/1?x=2"), "http://h:1/api/orders/1?x=2");
        assert_eq!(join(base, "orders"), "http://h:1/api/orders");
        assert_eq!(join(base, "?q=1"), "http://h:1/api?q=1");
        assert_eq!(join(base, "https://prod.example/a?b"), "http://h:1/api/a?b");
        assert_eq!(join(base, "https://prod.example"), "http://h:1/api/");
    }

    #[test]
    fn base_urls_are_checked() {
        let settings = TargetSettings {
            timeout: std::time::Duration::from_secs(1),
            log_dir: ".".into(),
            lanes: 1,
            max_body_bytes: 1024,
            data_dir: std::env::temp_dir().join("shadowdiff-test-data"),
        };
        let ok = HttpTarget::new(
            "http://127.0.0.1:8080/base/",
            Edits::default(),
            false,
            &settings,
        )
        .map(|t| t.base().to_owned());
        assert_eq!(ok.as_deref(), Ok("http://127.0.0.1:8080/base"));
        let tls = HttpTarget::new("https://localhost:8443", Edits::default(), false, &settings)
            .map(|t| t.base().to_owned());
        assert_eq!(tls.as_deref(), Ok("https://localhost:8443"));
        for bad in ["http://", "ftp://h/", "http://h/?q=1", "not a url"] {
            assert!(
                HttpTarget::new(bad, Edits::default(), false, &settings).is_err(),
                "{bad}"
            );
        }
    }
}
