//! Data validation: the rows of an old and a new store, read ordered by key from SQLite,
//! PostgreSQL or an export, joined as they stream, each row a JSON document judged by the core's
//! engine under the same rules as responses (a table is the route `table NAME`).
#![deny(missing_docs)]

mod bridge;
mod captures;
mod error;
mod join;
mod key;
mod rows;
mod source;
mod table;
#[cfg(any(test, feature = "test-support"))]
pub mod testpg;

pub use captures::CaptureMap;
pub use error::{Error, Result};
pub use key::{Key, KeyPart};
pub use rows::{Keyed, KeyedRows};
pub use source::{open, Column, ColumnKind, Read, Row, RowSource, SourceUrl};
pub use table::{compare_table, Judge, RowSink, TableRun, TableSide, TableSpec};
