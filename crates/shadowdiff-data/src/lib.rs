//! Data validation: the rows of an old and a new store, read ordered by key from SQLite,
//! PostgreSQL or an export, joined as they stream, each row a JSON document judged by the core's
//! engine under the same rules as responses (a table is the route `table NAME`).
#![deny(missing_docs)]

mod error;
mod key;
mod source;
#[cfg(test)]
mod testpg;

pub use error::{Error, Result};
pub use key::{Key, KeyPart};
pub use source::{open, Column, ColumnKind, Read, Row, RowSource, SourceUrl};
