//! Generates the data example: two SQLite stores of the example orders API (`examples/support`).
//!
//! `cargo run --example make_data_example` writes, byte for byte the same on every run:
//! - `examples/data/legacy.db`: the legacy store, tables `orders` (legacy column names, status
//!   codes, cents, `YYYY-MM-DD HH:MM:SS` times) and `customers`;
//! - `examples/data/backfill.db`: the new system's store after a backfill from the legacy one,
//!   with renamed columns, the new status names, totals in currency units, RFC 3339 times and
//!   `items` written with another key order.
//!
//! The backfill below is a migration with three planted defects that `shadowdiff data --config
//! examples/data/shadowdiff.toml` must find, and nothing else: one order it lost, notes it cut to
//! 32 characters, and legacy `VOID` orders it mapped to `refunded` instead of `cancelled`. Every
//! other difference between the stores is forgiven by the queries of
//! `examples/data/shadowdiff.toml` or the rules of `examples/data/comparators/orders.toml`. It
//! prints the planted keys for `examples/data/README.md`.
//!
//! The files are stable: each is deleted before it is written, rows go in in a fixed order in one
//! transaction, the journal mode is `DELETE` (no `-wal` file) and the file is vacuumed.

#[path = "support/orders_api.rs"]
mod orders_api;

use std::error::Error;
use std::fs;
use std::io;
use std::path::Path;

use rusqlite::{params, Connection};

use orders_api::{rfc3339, Dataset, OrderId, SplitMix64, DEFAULT_SEED, PRODUCTS};

/// Where the stores go, relative to the package root.
const LEGACY_FILE: &str = "examples/data/legacy.db";
const BACKFILL_FILE: &str = "examples/data/backfill.db";

/// The seed of the legacy store's own columns (notes, `VOID` codes, modification times).
const LEGACY_SEED: u64 = 0x0da7_a0e1_ba5e_2026;

/// Planted defect: the order the backfill lost.
const MISSING_ORDER: u32 = 1137;
/// Planted defect: the backfill's staging column for notes held this many characters.
const NOTE_LIMIT: usize = 32;
/// Orders whose note is longer than [`NOTE_LIMIT`]: the rows the truncation shows in.
const LONG_NOTES: &[(u32, &str)] = &[
    (
        1042,
        "Please leave the parcel with the neighbours at number 12",
    ),
    (
        1096,
        "Happy birthday, Greta! With love from all of us in Graz",
    ),
    (
        1205,
        "Deliver to the side entrance, the front door is blocked",
    ),
];

/// Short gift messages and delivery instructions (each within [`NOTE_LIMIT`]).
const GIFT_NOTES: &[&str] = &[
    "Happy birthday!",
    "Congratulations!",
    "Enjoy your coffee",
    "Merry Christmas",
    "Thank you!",
];
const DELIVERY_NOTES: &[&str] = &[
    "Leave at the door",
    "Ring twice, please",
    "Deliver after 6 pm",
    "Call on arrival",
    "No invoice in the parcel",
];

/// The backfill's run, Unix seconds (2026-11-28T03:00:00Z): it rewrote every `updated_at`.
const BACKFILL_RUN: u64 = 1_795_834_800;

const LEGACY_SCHEMA: &str = "
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_email TEXT NOT NULL,
    status TEXT NOT NULL,         -- NEW, PAID, SHIPPED, DELIVERED, CANCELLED, VOID
    total_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    items TEXT NOT NULL,          -- a JSON array
    created_at TEXT NOT NULL,     -- YYYY-MM-DD HH:MM:SS, UTC
    is_gift BOOLEAN NOT NULL,     -- 0 or 1
    note TEXT,                    -- as typed in the shop's form, trailing blanks included
    updated_at TEXT NOT NULL      -- YYYY-MM-DD HH:MM:SS, UTC
);
";

const BACKFILL_SCHEMA: &str = "
CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    state TEXT NOT NULL,          -- open, paid, shipped, delivered, cancelled
    total NUMERIC NOT NULL,       -- in currency units, two decimals
    currency TEXT NOT NULL,
    items TEXT NOT NULL,          -- JSON as PostgreSQL's jsonb prints it
    created_at TEXT NOT NULL,     -- RFC 3339, UTC
    gift BOOLEAN NOT NULL,
    note TEXT,                    -- trimmed
    updated_at TEXT NOT NULL      -- the backfill's run
);
";

/// A customer, as both stores hold it.
struct Customer {
    id: String,
    email: String,
    name: String,
}

/// One line of an order: sku, name, quantity, unit price in cents.
struct Line {
    sku: &'static str,
    name: &'static str,
    qty: u32,
    unit_cents: u32,
}

/// An order of the legacy store.
struct LegacyOrder {
    id: u32,
    email: String,
    status: &'static str,
    currency: &'static str,
    lines: Vec<Line>,
    /// Unix seconds.
    created: u64,
    gift: bool,
    note: Option<String>,
    /// Unix seconds.
    updated: u64,
}

/// An order of the new store, as the backfill wrote it.
struct NewOrder {
    id: u32,
    email: String,
    state: &'static str,
    /// `12.30`.
    total: String,
    currency: &'static str,
    /// Already JSON.
    items: String,
    created_at: String,
    gift: bool,
    note: Option<String>,
    updated_at: String,
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = Dataset::generate(DEFAULT_SEED);
    let customers: Vec<Customer> = data
        .customers
        .iter()
        .map(|c| Customer {
            id: c.id.clone(),
            email: c.email.clone(),
            name: c.name.clone(),
        })
        .collect();
    let legacy = legacy_orders(&data);
    let backfilled = backfill(&legacy);

    let void: Vec<u32> = legacy
        .iter()
        .filter(|o| o.status == "VOID")
        .map(|o| o.id)
        .collect();
    let truncated: Vec<u32> = legacy
        .iter()
        .filter(|o| {
            o.note
                .as_ref()
                .is_some_and(|n| n.trim_end().chars().count() > NOTE_LIMIT)
        })
        .map(|o| o.id)
        .collect();
    let long: Vec<u32> = LONG_NOTES.iter().map(|&(id, _)| id).collect();
    assert_eq!(truncated, long, "only the long notes are cut");
    assert!(!void.is_empty(), "no order is VOID");
    assert!(
        !void.contains(&MISSING_ORDER) && !long.contains(&MISSING_ORDER),
        "the planted defects overlap"
    );
    assert!(
        void.iter().all(|id| !long.contains(id)),
        "the planted defects overlap"
    );

    let path = root.join(LEGACY_FILE);
    write_store(&path, LEGACY_SCHEMA, |conn| {
        for c in &customers {
            conn.execute(
                "INSERT INTO customers (id, email, name) VALUES (?1, ?2, ?3)",
                params![c.id, c.email, c.name],
            )?;
        }
        for o in &legacy {
            conn.execute(
                "INSERT INTO orders (id, customer_email, status, total_cents, currency, items, \
                 created_at, is_gift, note, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    o.id,
                    o.email,
                    o.status,
                    total_cents(&o.lines),
                    o.currency,
                    legacy_items(&o.lines),
                    legacy_time(o.created),
                    o.gift,
                    o.note,
                    legacy_time(o.updated),
                ],
            )?;
        }
        Ok(())
    })?;
    println!(
        "wrote {} ({} bytes)",
        path.display(),
        fs::metadata(&path)?.len()
    );

    let path = root.join(BACKFILL_FILE);
    write_store(&path, BACKFILL_SCHEMA, |conn| {
        // The backfill copied customers in e-mail order: the comparison joins by key.
        let mut by_email: Vec<&Customer> = customers.iter().collect();
        by_email.sort_by(|a, b| a.email.cmp(&b.email));
        for c in by_email {
            conn.execute(
                "INSERT INTO customers (id, email, name) VALUES (?1, ?2, ?3)",
                params![c.id, c.email, c.name],
            )?;
        }
        for o in &backfilled {
            conn.execute(
                "INSERT INTO orders (order_id, email, state, total, currency, items, created_at, \
                 gift, note, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    o.id,
                    o.email,
                    o.state,
                    o.total,
                    o.currency,
                    o.items,
                    o.created_at,
                    o.gift,
                    o.note,
                    o.updated_at,
                ],
            )?;
        }
        Ok(())
    })?;
    println!(
        "wrote {} ({} bytes)",
        path.display(),
        fs::metadata(&path)?.len()
    );

    println!(
        "{} customers, {} orders in legacy, {} in backfill",
        customers.len(),
        legacy.len(),
        backfilled.len()
    );
    println!("row missing in new: id {MISSING_ORDER}");
    println!(
        "$.note changed (cut to {NOTE_LIMIT} characters): ids {}",
        list(&long)
    );
    println!(
        "$.state changed (VOID mapped to refunded): ids {}",
        list(&void)
    );
    Ok(())
}

/// The legacy store's orders: the API's orders with the legacy status codes, the customer's
/// e-mail copied into the order, and notes.
fn legacy_orders(data: &Dataset) -> Vec<LegacyOrder> {
    let mut rng = SplitMix64::new(LEGACY_SEED);
    data.orders
        .iter()
        .map(|order| {
            let OrderId::Number(id) = order.id else {
                unreachable!("the dataset numbers its orders")
            };
            let customer = &data.customers[order.customer];
            let gift = order.tags.contains(&"gift");
            let status = match order.status {
                "open" => "NEW",
                "paid" => "PAID",
                "shipped" => "SHIPPED",
                "delivered" => "DELIVERED",
                // Staff cancellations (fraud checks, stock) have their own legacy code.
                "cancelled" if rng.percent(30) => "VOID",
                "cancelled" => "CANCELLED",
                other => unreachable!("status {other}"),
            };
            let typed = if let Some(&(_, long)) = LONG_NOTES.iter().find(|&&(long, _)| long == id) {
                Some(long)
            } else if gift {
                Some(*rng.pick(GIFT_NOTES))
            } else if rng.percent(25) {
                Some(*rng.pick(DELIVERY_NOTES))
            } else {
                None
            };
            // The shop's form kept what was typed, trailing blanks and line breaks included.
            let note = typed.map(|text| match rng.below(4) {
                0 => format!("{text}  "),
                1 => format!("{text}\n"),
                _ => text.to_string(),
            });
            LegacyOrder {
                id,
                email: customer.email.clone(),
                status,
                currency: customer.currency,
                lines: order
                    .items
                    .iter()
                    .map(|item| {
                        let (sku, name, unit_cents) = PRODUCTS[item.product];
                        Line {
                            sku,
                            name,
                            qty: item.qty,
                            unit_cents,
                        }
                    })
                    .collect(),
                created: order.created,
                gift,
                note,
                updated: order.created + rng.range(60, 14 * 86_400),
            }
        })
        .collect()
}

/// The migration into the new store, defects included.
fn backfill(legacy: &[LegacyOrder]) -> Vec<NewOrder> {
    legacy
        .iter()
        // Defect: one order never arrived.
        .filter(|o| o.id != MISSING_ORDER)
        .enumerate()
        .map(|(n, o)| NewOrder {
            id: o.id,
            email: o.email.clone(),
            state: match o.status {
                "NEW" => "open",
                "PAID" => "paid",
                "SHIPPED" => "shipped",
                "DELIVERED" => "delivered",
                "CANCELLED" => "cancelled",
                // Defect: a staff cancellation is not a refund.
                "VOID" => "refunded",
                other => unreachable!("status {other}"),
            },
            total: {
                let cents = total_cents(&o.lines);
                format!("{}.{:02}", cents / 100, cents % 100)
            },
            currency: o.currency,
            items: jsonb_items(&o.lines),
            created_at: rfc3339(o.created * 1000, false),
            gift: o.gift,
            // Defect: notes went through a staging column of NOTE_LIMIT characters.
            note: o
                .note
                .as_ref()
                .map(|n| n.trim_end().chars().take(NOTE_LIMIT).collect()),
            updated_at: rfc3339((BACKFILL_RUN + n as u64) * 1000, false),
        })
        .collect()
}

fn total_cents(lines: &[Line]) -> u32 {
    lines.iter().map(|l| l.qty * l.unit_cents).sum()
}

/// `items` as the legacy shop wrote it: compact, keys in the shop's order.
fn legacy_items(lines: &[Line]) -> String {
    let objects: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                r#"{{"sku":{},"name":{},"qty":{},"unit_cents":{}}}"#,
                json_string(l.sku),
                json_string(l.name),
                l.qty,
                l.unit_cents
            )
        })
        .collect();
    format!("[{}]", objects.join(","))
}

/// `items` as PostgreSQL's jsonb prints it: keys by length then bytes, a blank after `:` and `,`.
fn jsonb_items(lines: &[Line]) -> String {
    let objects: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                r#"{{"qty": {}, "sku": {}, "name": {}, "unit_cents": {}}}"#,
                l.qty,
                json_string(l.sku),
                json_string(l.name),
                l.unit_cents
            )
        })
        .collect();
    format!("[{}]", objects.join(", "))
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for Unix seconds.
fn legacy_time(secs: u64) -> String {
    rfc3339(secs * 1000, false)
        .trim_end_matches('Z')
        .replacen('T', " ", 1)
}

fn list(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes a fresh store: the schema, then `fill` in one transaction, then a vacuum.
fn write_store(
    path: &Path,
    schema: &str,
    fill: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(path.parent().expect("a file in a folder"))?;
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let mut conn = Connection::open(path)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))?;
    assert_eq!(mode, "delete");
    let tx = conn.transaction()?;
    tx.execute_batch(schema)?;
    fill(&tx)?;
    tx.commit()?;
    conn.execute_batch("VACUUM")?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}
