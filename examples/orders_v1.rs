//! The example orders/flights API, version 1, as an HTTP service on 127.0.0.1.
//!
//! `cargo run --release --example orders_v1 -- --port 8081 --db orders.db` serves
//! `Dataset::respond_with(Version::V1, ..)` from `examples/support/orders_api.rs` (the API that
//! `recordings/` was captured from; see `examples/README.md`), its orders kept in the SQLite
//! file `--db` names (`examples/support/store.rs`: created and seeded from the dataset when
//! new; without `--db`, the dataset answers and nothing sent is kept), with fresh noise on every
//! request: request ids, timestamps and the order of unordered lists differ between calls, as
//! they do in production. `GET /health` answers `ok` (the readiness URL); SIGTERM or Ctrl-C
//! stops it. `orders_v2` is the other side of the comparison.

#[path = "support/orders_api.rs"]
mod orders_api;
#[path = "support/server.rs"]
mod server;
#[path = "support/store.rs"]
mod store;

use std::process::ExitCode;

use orders_api::{Dataset, Noise, Orders, Version, DEFAULT_SEED};
use server::NoiseSource;
use store::OrderStore;

/// The port without `--port`.
const DEFAULT_PORT: u16 = 8081;

fn main() -> ExitCode {
    server::main("orders v1", DEFAULT_PORT, |db| {
        let data = Dataset::generate(DEFAULT_SEED);
        let store: Option<OrderStore> = db
            .map(|path| {
                OrderStore::open(path, &data, Version::V1)
                    .map_err(|err| format!("cannot open the store {}: {err}", path.display()))
            })
            .transpose()?;
        let noise = NoiseSource::from_start_time();
        Ok(move |request: &_| {
            let (seed, clock_ms) = noise.next();
            let orders: &dyn Orders = match &store {
                Some(store) => store,
                None => &data,
            };
            data.respond_with(
                Version::V1,
                request,
                &mut Noise::new(seed, clock_ms),
                orders,
            )
        })
    })
}
