//! A deterministic corpus of order-like JSON documents for the benches: no randomness from the
//! environment, so every run measures the same bytes.

use serde_json::{json, Value};

/// A tiny deterministic generator (splitmix64), enough to vary documents.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next pseudo-random number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An order with `items` line items: about 2 KB with 10 items.
pub fn order(rng: &mut Rng, id: u64, items: usize) -> Value {
    let items: Vec<Value> = (0..items)
        .map(|i| {
            json!({
                "sku": format!("SKU-{id}-{i:04}"),
                "name": format!("Item number {i} of order {id}"),
                "qty": 1 + rng.below(5),
                "price": (rng.below(100_000) as f64) / 100.0,
                "tags": ["blue", "large", "gift"],
            })
        })
        .collect();
    json!({
        "id": id,
        "status": "open",
        "currency": "EUR",
        "customer": {"id": 1000 + id % 97, "name": "Ada Lovelace", "email": "ada@example.com"},
        "items": items,
        "total": (rng.below(1_000_000) as f64) / 100.0,
        "createdAt": "2026-11-20T10:00:00.123Z",
        "meta": {"requestId": format!("req-{}", rng.next()), "region": "eu-west-1"},
    })
}

/// A copy of `doc` with one price changed and one item inserted: a small, typical change.
pub fn slightly_changed(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(items) = doc["items"].as_array_mut() {
        if let Some(first) = items.first_mut() {
            first["price"] = json!(1.5);
        }
        items.insert(
            items.len() / 2,
            json!({"sku": "NEW", "name": "inserted", "qty": 1, "price": 2.0, "tags": []}),
        );
    }
    doc
}
