//! `http://` and `https://` targets: one pooled client per target, requests sent as recorded.
//!
//! Redirects are not followed, bodies are not decompressed and no proxy is taken from the
//! environment, so the response is the one the service sent. Without a recorded `Accept`, the
//! client sends `accept: */*`.

use std::error::Error as _;
use std::io;
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use super::headers::Edits;
use super::{CallError, Reply, TargetSettings};
use crate::model::{Body, Exchange, Response};

/// A base URL and the client that calls it.
pub struct HttpTarget {
    client: reqwest::Client,
    base: String,
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
            Url::parse(base).map_err(|err| format!("`{base}` is not a valid URL: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("`{base}` is not an http(s)://host:port URL"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "`{base}`: a target URL is a base, without query or fragment"
            ));
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .pool_max_idle_per_host(settings.concurrency.max(1))
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {}", describe(&err)))?;
        Ok(HttpTarget {
            client,
            base: base.trim_end_matches('/').to_owned(),
            edits,
            preserve_host,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends the recorded request and reads the whole response.
    pub async fn call(&self, exchange: &Exchange) -> Result<Reply, CallError> {
        let request = &exchange.request;
        let url = join(&self.base, &request.url);
        let method = Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            CallError::BadResponse(format!(
                "the recorded method `{}` is not a valid HTTP method",
                request.method
            ))
        })?;
        let mut headers = HeaderMap::new();
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
        let mut builder = self.client.request(method, &url).headers(headers);
        if !request.body.is_empty() {
            builder = builder.body(request.body.bytes().to_vec());
        }
        let started = Instant::now();
        let response = builder.send().await.map_err(|err| classify(&err))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = response.bytes().await.map_err(|err| classify(&err))?;
        let latency = started.elapsed();
        Ok(Reply {
            response: Response {
                status,
                headers,
                body: Body::from_bytes(body.to_vec()),
            },
            latency,
        })
    }
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
    if path.starts_with('/') || path.starts_with('?') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// Maps a client error to the kind of failure: refused, timeout, reset, or a bad response.
pub fn classify(err: &reqwest::Error) -> CallError {
    let message = describe(err);
    if err.is_timeout() {
        return CallError::Timeout;
    }
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io_err) = cause.downcast_ref::<io::Error>() {
            match io_err.kind() {
                io::ErrorKind::ConnectionRefused => return CallError::Refused(message),
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return CallError::Reset(message),
                io::ErrorKind::TimedOut => return CallError::Timeout,
                _ => {}
            }
        }
        let text = cause.to_string();
        if text.contains("connection closed") || text.contains("incomplete message") {
            return CallError::Reset(message);
        }
        source = cause.source();
    }
    if err.is_connect() {
        CallError::Refused(message)
    } else {
        CallError::BadResponse(message)
    }
}

/// The error and its causes on one line, each cause once.
pub fn describe(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

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
            concurrency: 4,
        };
        let ok = HttpTarget::new(
            "http://127.0.0.1:8080/base/",
            Edits::default(),
            false,
            &settings,
        )
        .map(|t| t.base().to_owned());
        assert_eq!(ok.as_deref(), Ok("http://127.0.0.1:8080/base"));
        for bad in ["http://", "ftp://h/", "http://h/?q=1", "not a url"] {
            assert!(
                HttpTarget::new(bad, Edits::default(), false, &settings).is_err(),
                "{bad}"
            );
        }
    }
}
