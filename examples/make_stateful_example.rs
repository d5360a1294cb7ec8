//! Generates the stateful example's recording (`examples/stateful/sessions.jsonl`): eight
//! sessions of "production" traffic that create, read, change and cancel orders, answered by v1
//! keeping its orders in a store (an in-memory copy of the services' SQLite store, seeded from
//! the same dataset).
//!
//! `cargo run --example make_stateful_example` writes the same bytes on every run. Production's
//! store held more orders than the seed when the traffic was captured, so the recorded ids of
//! created orders (1261, ...) are neither v1's (1241, ... from the seed) nor v2's (UUIDs): a
//! replay must carry each side's own ids into the later requests of the session.

#[path = "support/orders_api.rs"]
mod orders_api;
#[path = "support/store.rs"]
mod store;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use serde_json::{json, Value};
use shadowdiff_core::{Body, Exchange, Request};

use orders_api::{
    rfc3339, unix_day, uuid, Dataset, Noise, OrderId, SplitMix64, Version, DEFAULT_SEED, PRODUCTS,
};
use store::OrderStore;

/// Where the recording goes, relative to the package root.
const FILE: &str = "examples/stateful/sessions.jsonl";

/// The seed of the sessions' choices and noise.
const SEED: u64 = 0x5e55_1015;

/// Orders production had created beyond the seed when the traffic was captured.
const EARLIER_ORDERS: usize = 20;

/// What one step of a session does.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `POST /orders`: the session's order.
    Create,
    /// `GET /orders/{id}`.
    Read,
    /// `PATCH /orders/{id}` with new items.
    ChangeItems,
    /// `PATCH /orders/{id}` with new tags.
    ChangeTags,
    /// `POST /orders/{id}/cancel`.
    Cancel,
}

/// The sessions: each creates its order first, except the last two, which work on orders of
/// the seed.
const SESSIONS: &[&[Step]] = &[
    &[Step::Create, Step::Read, Step::ChangeItems, Step::Read],
    &[
        Step::Create,
        Step::Read,
        Step::ChangeTags,
        Step::Cancel,
        Step::Read,
    ],
    &[Step::Create, Step::Cancel, Step::Read],
    &[
        Step::Create,
        Step::Read,
        Step::ChangeItems,
        Step::ChangeItems,
        Step::Read,
    ],
    &[Step::Create, Step::Read],
    &[Step::Create, Step::ChangeItems, Step::Cancel, Step::Read],
    &[Step::Read, Step::ChangeItems, Step::Read],
    &[Step::Read, Step::Cancel, Step::Read],
];

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = generate()?;
    assert_eq!(text, generate()?, "the generator is not a pure function");
    for (n, line) in text.lines().enumerate() {
        let exchange: Exchange = serde_json::from_str(line)
            .map_err(|err| format!("line {} does not decode: {err}", n + 1))?;
        assert_eq!(
            serde_json::to_string(&exchange)?,
            line,
            "line {} round trip",
            n + 1
        );
    }
    let path = root.join(FILE);
    std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    std::fs::write(&path, &text)?;
    println!(
        "wrote {} ({} exchanges of {} sessions)",
        path.display(),
        text.lines().count(),
        SESSIONS.len()
    );
    Ok(())
}

/// The recording: step by step, each session's next step in turn (sessions interleave in the
/// file, as concurrent users do), answered by v1 from its store.
fn generate() -> Result<String, Box<dyn Error>> {
    let data = Dataset::generate(DEFAULT_SEED);
    let production = OrderStore::in_memory(&data, Version::V1)?;
    let mut rng = SplitMix64::new(SEED);
    let start = unix_day("2026-11-21") * 1000 + 14 * 3_600_000;
    let mut noise = Noise::new(SEED ^ 1, start);
    for _ in 0..EARLIER_ORDERS {
        let request = create(&data, &mut rng, start);
        data.respond_with(Version::V1, &request, &mut noise, &production);
    }
    let seeded: Vec<u32> = data
        .orders
        .iter()
        .filter(|o| o.status == "open")
        .filter_map(|o| match o.id {
            OrderId::Number(n) => Some(n),
            OrderId::Uuid(_) => None,
        })
        .take(2)
        .collect();
    let mut orders: BTreeMap<usize, String> = SESSIONS
        .iter()
        .enumerate()
        .filter(|(_, steps)| !matches!(steps[0], Step::Create))
        .zip(&seeded)
        .map(|((s, _), id)| (s, id.to_string()))
        .collect();
    let mut clock = start + 60_000;
    let mut out = String::new();
    let longest = SESSIONS.iter().map(|steps| steps.len()).max().unwrap_or(0);
    let mut n = 0;
    for step in 0..longest {
        for (s, steps) in SESSIONS.iter().enumerate() {
            let Some(&what) = steps.get(step) else {
                continue;
            };
            clock += rng.range(200, 3000);
            let mut request = match what {
                Step::Create => create(&data, &mut rng, clock),
                Step::Read => call("GET", &format!("/orders/{}", orders[&s]), None),
                Step::ChangeItems => call(
                    "PATCH",
                    &format!("/orders/{}", orders[&s]),
                    Some(json!({"items": lines(&mut rng)})),
                ),
                Step::ChangeTags => call(
                    "PATCH",
                    &format!("/orders/{}", orders[&s]),
                    Some(json!({"tags": ["gift", "priority"]})),
                ),
                Step::Cancel => call("POST", &format!("/orders/{}/cancel", orders[&s]), None),
            };
            request
                .headers
                .push(("x-session-id".to_string(), format!("sess-{:02}", s + 1)));
            noise.set_clock(clock + rng.range(3, 40));
            let response = data.respond_with(Version::V1, &request, &mut noise, &production);
            if let Step::Create = what {
                let body: Value = serde_json::from_slice(response.body.bytes())?;
                orders.insert(s, body["id"].to_string());
            }
            n += 1;
            let exchange = Exchange {
                id: format!("s{:02}-{n:02}", s + 1),
                ts: Some(rfc3339(clock, true)),
                request,
                response: Some(response),
                tags: BTreeMap::from([("source".to_string(), "prod-eu".to_string())]),
            };
            out.push_str(&serde_json::to_string(&exchange)?);
            out.push('\n');
        }
    }
    Ok(out)
}

/// `POST /orders` for a customer of the dataset, placed at `clock`.
fn create(data: &Dataset, rng: &mut SplitMix64, clock: u64) -> Request {
    let order = json!({
        "customerId": rng.pick(&data.customers).id,
        "items": lines(rng),
        "tags": if rng.percent(30) { json!(["express"]) } else { json!([]) },
        "placedAt": rfc3339(clock / 1000 * 1000, false),
    });
    let mut request = call("POST", "/orders", Some(order));
    request
        .headers
        .push(("idempotency-key".to_string(), uuid(rng)));
    request
}

/// One to three lines of distinct products.
fn lines(rng: &mut SplitMix64) -> Vec<Value> {
    let mut skus: Vec<&str> = PRODUCTS.iter().map(|p| p.0).collect();
    rng.shuffle(&mut skus);
    skus[..rng.range(1, 3) as usize]
        .iter()
        .map(|sku| json!({"sku": sku, "qty": rng.range(1, 3)}))
        .collect()
}

/// A request of the orders web client, with `body` as JSON.
fn call(method: &str, url: &str, body: Option<Value>) -> Request {
    let mut headers = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), "orders-web/4.2.0".to_string()),
        (
            "authorization".to_string(),
            "Bearer example-not-a-secret".to_string(),
        ),
    ];
    if body.is_some() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    Request {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        body: body.map_or(Body::Empty, |body| Body::Text(body.to_string())),
    }
}
