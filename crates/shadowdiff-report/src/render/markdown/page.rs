//! The page being written: blocks are added while they fit under [`MAX_MARKDOWN`], and what did
//! not fit is counted, to be named at the end.

use std::fmt::Write as _;

/// The most bytes report.md holds, whatever the report: GitHub takes at most 1 MiB for a job
/// summary.
pub const MAX_MARKDOWN: usize = 1 << 20;
/// Room kept at the end for the note on what was left out.
const NOTE_ROOM: usize = 4 * 1024;

/// The page being written: blocks are added while they fit under [`MAX_MARKDOWN`], and what
/// did not fit is counted, to be named at the end.
#[derive(Default)]
pub(super) struct Page {
    pub(super) out: String,
    left_out: Vec<(&'static str, usize)>,
}

impl Page {
    /// Appends `block` if the page stays under its limit with room for the closing note; else
    /// counts one `kind` (a plural noun) left out. Says whether it was written.
    pub(super) fn add(&mut self, kind: &'static str, block: &str) -> bool {
        if self.out.len() + block.len() + NOTE_ROOM <= MAX_MARKDOWN {
            self.out.push_str(block);
            return true;
        }
        match self.left_out.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += 1,
            None => self.left_out.push((kind, 1)),
        }
        false
    }

    /// The page, with a note naming what was left out, if anything was.
    pub(super) fn finish(mut self) -> String {
        if !self.left_out.is_empty() {
            let counts: Vec<String> = self
                .left_out
                .iter()
                .map(|(kind, count)| format!("{count} {kind}"))
                .collect();
            let _ = writeln!(
                self.out,
                "\n**Left out** to keep report.md under 1 MiB (GitHub's limit for a job summary): \
                 {}. report.html and report.json have everything.",
                counts.join(", ")
            );
        }
        self.out
    }
}
