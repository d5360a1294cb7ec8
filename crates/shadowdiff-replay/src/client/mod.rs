//! The HTTP clients of every outgoing call: rustls with the webpki roots, no redirects followed,
//! no proxy from the environment, bodies as sent. Replay's targets call through a pool per
//! replay lane over hyper's own connections (`lane_pool`), each connection counting what it
//! reads (`connection`), so that a failed call can tell whether an answer had begun; readiness
//! probes and the capture proxy's upstream use hyper-util's pooled client.

mod connection;
mod lane_pool;

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use connection::Counting;
pub(crate) use lane_pool::{LanePool, Unanswered};

/// Headers that describe one connection, not the message: never replayed nor forwarded.
/// `content-length` is recomputed from the body that is actually sent.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
];

/// The connector of hyper-util's clients: plain TCP for http, rustls for https.
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The connector of the lanes' pools: the same, each connection counting what it reads.
type CountingConnector = hyper_rustls::HttpsConnector<Counting<HttpConnector>>;

/// The HTTP client of calls outside a replay lane (readiness probes, the capture proxy's
/// upstream): pooled HTTP/1.1, rustls with the webpki roots, no redirects followed, no proxy
/// from the environment, bodies as sent. Connecting gives up after `connect_timeout`.
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// The same client for a proxy's requests, whose bodies are passed on as they come
/// (`shadowdiff shadow`'s primary calls).
pub type RelayClient = Client<Connector, crate::relay::Relayed>;

/// Builds an [`HttpClient`]; the error says why TLS could not be set up.
pub fn client(connect_timeout: Duration) -> Result<HttpClient, String> {
    client_for(connect_timeout)
}

/// Builds a [`RelayClient`]; the error says why TLS could not be set up.
pub fn relay_client(connect_timeout: Duration) -> Result<RelayClient, String> {
    client_for(connect_timeout)
}

/// The client for request bodies of type `B`.
fn client_for<B>(connect_timeout: Duration) -> Result<Client<Connector, B>, String>
where
    B: hyper::body::Body + Send + 'static + Unpin,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connector = https(tcp(connect_timeout))?;
    // Idle connections are not capped: in-flight requests already bound them, and a cap below
    // that closes and reopens connections all the time.
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// The connector of a lane's pool.
fn counting_connector(connect_timeout: Duration) -> Result<CountingConnector, String> {
    https(Counting(tcp(connect_timeout)))
}

/// TCP without Nagle's delay, giving up after `connect_timeout`; any scheme (the TLS layer
/// checks it).
fn tcp(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http
}

/// `tcp` with rustls for https URLs.
fn https<T>(tcp: T) -> Result<hyper_rustls::HttpsConnector<T>, String> {
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|err| format!("cannot set up TLS: {err}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp))
}

/// The error and its causes on one line, each cause once.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
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
