//! The top of report.md: the verdict and its reasons, the totals, and the snapshot's status.

use std::fmt::Write as _;

use crate::{Report, Verdict};

use super::escape::{code, text};
use super::page::Page;

/// The verdict as a heading (partial when shards are missing), then its reasons.
pub(super) fn verdict(page: &mut Page, report: &Report) {
    let verdict = match report.verdict {
        Verdict::Pass => "✅ shadowdiff: PASS",
        Verdict::Fail => "❌ shadowdiff: FAIL",
    };
    let partial = if report.missing_shards.is_empty() {
        ""
    } else {
        " (partial)"
    };
    let _ = writeln!(page.out, "## {verdict}{partial}\n");
    for reason in &report.reasons {
        page.add("reasons", &format!("- {}\n", text(reason)));
    }
    for note in &report.notes {
        page.add("reasons", &format!("- **Note:** {}\n", text(note)));
    }
}

/// How the exchanges ended, in one sentence.
pub(super) fn totals(page: &mut Page, report: &Report) {
    let t = &report.totals;
    let not_run = if t.not_run > 0 {
        format!(", {} not run", t.not_run)
    } else {
        String::new()
    };
    let _ = writeln!(
        page.out,
        "\n**{}** {}: {} equal, {} different, {} noise only, {} errors, {} skipped{not_run}.",
        t.exchanges,
        report.unit().plural(),
        t.equal,
        t.different,
        t.noise_only,
        t.errors,
        t.skipped
    );
}

/// The snapshot of accepted differences, and where its pending changes are.
pub(super) fn snapshot(page: &mut Page, report: &Report) {
    let Some(snapshot) = &report.snapshot else {
        return;
    };
    let _ = writeln!(
        page.out,
        "\nSnapshot {}: {} accepted, {} pending, {} stale.",
        code(&snapshot.path),
        snapshot.accepted,
        snapshot.pending,
        snapshot.stale.len()
    );
    if let Some(file) = &snapshot.pending_file {
        let _ = writeln!(
            page.out,
            "Pending changes are in {}: `shadowdiff review` or `shadowdiff accept`.",
            code(file)
        );
    }
}
