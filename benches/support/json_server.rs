//! A fast local HTTP/1.1 server for benches: every request gets the same JSON body.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Starts the server on 127.0.0.1 with its own `threads`-worker runtime in a background thread,
/// answering `body` as application/json with keep-alive; returns its base URL.
pub fn start(threads: usize, body: Bytes) -> String {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("bind 127.0.0.1:0");
            addr_tx
                .send(listener.local_addr().expect("local address"))
                .expect("send address");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_request: hyper::Request<Incoming>| {
                        let mut response = hyper::Response::new(Full::new(body.clone()));
                        response
                            .headers_mut()
                            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                        async move { Ok::<_, std::convert::Infallible>(response) }
                    });
                    // A client hanging up mid-request concerns that client only.
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    format!("http://{}", addr_rx.recv().expect("server address"))
}
