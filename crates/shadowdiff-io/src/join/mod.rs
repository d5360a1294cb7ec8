//! The join behind `diff A B`: pairs A's and B's lines by id as both stream, with no index.
//!
//! Lines whose ids match at the heads of the two streams pair at once; a bounded window (ids and
//! spill-file offsets, the bytes in an anonymous temp file) absorbs local reordering. Once the
//! window overflows, the rest of both sides goes to a grace hash join ([`Partitions`]), which
//! also sees every id already paired, to refuse duplicates. Each outcome carries its position
//! (A's order, then B's leftovers in B's order), so the report does not depend on the order
//! the join finds them in.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use shadowdiff_core::{is_outcome_line, Location};

use crate::error::{Error, Result};
use crate::recordings::{Limits, RawLine, RawLines};

use id::peek_id;
use partition::{Partitions, Place};

mod id;
mod partition;

/// The side of the join a line comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// The first recording (old).
    A = 0,
    /// The second recording (new).
    B = 1,
}

/// What the join found, with the position the outcome takes in the report.
#[derive(Debug)]
pub enum Joined {
    /// Lines of A and B with the same id.
    Pair {
        /// A's line.
        a: RawLine,
        /// B's line.
        b: RawLine,
        /// A's position.
        seq: u64,
    },
    /// A line of A whose id B does not have.
    OnlyInA {
        /// The line.
        line: RawLine,
        /// Its position in A.
        seq: u64,
    },
    /// A line of B whose id A does not have.
    OnlyInB {
        /// The line.
        line: RawLine,
        /// After every line of A, in B's order.
        seq: u64,
    },
}

/// The sizes the join works with: [`Sizes::DEFAULT`] in production; tests shrink them to force
/// the window and the partitions.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// How many lines are read, and sent on, together.
    pub batch: usize,
    /// How many unpaired lines a side may hold before the join partitions.
    pub window: usize,
    /// How many partition files the rest is spread over.
    pub partitions: usize,
    /// The most lines a partition may have to be joined in memory; a larger one is split.
    pub in_memory: usize,
}

impl Sizes {
    /// About 30 MB for a partition in memory, a few for the window and the buffers.
    pub const DEFAULT: Sizes = Sizes {
        batch: 1024,
        window: 8192,
        partitions: 64,
        in_memory: 1 << 19,
    };
}

/// One side being read: its lines, and how many it has given.
struct Reader {
    lines: RawLines,
    side: Side,
    count: u64,
}

/// A line read, with its id and place.
struct Incoming {
    line: RawLine,
    id: String,
    place: Place,
}

impl Reader {
    /// The next `batch` lines with their ids; none once the side is done. The ids are read
    /// here, on the join's thread, without a thread pool: a line that starts with its id (as
    /// every writer of shadowdiff's puts it) costs a few bytes' scan.
    /// `files` is the side's list of files, which places refer to.
    fn next(&mut self, batch: usize, files: &mut Vec<PathBuf>) -> Result<Vec<Incoming>> {
        let mut lines = Vec::with_capacity(batch);
        for line in self.lines.by_ref().take(batch) {
            lines.push(line?);
        }
        let ids: Vec<Result<String>> = lines.iter().map(peek_id).collect();
        let mut read = Vec::with_capacity(lines.len());
        for (line, id) in lines.into_iter().zip(ids) {
            let id = id?;
            if u32::try_from(line.bytes.len()).is_err() {
                return Err(Error::input(
                    line.location.clone(),
                    "line is longer than 4 GiB",
                ));
            }
            if files.last() != Some(&line.location.path) {
                files.push(line.location.path.clone());
            }
            let place = Place {
                side: self.side,
                pos: self.count,
                file: (files.len() - 1) as u32,
                line: line.location.line.unwrap_or(0),
            };
            self.count += 1;
            read.push(Incoming { line, id, place });
        }
        Ok(read)
    }
}

/// A line waiting in the window for its partner: where it is and where its bytes are.
struct Held {
    place: Place,
    offset: u64,
    len: u64,
}

/// The unpaired lines of both sides, by id; their bytes are in `spill`.
struct Window {
    spill: BufWriter<File>,
    written: u64,
    held: [HashMap<String, Held>; 2],
}

impl Window {
    fn new() -> Result<Window> {
        let spill = tempfile::tempfile().map_err(|err| Error::io(std::env::temp_dir(), err))?;
        Ok(Window {
            spill: BufWriter::with_capacity(256 * 1024, spill),
            written: 0,
            held: [HashMap::new(), HashMap::new()],
        })
    }

    /// Pairs `read` with the line of the other side holding its id, or holds it. A second line
    /// with an id its side holds already goes straight to the partitions, for the duplicate
    /// check to find.
    fn offer(
        &mut self,
        read: Incoming,
        files: &[Vec<PathBuf>; 2],
        parts: &mut Partitions,
    ) -> Result<Option<Joined>> {
        let side = read.place.side;
        let other = match side {
            Side::A => Side::B,
            Side::B => Side::A,
        };
        if let Some(partner) = self.held[other as usize].remove(&read.id) {
            let partner_line = self.line(&partner, &read.id, files)?;
            parts.seen(read.place, &read.id)?;
            parts.seen(partner.place, &read.id)?;
            return Ok(Some(match side {
                Side::A => Joined::Pair {
                    seq: read.place.pos,
                    a: read.line,
                    b: partner_line,
                },
                Side::B => Joined::Pair {
                    seq: partner.place.pos,
                    a: partner_line,
                    b: read.line,
                },
            }));
        }
        if self.held[side as usize].contains_key(&read.id) {
            parts.held(read.place, &read.id, &read.line.bytes)?;
            return Ok(None);
        }
        self.spill
            .write_all(&read.line.bytes)
            .map_err(|err| Error::io(std::env::temp_dir(), err))?;
        let held = Held {
            place: read.place,
            offset: self.written,
            len: read.line.bytes.len() as u64,
        };
        self.written += held.len;
        self.held[side as usize].insert(read.id, held);
        Ok(None)
    }

    /// Reads a held line back from the spill file.
    fn line(&mut self, held: &Held, id: &str, files: &[Vec<PathBuf>; 2]) -> Result<RawLine> {
        self.spill
            .flush()
            .map_err(|err| Error::io(std::env::temp_dir(), err))?;
        let mut bytes = vec![0u8; held.len as usize];
        self.spill
            .get_ref()
            .read_exact_at(&mut bytes, held.offset)
            .map_err(|err| Error::io(std::env::temp_dir(), err))?;
        Ok(RawLine {
            bytes,
            location: Location::line(
                &files[held.place.side as usize][held.place.file as usize],
                held.place.line,
            ),
            fallback_id: id.to_string(),
        })
    }

    /// Whether either side holds more lines than `window`.
    fn overflows(&self, window: usize) -> bool {
        self.held.iter().any(|held| held.len() > window)
    }

    /// Moves every held line, with its bytes, to the partitions.
    fn drain_into(mut self, files: &[Vec<PathBuf>; 2], parts: &mut Partitions) -> Result<()> {
        for side in [Side::A, Side::B] {
            let mut held: Vec<(String, Held)> = std::mem::take(&mut self.held[side as usize])
                .into_iter()
                .collect();
            held.sort_unstable_by_key(|(_, held)| held.place.pos);
            for (id, held) in held {
                let line = self.line(&held, &id, files)?;
                parts.held(held.place, &id, &line.bytes)?;
            }
        }
        Ok(())
    }
}

/// Joins the recordings at `a` and `b` by id, sending what it finds to `sink` in batches (in
/// no particular order: each item carries its position). Duplicate ids on either side are an
/// error naming both lines.
pub fn join(
    a: &Path,
    b: &Path,
    limits: &Limits,
    sizes: Sizes,
    sink: &mut dyn FnMut(Vec<Joined>) -> Result<()>,
) -> Result<()> {
    let mut a = Reader {
        lines: RawLines::open(a, limits)?,
        side: Side::A,
        count: 0,
    };
    let mut b = Reader {
        lines: RawLines::open(b, limits)?,
        side: Side::B,
        count: 0,
    };
    let mut files: [Vec<PathBuf>; 2] = [Vec::new(), Vec::new()];
    let mut parts = Partitions::new(sizes.partitions, 0)?;
    let mut window = Some(Window::new()?);
    loop {
        let from_b = b.next(sizes.batch, &mut files[Side::B as usize])?;
        let from_a = a.next(sizes.batch, &mut files[Side::A as usize])?;
        if let Some(first) = from_a
            .first()
            .filter(|read| is_outcome_line(&read.line.bytes))
        {
            return Err(Error::input(
                first.line.location.clone(),
                "this is a run's outcomes file, which holds both sides: pass it alone \
                 (shadowdiff diff OUTCOMES) to judge it again",
            ));
        }
        if from_a.is_empty() && from_b.is_empty() {
            break;
        }
        let Some(open) = window.as_mut() else {
            for read in from_a.into_iter().chain(from_b) {
                parts.held(read.place, &read.id, &read.line.bytes)?;
            }
            continue;
        };
        let mut joined = Vec::with_capacity(sizes.batch);
        let mut from_a = from_a.into_iter();
        let mut from_b = from_b.into_iter();
        loop {
            match (from_a.next(), from_b.next()) {
                (None, None) => break,
                (Some(x), Some(y)) if x.id == y.id => {
                    parts.seen(x.place, &x.id)?;
                    parts.seen(y.place, &y.id)?;
                    joined.push(Joined::Pair {
                        seq: x.place.pos,
                        a: x.line,
                        b: y.line,
                    });
                }
                (x, y) => {
                    for read in x.into_iter().chain(y) {
                        joined.extend(open.offer(read, &files, &mut parts)?);
                    }
                }
            }
        }
        sink(joined)?;
        if open.overflows(sizes.window) {
            if let Some(full) = window.take() {
                full.drain_into(&files, &mut parts)?;
            }
        }
    }
    if let Some(rest) = window {
        rest.drain_into(&files, &mut parts)?;
    }
    parts.settle(&files, a.count, sizes, sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small sizes, so a few lines out of order overflow the window and partitions split.
    const SMALL: Sizes = Sizes {
        batch: 4,
        window: 3,
        partitions: 3,
        in_memory: 5,
    };

    fn exchange(id: &str, path: &str) -> String {
        format!(
            r#"{{"id":"{id}","request":{{"method":"GET","url":"{path}"}},"response":{{"status":200,"headers":[],"body":{{"text":"{path}"}}}}}}"#
        )
    }

    fn write(dir: &Path, name: &str, ids: &[String]) -> PathBuf {
        let path = dir.join(name);
        let text: String = ids
            .iter()
            .map(|id| exchange(id, &format!("/{name}/{id}")) + "\n")
            .collect();
        std::fs::write(&path, text).expect("write the recording");
        path
    }

    fn ids(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("r{i}")).collect()
    }

    /// A deterministic shuffle (a Fisher-Yates driven by an LCG).
    fn shuffled(mut ids: Vec<String>, seed: u64) -> Vec<String> {
        let mut state = seed;
        for i in (1..ids.len()).rev() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ids.swap(i, (state >> 33) as usize % (i + 1));
        }
        ids
    }

    /// One thing the join found: (kind, id, seq, A's line, B's line), 0 for no line.
    type Found = (String, String, u64, u64, u64);

    /// What the join found, sorted by seq.
    fn run(a: &[String], b: &[String], sizes: Sizes) -> Result<Vec<Found>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a_path, b_path) = (write(dir.path(), "a", a), write(dir.path(), "b", b));
        let mut found = Vec::new();
        join(&a_path, &b_path, &Limits::default(), sizes, &mut |batch| {
            assert!(batch.len() <= 2 * sizes.batch, "a batch of {}", batch.len());
            for joined in batch {
                let line_of = |line: &RawLine, file: &Path| {
                    assert_eq!(line.location.path, file);
                    line.location.line.expect("a line number")
                };
                found.push(match joined {
                    Joined::Pair { a, b, seq } => {
                        let id = peek_id(&a)?;
                        assert_eq!(peek_id(&b)?, id);
                        assert!(String::from_utf8_lossy(&b.bytes).contains(&format!("/b/{id}")));
                        (
                            "pair".into(),
                            id,
                            seq,
                            line_of(&a, &a_path),
                            line_of(&b, &b_path),
                        )
                    }
                    Joined::OnlyInA { line, seq } => (
                        "only_in_a".into(),
                        peek_id(&line)?,
                        seq,
                        line_of(&line, &a_path),
                        0,
                    ),
                    Joined::OnlyInB { line, seq } => (
                        "only_in_b".into(),
                        peek_id(&line)?,
                        seq,
                        0,
                        line_of(&line, &b_path),
                    ),
                });
            }
            Ok(())
        })?;
        found.sort_by_key(|f| f.2);
        Ok(found)
    }

    /// What the join must find: A's ids in A's order, then B's leftovers in B's order.
    fn expected(a: &[String], b: &[String]) -> Vec<Found> {
        let b_line = |id: &String| b.iter().position(|x| x == id).map(|p| p as u64 + 1);
        let mut want: Vec<_> = a
            .iter()
            .enumerate()
            .map(|(i, id)| match b_line(id) {
                Some(line) => ("pair".into(), id.clone(), i as u64, i as u64 + 1, line),
                None => ("only_in_a".into(), id.clone(), i as u64, i as u64 + 1, 0),
            })
            .collect();
        want.extend(
            b.iter()
                .enumerate()
                .filter(|(_, id)| !a.contains(id))
                .map(|(j, id)| {
                    (
                        "only_in_b".into(),
                        id.clone(),
                        (a.len() + j) as u64,
                        0,
                        j as u64 + 1,
                    )
                }),
        );
        want.sort_by_key(|w| w.2);
        want
    }

    fn assert_joins(a: &[String], b: &[String], sizes: Sizes) {
        assert_eq!(run(a, b, sizes).expect("join"), expected(a, b));
    }

    #[test]
    fn same_order_pairs_at_the_heads() {
        assert_joins(&ids(0..50), &ids(0..50), SMALL);
        assert_joins(&ids(0..50), &ids(0..50), Sizes::DEFAULT);
    }

    #[test]
    fn local_reordering_stays_in_the_window() {
        let b: Vec<String> = ids(0..40)
            .chunks(2)
            .flat_map(|pair| pair.iter().rev().cloned())
            .collect();
        assert_joins(&ids(0..40), &b, SMALL);
    }

    #[test]
    fn reversed_order_goes_through_the_partitions() {
        let mut b = ids(0..60);
        b.reverse();
        assert_joins(&ids(0..60), &b, SMALL);
        assert_joins(&ids(0..60), &b, Sizes::DEFAULT);
    }

    #[test]
    fn shuffled_beyond_the_window_with_ids_on_one_side_only() {
        let a = shuffled(ids(0..200), 1);
        let b = shuffled(ids(50..260), 2);
        assert_joins(&a, &b, SMALL);
        assert_joins(
            &a,
            &b,
            Sizes {
                window: 1000,
                ..SMALL
            },
        );
        assert_joins(&b, &a, SMALL);
    }

    #[test]
    fn ids_on_one_side_only() {
        assert_joins(&ids(0..30), &ids(100..130), SMALL);
        assert_joins(&ids(0..5), &ids(0..30), SMALL);
        assert_joins(&ids(0..30), &ids(0..5), Sizes::DEFAULT);
    }

    #[test]
    fn ids_that_share_a_partition_are_told_apart() {
        let a = shuffled(ids(0..100), 3);
        let b = shuffled(ids(20..120), 4);
        let one = Sizes {
            partitions: 1,
            in_memory: 1000,
            ..SMALL
        };
        assert_joins(&a, &b, one);
        let split = Sizes {
            partitions: 2,
            in_memory: 2,
            ..SMALL
        };
        assert_joins(&a, &b, split);
    }

    fn duplicate_error(a: &[String], b: &[String], sizes: Sizes) -> String {
        match run(a, b, sizes) {
            Ok(found) => panic!("a duplicate was accepted: {found:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn duplicates_are_refused_naming_both_lines() {
        let mut a = ids(0..40);
        a.push("r3".into());
        for sizes in [SMALL, Sizes::DEFAULT] {
            let shown = duplicate_error(&a, &ids(0..40), sizes);
            assert!(
                shown.contains("a:41: duplicate id `r3`, first used at "),
                "{shown}"
            );
            assert!(shown.contains("a:4;"), "{shown}");
        }
        let mut b = shuffled(ids(0..40), 5);
        let at = b.iter().position(|id| id == "r7").expect("r7") + 1;
        b.insert(20, "r7".into());
        let second = if at <= 20 { 21 } else { at + 1 };
        let first = if at <= 20 { at } else { 21 };
        for sizes in [SMALL, Sizes::DEFAULT] {
            let shown = duplicate_error(&a, &b, sizes);
            assert!(
                shown.contains(&format!("b:{second}: duplicate id `r7`, first used at ")),
                "{shown}"
            );
            assert!(shown.contains(&format!("b:{first};")), "{shown}");
        }
    }

    #[test]
    fn a_duplicate_next_to_the_first_is_refused() {
        let a: Vec<String> = ["r1", "r2", "r2", "r3"].map(String::from).to_vec();
        let shown = duplicate_error(&a, &ids(0..4), Sizes::DEFAULT);
        assert!(shown.contains("a:3: duplicate id `r2`"), "{shown}");
        let b: Vec<String> = ["r0", "r0"].map(String::from).to_vec();
        let shown = duplicate_error(&ids(0..4), &b, Sizes::DEFAULT);
        assert!(shown.contains("b:2: duplicate id `r0`"), "{shown}");
    }
}
