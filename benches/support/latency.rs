//! Client-side latency for the proxy benches: requests sent with reqwest, each one timed, and
//! the quantiles of what was measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends `count` `GET /orders/I` requests to `base`, `concurrency` at a time (closed loop);
/// returns each latency.
pub async fn measure(
    client: &reqwest::Client,
    base: &str,
    count: usize,
    concurrency: usize,
) -> Vec<Duration> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let permit = semaphore.clone().acquire_owned().await.expect("permit");
        let client = client.clone();
        let url = format!("{base}/orders/{i}");
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let response = client.get(&url).send().await.expect("send");
            assert_eq!(response.status().as_u16(), 200);
            response.bytes().await.expect("body");
            let took = start.elapsed();
            drop(permit);
            took
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.push(task.await.expect("task"));
    }
    latencies
}

/// The `q` quantile (0..1) of sorted latencies, in microseconds.
pub fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index].as_secs_f64() * 1e6
}
