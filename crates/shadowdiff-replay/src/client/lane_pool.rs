//! The connections of one target for one replay lane: HTTP/1.1 over hyper's own connections
//! (`hyper::client::conn::http1`), kept in a list of idle ones that only that lane takes from.
//!
//! Why not hyper-util's pooled client here: a lane is one thread driving its own connections, so
//! a pool shared across threads and keyed by host is work every request pays for (a shared lock,
//! the key cloned and hashed, a task spawned per response to put its connection back).
//! `cargo bench --bench http_client` measured 25 µs of CPU a request for bare connections
//! against 32 µs through hyper-util's client. What hyper-util did that a replay needs is done
//! here: the `Host` header when the request has none, the origin-form request target, and a
//! request that a reused connection handed back unsent is sent again on another.
//!
//! Each connection counts the bytes it reads (see `connection`), and a call knows the one it
//! was given, so a failed call tells whether any byte of its answer had arrived. The count is
//! exact because the lane's single-threaded runtime drives the connection: it cannot read
//! between the moment the count is noted and the moment the request is handed to it.

use std::sync::Mutex;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::http::uri::{Authority, Scheme};
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::Connection as _;
use tower_service::Service as _;

use super::connection::BytesRead;
use super::CountingConnector;

/// One target's connections for one replay lane.
pub struct LanePool {
    connector: CountingConnector,
    /// Where connections go: the target's scheme and authority.
    origin: Uri,
    /// The `Host` header of requests that carry none.
    host: hyper::header::HeaderValue,
    idle: Mutex<Vec<Connection>>,
}

/// A connection: the handle requests are sent on and its count of bytes read.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    read: BytesRead,
}

/// A connection lent to a call until its response has been read whole.
pub struct Lease<'p> {
    pool: &'p LanePool,
    connection: Connection,
}

impl Lease<'_> {
    /// Gives the connection back for the next call, once the response has been read whole. A
    /// lease dropped without this (a call that failed or timed out in the body) closes it.
    pub fn release(self) {
        self.pool
            .idle
            .lock()
            .expect("idle list")
            .push(self.connection);
    }
}

/// Why a call got no response head.
pub enum Unanswered {
    /// No connection could be made (refused, timed out, TLS failed).
    Connect(Box<dyn std::error::Error + Send + Sync>),
    /// The connection failed the request.
    Send {
        /// hyper's error.
        error: hyper::Error,
        /// Whether any byte of the answer had arrived on the connection.
        answered: bool,
    },
}

impl LanePool {
    /// A pool for the target at `scheme://authority`; connecting gives up after
    /// `connect_timeout`. The error says why TLS could not be set up.
    pub fn new(
        scheme: Scheme,
        authority: Authority,
        connect_timeout: std::time::Duration,
    ) -> Result<LanePool, String> {
        let host = match authority.port_u16() {
            None => authority.host().to_owned(),
            Some(443) if scheme == Scheme::HTTPS => authority.host().to_owned(),
            Some(80) if scheme == Scheme::HTTP => authority.host().to_owned(),
            Some(port) => format!("{}:{port}", authority.host()),
        };
        let host = hyper::header::HeaderValue::from_str(&host)
            .map_err(|_| format!("`{authority}` cannot be a Host header"))?;
        let origin = Uri::builder()
            .scheme(scheme)
            .authority(authority)
            .path_and_query("/")
            .build()
            .map_err(|err| format!("not a target address: {err}"))?;
        Ok(LanePool {
            connector: super::counting_connector(connect_timeout)?,
            origin,
            host,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends `request` (its URI the absolute one) on an idle connection or a new one, and
    /// returns the response head with the connection, to be released once the body is read.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Lease<'_>), Unanswered> {
        if !request.headers().contains_key(HOST) {
            request.headers_mut().insert(HOST, self.host.clone());
        }
        origin_form(request.uri_mut());
        loop {
            let (mut connection, reused) = self.checkout().await?;
            let before = connection.read.get();
            match connection.sender.try_send_request(request).await {
                Ok(response) => {
                    let lease = Lease {
                        pool: self,
                        connection,
                    };
                    return Ok((response, lease));
                }
                Err(mut failed) => {
                    let answered = connection.read.get() > before;
                    match failed.take_message() {
                        // A reused connection that turned out closed: nothing was written, and
                        // another connection may take the request.
                        Some(unsent) if reused => request = unsent,
                        _ => {
                            return Err(Unanswered::Send {
                                error: failed.into_error(),
                                answered,
                            })
                        }
                    }
                }
            }
        }
    }

    /// An idle connection ready for a request (saying so), or a new one.
    async fn checkout(&self) -> Result<(Connection, bool), Unanswered> {
        loop {
            let idle = self.idle.lock().expect("idle list").pop();
            let Some(mut connection) = idle else { break };
            if connection.sender.ready().await.is_ok() {
                return Ok((connection, true));
            }
        }
        let stream = self
            .connector
            .clone()
            .call(self.origin.clone())
            .await
            .map_err(Unanswered::Connect)?;
        let read = BytesRead::of(&stream.connected()).unwrap_or_default();
        let (sender, driver) = hyper::client::conn::http1::handshake(stream)
            .await
            .map_err(|err| Unanswered::Connect(Box::new(err)))?;
        // The connection's own task, on the lane's runtime; it ends when the connection closes,
        // and the failure it ends with reaches the call that was using it.
        tokio::spawn(async move {
            let _ = driver.await;
        });
        Ok((Connection { sender, read }, false))
    }
}

/// The request target an HTTP/1.1 request line carries: path and query, `/` when empty.
fn origin_form(uri: &mut Uri) {
    *uri = match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => {
            let mut parts = hyper::http::uri::Parts::default();
            parts.path_and_query = Some(path.clone());
            Uri::from_parts(parts).expect("a path and query alone is a URI")
        }
        _ => Uri::default(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_target_is_the_path_and_query() {
        for (absolute, origin) in [
            ("http://h:1/orders/1?x=2", "/orders/1?x=2"),
            ("http://h:1", "/"),
            ("http://h:1/", "/"),
            ("https://h/a%20b", "/a%20b"),
        ] {
            let mut uri: Uri = absolute.parse().unwrap();
            origin_form(&mut uri);
            assert_eq!(uri, origin, "{absolute}");
        }
    }

    #[test]
    fn the_host_header_leaves_out_the_default_port() {
        let host = |scheme: Scheme, authority: &str| {
            LanePool::new(
                scheme,
                authority.parse().unwrap(),
                std::time::Duration::from_secs(1),
            )
            .unwrap()
            .host
        };
        assert_eq!(host(Scheme::HTTP, "h:80"), "h");
        assert_eq!(host(Scheme::HTTPS, "h:443"), "h");
        assert_eq!(host(Scheme::HTTP, "h:443"), "h:443");
        assert_eq!(host(Scheme::HTTP, "127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(host(Scheme::HTTPS, "[::1]:8443"), "[::1]:8443");
        assert_eq!(host(Scheme::HTTP, "example.com"), "example.com");
        assert_eq!(host(Scheme::HTTP, "user:secret@h:8080"), "h:8080");
    }
}
