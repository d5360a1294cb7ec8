//! The example orders/flights API, version 2, as an HTTP service on 127.0.0.1.
//!
//! `cargo run --release --example orders_v2 -- --port 8082 --db orders.db` serves
//! `Dataset::respond_with(Version::V2, ..)` from `examples/support/orders_api.rs` (the API that
//! `recordings/` was captured from; see `examples/README.md`), its orders kept in the SQLite
//! file `--db` names (`examples/support/store.rs`: created and seeded from the dataset when
//! new; without `--db`, the dataset answers and nothing sent is kept), with fresh noise on every
//! request: request ids, timestamps and the order of unordered lists differ between calls, as
//! they do in production. `GET /health` answers `ok` (the readiness URL); SIGTERM or Ctrl-C
//! stops it. `orders_v1` is the other side of the comparison.

#[path = "support/orders_api.rs"]
mod orders_api;
#[path = "support/server.rs"]
mod server;
#[path = "support/service.rs"]
mod service;
#[path = "support/store.rs"]
mod store;

use std::process::ExitCode;

use orders_api::Version;

/// The port without `--port`.
const DEFAULT_PORT: u16 = 8082;

fn main() -> ExitCode {
    service::main("orders v2", DEFAULT_PORT, Version::V2)
}
