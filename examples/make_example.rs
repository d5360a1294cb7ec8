//! Generates the example recordings from the example orders/flights API (`examples/support`).
//!
//! `cargo run --example make_example` writes, byte for byte the same on every run:
//! - `recordings/orders-api.jsonl`: "production" traffic answered by v1, with its noise;
//! - `examples/v2-capture/orders-api.jsonl`: the same ids and requests answered by v2 with
//!   independent noise, in a different line order (as a concurrent replay writes them).
//!
//! Then it checks its own output: the generator is a pure function of the seed, every line
//! decodes to a `shadowdiff_core::Exchange` and back to the same bytes, and, judged by
//! shadowdiff itself under `comparators/orders.toml`, v1 agrees with a second v1 run (the rules
//! silence all noise) and differs from v2 in exactly the deliberate changes. It prints the counts per route and the expected signatures for the README.

#[path = "support/orders_api.rs"]
mod orders_api;

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use shadowdiff_core::{judge, Body, Exchange, Outcome, Pair, Request, Response, RuleSet};

use orders_api::{
    rfc3339, unix_day, uuid, Dataset, Noise, SplitMix64, Version, AIRPORTS, DEFAULT_SEED,
    FIRST_ORDER_ID, FLIGHT_ROUTES, PRODUCTS,
};

/// How many exchanges the recording holds.
const EXCHANGES: usize = 400;
/// The v2 capture writes lines in this many blocks' worth of completion order.
const REPLAY_BLOCK: usize = 25;
/// Where the recordings go, relative to the package root.
const V1_FILE: &str = "recordings/orders-api.jsonl";
const V2_FILE: &str = "examples/v2-capture/orders-api.jsonl";
const RULES_FILE: &str = "comparators/orders.toml";

/// The signatures the deliberate v2 changes must produce, per route, and nothing else.
const EXPECTED: &[(&str, &str)] = &[
    ("GET /customers/{id}", "body $.loyalty.points removed"),
    ("GET /flights/search", "body $.results[*].fare.amount type"),
    ("GET /orders/{id}", "body $.error.code changed"),
    ("GET /orders/{id}", "body $.error.message changed"),
    ("GET /orders/{id}", "status changed"),
];

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = Dataset::generate(DEFAULT_SEED);
    let captures = generate(&data, DEFAULT_SEED);

    let again = generate(&Dataset::generate(DEFAULT_SEED), DEFAULT_SEED);
    assert!(
        captures.v1 == again.v1 && captures.v2 == again.v2,
        "the generator is not a pure function of its seed"
    );
    let other = generate(&Dataset::generate(DEFAULT_SEED ^ 1), DEFAULT_SEED ^ 1);
    assert_ne!(captures.v1, other.v1, "the seed does not reach the output");

    let v1 = decode(&captures.v1)?;
    let v2 = decode(&captures.v2)?;
    let v1_ids: Vec<&str> = v1.iter().map(|e| e.id.as_str()).collect();
    let v2_ids: Vec<&str> = v2.iter().map(|e| e.id.as_str()).collect();
    let unique: BTreeSet<&str> = v1_ids.iter().copied().collect();
    assert_eq!(unique.len(), v1_ids.len(), "ids are not unique");
    assert_eq!(
        unique,
        v2_ids.iter().copied().collect(),
        "the captures hold other ids"
    );
    assert_ne!(v1_ids, v2_ids, "the v2 capture should be in another order");

    for (path, text) in [(V1_FILE, &captures.v1), (V2_FILE, &captures.v2)] {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        fs::write(&path, text)?;
        println!("wrote {} ({} bytes)", path.display(), text.len());
    }

    let rules = shadowdiff_io::load_rules(&root.join(RULES_FILE))?;
    summarize(&data, &rules, &v1, &v2, &captures.v1_again)
}

/// The generated captures: the two files' text and a second v1 run for the noise check.
struct Captures {
    v1: String,
    v2: String,
    v1_again: Vec<Response>,
}

/// Generates the traffic and both captures from `seed`.
fn generate(data: &Dataset, seed: u64) -> Captures {
    let mut rng = SplitMix64::new(seed ^ 0x7a11_c0de);
    let capture_start = unix_day("2026-11-20") * 1000 + 10 * 3_600_000;
    let replay_start = unix_day("2026-11-22") * 1000 + 9 * 3_600_000;

    let mut noise = Noise::new(seed ^ 0x0001, capture_start);
    let mut clock = capture_start;
    let mut exchanges = Vec::with_capacity(EXCHANGES);
    for n in 0..EXCHANGES {
        clock += rng.range(40, 2500);
        let request = request(data, &mut rng);
        noise.set_clock(clock + rng.range(3, 40));
        let response = data.respond(Version::V1, &request, &mut noise);
        exchanges.push(Exchange {
            id: format!("r{:04}", n + 1),
            ts: Some(rfc3339(clock, true)),
            request,
            response: Some(response),
            tags: BTreeMap::from([("source".to_string(), "prod-eu".to_string())]),
        });
    }
    let v1 = encode(&exchanges);

    let mut again = Noise::new(seed ^ 0x0003, capture_start + 3_600_000);
    let v1_again = exchanges
        .iter()
        .map(|e| data.respond(Version::V1, &e.request, &mut again))
        .collect();

    // A replay with bounded concurrency finishes each block of requests out of order.
    let mut order: Vec<usize> = (0..exchanges.len()).collect();
    for block in order.chunks_mut(REPLAY_BLOCK) {
        rng.shuffle(block);
    }
    let mut noise = Noise::new(seed ^ 0x0002, replay_start);
    let mut clock = replay_start;
    let replayed: Vec<Exchange> = order
        .iter()
        .map(|&n| {
            clock += rng.range(5, 60);
            noise.set_clock(clock + rng.range(3, 40));
            let mut exchange = exchanges[n].clone();
            exchange.ts = Some(rfc3339(clock, true));
            exchange.response = Some(data.respond(Version::V2, &exchange.request, &mut noise));
            exchange
        })
        .collect();

    Captures {
        v1,
        v2: encode(&replayed),
        v1_again,
    }
}

/// One request of a realistic mix over the API's routes.
fn request(data: &Dataset, rng: &mut SplitMix64) -> Request {
    const AGENTS: &[&str] = &[
        "orders-web/4.2.0",
        "orders-ios/7.1.3 (iPhone; iOS 18.1)",
        "okhttp/4.12.0",
        "python-requests/2.32.3",
    ];
    let agent = *rng.pick(AGENTS);
    let mut headers = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), agent.to_string()),
    ];
    let mut authorized = true;
    let mut method = "GET";
    let mut body = Body::Empty;
    let url = match rng.below(100) {
        0..=29 => {
            let id = if rng.percent(92) {
                FIRST_ORDER_ID + rng.below(data.orders.len() as u64) as u32
            } else {
                rng.range(20_000, 99_999) as u32
            };
            let expand = if rng.percent(20) { "?expand=items" } else { "" };
            format!("/orders/{id}{expand}")
        }
        30..=37 => {
            let status = if rng.percent(80) { "open" } else { "shipped" };
            format!("/orders?status={status}&page={}", rng.range(1, 9))
        }
        38..=55 => {
            let id = if rng.percent(94) {
                rng.pick(&data.customers).id.clone()
            } else {
                uuid(rng)
            };
            format!("/customers/{id}")
        }
        56..=61 => {
            let id = if rng.percent(92) {
                rng.pick(&data.customers).id.clone()
            } else {
                uuid(rng)
            };
            format!("/customers/{id}/addresses")
        }
        62..=75 => {
            authorized = false;
            let (from, to) = match rng.below(100) {
                0..=79 => *rng.pick(FLIGHT_ROUTES),
                80..=94 => (rng.below(10) as usize, rng.below(10) as usize),
                _ => return search_without_destination(headers, rng),
            };
            format!(
                "/flights/search?from={}&to={}",
                AIRPORTS[from], AIRPORTS[to]
            )
        }
        76..=85 => {
            authorized = false;
            let code = if rng.percent(90) {
                rng.pick(&data.flights).code.clone()
            } else {
                format!("XY{}", rng.range(1000, 9999))
            };
            format!("/flights/{code}/seats")
        }
        86..=93 => {
            authorized = false;
            headers = vec![
                ("accept".to_string(), "*/*".to_string()),
                ("user-agent".to_string(), "kube-probe/1.29".to_string()),
            ];
            "/health".to_string()
        }
        _ => {
            method = "POST";
            let mut skus: Vec<&str> = PRODUCTS.iter().map(|p| p.0).collect();
            rng.shuffle(&mut skus);
            let lines: Vec<Value> = skus[..rng.range(1, 3) as usize]
                .iter()
                .map(|sku| json!({"sku": sku, "qty": if rng.percent(90) { rng.range(1, 3) } else { 0 }}))
                .collect();
            let tags: &[&str] = if rng.percent(30) {
                &["gift", "express"]
            } else {
                &[]
            };
            let order = json!({
                "customerId": rng.pick(&data.customers).id,
                "items": lines,
                "tags": tags,
            });
            body = Body::Text(order.to_string());
            headers.push(("content-type".to_string(), "application/json".to_string()));
            headers.push(("idempotency-key".to_string(), uuid(rng)));
            "/orders".to_string()
        }
    };
    if authorized {
        headers.insert(
            2,
            (
                "authorization".to_string(),
                "Bearer example-not-a-secret".to_string(),
            ),
        );
    }
    Request {
        method: method.to_string(),
        url,
        headers,
        body,
    }
}

/// A client bug seen in production: a search without `to` (answered 400).
fn search_without_destination(headers: Vec<(String, String)>, rng: &mut SplitMix64) -> Request {
    Request {
        method: "GET".to_string(),
        url: format!("/flights/search?from={}", rng.pick(AIRPORTS)),
        headers,
        body: Body::Empty,
    }
}

/// One JSON line per exchange.
fn encode(exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for exchange in exchanges {
        out.push_str(&serde_json::to_string(exchange).expect("exchanges serialize"));
        out.push('\n');
    }
    out
}

/// Decodes every line and checks that it encodes back to the same bytes.
fn decode(text: &str) -> Result<Vec<Exchange>, Box<dyn Error>> {
    let mut exchanges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let exchange: Exchange = serde_json::from_str(line)
            .map_err(|err| format!("line {} does not decode: {err}", n + 1))?;
        assert_eq!(
            serde_json::to_string(&exchange)?,
            line,
            "line {} round trip",
            n + 1
        );
        exchanges.push(exchange);
    }
    Ok(exchanges)
}

/// Per route: exchanges, and per signature the exchanges and leaf differences showing it.
#[derive(Default)]
struct Tally {
    exchanges: usize,
    equal: usize,
    signatures: BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, found: &BTreeMap<String, usize>) {
        self.exchanges += 1;
        if found.is_empty() {
            self.equal += 1;
        }
        for (signature, differences) in found {
            let entry = self.signatures.entry(signature.clone()).or_default();
            entry.0 += 1;
            entry.1 += differences;
        }
    }
}

/// Checks the captures under the rules and prints the numbers the README quotes.
fn summarize(
    data: &Dataset,
    rules: &RuleSet,
    v1: &[Exchange],
    v2: &[Exchange],
    v1_again: &[Response],
) -> Result<(), Box<dyn Error>> {
    let raw = RuleSet::builtin();
    let by_id: BTreeMap<&str, &Exchange> = v2.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut noise: BTreeMap<String, Tally> = BTreeMap::new();
    let mut changes: BTreeMap<String, Tally> = BTreeMap::new();
    let mut truth: BTreeMap<&str, usize> = BTreeMap::new();
    for (exchange, again) in v1.iter().zip(v1_again) {
        let request = &exchange.request;
        let route = rules.route(&request.method, request.path()).name;
        let old = exchange.response.as_ref().expect("v1 answered");
        let new = by_id[exchange.id.as_str()]
            .response
            .as_ref()
            .expect("v2 answered");
        noise
            .entry(route.clone())
            .or_default()
            .add(&signatures(&raw, exchange, old, again));
        let silenced = signatures(rules, exchange, old, again);
        assert!(
            silenced.is_empty(),
            "{}: noise survives the rules: {silenced:?}",
            exchange.id
        );
        changes
            .entry(route.clone())
            .or_default()
            .add(&signatures(rules, exchange, old, new));
        if let Some(kind) = deliberate_change(data, request) {
            *truth.entry(kind).or_default() += 1;
        }
    }

    println!("\nnoise: v1 against a second v1 run, no rules (exchanges / differences)");
    for (route, tally) in &noise {
        println!(
            "  {route}: {} exchanges, {} equal",
            tally.exchanges, tally.equal
        );
        for (signature, (exchanges, differences)) in &tally.signatures {
            println!("    {signature}: {exchanges} / {differences}");
        }
    }

    println!("\nv1 against v2 under {RULES_FILE} (exchanges / differences)");
    let mut found = BTreeSet::new();
    for (route, tally) in &changes {
        println!(
            "  {route}: {} exchanges, {} equal",
            tally.exchanges, tally.equal
        );
        for (signature, (exchanges, differences)) in &tally.signatures {
            println!("    {signature}: {exchanges} / {differences}");
            found.insert((route.as_str(), signature.as_str()));
        }
    }
    let expected: BTreeSet<(&str, &str)> = EXPECTED.iter().copied().collect();
    assert_eq!(
        found, expected,
        "the signatures are not the deliberate changes"
    );
    for (route, signature) in EXPECTED {
        let kind = route.split('/').nth(1).expect("a path");
        let count = changes[*route].signatures[*signature].0;
        assert_eq!(count, truth[kind], "{route} {signature}: count off");
    }
    let total: usize = changes.values().map(|t| t.exchanges).sum();
    let equal: usize = changes.values().map(|t| t.equal).sum();
    println!(
        "\n{total} exchanges, {equal} equal under the rules, {} different",
        total - equal
    );
    Ok(())
}

/// The signatures between two responses to `exchange`'s request under `rules`, each with the
/// number of leaf differences behind it, as shadowdiff itself finds them.
fn signatures(
    rules: &RuleSet,
    exchange: &Exchange,
    old: &Response,
    new: &Response,
) -> BTreeMap<String, usize> {
    let judged = judge(
        Pair {
            id: &exchange.id,
            seq: 0,
            request: &exchange.request,
            old: Some(old),
            new: Some(new),
            noise: None,
        },
        rules,
    );
    let mut found = BTreeMap::new();
    if let Outcome::Compared(comparison) = judged.outcome {
        for difference in &comparison.differences {
            *found.entry(difference.signature().to_string()).or_default() += 1;
        }
    }
    found
}

/// Which deliberate change a request meets, by the dataset alone (the ground truth).
fn deliberate_change(data: &Dataset, request: &Request) -> Option<&'static str> {
    let segments: Vec<&str> = request.path().split('/').skip(1).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["orders", id]) => {
            let order = data.order(id.parse().ok()?)?;
            (order.status == "cancelled").then_some("orders")
        }
        ("GET", ["customers", id]) => data.customer(id)?.loyalty.as_ref().map(|_| "customers"),
        ("GET", ["flights", "search"]) => {
            let query = request.url.split_once('?')?.1;
            let pair: BTreeMap<&str, &str> =
                query.split('&').filter_map(|p| p.split_once('=')).collect();
            let (from, to) = (pair.get("from")?, pair.get("to")?);
            data.flights
                .iter()
                .any(|f| f.from == *from && f.to == *to)
                .then_some("flights")
        }
        _ => None,
    }
}
