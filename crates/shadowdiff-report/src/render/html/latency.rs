//! Latency: percentiles of each target and the distribution of old against new.

use std::fmt::Write as _;

use crate::{LatencyBin, LatencySummary, Report};

use super::charts;

/// The latency section, when targets were timed (offline comparisons have none).
pub fn section(out: &mut String, report: &Report) {
    let latency = &report.latency;
    if latency.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"latency\">\n<h2>Latency</h2>\n<table>\n<tr><th>Target</th>\
         <th class=\"n\">Answers</th><th class=\"n\">p50</th><th class=\"n\">p95</th>\
         <th class=\"n\">p99</th><th class=\"n\">max</th></tr>\n",
    );
    for (role, l) in latency.timed() {
        let _ = writeln!(
            out,
            "<tr><td>{role}</td><td class=\"n\">{}</td><td class=\"n\">{:.1} ms</td>\
             <td class=\"n\">{:.1} ms</td><td class=\"n\">{:.1} ms</td>\
             <td class=\"n\">{:.1} ms</td></tr>",
            l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
    }
    out.push_str("</table>\n");
    let (old, new) = (bins(&latency.old), bins(&latency.new));
    if !old.is_empty() || !new.is_empty() {
        out.push_str(
            "<figure>\n<figcaption>Answers per latency bin, old against new.</figcaption>\n",
        );
        out.push_str(&charts::latency_bars(old, new));
        out.push_str("</figure>\n");
    }
    out.push_str("</section>\n");
}

/// The chart bins of one target, none when it was not timed.
fn bins(summary: &Option<LatencySummary>) -> &[LatencyBin] {
    summary.as_ref().map_or(&[], |l| &l.bins)
}
