//! Text bodies compared line by line with `similar`, reported as one bounded excerpt per side.

use similar::{Algorithm, ChangeTag, TextDiff};

/// At most this many changed lines are quoted per side.
pub(crate) const EXCERPT_LINES: usize = 20;
/// At most this many bytes are quoted per side.
pub(crate) const EXCERPT_BYTES: usize = 2048;
/// The largest middle section (after trimming common leading and trailing lines), per side, that
/// is run through the line diff; beyond it the whole middle counts as changed, so the cost stays
/// bounded and the output deterministic.
const DIFF_LIMIT: usize = 2000;

/// Marks an excerpt that was cut short.
const MORE: &str = "\n…";

/// Excerpts of the changed lines of each side, or `None` when the texts are equal.
pub(crate) fn compare(old: &str, new: &str) -> Option<(String, String)> {
    if old == new {
        return None;
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut old_excerpt = Excerpt::default();
    let mut new_excerpt = Excerpt::default();
    if a.len() <= DIFF_LIMIT && b.len() <= DIFF_LIMIT {
        let diff = TextDiff::configure()
            .algorithm(Algorithm::Myers)
            .diff_slices(a, b);
        for change in diff.iter_all_changes() {
            match change.tag() {
                ChangeTag::Delete => old_excerpt.push(change.value()),
                ChangeTag::Insert => new_excerpt.push(change.value()),
                ChangeTag::Equal => {}
            }
        }
    } else {
        a.iter().for_each(|line| old_excerpt.push(line));
        b.iter().for_each(|line| new_excerpt.push(line));
    }
    Some((old_excerpt.finish(), new_excerpt.finish()))
}

/// The first lines of `text`, bounded like the excerpts of a difference.
pub(crate) fn head(text: &str) -> String {
    let mut excerpt = Excerpt::default();
    text.split_inclusive('\n')
        .for_each(|line| excerpt.push(line));
    excerpt.finish()
}

/// A bounded quotation of lines.
#[derive(Default)]
struct Excerpt {
    text: String,
    lines: usize,
    cut: bool,
}

impl Excerpt {
    fn push(&mut self, line: &str) {
        if self.cut {
            return;
        }
        if self.lines == EXCERPT_LINES || self.text.len() >= EXCERPT_BYTES {
            self.cut = true;
            return;
        }
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if self.lines > 0 {
            self.text.push('\n');
        }
        let room = EXCERPT_BYTES.saturating_sub(self.text.len());
        if line.len() > room {
            let mut end = room;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&line[..end]);
            self.cut = true;
        } else {
            self.text.push_str(line);
        }
        self.lines += 1;
    }

    fn finish(mut self) -> String {
        if self.cut {
            self.text.push_str(MORE);
        }
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_no_difference() {
        assert_eq!(compare("a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn excerpts_hold_only_the_changed_lines() {
        let (old, new) = compare("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n").expect("different");
        assert_eq!(old, "b");
        assert_eq!(new, "B\ne");
    }

    #[test]
    fn excerpts_are_bounded() {
        let old: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..100).map(|i| format!("LINE {i}\n")).collect();
        let (a, b) = compare(&old, &new).expect("different");
        assert_eq!(a.lines().count(), EXCERPT_LINES + 1);
        assert!(a.ends_with('…') && b.ends_with('…'));
        let long = "é".repeat(3000);
        let (a, _) = compare(&long, "x").expect("different");
        assert!(a.len() <= EXCERPT_BYTES + MORE.len());
    }

    #[test]
    fn very_long_texts_stay_bounded() {
        let old: String = (0..5000).map(|i| format!("{i}\n")).collect();
        let new: String = (0..5000).map(|i| format!("{}\n", i * 7)).collect();
        let (a, b) = compare(&old, &new).expect("different");
        assert!(a.starts_with("1\n2") && b.starts_with("7\n14"), "{a} {b}");
    }
}
