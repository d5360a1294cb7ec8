//! Aligning two ordered arrays by their element hashes, in linear space and with a bounded cost,
//! so that one element inserted into an array of any length is one `added`, not a cascade.
//!
//! A segment of both sides is first trimmed of its common prefix and suffix. What is left is
//! diffed with Myers' algorithm (`similar`, linear space, `O((N + M) × D)` for `D` edits) when it
//! is small (at most [`MYERS_CELLS`] `old × new` cells), or when a greedy pass that stops after a
//! few edits shows that `D` is small enough for the array's budget of [`MYERS_BUDGET`] steps.
//! Otherwise the segment is cut at its anchors, as patience diff does: the elements whose hash
//! occurs exactly once on each side, kept where their order agrees (a longest increasing
//! subsequence); each gap between two anchors is a segment of its own. A segment that fits none
//! of these is left unaligned: [`Piece::Apart`] with `bounded` set, which the walk pairs by
//! position and notes. Work is counted in steps, never timed, so the alignment is the same on
//! every machine.

use std::collections::HashMap;
use std::ops::Range;

use similar::{capture_diff_slices, Algorithm, DiffOp};

/// The largest `old × new` product of a segment that Myers' algorithm aligns without asking how
/// many edits it holds (2 000 elements a side).
pub const MYERS_CELLS: usize = 2_000 * 2_000;

/// The steps (`(N + M) × D` for each segment, counted for the greedy pass and for the diff) that
/// the segments of one array may cost in all.
pub const MYERS_BUDGET: usize = 64_000_000;

/// One run of an alignment, in order along both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// `len` elements equal on both sides, from `old` and from `new`.
    Same { old: usize, new: usize, len: usize },
    /// Elements matched with nothing: `old` were removed or replaced by `new`. `bounded` when the
    /// run was too large to align and had no anchor, so its elements were not matched at all.
    Apart {
        old: Range<usize>,
        new: Range<usize>,
        bounded: bool,
    },
}

/// Aligns `old` with `new`, element hashes both, into pieces that cover both sides in order.
pub(crate) fn align(old: &[u64], new: &[u64]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut budget = MYERS_BUDGET;
    // Segments still to align, the next one last: an explicit stack, so that no input can make
    // the alignment recurse deeply.
    let mut todo = vec![Task::Segment(0..old.len(), 0..new.len())];
    while let Some(task) = todo.pop() {
        match task {
            Task::Same(piece) => push(&mut pieces, piece),
            Task::Segment(o, n) => segment(old, new, o, n, &mut budget, &mut pieces, &mut todo),
        }
    }
    pieces
}

/// Work left on the stack of [`align`].
enum Task {
    Segment(Range<usize>, Range<usize>),
    Same(Piece),
}

/// Aligns one segment: pieces it settles go to `pieces`, parts left to align go on `todo`.
fn segment(
    old: &[u64],
    new: &[u64],
    mut o: Range<usize>,
    mut n: Range<usize>,
    budget: &mut usize,
    pieces: &mut Vec<Piece>,
    todo: &mut Vec<Task>,
) {
    let prefix = old[o.clone()]
        .iter()
        .zip(&new[n.clone()])
        .take_while(|(a, b)| a == b)
        .count();
    push(
        pieces,
        Piece::Same {
            old: o.start,
            new: n.start,
            len: prefix,
        },
    );
    o.start += prefix;
    n.start += prefix;
    let suffix = old[o.clone()]
        .iter()
        .rev()
        .zip(new[n.clone()].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let tail = Piece::Same {
        old: o.end - suffix,
        new: n.end - suffix,
        len: suffix,
    };
    o.end -= suffix;
    n.end -= suffix;
    if suffix > 0 {
        todo.push(Task::Same(tail));
    }
    if o.is_empty() || n.is_empty() {
        push(pieces, apart(o, n, false));
        return;
    }
    let width = o.len() + n.len();
    let cells = o.len().saturating_mul(n.len());
    if cells <= MYERS_CELLS && cells <= *budget {
        *budget -= cells;
        myers(old, new, o, n, pieces);
        return;
    }
    // The greedy pass and the diff after it each cost about `width × (D + 1)` steps.
    let most = (*budget / width / 2).min(width);
    if most > 0 {
        let found = edits_within(&old[o.clone()], &new[n.clone()], most);
        let pass = width * (found.unwrap_or(most) + 1);
        let passes = if found.is_some() { 2 } else { 1 };
        *budget = budget.saturating_sub(passes * pass);
        if found.is_some() {
            myers(old, new, o, n, pieces);
            return;
        }
    }
    let anchors = anchors(&old[o.clone()], &new[n.clone()]);
    if anchors.is_empty() {
        push(pieces, apart(o, n, true));
        return;
    }
    // Gaps and anchors in reverse, so that the first gap is aligned next.
    let mut end = (o.end, n.end);
    for &(i, j) in anchors.iter().rev() {
        let (i, j) = (o.start + i, n.start + j);
        todo.push(Task::Segment(i + 1..end.0, j + 1..end.1));
        todo.push(Task::Same(Piece::Same {
            old: i,
            new: j,
            len: 1,
        }));
        end = (i, j);
    }
    todo.push(Task::Segment(o.start..end.0, n.start..end.1));
}

/// The number of insertions and deletions that turn `old` into `new`, if it is at most `most`:
/// the greedy forward pass of Myers' algorithm (furthest reaching paths per diagonal), which
/// costs `(N + M) × D` steps and `O(most)` memory, and stops after `most` edits.
fn edits_within(old: &[u64], new: &[u64], most: usize) -> Option<usize> {
    let (n, m) = (old.len() as isize, new.len() as isize);
    let offset = most as isize + 1;
    // furthest[k + offset]: the furthest x reached on diagonal k = x - y.
    let mut furthest = vec![0isize; 2 * most + 3];
    for d in 0..=most as isize {
        for k in (-d..=d).step_by(2) {
            let at = (k + offset) as usize;
            let mut x = if k == -d || (k != d && furthest[at - 1] < furthest[at + 1]) {
                furthest[at + 1]
            } else {
                furthest[at - 1] + 1
            };
            let mut y = x - k;
            while x < n && y >= 0 && y < m && old[x as usize] == new[y as usize] {
                x += 1;
                y += 1;
            }
            furthest[at] = x;
            if x >= n && y >= m {
                return Some(d as usize);
            }
        }
    }
    None
}

/// Myers' diff of one segment, its runs of unmatched elements merged into one piece each. Only
/// the lengths of the operations are used, and positions are counted along both sides.
fn myers(old: &[u64], new: &[u64], o: Range<usize>, n: Range<usize>, pieces: &mut Vec<Piece>) {
    let ops = capture_diff_slices(Algorithm::Myers, &old[o.clone()], &new[n.clone()]);
    let (mut i, mut j) = (o.start, n.start);
    for op in ops {
        let (removed, added) = match op {
            DiffOp::Equal { len, .. } => {
                push(
                    pieces,
                    Piece::Same {
                        old: i,
                        new: j,
                        len,
                    },
                );
                i += len;
                j += len;
                continue;
            }
            DiffOp::Delete { old_len, .. } => (old_len, 0),
            DiffOp::Insert { new_len, .. } => (0, new_len),
            DiffOp::Replace {
                old_len, new_len, ..
            } => (old_len, new_len),
        };
        push(pieces, apart(i..i + removed, j..j + added, false));
        i += removed;
        j += added;
    }
}

fn apart(old: Range<usize>, new: Range<usize>, bounded: bool) -> Piece {
    Piece::Apart { old, new, bounded }
}

/// Appends a piece, dropping empty ones and merging it into the last one when they are of a
/// kind and meet.
fn push(pieces: &mut Vec<Piece>, piece: Piece) {
    match &piece {
        Piece::Same { len: 0, .. } => return,
        Piece::Apart { old, new, .. } if old.is_empty() && new.is_empty() => return,
        _ => {}
    }
    match (pieces.last_mut(), piece) {
        (
            Some(Piece::Apart {
                old: last_old,
                new: last_new,
                bounded: last_bounded,
            }),
            Piece::Apart { old, new, bounded },
        ) if last_old.end == old.start && last_new.end == new.start => {
            last_old.end = old.end;
            last_new.end = new.end;
            *last_bounded |= bounded;
        }
        (
            Some(Piece::Same { old, new, len }),
            Piece::Same {
                old: o,
                new: n,
                len: l,
            },
        ) if *old + *len == o && *new + *len == n => {
            *len += l;
        }
        (_, piece) => pieces.push(piece),
    }
}

/// The elements that occur exactly once on each side, as `(old, new)` positions, keeping the
/// longest run whose order agrees on both sides (patience diff's anchors), in order.
fn anchors(old: &[u64], new: &[u64]) -> Vec<(usize, usize)> {
    // Per hash: occurrences in old and in new (counting to 2 is enough), and the position of
    // the one occurrence on each side.
    let mut seen: HashMap<u64, (u8, u8, usize, usize)> = HashMap::with_capacity(old.len());
    for (i, h) in old.iter().enumerate() {
        let entry = seen.entry(*h).or_insert((0, 0, i, 0));
        entry.0 = entry.0.saturating_add(1);
    }
    for (j, h) in new.iter().enumerate() {
        if let Some(entry) = seen.get_mut(h) {
            entry.1 = entry.1.saturating_add(1);
            entry.3 = j;
        }
    }
    let mut unique: Vec<(usize, usize)> = seen
        .into_values()
        .filter(|&(in_old, in_new, _, _)| in_old == 1 && in_new == 1)
        .map(|(_, _, i, j)| (i, j))
        .collect();
    unique.sort_unstable();
    longest_increasing(&unique)
}

/// The longest subsequence of `pairs` (sorted by old position) whose new positions increase:
/// patience sorting, `O(k log k)`. Ties go to the earliest pairs, so the result is deterministic.
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // tails[k]: index in `pairs` of the smallest tail of an increasing run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    for (index, &(_, j)) in pairs.iter().enumerate() {
        let at = tails.partition_point(|&t| pairs[t].1 < j);
        previous[index] = at.checked_sub(1).map(|k| tails[k]);
        if at == tails.len() {
            tails.push(index);
        } else {
            tails[at] = index;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut next = tails.last().copied();
    while let Some(index) = next {
        run.push(pairs[index]);
        next = previous[index];
    }
    run.reverse();
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pieces(old: &[u64], new: &[u64]) -> Vec<Piece> {
        let pieces = align(old, new);
        check_cover(&pieces, old, new);
        pieces
    }

    /// Pieces cover both sides in order, and `Same` pieces hold equal elements.
    fn check_cover(pieces: &[Piece], old: &[u64], new: &[u64]) {
        let (mut i, mut j) = (0, 0);
        for piece in pieces {
            match piece {
                Piece::Same {
                    old: o,
                    new: n,
                    len,
                } => {
                    assert_eq!((*o, *n), (i, j), "{pieces:?}");
                    assert_eq!(old[*o..*o + *len], new[*n..*n + *len], "{pieces:?}");
                    i += len;
                    j += len;
                }
                Piece::Apart { old: o, new: n, .. } => {
                    assert_eq!((o.start, n.start), (i, j), "{pieces:?}");
                    i = o.end;
                    j = n.end;
                }
            }
        }
        assert_eq!((i, j), (old.len(), new.len()), "{pieces:?}");
    }

    #[test]
    fn an_insertion_into_a_long_array_is_one_piece() {
        let old: Vec<u64> = (0..100_000).collect();
        let mut new = old.clone();
        new.insert(3, 1_000_000);
        new[99_990] = 2_000_000;
        let pieces = pieces(&old, &new);
        let apart: Vec<&Piece> = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Apart { .. }))
            .collect();
        assert_eq!(
            apart,
            vec![
                &apart_piece(3..3, 3..4, false),
                &apart_piece(99_989..99_990, 99_990..99_991, false)
            ]
        );
    }

    fn apart_piece(old: Range<usize>, new: Range<usize>, bounded: bool) -> Piece {
        Piece::Apart { old, new, bounded }
    }

    #[test]
    fn a_long_repetitive_array_with_few_edits_aligns_without_anchors() {
        // Every value repeats, so nothing is unique: the greedy pass finds the two edits.
        let old: Vec<u64> = (0..6_000).map(|i| i % 2).collect();
        let new: Vec<u64> = std::iter::once(7)
            .chain(old.iter().copied())
            .chain([8])
            .collect();
        let pieces = pieces(&old, &new);
        assert_eq!(
            pieces,
            vec![
                apart_piece(0..0, 0..1, false),
                Piece::Same {
                    old: 0,
                    new: 1,
                    len: 6_000
                },
                apart_piece(6_000..6_000, 6_001..6_002, false),
            ]
        );
    }

    #[test]
    fn a_large_segment_of_many_edits_and_no_anchor_is_left_apart_and_bounded() {
        // Repeating values shifted against each other: thousands of edits, nothing unique.
        let old: Vec<u64> = (0..20_000).map(|i| i % 7).collect();
        let new: Vec<u64> = (0..20_000).map(|i| (i * 3) % 7).chain([99]).collect();
        let pieces = pieces(&old, &new);
        assert!(
            pieces
                .iter()
                .any(|p| matches!(p, Piece::Apart { bounded: true, .. })),
            "{pieces:?}"
        );
    }

    #[test]
    fn edits_within_counts_insertions_and_deletions_up_to_a_bound() {
        assert_eq!(edits_within(&[1, 2, 3], &[1, 2, 3], 0), Some(0));
        assert_eq!(edits_within(&[1, 2, 3], &[1, 3], 5), Some(1));
        assert_eq!(edits_within(&[1, 2, 3], &[4, 2, 3, 5], 5), Some(3));
        assert_eq!(edits_within(&[1, 2, 3], &[4, 5, 6], 5), None);
        assert_eq!(edits_within(&[], &[1, 2], 2), Some(2));
        assert_eq!(edits_within(&[1], &[], 1), Some(1));
    }

    proptest! {
        #[test]
        fn pieces_cover_both_sides(
            old in proptest::collection::vec(0u64..6, 0..60),
            new in proptest::collection::vec(0u64..6, 0..60),
        ) {
            pieces(&old, &new);
        }

        #[test]
        fn a_long_array_with_few_edits_aligns_them(
            len in 2_500usize..6_000,
            edits in proptest::collection::vec((0usize..6_000, 0u8..3), 1..6),
        ) {
            let old: Vec<u64> = (0..len as u64).collect();
            let mut new = old.clone();
            let mut fresh = 10_000_000u64;
            for (at, kind) in edits {
                let at = at % new.len();
                fresh += 1;
                match kind {
                    0 => new.insert(at, fresh),
                    1 => { new.remove(at); }
                    _ => new[at] = fresh,
                }
            }
            let pieces = pieces(&old, &new);
            let unmatched: usize = pieces
                .iter()
                .map(|p| match p {
                    Piece::Apart { old, new, bounded } => {
                        assert!(!bounded);
                        old.len().max(new.len())
                    }
                    Piece::Same { .. } => 0,
                })
                .sum();
            prop_assert!(unmatched <= 5, "{unmatched} unmatched: {:?}", pieces);
        }
    }

    #[test]
    fn longest_increasing_keeps_the_earliest_longest_run() {
        let pairs = [(0, 3), (1, 1), (2, 2), (3, 0), (4, 4)];
        assert_eq!(longest_increasing(&pairs), vec![(1, 1), (2, 2), (4, 4)]);
        assert!(longest_increasing(&[]).is_empty());
    }
}
