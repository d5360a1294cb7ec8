//! The streaming merge of two sides ordered by key.

use std::cmp::Ordering;

use super::group::Groups;
use super::{Group, Joined};
use crate::error::Result;
use crate::key::Key;
use crate::rows::{Keyed, Side};

/// A side delivered a key after a greater one: its order is not the join's, so the merge cannot
/// be trusted and the partitioned join takes over.
#[derive(Clone, Debug, PartialEq)]
pub struct OutOfOrder {
    /// The side whose order broke.
    pub side: Side,
    /// The row that came too late.
    pub line: u64,
    /// Its key, as text.
    pub key: String,
    /// The greater key before it, as text.
    pub after: String,
}

/// What the merge yields: a key, a source's error, or the news that a side is out of order.
pub type Merged = std::result::Result<Result<Joined>, OutOfOrder>;

/// One side of the merge: its groups, the next one, and the last key seen.
struct Lane<I: Iterator<Item = Result<Keyed>>> {
    side: Side,
    groups: Groups<I>,
    next: Option<Group>,
    last: Option<Key>,
}

impl<I: Iterator<Item = Result<Keyed>>> Lane<I> {
    fn new(side: Side, rows: I) -> Lane<I> {
        Lane {
            side,
            groups: Groups::new(rows),
            next: None,
            last: None,
        }
    }

    /// Fills `next` with the following group, checking the order; what stops the merge, if
    /// anything does.
    fn advance(&mut self) -> Option<Merged> {
        self.next = match self.groups.next() {
            None => None,
            Some(Err(err)) => return Some(Ok(Err(err))),
            Some(Ok(group)) => {
                if let Some(last) = &self.last {
                    if group.key() < last {
                        return Some(Err(OutOfOrder {
                            side: self.side,
                            line: group.first.line,
                            key: group.key().id(),
                            after: last.id(),
                        }));
                    }
                }
                self.last = Some(group.key().clone());
                Some(group)
            }
        };
        None
    }
}

/// Merges two sides ordered by key into the keys of both, in key order. After an error or an
/// [`OutOfOrder`], nothing more comes.
pub fn merge<O, N>(old: O, new: N) -> impl Iterator<Item = Merged>
where
    O: Iterator<Item = Result<Keyed>>,
    N: Iterator<Item = Result<Keyed>>,
{
    let mut old = Lane::new(Side::Old, old);
    let mut new = Lane::new(Side::New, new);
    let mut started = false;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        if !started {
            started = true;
            if let Some(failed) = old.advance().or_else(|| new.advance()) {
                done = true;
                return Some(failed);
            }
        }
        let order = match (&old.next, &new.next) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.key().cmp(b.key()),
        };
        let (joined, failed) = match order {
            Ordering::Less => (Joined::Old(old.next.take()?), old.advance()),
            Ordering::Greater => (Joined::New(new.next.take()?), new.advance()),
            Ordering::Equal => {
                let pair = Joined::Both(old.next.take()?, new.next.take()?);
                (pair, old.advance().or_else(|| new.advance()))
            }
        };
        if let Some(failed) = failed {
            done = true;
            return Some(failed);
        }
        Some(Ok(Ok(joined)))
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{rows, shown};
    use super::*;

    fn merged(old: &[i64], new: &[i64]) -> std::result::Result<Vec<Joined>, OutOfOrder> {
        merge(rows(old).into_iter(), rows(new).into_iter())
            .map(|m| m.map(|r| r.unwrap()))
            .collect()
    }

    #[test]
    fn every_key_comes_out_once_in_key_order() {
        let joined = merged(&[1, 2, 4, 6], &[2, 3, 4, 7]).unwrap();
        assert_eq!(shown(&joined), ["<1", "=2", ">3", "=4", "<6", ">7"]);
        assert_eq!(shown(&merged(&[], &[1]).unwrap()), [">1"]);
        assert!(merged(&[], &[]).unwrap().is_empty());
    }

    #[test]
    fn duplicates_are_one_group_naming_their_rows() {
        let joined = merged(&[1, 1, 1, 2], &[1, 2, 2]).unwrap();
        assert_eq!(shown(&joined), ["=1!", "=2!"]);
        let Joined::Both(old, _) = &joined[0] else {
            panic!()
        };
        assert_eq!(
            old.duplicate(Side::Old).unwrap(),
            "old has 3 rows with this key (rows 1, 2, 3)"
        );
    }

    #[test]
    fn a_key_out_of_order_is_reported_not_paired() {
        let err = merged(&[1, 3, 2], &[1, 2, 3]).unwrap_err();
        assert_eq!(
            err,
            OutOfOrder {
                side: Side::Old,
                line: 3,
                key: "2".into(),
                after: "3".into()
            }
        );
        assert_eq!(merged(&[1], &[5, 4]).unwrap_err().side, Side::New);
    }
}
