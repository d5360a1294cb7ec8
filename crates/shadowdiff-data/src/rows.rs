//! A source's rows as the join sees them: each with its key, its line and its document (column
//! → value), only the keys of this shard kept.

use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

use shadowdiff_core::{scalar_text, Location, Partition};

use crate::captures::CaptureMap;
use crate::error::{Error, Result};
use crate::key::{Key, KeyPart};
use crate::source::{Column, ColumnKind, RowSource, SourceUrl};

/// One row with its key.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed {
    /// The values of the key columns.
    pub key: Key,
    /// The row's number in the result, or its line in an export.
    pub line: u64,
    /// The values, in the order of the side's columns; made a document only when judged, on
    /// the thread pool.
    pub values: Vec<Value>,
    /// Fields beyond the columns (a JSON Lines object's own keys).
    pub extra: Map<String, Value>,
}

/// Which side a row came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The old store.
    Old,
    /// The new store.
    New,
}

impl Side {
    /// `old` or `new`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

/// The rows of one side, keyed.
pub struct KeyedRows {
    source: Box<dyn RowSource>,
    columns: Vec<Column>,
    key_at: Vec<usize>,
    /// Per key column: text spelling a number is keyed as that number (the other side's key
    /// column is numeric).
    numeric: Vec<bool>,
    partition: Option<Partition>,
    url: SourceUrl,
    /// A one-column key this side's implementation chose for itself, read as the recorded
    /// value it was captured for (the map, the place captured and this side).
    translate: Option<(Arc<CaptureMap>, String, Side)>,
}

impl KeyedRows {
    /// Keys the rows of `source` by the columns `key`; a key column the result lacks is bad input.
    pub fn new(
        source: Box<dyn RowSource>,
        key: &[String],
        partition: Option<Partition>,
        url: &SourceUrl,
    ) -> Result<KeyedRows> {
        let columns = source.columns().to_vec();
        let key_at = key
            .iter()
            .map(|name| {
                columns.iter().position(|c| &c.name == name).ok_or_else(|| {
                    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    Error::input(
                        Location::file(url.to_string()),
                        format!(
                            "key column `{name}` is not in the result; its columns are {}",
                            names.join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        let numeric = vec![false; key_at.len()];
        Ok(KeyedRows {
            source,
            columns,
            key_at,
            numeric,
            partition,
            url: url.clone(),
            translate: None,
        })
    }

    /// The result's columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The kinds of the key columns, in key order.
    pub fn key_kinds(&self) -> Vec<ColumnKind> {
        self.key_at
            .iter()
            .map(|&at| self.columns[at].kind)
            .collect()
    }

    /// Keys text that spells a number as that number, in the key columns marked `true`: where
    /// the other side's key column is numeric, so `'42'` here and `42` there are one key.
    pub fn key_text_as_numbers(&mut self, numeric: Vec<bool>) {
        self.numeric = numeric;
    }

    /// Keys each row whose one key column holds a value `side` answered at `place` by the
    /// recorded value it stands for, so rows that each implementation keyed by its own id pair
    /// up, whatever order they were numbered in. Keys are then no longer in the source's order.
    pub fn translate_keys(&mut self, captures: Arc<CaptureMap>, place: String, side: Side) {
        self.translate = Some((captures, place, side));
    }

    /// The key of a row whose key column holds `value`, when that value was captured.
    fn translated(&self, value: &Value) -> Option<KeyPart> {
        let (captures, place, side) = self.translate.as_ref()?;
        if self.key_at.len() != 1 {
            return None;
        }
        let recorded = captures.recorded(place, *side, &scalar_text(value)?)?;
        KeyPart::of(recorded).ok()
    }

    /// Whether the source delivers rows in key order.
    pub fn ordered(&self) -> bool {
        self.source.ordered()
    }
}

impl Iterator for KeyedRows {
    type Item = Result<Keyed>;

    fn next(&mut self) -> Option<Result<Keyed>> {
        loop {
            let row = match self.source.next()? {
                Ok(row) => row,
                Err(err) => return Some(Err(err)),
            };
            let key = self
                .key_at
                .iter()
                .zip(&self.numeric)
                .map(|(&at, &numeric)| {
                    let value = row.values.get(at).unwrap_or(&Value::Null);
                    if let Some(part) = self.translated(value) {
                        return Ok(part);
                    }
                    match value {
                        Value::String(text) if numeric => match Number::from_str(text) {
                            Ok(number) => KeyPart::of(&Value::Number(number)),
                            Err(_) => KeyPart::of(value),
                        },
                        _ => KeyPart::of(value),
                    }
                })
                .collect::<Result<Vec<KeyPart>, String>>()
                .map(Key);
            let key = match key {
                Ok(key) => key,
                Err(reason) => {
                    return Some(Err(Error::input(
                        Location::line(self.url.to_string(), row.line),
                        reason,
                    )))
                }
            };
            if self.partition.as_ref().is_some_and(|p| !key.in_shard(p)) {
                continue;
            }
            return Some(Ok(Keyed {
                key,
                line: row.line,
                values: row.values,
                extra: row.extra,
            }));
        }
    }
}
