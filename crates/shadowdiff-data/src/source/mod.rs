//! Where rows come from: a SQLite file, a PostgreSQL server, or a CSV or JSON Lines export,
//! named by URL, each read as a stream of rows of JSON values with the engine's type of each
//! column, ordered by key where the engine can order them.

mod columns;
mod csv;
mod feed;
mod jsonl;
mod jsonl_line;
mod pg_array;
mod pg_tls;
mod pg_value;
mod postgres;
mod sql;
mod sqlite;
mod sqlite_value;
mod url;

pub use url::SourceUrl;

use serde_json::{Map, Value};

use shadowdiff_core::Partition;

use crate::error::Result;

/// What a column holds, as far as its engine says; it decides how a value bridges to the other
/// side's (a boolean against SQLite's 0/1, a timestamp against text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// The engine does not say (SQLite without a declared type, CSV, JSON Lines).
    Unknown,
    /// `boolean`.
    Bool,
    /// Integers of any width.
    Integer,
    /// Floating point.
    Float,
    /// Exact decimals (`numeric`, `decimal`).
    Numeric,
    /// Text of any kind.
    Text,
    /// Bytes, written as base64.
    Bytes,
    /// `json`, `jsonb`: compared as structure.
    Json,
    /// An instant (`timestamp`, `timestamptz`, SQLite `DATETIME`), written as RFC 3339 UTC.
    Timestamp,
    /// A calendar date, ISO text.
    Date,
    /// A time of day, ISO text.
    Time,
}

/// One column of a source's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The column's name in the result (after the query's renames).
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// One row, its values in the order of [`RowSource::columns`].
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The values, bridged to JSON (see README, "Types").
    pub values: Vec<Value>,
    /// Fields of the row that are not among the columns: a JSON Lines object's keys that the
    /// first object did not have (a key of the first object that a row lacks is `null` in
    /// `values`). Empty for every other source.
    pub extra: Map<String, Value>,
    /// The 1-based row number in the result, or the line of an export, for errors.
    pub line: u64,
}

/// What to read from a source.
#[derive(Clone, Debug)]
pub struct Read {
    /// The query; `None` reads `SELECT * FROM table`.
    pub query: Option<String>,
    /// The table the rows belong to (its route is `table NAME`).
    pub table: String,
    /// The key columns, in order: the result is ordered by them where the engine can.
    pub key: Vec<String>,
    /// The shard to read, when the table is split over several jobs.
    pub partition: Option<Partition>,
}

/// An open stream of rows.
pub trait RowSource: Iterator<Item = Result<Row>> + Send {
    /// The result's columns.
    fn columns(&self) -> &[Column];
    /// Whether the rows come ordered by the key (the query's `ORDER BY` was pushed into the
    /// engine); exports are read in file order and say `false`.
    fn ordered(&self) -> bool;
}

/// Refuses a query for an export, which is read whole: `WHAT takes no query; PATH is read
/// whole, HOW`.
fn no_query(read: &Read, path: &std::path::Path, what: &str, how: &str) -> Result<()> {
    match read.query {
        Some(_) => Err(crate::error::Error::usage(format!(
            "{what} takes no query; {} is read whole, {how}",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// Opens `read` on `url`.
pub fn open(url: &SourceUrl, read: &Read) -> Result<Box<dyn RowSource>> {
    match url {
        SourceUrl::Sqlite { path } => sqlite::open(url, path, read),
        SourceUrl::Postgres { url: given, .. } => postgres::open(url, given, read),
        SourceUrl::Csv { path } => csv::open(path, read),
        SourceUrl::Jsonl { path } => jsonl::open(path, read),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::Read;

    /// What the export tests read: table `t`, whole, keyed by `key`.
    pub(crate) fn reading(key: &[&str]) -> Read {
        Read {
            query: None,
            table: "t".into(),
            key: key.iter().map(|k| k.to_string()).collect(),
            partition: None,
        }
    }
}
