//! The example services' store: the orders in a SQLite file (`--db {data}/orders.db`), seeded
//! from the generated dataset the first time, where creates, changes and cancels last and every
//! read of an order comes from. v1 keys orders by number (`id INTEGER`) and numbers the ones it
//! creates after the highest; v2 keys them by text (`id TEXT`: the numbers it took over from v1,
//! as text, and a UUID for each order it creates).
//!
//! The table, the same columns on both sides: `orders(id, customer_id, status, created_at,
//! items, tags, revision)`, items and tags as JSON text; `shadowdiff run --check-data` compares
//! the two.

// Shared by several examples through `#[path]`; each of them uses only a part of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};
use shadowdiff_core::Request;

use crate::orders_api::{
    Dataset, Item, Noise, Order, OrderId, Orders, Version, PRODUCTS, STATUSES, TAGS,
};

/// The orders of one implementation, in SQLite.
pub struct OrderStore {
    db: Mutex<Connection>,
    /// The customers' ids, by the index an [`Order`] names them with.
    customers: Vec<String>,
}

impl OrderStore {
    /// Opens the store at `path`, creating and seeding it from `data` when it has no orders
    /// table yet (a fresh data folder).
    pub fn open(path: &Path, data: &Dataset, version: Version) -> rusqlite::Result<OrderStore> {
        OrderStore::seeded(Connection::open(path)?, data, version)
    }

    /// A store in memory, seeded from `data`: what the recordings' generator answers from.
    pub fn in_memory(data: &Dataset, version: Version) -> rusqlite::Result<OrderStore> {
        OrderStore::seeded(Connection::open_in_memory()?, data, version)
    }

    fn seeded(
        mut db: Connection,
        data: &Dataset,
        version: Version,
    ) -> rusqlite::Result<OrderStore> {
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = OrderStore {
            db: Mutex::new(Connection::open_in_memory()?),
            customers: data.customers.iter().map(|c| c.id.clone()).collect(),
        };
        let exists: Option<String> = db
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'orders'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if exists.is_none() {
            let id = match version {
                Version::V1 => "id INTEGER PRIMARY KEY",
                Version::V2 => "id TEXT PRIMARY KEY",
            };
            let seed = db.transaction()?;
            seed.execute_batch(&format!(
                "CREATE TABLE orders ({id}, customer_id TEXT NOT NULL, status TEXT NOT NULL, \
                 created_at INTEGER NOT NULL, items TEXT NOT NULL, tags TEXT NOT NULL, \
                 revision INTEGER NOT NULL)"
            ))?;
            for order in &data.orders {
                store.insert(&seed, order)?;
            }
            seed.commit()?;
        }
        Ok(OrderStore {
            db: Mutex::new(db),
            ..store
        })
    }

    fn insert(&self, db: &Connection, order: &Order) -> rusqlite::Result<()> {
        db.execute(
            "INSERT INTO orders (id, customer_id, status, created_at, items, tags, revision) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                key(&order.id),
                self.customers[order.customer],
                order.status,
                order.created as i64,
                items_json(&order.items),
                json!(order.tags).to_string(),
                order.revision,
            ],
        )?;
        Ok(())
    }

    fn order(&self, row: &Row<'_>) -> rusqlite::Result<Order> {
        let id = match row.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(n) => OrderId::Number(n as u32),
            other => OrderId::parse(other.as_str()?),
        };
        let customer_id: String = row.get(1)?;
        let status: String = row.get(2)?;
        let items: String = row.get(4)?;
        let tags: String = row.get(5)?;
        Ok(Order {
            id,
            customer: self
                .customers
                .iter()
                .position(|c| *c == customer_id)
                .unwrap_or_default(),
            status: STATUSES
                .iter()
                .find(|s| **s == status)
                .copied()
                .unwrap_or("open"),
            created: row.get::<_, i64>(3)? as u64,
            items: serde_json::from_str::<Value>(&items)
                .ok()
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|line| {
                    Some(Item {
                        product: PRODUCTS
                            .iter()
                            .position(|p| Some(p.0) == line["sku"].as_str())?,
                        qty: line["qty"].as_u64()? as u32,
                    })
                })
                .collect(),
            tags: serde_json::from_str::<Vec<String>>(&tags)
                .unwrap_or_default()
                .iter()
                .filter_map(|tag| TAGS.iter().find(|known| **known == tag).copied())
                .collect(),
            revision: row.get(6)?,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection as usable as before.
        self.db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The columns an order is read from.
const COLUMNS: &str = "id, customer_id, status, created_at, items, tags, revision";

impl Orders for OrderStore {
    fn get(&self, id: &OrderId) -> Option<Order> {
        let db = self.lock();
        db.query_row(
            &format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"),
            [key(id)],
            |row| self.order(row),
        )
        .optional()
        .ok()
        .flatten()
    }

    fn with_status(&self, status: &str) -> Vec<Order> {
        let db = self.lock();
        let Ok(mut statement) = db.prepare(&format!(
            "SELECT {COLUMNS} FROM orders WHERE status = ?1 ORDER BY rowid"
        )) else {
            return Vec::new();
        };
        statement
            .query_map([status], |row| self.order(row))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }

    fn create(&self, version: Version, order: Order, _: &Request, noise: &mut Noise) -> Order {
        let db = self.lock();
        let id = match version {
            Version::V1 => {
                let highest: Option<i64> = db
                    .query_row("SELECT max(id) FROM orders", [], |row| row.get(0))
                    .unwrap_or(None);
                OrderId::Number(highest.map_or(1, |n| n as u32 + 1))
            }
            Version::V2 => OrderId::Uuid(noise.uuid()),
        };
        let order = Order { id, ..order };
        if let Err(err) = self.insert(&db, &order) {
            eprintln!("cannot store order {}: {err}", order.id);
        }
        order
    }

    fn update(&self, order: &Order) {
        let db = self.lock();
        let updated = db.execute(
            "UPDATE orders SET status = ?1, items = ?2, tags = ?3, revision = ?4 WHERE id = ?5",
            params![
                order.status,
                items_json(&order.items),
                json!(order.tags).to_string(),
                order.revision,
                key(&order.id),
            ],
        );
        if let Err(err) = updated {
            eprintln!("cannot store order {}: {err}", order.id);
        }
    }
}

/// An id as the store keys it: v1's column holds numbers, v2's text (SQLite converts a number
/// given for a text column, and text spelling a number for an integer one).
fn key(id: &OrderId) -> rusqlite::types::Value {
    match id {
        OrderId::Number(n) => rusqlite::types::Value::Integer(i64::from(*n)),
        OrderId::Uuid(text) => rusqlite::types::Value::Text(text.clone()),
    }
}

/// An order's items as the store keeps them: `[{"sku", "qty"}]`, in the order they were given.
fn items_json(items: &[Item]) -> String {
    Value::Array(
        items
            .iter()
            .map(|item| json!({"sku": PRODUCTS[item.product].0, "qty": item.qty}))
            .collect(),
    )
    .to_string()
}
