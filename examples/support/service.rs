//! The whole `main` of the example orders services, v1 and v2 alike: `--port N` and `--db PATH`
//! read, the store opened (and seeded when new), and `Dataset::respond_with` served with fresh
//! noise on every request.

use std::process::ExitCode;

use crate::orders_api::{Dataset, Noise, Orders, Version, DEFAULT_SEED};
use crate::server::{self, NoiseSource};
use crate::store::OrderStore;

/// Serves `version` of the API as the service called `name` (`orders v1`) on `default_port`
/// unless `--port` says otherwise.
pub fn main(name: &str, default_port: u16, version: Version) -> ExitCode {
    server::main(name, default_port, |db| {
        let data = Dataset::generate(DEFAULT_SEED);
        let store: Option<OrderStore> = db
            .map(|path| {
                OrderStore::open(path, &data, version)
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
            data.respond_with(version, request, &mut Noise::new(seed, clock_ms), orders)
        })
    })
}
