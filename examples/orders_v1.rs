//! The example orders/flights API, version 1, as an HTTP service on 127.0.0.1.
//!
//! `cargo run --release --example orders_v1 -- --port 8081` serves
//! `Dataset::respond(Version::V1, ..)` from `examples/support/orders_api.rs` (the API that
//! `recordings/` was captured from; see `examples/README.md`), with fresh noise on every
//! request: request ids, timestamps and the order of unordered lists differ between calls, as
//! they do in production. `GET /health` answers `ok` (the readiness URL); SIGTERM or Ctrl-C
//! stops it. `orders_v2` is the other side of the comparison.

#[path = "support/orders_api.rs"]
mod orders_api;
#[path = "support/server.rs"]
mod server;

use std::process::ExitCode;

use orders_api::{Dataset, Noise, Version, DEFAULT_SEED};
use server::NoiseSource;

/// The port without `--port`.
const DEFAULT_PORT: u16 = 8081;

fn main() -> ExitCode {
    let data = Dataset::generate(DEFAULT_SEED);
    let noise = NoiseSource::from_start_time();
    server::main("orders v1", DEFAULT_PORT, move |request| {
        let (seed, clock_ms) = noise.next();
        data.respond(Version::V1, request, &mut Noise::new(seed, clock_ms))
    })
}
