//! The table of routes: one row each, with its verdict and counts.

use std::fmt::Write as _;

use crate::{Report, Verdict};

use super::escape::{cell, code};
use super::page::Page;

/// The routes as a table; the column of exchanges not run appears when the run was cut short.
pub(super) fn table(page: &mut Page, report: &Report) {
    let cut_short = report.totals.not_run > 0;
    let (head, rule) = if cut_short {
        (" Not run |", "---:|")
    } else {
        ("", "")
    };
    let _ = writeln!(
        page.out,
        "\n| | Route | {} | Different | Not accepted | Noise only | Errors | Skipped |{head}\n\
         |---|---|---:|---:|---:|---:|---:|---:|{rule}",
        report.unit().heading()
    );
    for route in &report.routes {
        let c = &route.counts;
        let mark = match route.verdict {
            Verdict::Pass => "✅",
            Verdict::Fail => "❌",
        };
        let not_run = if cut_short {
            format!(" {} |", c.not_run)
        } else {
            String::new()
        };
        page.add(
            "routes",
            &format!(
                "| {mark} | {} | {} | {} | {} | {} | {} | {} |{not_run}\n",
                cell(&code(&route.route)),
                c.exchanges,
                c.different,
                route.unaccepted,
                c.noise_only,
                c.errors,
                c.skipped
            ),
        );
    }
}
