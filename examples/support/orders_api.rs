//! The example orders/flights API that `recordings/` was captured from, as pure functions.
//!
//! A [`Dataset`] (customers, orders with items, flights with seats) is generated from a seed;
//! [`Dataset::respond`] answers one [`Request`] the way the old ([`Version::V1`]) or the new
//! ([`Version::V2`]) implementation does. Everything volatile (request ids, timestamps,
//! millisecond jitter, the order of unordered lists, float summation order) comes from a
//! [`Noise`], so two answers of the same version to the same request differ only in noise.
//! No I/O and no clock: the HTTP example services and `make_example` drive these functions.
//!
//! Orders are found and kept through [`Orders`]: the generated dataset itself (read only, so
//! [`Dataset::respond`] stays a pure function), or the services' SQLite store
//! (`support/store.rs`), where creates, changes and cancels last. v1 numbers the orders it
//! creates; v2 names them by UUID.
//!
//! Deliberate v2 changes (see `examples/README.md`): flight fares are strings, customers lose
//! `loyalty.points`, cancelled orders answer 404 instead of 410, and a changed order keeps its
//! revision in v2's store (the answer does not show it: only the stores compared tell).

// Shared by several examples through `#[path]`; each of them uses only a part of it.
#![allow(dead_code)]

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Value};
use shadowdiff_core::{header, Body, Headers, Request, Response};

/// The seed of the dataset behind the committed recordings.
pub const DEFAULT_SEED: u64 = 0x0005_1ade_d1ff_2026;

/// Orders per page of `GET /orders`.
pub const PAGE_SIZE: usize = 10;

/// A tiny, fast, deterministic PRNG (splitmix64); good enough for example data, not for secrets.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with the given probability in percent.
    pub fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Shuffles in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Which implementation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// The old implementation, serving production.
    V1,
    /// The new implementation, with the deliberate changes.
    V2,
}

impl Version {
    /// The `server` header value.
    pub fn server(self) -> &'static str {
        match self {
            Version::V1 => "orders-api/1.14.2",
            Version::V2 => "orders-api/2.0.0-rc.3",
        }
    }
}

/// The volatile part of every answer: ids, the clock, and the order of unordered lists.
#[derive(Clone, Debug)]
pub struct Noise {
    rng: SplitMix64,
    clock_ms: u64,
}

impl Noise {
    /// Noise from its own seed, with the clock at `clock_ms` (Unix milliseconds).
    pub fn new(seed: u64, clock_ms: u64) -> Noise {
        Noise {
            rng: SplitMix64::new(seed),
            clock_ms,
        }
    }

    /// Sets the clock (Unix milliseconds) that `date` and `meta.generatedAt` show.
    pub fn set_clock(&mut self, clock_ms: u64) {
        self.clock_ms = clock_ms;
    }

    /// The clock, in Unix milliseconds.
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }

    /// A fresh UUID: the id v2 gives an order it creates.
    pub fn uuid(&mut self) -> String {
        uuid(&mut self.rng)
    }

    fn request_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64())
    }

    fn millis(&mut self) -> u64 {
        self.rng.below(1000)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        self.rng.shuffle(items);
    }
}

/// A product of the catalogue: sku, name, price in cents.
pub const PRODUCTS: &[(&str, &str, u32)] = &[
    ("SKU-1001", "Espresso beans 1 kg", 1899),
    ("SKU-1002", "Pour-over kettle", 4250),
    ("SKU-1003", "Paper filters (100)", 499),
    ("SKU-1004", "Ceramic mug", 1299),
    ("SKU-1005", "Burr grinder", 12900),
    ("SKU-1006", "Milk frother", 3490),
    ("SKU-1007", "Cold brew bottle", 2199),
    ("SKU-1008", "Travel tumbler", 2450),
    ("SKU-1009", "Descaling tablets", 899),
    ("SKU-1010", "Barista scale", 5999),
    ("SKU-1011", "Tea sampler", 1575),
    ("SKU-1012", "Oat milk 6-pack", 1194),
];

/// Airports that flights connect.
pub const AIRPORTS: &[&str] = &[
    "FRA", "MUC", "BER", "CDG", "AMS", "LHR", "MAD", "VIE", "ZRH", "CPH",
];

const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kasia",
    "Luca", "Mia", "Noah", "Olga", "Pedro", "Rosa", "Sven",
];
const LAST_NAMES: &[&str] = &[
    "Almeida", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat", "Janssen",
    "Kowalski", "Larsen", "Moreau", "Novak", "Rossi", "Schmidt", "Weber",
];
const COUNTRIES: &[(&str, &str)] = &[
    ("DE", "EUR"),
    ("FR", "EUR"),
    ("NL", "EUR"),
    ("ES", "EUR"),
    ("AT", "EUR"),
    ("GB", "GBP"),
    ("CH", "CHF"),
];
const CITIES: &[&str] = &[
    "Berlin", "Lyon", "Utrecht", "Sevilla", "Graz", "Leeds", "Basel", "Hamburg",
];
const STREETS: &[&str] = &[
    "Lindenstraße",
    "Rue des Lilas",
    "Kerkstraat",
    "Calle Mayor",
    "High Street",
    "Bahnhofweg",
];
/// The tags an order may carry.
pub const TAGS: &[&str] = &[
    "gift",
    "express",
    "fragile",
    "b2b",
    "first-order",
    "promo",
    "eco-packaging",
    "priority",
];
const AIRLINES: &[&str] = &["LH", "AF", "KL", "BA", "IB", "OS", "LX", "SK"];
/// The routes flights fly: indices into [`AIRPORTS`].
pub const FLIGHT_ROUTES: &[(usize, usize)] = &[
    (0, 3),
    (0, 5),
    (1, 4),
    (2, 6),
    (3, 0),
    (4, 8),
    (5, 1),
    (7, 9),
];

/// A customer, identified by a UUID.
#[derive(Clone, Debug)]
pub struct Customer {
    /// A UUID (version 4 format).
    pub id: String,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// ISO country code.
    pub country: &'static str,
    /// The currency of the customer's orders.
    pub currency: &'static str,
    /// Sign-up time, Unix seconds.
    pub created: u64,
    /// Loyalty programme membership, if any.
    pub loyalty: Option<Loyalty>,
    /// Whether marketing e-mail is allowed.
    pub marketing_opt_in: bool,
    /// Postal addresses, the default first.
    pub addresses: Vec<Address>,
}

/// A loyalty programme membership.
#[derive(Clone, Debug)]
pub struct Loyalty {
    /// `silver`, `gold` or `platinum`.
    pub tier: &'static str,
    /// Points balance (v2 no longer shows it).
    pub points: u32,
    /// Date of joining, `YYYY-MM-DD`.
    pub member_since: String,
}

/// A postal address.
#[derive(Clone, Debug)]
pub struct Address {
    /// Address id, `addr_N`.
    pub id: String,
    /// `home`, `work`, ...
    pub label: &'static str,
    /// Street and number.
    pub line1: String,
    /// City.
    pub city: &'static str,
    /// Postcode.
    pub postcode: String,
    /// ISO country code.
    pub country: &'static str,
}

/// One line of an order.
#[derive(Clone, Debug)]
pub struct Item {
    /// Index into [`PRODUCTS`].
    pub product: usize,
    /// Quantity.
    pub qty: u32,
}

/// An order's id: v1 numbers orders; v2 names the orders it creates by UUID (the orders it took
/// over from v1 keep their numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderId {
    /// A number (every order of the dataset, and those v1 creates).
    Number(u32),
    /// A UUID (those v2 creates).
    Uuid(String),
}

impl OrderId {
    /// The id as a path segment spells it.
    pub fn parse(text: &str) -> OrderId {
        match text.parse() {
            Ok(number) => OrderId::Number(number),
            Err(_) => OrderId::Uuid(text.to_string()),
        }
    }

    /// The id as the API shows it: a number or a string.
    pub fn json(&self) -> Value {
        match self {
            OrderId::Number(number) => json!(number),
            OrderId::Uuid(text) => json!(text),
        }
    }
}

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderId::Number(number) => number.fmt(f),
            OrderId::Uuid(text) => text.fmt(f),
        }
    }
}

/// Where the order routes find and keep orders.
pub trait Orders {
    /// The order with this id.
    fn get(&self, id: &OrderId) -> Option<Order>;
    /// The orders with this status, in the order they were made.
    fn with_status(&self, status: &str) -> Vec<Order>;
    /// Keeps a new order, with the id this implementation gives it (`request` and `noise` are
    /// what it may derive one from); returns the order as kept.
    fn create(&self, version: Version, order: Order, request: &Request, noise: &mut Noise)
        -> Order;
    /// Keeps a changed order.
    fn update(&self, order: &Order);
}

/// An order.
#[derive(Clone, Debug)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Index into [`Dataset::customers`].
    pub customer: usize,
    /// `open`, `paid`, `shipped`, `delivered` or `cancelled`.
    pub status: &'static str,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Lines with distinct skus.
    pub items: Vec<Item>,
    /// Free-form labels, a set.
    pub tags: Vec<&'static str>,
    /// Revision counter, part of the v1 etag.
    pub revision: u32,
}

/// A scheduled flight.
#[derive(Clone, Debug)]
pub struct Flight {
    /// Flight code such as `LH1234`.
    pub code: String,
    /// Departure airport.
    pub from: &'static str,
    /// Arrival airport.
    pub to: &'static str,
    /// Departure, Unix seconds.
    pub departure: u64,
    /// Duration in minutes.
    pub minutes: u64,
    /// Cheapest fare in euro cents.
    pub fare_cents: u32,
    /// The cabin.
    pub seats: Vec<Seat>,
}

/// A seat of a flight.
#[derive(Clone, Debug)]
pub struct Seat {
    /// Row and letter, `3C`.
    pub seat: String,
    /// `business` or `economy`.
    pub class: &'static str,
    /// Whether it can still be booked.
    pub available: bool,
}

/// Everything the API serves, generated from a seed.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Customers.
    pub customers: Vec<Customer>,
    /// Orders, by ascending id.
    pub orders: Vec<Order>,
    /// Flights.
    pub flights: Vec<Flight>,
}

/// The statuses of an order.
pub const STATUSES: &[&str] = &["open", "paid", "shipped", "delivered", "cancelled"];

/// The first order id.
pub const FIRST_ORDER_ID: u32 = 1001;

impl Dataset {
    /// Generates the dataset; the same seed always gives the same data.
    pub fn generate(seed: u64) -> Dataset {
        let mut rng = SplitMix64::new(seed);
        let jan_2024 = unix_day("2024-01-01");
        let jan_2026 = unix_day("2026-01-01");
        let nov_2026 = unix_day("2026-11-19");
        let dec_2026 = unix_day("2026-12-01");

        let customers: Vec<Customer> = (0..60)
            .map(|n| {
                let first = *rng.pick(FIRST_NAMES);
                let last = *rng.pick(LAST_NAMES);
                let (country, currency) = *rng.pick(COUNTRIES);
                let created = rng.range(jan_2024, jan_2026);
                let loyalty = rng.percent(60).then(|| Loyalty {
                    tier: ["silver", "silver", "gold", "platinum"][rng.below(4) as usize],
                    points: rng.range(0, 5000) as u32 * 10,
                    member_since: date_only(created + rng.range(0, 200) * 86_400),
                });
                let addresses = (0..rng.range(1, 3))
                    .map(|a| Address {
                        id: format!("addr_{}", n * 10 + a + 1),
                        label: ["home", "work", "parents"][a as usize],
                        line1: format!("{} {}", rng.pick(STREETS), rng.range(1, 120)),
                        city: CITIES[rng.below(CITIES.len() as u64) as usize],
                        postcode: format!("{:05}", rng.range(1000, 99999)),
                        country,
                    })
                    .collect();
                Customer {
                    id: uuid(&mut rng),
                    name: format!("{first} {last}"),
                    email: format!(
                        "{}.{}{}@example.com",
                        ascii_lower(first),
                        ascii_lower(last),
                        n
                    ),
                    country,
                    currency,
                    created,
                    loyalty,
                    marketing_opt_in: rng.percent(35),
                    addresses,
                }
            })
            .collect();

        let orders = (0..240)
            .map(|n| {
                let mut products: Vec<usize> = (0..PRODUCTS.len()).collect();
                rng.shuffle(&mut products);
                let items = products[..rng.range(1, 4) as usize]
                    .iter()
                    .map(|&product| Item {
                        product,
                        qty: rng.range(1, 3) as u32,
                    })
                    .collect();
                let mut tags: Vec<&'static str> = TAGS.to_vec();
                rng.shuffle(&mut tags);
                tags.truncate(rng.range(0, 4) as usize);
                tags.sort_unstable();
                let status = match rng.below(100) {
                    0..=29 => "open",
                    30..=49 => "paid",
                    50..=69 => "shipped",
                    70..=89 => "delivered",
                    _ => "cancelled",
                };
                Order {
                    id: OrderId::Number(FIRST_ORDER_ID + n),
                    customer: rng.below(customers.len() as u64) as usize,
                    status,
                    created: rng.range(jan_2026, nov_2026),
                    items,
                    tags,
                    revision: rng.range(1, 6) as u32,
                }
            })
            .collect();

        let flights = (0..32)
            .map(|n| {
                let (from, to) = FLIGHT_ROUTES[n % FLIGHT_ROUTES.len()];
                let seats = (1..=4)
                    .flat_map(|row| ["A", "B", "C", "D", "E", "F"].map(|l| (row, l)))
                    .map(|(row, letter)| Seat {
                        seat: format!("{row}{letter}"),
                        class: if row == 1 { "business" } else { "economy" },
                        available: rng.percent(55),
                    })
                    .collect();
                Flight {
                    code: format!(
                        "{}{}",
                        rng.pick(AIRLINES),
                        100 + n * 97 + rng.below(90) as usize
                    ),
                    from: AIRPORTS[from],
                    to: AIRPORTS[to],
                    departure: dec_2026 + rng.below(14) * 86_400 + rng.range(24, 88) * 900,
                    minutes: rng.range(55, 170),
                    fare_cents: rng.range(49, 399) as u32 * 100 + rng.below(10) as u32 * 10,
                    seats,
                }
            })
            .collect();

        Dataset {
            customers,
            orders,
            flights,
        }
    }

    /// The order with this id.
    pub fn order(&self, id: u32) -> Option<&Order> {
        let index = id.checked_sub(FIRST_ORDER_ID)? as usize;
        self.orders.get(index)
    }

    /// The customer with this UUID.
    pub fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }

    /// The flight with this code.
    pub fn flight(&self, code: &str) -> Option<&Flight> {
        self.flights.iter().find(|f| f.code == code)
    }

    /// Answers one request as `version` would, with the volatile parts drawn from `noise`; the
    /// dataset is read only, so what a write does is answered and forgotten.
    pub fn respond(&self, version: Version, request: &Request, noise: &mut Noise) -> Response {
        self.respond_with(version, request, noise, self)
    }

    /// Answers one request as `version` would, its orders found and kept in `orders`.
    pub fn respond_with(
        &self,
        version: Version,
        request: &Request,
        noise: &mut Noise,
        orders: &dyn Orders,
    ) -> Response {
        let mut ctx = Ctx {
            version,
            request_id: noise.request_id(),
            noise,
        };
        let segments: Vec<&str> = request.path().split('/').skip(1).collect();
        let method = request.method.as_str();
        match (method, segments.as_slice()) {
            ("GET", ["health"]) => ctx.text(200, "ok"),
            ("GET", ["orders"]) => self.list_orders(&mut ctx, &query(&request.url), orders),
            ("POST", ["orders"]) => self.create_order(&mut ctx, request, orders),
            ("GET", ["orders", id]) => self.get_order(&mut ctx, id, orders),
            ("PATCH", ["orders", id]) => self.change_order(&mut ctx, id, request, orders),
            ("POST", ["orders", id, "cancel"]) => self.cancel_order(&mut ctx, id, orders),
            ("GET", ["customers", id]) => self.get_customer(&mut ctx, id),
            ("GET", ["customers", id, "addresses"]) => self.get_addresses(&mut ctx, id),
            ("GET", ["flights", "search"]) => self.search_flights(&mut ctx, &query(&request.url)),
            ("GET", ["flights", code, "seats"]) => self.get_seats(&mut ctx, code),
            (_, ["health" | "orders"] | ["orders" | "customers", _]) => ctx.error(
                405,
                "METHOD_NOT_ALLOWED",
                format!("{method} is not allowed here"),
            ),
            _ => ctx.error(
                404,
                "NOT_FOUND",
                format!("no route for {method} {}", request.path()),
            ),
        }
    }

    fn order_json(&self, ctx: &mut Ctx, order: &Order) -> Value {
        let mut items: Vec<&Item> = order.items.iter().collect();
        ctx.noise.shuffle(&mut items);
        // Summed in the (shuffled) response order, as the service does: the float jitter is real.
        let total: f64 = items
            .iter()
            .map(|item| f64::from(item.qty) * money(PRODUCTS[item.product].2))
            .sum();
        let mut tags = order.tags.clone();
        ctx.noise.shuffle(&mut tags);
        let customer = &self.customers[order.customer];
        json!({
            "id": order.id.json(),
            "customerId": customer.id,
            "status": order.status,
            "currency": customer.currency,
            "createdAt": ctx.jittered(order.created),
            "items": items.iter().map(|item| {
                let (sku, name, price) = PRODUCTS[item.product];
                json!({"sku": sku, "name": name, "qty": item.qty, "price": money(price)})
            }).collect::<Vec<_>>(),
            "tags": tags,
            "total": total,
            "meta": ctx.meta(),
        })
    }

    fn get_order(&self, ctx: &mut Ctx, id: &str, orders: &dyn Orders) -> Response {
        let Some(order) = orders.get(&OrderId::parse(id)) else {
            return ctx.error(404, "NOT_FOUND", format!("order {id} not found"));
        };
        if order.status == "cancelled" {
            return match ctx.version {
                Version::V1 => {
                    ctx.error(410, "ORDER_CANCELLED", format!("order {id} was cancelled"))
                }
                Version::V2 => ctx.error(404, "NOT_FOUND", format!("order {id} not found")),
            };
        }
        let body = self.order_json(ctx, &order);
        let etag = ctx.etag(&format!("order-{}", order.id), order.revision);
        ctx.json(200, &body, Some(etag), "private, max-age=0")
    }

    fn list_orders(&self, ctx: &mut Ctx, query: &[(&str, &str)], orders: &dyn Orders) -> Response {
        let status = param(query, "status").unwrap_or("open");
        let Ok(page) = param(query, "page").unwrap_or("1").parse::<usize>() else {
            return ctx.error(400, "BAD_REQUEST", "page must be a positive integer".into());
        };
        if page == 0 {
            return ctx.error(400, "BAD_REQUEST", "page must be a positive integer".into());
        }
        let matching: Vec<Order> = orders.with_status(status);
        let rows: Vec<Value> = matching
            .iter()
            // Saturating: a huge page number is an empty page, not an overflow.
            .skip((page - 1).saturating_mul(PAGE_SIZE))
            .take(PAGE_SIZE)
            .map(|order| {
                let mut items: Vec<&Item> = order.items.iter().collect();
                ctx.noise.shuffle(&mut items);
                let total: f64 = items
                    .iter()
                    .map(|item| f64::from(item.qty) * money(PRODUCTS[item.product].2))
                    .sum();
                let customer = &self.customers[order.customer];
                json!({
                    "id": order.id.json(),
                    "customerId": customer.id,
                    "status": order.status,
                    "currency": customer.currency,
                    "createdAt": ctx.jittered(order.created),
                    "itemCount": order.items.len(),
                    "total": total,
                })
            })
            .collect();
        let body = json!({
            "orders": rows,
            "page": page,
            "pageSize": PAGE_SIZE,
            "totalCount": matching.len(),
            "meta": ctx.meta(),
        });
        ctx.json(200, &body, None, "private, max-age=0")
    }

    fn create_order(&self, ctx: &mut Ctx, request: &Request, orders: &dyn Orders) -> Response {
        let parsed: Option<Value> = serde_json::from_slice(request.body.bytes()).ok();
        let Some(parsed) = parsed else {
            return ctx.error(400, "BAD_REQUEST", "the body must be a JSON object".into());
        };
        let customer_id = parsed["customerId"].as_str().unwrap_or_default();
        let Some(customer) = self.customers.iter().position(|c| c.id == customer_id) else {
            return ctx.error(
                422,
                "UNPROCESSABLE",
                format!("unknown customer {customer_id:?}"),
            );
        };
        let items = match items(&parsed["items"]) {
            Ok(items) => items,
            Err(why) => return ctx.error(422, "UNPROCESSABLE", why),
        };
        if items.is_empty() {
            return ctx.error(422, "UNPROCESSABLE", "an order needs items".into());
        }
        // An order placed at a checkout says when; otherwise it is stamped with the clock.
        let created = parsed["placedAt"]
            .as_str()
            .and_then(|at| humantime::parse_rfc3339(at).ok())
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or(ctx.noise.clock_ms() / 1000, |at| at.as_secs());
        let order = Order {
            id: OrderId::Number(0),
            customer,
            status: "open",
            created,
            items,
            tags: tags(&parsed["tags"]),
            revision: 1,
        };
        let order = orders.create(ctx.version, order, request, ctx.noise);
        let body = self.order_json(ctx, &order);
        let etag = ctx.etag(&format!("order-{}", order.id), order.revision);
        let mut response = ctx.json(201, &body, Some(etag), "no-store");
        response
            .headers
            .push(("location".into(), format!("/orders/{}", order.id)));
        response
    }

    /// `PATCH /orders/{id}`: new items and tags (`items`, `tags`: each optional). v1 counts the
    /// revision up; v2 keeps it as it was (its etag still changes, from the new contents).
    fn change_order(
        &self,
        ctx: &mut Ctx,
        id: &str,
        request: &Request,
        orders: &dyn Orders,
    ) -> Response {
        let Some(mut order) = orders.get(&OrderId::parse(id)) else {
            return ctx.error(404, "NOT_FOUND", format!("order {id} not found"));
        };
        let Ok(parsed) = serde_json::from_slice::<Value>(request.body.bytes()) else {
            return ctx.error(400, "BAD_REQUEST", "the body must be a JSON object".into());
        };
        if order.status == "cancelled" {
            return ctx.error(409, "CONFLICT", format!("order {id} was cancelled"));
        }
        if !parsed["items"].is_null() {
            match items(&parsed["items"]) {
                Ok(items) if !items.is_empty() => order.items = items,
                Ok(_) => return ctx.error(422, "UNPROCESSABLE", "an order needs items".into()),
                Err(why) => return ctx.error(422, "UNPROCESSABLE", why),
            }
        }
        if !parsed["tags"].is_null() {
            order.tags = tags(&parsed["tags"]);
        }
        if ctx.version == Version::V1 {
            order.revision += 1;
        }
        orders.update(&order);
        let body = self.order_json(ctx, &order);
        let etag = ctx.etag(&format!("order-{}", order.id), order.revision);
        ctx.json(200, &body, Some(etag), "no-store")
    }

    /// `POST /orders/{id}/cancel`: the order is cancelled (a cancelled one is a conflict).
    fn cancel_order(&self, ctx: &mut Ctx, id: &str, orders: &dyn Orders) -> Response {
        let Some(mut order) = orders.get(&OrderId::parse(id)) else {
            return ctx.error(404, "NOT_FOUND", format!("order {id} not found"));
        };
        if order.status == "cancelled" {
            return ctx.error(409, "CONFLICT", format!("order {id} was cancelled"));
        }
        order.status = "cancelled";
        order.revision += 1;
        orders.update(&order);
        let body = self.order_json(ctx, &order);
        let etag = ctx.etag(&format!("order-{}", order.id), order.revision);
        ctx.json(200, &body, Some(etag), "no-store")
    }

    fn get_customer(&self, ctx: &mut Ctx, id: &str) -> Response {
        let Some(customer) = self.customer(id) else {
            return ctx.error(404, "NOT_FOUND", format!("customer {id} not found"));
        };
        let loyalty = match &customer.loyalty {
            None => Value::Null,
            Some(l) => match ctx.version {
                Version::V1 => {
                    json!({"tier": l.tier, "points": l.points, "memberSince": l.member_since})
                }
                Version::V2 => json!({"tier": l.tier, "memberSince": l.member_since}),
            },
        };
        let body = json!({
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "country": customer.country,
            "createdAt": ctx.jittered(customer.created),
            "loyalty": loyalty,
            "marketingOptIn": customer.marketing_opt_in,
            "meta": ctx.meta(),
        });
        let etag = ctx.etag(&customer.id, 1);
        ctx.json(200, &body, Some(etag), "private, max-age=60")
    }

    fn get_addresses(&self, ctx: &mut Ctx, id: &str) -> Response {
        let Some(customer) = self.customer(id) else {
            return ctx.error(404, "NOT_FOUND", format!("customer {id} not found"));
        };
        let addresses: Vec<Value> = customer
            .addresses
            .iter()
            .enumerate()
            .map(|(n, a)| {
                json!({
                    "id": a.id, "label": a.label, "line1": a.line1, "city": a.city,
                    "postcode": a.postcode, "country": a.country, "default": n == 0,
                })
            })
            .collect();
        let body = json!({"customerId": customer.id, "addresses": addresses, "meta": ctx.meta()});
        ctx.json(200, &body, None, "private, max-age=60")
    }

    fn search_flights(&self, ctx: &mut Ctx, query: &[(&str, &str)]) -> Response {
        let (Some(from), Some(to)) = (param(query, "from"), param(query, "to")) else {
            return ctx.error(400, "BAD_REQUEST", "from and to are required".into());
        };
        let mut found: Vec<&Flight> = self
            .flights
            .iter()
            .filter(|f| f.from == from && f.to == to)
            .collect();
        found.sort_by(|a, b| a.fare_cents.cmp(&b.fare_cents).then(a.code.cmp(&b.code)));
        let results: Vec<Value> = found
            .iter()
            .map(|f| {
                let amount = match ctx.version {
                    Version::V1 => json!(money(f.fare_cents)),
                    Version::V2 => {
                        json!(format!("{}.{:02}", f.fare_cents / 100, f.fare_cents % 100))
                    }
                };
                json!({
                    "code": f.code,
                    "from": f.from,
                    "to": f.to,
                    "departure": rfc3339(f.departure * 1000, false),
                    "arrival": rfc3339((f.departure + f.minutes * 60) * 1000, false),
                    "fare": {"amount": amount, "currency": "EUR"},
                    "seatsLeft": f.seats.iter().filter(|s| s.available).count(),
                })
            })
            .collect();
        let body = json!({
            "query": {"from": from, "to": to},
            "results": results,
            "meta": ctx.meta(),
        });
        ctx.json(200, &body, None, "public, max-age=60")
    }

    fn get_seats(&self, ctx: &mut Ctx, code: &str) -> Response {
        let Some(flight) = self.flight(code) else {
            return ctx.error(404, "NOT_FOUND", format!("flight {code} not found"));
        };
        let mut seats: Vec<Value> = flight
            .seats
            .iter()
            .map(|s| json!({"seat": s.seat, "class": s.class, "available": s.available}))
            .collect();
        // The seat map comes from a hash map in both implementations: no order is promised.
        ctx.noise.shuffle(&mut seats);
        ctx.json(200, &Value::Array(seats), None, "no-store")
    }
}

/// One answer in the making: the version, this answer's request id, and the noise.
struct Ctx<'a> {
    version: Version,
    request_id: String,
    noise: &'a mut Noise,
}

impl Ctx<'_> {
    fn meta(&mut self) -> Value {
        let generated = self.noise.clock_ms() + self.noise.rng.below(40);
        json!({"requestId": self.request_id, "generatedAt": rfc3339(generated, true)})
    }

    /// A stored second-precision time shown with noisy milliseconds (read from a cache that
    /// keeps sub-second parts, unlike the database).
    fn jittered(&mut self, secs: u64) -> String {
        rfc3339(secs * 1000 + self.noise.millis(), true)
    }

    /// v1 etags are weak `id-revision` tags; v2 hashes them: opaque either way.
    fn etag(&self, resource: &str, revision: u32) -> String {
        match self.version {
            Version::V1 => format!("W/\"{resource}-{revision}\""),
            Version::V2 => format!(
                "\"{:016x}\"",
                fnv1a(format!("{resource}#{revision}").as_bytes())
            ),
        }
    }

    fn headers(&self, content_type: &str, etag: Option<String>, cache: &str) -> Headers {
        let mut headers = vec![
            ("content-type".to_string(), content_type.to_string()),
            ("date".to_string(), http_date(self.noise.clock_ms())),
            ("server".to_string(), self.version.server().to_string()),
            ("x-request-id".to_string(), self.request_id.clone()),
        ];
        if let Some(etag) = etag {
            headers.push(("etag".to_string(), etag));
        }
        headers.push(("cache-control".to_string(), cache.to_string()));
        headers
    }

    fn json(&self, status: u16, body: &Value, etag: Option<String>, cache: &str) -> Response {
        Response {
            status,
            headers: self.headers("application/json", etag, cache),
            body: Body::Text(body.to_string()),
        }
    }

    fn text(&self, status: u16, text: &str) -> Response {
        Response {
            status,
            headers: self.headers("text/plain; charset=utf-8", None, "no-store"),
            body: Body::Text(text.to_string()),
        }
    }

    fn error(&mut self, status: u16, code: &str, message: String) -> Response {
        let body = json!({
            "error": {"code": code, "message": message},
            "meta": {"requestId": self.request_id},
        });
        self.json(status, &body, None, "no-store")
    }
}

/// The items of a request body (`[{"sku", "qty"}]`), or why they are refused.
fn items(lines: &Value) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for line in lines.as_array().map(Vec::as_slice).unwrap_or_default() {
        let sku = line["sku"].as_str().unwrap_or_default();
        let qty = line["qty"].as_u64().unwrap_or(0);
        let Some(product) = PRODUCTS.iter().position(|p| p.0 == sku) else {
            return Err(format!("unknown sku {sku:?}"));
        };
        if !(1..=99).contains(&qty) {
            return Err(format!("qty of {sku} must be 1..99"));
        }
        items.push(Item {
            product,
            qty: qty as u32,
        });
    }
    Ok(items)
}

/// The known tags of a request body's list; others are dropped.
fn tags(tags: &Value) -> Vec<&'static str> {
    tags.as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            TAGS.iter()
                .copied()
                .find(|known| Some(*known) == t.as_str())
        })
        .collect()
}

/// The dataset as a store that keeps nothing: an order is found by its number, a created one is
/// numbered from its idempotency key (so a replayed create is stable), and changes are
/// answered and forgotten.
impl Orders for Dataset {
    fn get(&self, id: &OrderId) -> Option<Order> {
        match id {
            OrderId::Number(number) => self.order(*number).cloned(),
            OrderId::Uuid(_) => None,
        }
    }

    fn with_status(&self, status: &str) -> Vec<Order> {
        self.orders
            .iter()
            .filter(|o| o.status == status)
            .cloned()
            .collect()
    }

    fn create(&self, _: Version, order: Order, request: &Request, _: &mut Noise) -> Order {
        let key = header(&request.headers, "idempotency-key").unwrap_or_default();
        Order {
            id: OrderId::Number(900_000 + (fnv1a(key.as_bytes()) % 100_000) as u32),
            ..order
        }
    }

    fn update(&self, _: &Order) {}
}

/// A price in cents as the JSON number the API shows.
fn money(cents: u32) -> f64 {
    f64::from(cents) / 100.0
}

/// The `name=value` pairs of the query string of `url` (no percent-decoding needed here).
fn query(url: &str) -> Vec<(&str, &str)> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

fn param<'a>(query: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    query.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' => 'e',
            'í' => 'i',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A random UUID in version 4 format.
pub fn uuid(rng: &mut SplitMix64) -> String {
    let hi = rng.next_u64();
    let lo = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        0x8000 | ((lo >> 48) & 0x3fff),
        lo & 0xffff_ffff_ffff
    )
}

/// FNV-1a, 64 bits: a stable hash for ids and etags.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Seconds since the Unix epoch of midnight UTC on a date (`2026-11-20`).
pub fn unix_day(date: &str) -> u64 {
    humantime::parse_rfc3339(&format!("{date}T00:00:00Z"))
        .expect("a valid date")
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// `2026-11-20T10:00:00.123Z` (or without the milliseconds) for Unix milliseconds.
pub fn rfc3339(unix_ms: u64, millis: bool) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(unix_ms);
    if millis {
        humantime::format_rfc3339_millis(time).to_string()
    } else {
        humantime::format_rfc3339_seconds(time).to_string()
    }
}

/// `YYYY-MM-DD` for Unix seconds.
fn date_only(secs: u64) -> String {
    rfc3339(secs * 1000, false)[..10].to_string()
}

/// An IMF-fixdate (`Fri, 20 Nov 2026 10:00:00 GMT`) for Unix milliseconds.
pub fn http_date(unix_ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(unix_ms))
}
