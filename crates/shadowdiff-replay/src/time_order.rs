//! With sessions, exchanges replay in the order they were recorded (`ts`), not only in the order
//! of the file: a tool that writes an exchange when its answer ends, or that merges captures,
//! can put a later request first. The reader holds a window of the next exchanges and deals
//! the earliest first.
//!
//! The window is bounded, by count ([`WINDOW`]) and by the size of the lines held
//! ([`WINDOW_BYTES`]), so memory stays flat in the length of the recordings: an exchange recorded
//! earlier than one more than a window before it in the file is dealt where the window lets it,
//! and the dealer says so. An exchange without a `ts` (or with one that does not parse) keeps
//! its place after the one before it in the file; with no `ts` at all, the order is the file's.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::SystemTime;

/// Exchanges held at most.
pub(crate) const WINDOW: usize = 1024;

/// Bytes of recording lines held at most (one more exchange is always held).
pub(crate) const WINDOW_BYTES: usize = 64 << 20;

/// The window: items held by (recorded time, place in the file).
pub(crate) struct TimeOrder<T> {
    held: BinaryHeap<Reverse<Held<T>>>,
    bytes: usize,
    read: u64,
    /// The last recorded time read, which an exchange without one inherits.
    carried: Option<SystemTime>,
}

struct Held<T> {
    at: Option<SystemTime>,
    index: u64,
    bytes: usize,
    item: T,
}

impl<T> PartialEq for Held<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.index) == (other.at, other.index)
    }
}

impl<T> Eq for Held<T> {}

impl<T> PartialOrd for Held<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Held<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.index).cmp(&(other.at, other.index))
    }
}

impl<T> TimeOrder<T> {
    /// An empty window.
    pub(crate) fn new() -> TimeOrder<T> {
        TimeOrder {
            held: BinaryHeap::new(),
            bytes: 0,
            read: 0,
            carried: None,
        }
    }

    /// Holds the next item of the file, recorded at `ts`, its line `bytes` long.
    pub(crate) fn push(&mut self, ts: Option<&str>, bytes: usize, item: T) {
        if let Some(at) = ts.and_then(|ts| humantime::parse_rfc3339_weak(ts).ok()) {
            self.carried = Some(at);
        }
        self.held.push(Reverse(Held {
            at: self.carried,
            index: self.read,
            bytes,
            item,
        }));
        self.read += 1;
        self.bytes += bytes;
    }

    /// The earliest item held, when the window is full.
    pub(crate) fn ready(&mut self) -> Option<T> {
        if self.held.len() > WINDOW || (self.bytes > WINDOW_BYTES && self.held.len() > 1) {
            self.next()
        } else {
            None
        }
    }

    /// The earliest item held, whatever the window holds: at the end of the input.
    pub(crate) fn next(&mut self) -> Option<T> {
        let Reverse(held) = self.held.pop()?;
        self.bytes -= held.bytes;
        Some(held.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(items: &[(&str, Option<&str>)]) -> Vec<String> {
        let mut window = TimeOrder::new();
        let mut out = Vec::new();
        for (id, ts) in items {
            window.push(*ts, 10, id.to_string());
            out.extend(window.ready());
        }
        out.extend(std::iter::from_fn(|| window.next()));
        out
    }

    #[test]
    fn items_come_out_by_recorded_time_then_file_order() {
        let items = [
            ("a", Some("2026-01-01T10:00:02Z")),
            ("b", Some("2026-01-01T10:00:00Z")),
            ("c", Some("2026-01-01T10:00:00Z")),
            ("d", Some("2026-01-01T10:00:01.5Z")),
        ];
        assert_eq!(order(&items), ["b", "c", "d", "a"]);
    }

    #[test]
    fn an_item_without_a_time_stays_after_the_one_before_it() {
        let items = [
            ("a", Some("2026-01-01T10:00:02Z")),
            ("a-next", None),
            ("b", Some("2026-01-01T10:00:01Z")),
            ("bad", Some("yesterday")),
        ];
        assert_eq!(order(&items), ["b", "bad", "a", "a-next"]);
        assert_eq!(
            order(&[("x", None), ("y", None), ("z", None)]),
            ["x", "y", "z"]
        );
    }

    #[test]
    fn the_window_is_bounded_by_count_and_by_bytes() {
        let mut window = TimeOrder::new();
        window.push(Some("2026-01-01T10:00:09Z"), 1, "late".to_string());
        for n in 0..WINDOW {
            window.push(Some("2026-01-01T10:00:10Z"), 1, n.to_string());
        }
        // Full: the earliest goes, and an item earlier than it that comes later is dealt late.
        assert_eq!(window.ready().as_deref(), Some("late"));
        assert_eq!(window.ready(), None);
        window.push(Some("2026-01-01T10:00:00Z"), 1, "early".to_string());
        assert_eq!(window.ready().as_deref(), Some("early"));

        let mut big = TimeOrder::new();
        big.push(Some("2026-01-01T10:00:01Z"), WINDOW_BYTES, "a".to_string());
        assert_eq!(big.ready(), None, "one item is always held");
        big.push(Some("2026-01-01T10:00:00Z"), 1, "b".to_string());
        assert_eq!(big.ready().as_deref(), Some("b"));
        assert_eq!(big.ready(), None);
        assert_eq!(big.next().as_deref(), Some("a"));
        assert_eq!(big.next(), None);
    }
}
