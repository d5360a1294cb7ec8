//! Why replay calls its targets over hyper's own connections and not through reqwest or
//! hyper-util's pooled client: the request rate of a bare loop of 40 000 keep-alive GETs (32 in
//! flight, one task each, on a multi-threaded runtime) against the replay bench's local server,
//! through reqwest, through hyper-util's pooled client (what the capture proxy uses), and over
//! raw hyper connections with a trivial pool (what a replay lane's pool in
//! `crates/shadowdiff-replay/src/client/lane_pool.rs` does, without its lane). CPU time is the
//! whole process's, the in-process server's included.
//!
//! Run with `cargo bench --bench http_client`; two rounds of each.

#[path = "support/json_server.rs"]
mod json_server;

use std::time::Instant;

use futures_util::stream::{self, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;

/// CPU seconds (user + system) of the whole process so far.
fn cpu() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Requests per client and round.
const N: usize = 40_000;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let url = json_server::start(1, Bytes::from(vec![b'x'; 942]));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for round in 0..2 {
        // reqwest, configured as replay configured it.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let (c0, t0) = (cpu(), Instant::now());
        rt.block_on(async {
            stream::iter(0..N)
                .map(|i| {
                    let client = client.clone();
                    let url = format!("{url}/orders/{i}");
                    tokio::spawn(async move {
                        let r = client
                            .get(&url)
                            .header("accept", "application/json")
                            .send()
                            .await
                            .unwrap();
                        r.bytes().await.unwrap().len()
                    })
                })
                .buffer_unordered(32)
                .for_each(|_| async {})
                .await;
        });
        let (w, c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
        println!(
            "round {round} reqwest:      {:>6.0} requests/s, {:>5.1} µs CPU a request",
            N as f64 / w,
            c * 1e6 / N as f64
        );
        // hyper-util's pooled client, as replay uses it.
        let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        let (c0, t0) = (cpu(), Instant::now());
        rt.block_on(async {
            stream::iter(0..N)
                .map(|i| {
                    let client = client.clone();
                    let uri: hyper::Uri = format!("{url}/orders/{i}").parse().unwrap();
                    tokio::spawn(async move {
                        let req = hyper::Request::get(uri)
                            .header("accept", "application/json")
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        let r = client.request(req).await.unwrap();
                        r.into_body().collect().await.unwrap().to_bytes().len()
                    })
                })
                .buffer_unordered(32)
                .for_each(|_| async {})
                .await;
        });
        let (w, c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
        println!(
            "round {round} hyper-util:   {:>6.0} requests/s, {:>5.1} µs CPU a request",
            N as f64 / w,
            c * 1e6 / N as f64
        );
        // Raw hyper connections, a trivial pool: the ceiling.
        let addr = url.trim_start_matches("http://").to_string();
        let pool: std::sync::Arc<
            std::sync::Mutex<Vec<hyper::client::conn::http1::SendRequest<Full<Bytes>>>>,
        > = Default::default();
        let (c0, t0) = (cpu(), Instant::now());
        rt.block_on(async {
            stream::iter(0..N)
                .map(|i| {
                    let pool = pool.clone();
                    let addr = addr.clone();
                    let path = format!("/orders/{i}");
                    tokio::spawn(async move {
                        let taken = pool.lock().unwrap().pop();
                        let mut sender = match taken {
                            Some(s) => s,
                            None => {
                                let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                                stream.set_nodelay(true).unwrap();
                                let (s, conn) = hyper::client::conn::http1::handshake(
                                    hyper_util::rt::TokioIo::new(stream),
                                )
                                .await
                                .unwrap();
                                tokio::spawn(conn);
                                s
                            }
                        };
                        let req = hyper::Request::get(path)
                            .header("host", &addr)
                            .header("accept", "application/json")
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        let r = sender.send_request(req).await.unwrap();
                        let n = r.into_body().collect().await.unwrap().to_bytes().len();
                        pool.lock().unwrap().push(sender);
                        n
                    })
                })
                .buffer_unordered(32)
                .for_each(|_| async {})
                .await;
        });
        let (w, c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
        println!(
            "round {round} raw hyper:    {:>6.0} requests/s, {:>5.1} µs CPU a request",
            N as f64 / w,
            c * 1e6 / N as f64
        );
    }
}
