//! The failing signatures, each with its first example and the commands that reproduce it.

use std::fmt::Write as _;

use crate::render::curl;
use crate::{percent, Report, Shown, Side};

use super::escape::{code, reproduce};
use super::page::Page;

/// How many failing signatures are listed with their examples.
const MAX_FAILING_SHOWN: usize = 20;

/// The failing signatures of every route, the first [`MAX_FAILING_SHOWN`] of them.
pub(super) fn section(page: &mut Page, report: &Report) {
    let failing: Vec<_> = report
        .routes
        .iter()
        .flat_map(|r| {
            r.signatures
                .iter()
                .filter(|s| s.failing)
                .map(move |s| (r, s))
        })
        .collect();
    if failing.is_empty() {
        return;
    }
    page.out.push_str("\n### Failing signatures\n\n");
    for (route, sig) in failing.iter().take(MAX_FAILING_SHOWN) {
        let accepted = match sig.accepted_rate {
            Some(max) => format!(", above the accepted {}", percent(max)),
            None => ", not accepted".to_string(),
        };
        let mut entry = format!(
            "- {} {}: {} {} ({}){accepted}\n",
            code(&route.route),
            code(&sig.signature),
            sig.count,
            crate::unit::Unit::of_route(&route.route).plural(),
            percent(sig.rate)
        );
        let sample = sig.samples.first();
        if let Some(sample) = sample {
            let value = |side: Side| match sample.shown(side) {
                Shown::Absent => "(absent)".to_string(),
                shown => code(&shown.text()),
            };
            let _ = writeln!(
                entry,
                "  - e.g. {} at {}: {} → {}",
                code(&sample.id),
                code(sample.path.as_deref().unwrap_or("status")),
                value(Side::Old),
                value(Side::New)
            );
        }
        if !page.add("failing signatures", &entry) {
            continue;
        }
        if let Some(request) = sample.and_then(|s| s.request.as_ref()) {
            let commands = format!(
                "{}\n{}",
                curl::command(request, report.targets.old.as_deref(), "OLD_URL"),
                curl::command(request, report.targets.new.as_deref(), "NEW_URL"),
            );
            page.add("reproduction commands", &reproduce(&commands));
        }
    }
    if failing.len() > MAX_FAILING_SHOWN {
        let _ = writeln!(
            page.out,
            "- ... {} more in report.json",
            failing.len() - MAX_FAILING_SHOWN
        );
    }
}
