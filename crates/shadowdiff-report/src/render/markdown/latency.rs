//! The latency table: percentiles per timed target.

use std::fmt::Write as _;

use crate::Report;

use super::page::Page;

/// p50, p95, p99 and the slowest answer of each timed target; nothing when none was timed.
pub(super) fn table(page: &mut Page, report: &Report) {
    let latency = report.latency.timed();
    if latency.is_empty() {
        return;
    }
    page.out
        .push_str("\n| Latency | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|\n");
    for (role, l) in latency {
        let _ = writeln!(
            page.out,
            "| {role} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
    }
}
