//! Pairing old's rows with new's by key, in one of two ways with the same result:
//!
//! - [`merge`]: both sides arrive ordered by key (the `ORDER BY` pushed into each engine) and are
//!   merged as they stream, holding one row a side: memory flat in the number of rows.
//! - [`partitioned`]: when a side cannot be ordered (an export) or turns out not to be (a key
//!   arrives after a greater one: an engine whose collation differs), both sides are spilled to
//!   disk in partitions by the hash of the key, and each partition is joined in memory.
//!
//! Either way, every key comes out once: a pair, a row on one side only, or a duplicate (a key
//! on several rows of a side), which is an error outcome naming the key and its rows.

mod group;
mod merge;
mod partitioned;

pub use merge::{merge, OutOfOrder};
pub use partitioned::partitioned;

use crate::key::Key;
use crate::rows::{Keyed, Side};

/// How many rows of one duplicated key are named in its error.
const NAMED_DUPLICATES: usize = 5;

/// The rows of one key on one side: the first, and how many more.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The first row of the key.
    pub first: Keyed,
    /// The lines of the key's further rows, the first [`NAMED_DUPLICATES`] of them.
    pub more_lines: Vec<u64>,
    /// How many further rows the key has.
    pub more: u64,
}

impl Group {
    fn one(row: Keyed) -> Group {
        Group {
            first: row,
            more_lines: Vec::new(),
            more: 0,
        }
    }

    fn add(&mut self, row: &Keyed) {
        self.more += 1;
        if self.more_lines.len() < NAMED_DUPLICATES {
            self.more_lines.push(row.line);
        }
    }

    /// The key.
    pub fn key(&self) -> &Key {
        &self.first.key
    }

    /// `old has 3 rows with this key (rows 4, 9, 12)`, when the key is duplicated.
    pub fn duplicate(&self, side: Side) -> Option<String> {
        if self.more == 0 {
            return None;
        }
        let mut lines: Vec<String> = std::iter::once(self.first.line)
            .chain(self.more_lines.iter().copied())
            .map(|line| line.to_string())
            .collect();
        if self.more as usize > self.more_lines.len() {
            lines.push("…".to_string());
        }
        Some(format!(
            "{} has {} rows with this key (rows {})",
            side.name(),
            self.more + 1,
            lines.join(", ")
        ))
    }
}

/// One key of the join.
#[derive(Clone, Debug, PartialEq)]
pub enum Joined {
    /// The key is on both sides.
    Both(Group, Group),
    /// Only old has the key.
    Old(Group),
    /// Only new has the key.
    New(Group),
}

impl Joined {
    /// The key.
    pub fn key(&self) -> &Key {
        match self {
            Joined::Both(group, _) | Joined::Old(group) | Joined::New(group) => group.key(),
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use serde_json::{json, Map};

    use super::*;
    use crate::error::Result;

    /// Rows keyed by one integer each, lines numbered from 1.
    pub fn rows(keys: &[i64]) -> Vec<Result<Keyed>> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                Ok(Keyed {
                    key: Key::of([&json!(k)]).unwrap(),
                    line: i as u64 + 1,
                    values: vec![json!(k)],
                    extra: Map::new(),
                })
            })
            .collect()
    }

    /// `=1`, `<2`, `>3` (both, old only, new only), and `!` after a duplicated side's key.
    pub fn shown(joined: &[Joined]) -> Vec<String> {
        joined
            .iter()
            .map(|j| {
                let dup = |g: &Group| if g.more > 0 { "!" } else { "" };
                match j {
                    Joined::Both(a, b) => format!("={}{}{}", a.key().id(), dup(a), dup(b)),
                    Joined::Old(a) => format!("<{}{}", a.key().id(), dup(a)),
                    Joined::New(b) => format!(">{}{}", b.key().id(), dup(b)),
                }
            })
            .collect()
    }
}
