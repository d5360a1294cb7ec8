//! A side's rows gathered into groups of one key, in the order they arrive.

use std::iter::Peekable;

use super::Group;
use crate::error::Result;
use crate::rows::Keyed;

/// Groups consecutive rows of the same key.
pub struct Groups<I: Iterator<Item = Result<Keyed>>> {
    rows: Peekable<I>,
}

impl<I: Iterator<Item = Result<Keyed>>> Groups<I> {
    /// Groups `rows`.
    pub fn new(rows: I) -> Groups<I> {
        Groups {
            rows: rows.peekable(),
        }
    }
}

impl<I: Iterator<Item = Result<Keyed>>> Iterator for Groups<I> {
    type Item = Result<Group>;

    fn next(&mut self) -> Option<Result<Group>> {
        let mut group = match self.rows.next()? {
            Ok(row) => Group::one(row),
            Err(err) => return Some(Err(err)),
        };
        while let Some(Ok(row)) = self.rows.peek() {
            if row.key != group.first.key {
                break;
            }
            group.add(row);
            self.rows.next();
        }
        Some(Ok(group))
    }
}
