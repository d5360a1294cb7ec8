//! The parts of the page around the routes: head, verdict, totals, snapshot status, the rules
//! that hid differences, and the footer.

use crate::unit::Unit;
use std::fmt::Write as _;

use crate::{IgnoredRule, Report, Verdict};

use super::assets::{SCRIPT_SHA256, STYLE};
use super::escape::{escape, prose};

/// `<!DOCTYPE>`, the policy that lets only the page's own script run, the title and the style.
pub fn head(out: &mut String, report: &Report) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_SHA256}'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>shadowdiff: {}</title>\n<style>\n{STYLE}</style>\n</head>\n",
        verdict_word(report.verdict)
    );
}

/// The verdict, big and coloured, with its reasons; a notice when the run was incomplete.
pub fn verdict(out: &mut String, report: &Report) {
    let class = verdict_class(report.verdict);
    let partial = if report.missing_shards.is_empty() {
        ""
    } else {
        " (partial)"
    };
    let _ = write!(
        out,
        "<header class=\"verdict {class}\" id=\"verdict\">\n<h1>{}{partial}<small>shadowdiff report</small></h1>\n<ul>\n",
        verdict_word(report.verdict)
    );
    for reason in &report.reasons {
        let _ = writeln!(out, "<li>{}</li>", prose(reason));
    }
    out.push_str("</ul>\n</header>\n");
    if report.incomplete {
        out.push_str(&format!(
            "<p class=\"notice\"><b>Incomplete:</b> the run stopped before every {} was \
                 judged; the reasons above say why.</p>\n",
            report.unit().singular()
        ));
    }
    for note in &report.notes {
        let _ = writeln!(out, "<p class=\"notice\"><b>Note:</b> {}</p>", prose(note));
    }
    if !report.missing_shards.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"notice\"><b>Partial:</b> this report does not cover the shards {}; \
             its verdict is about the others only.</p>",
            prose(&report.missing_shards.join(", "))
        );
    }
}

/// How all exchanges ended, as tiles.
pub fn totals(out: &mut String, report: &Report) {
    let t = &report.totals;
    out.push_str("<section class=\"tiles\" id=\"totals\">\n");
    for (label, value) in [
        (report.unit().plural(), t.exchanges),
        ("equal", t.equal),
        ("different", t.different),
        ("noise only", t.noise_only),
        ("errors", t.errors),
        ("skipped", t.skipped),
        ("not run", t.not_run),
    ]
    .into_iter()
    // The tile of exchanges not run appears when the run was cut short.
    .filter(|(label, value)| *label != "not run" || *value > 0)
    {
        let _ = writeln!(
            out,
            "<div class=\"tile\"><b>{value}</b><span>{label}</span></div>"
        );
    }
    out.push_str("</section>\n");
}

/// The snapshot of accepted differences: accepted, pending (and where), stale.
pub fn snapshot(out: &mut String, report: &Report) {
    let Some(snapshot) = &report.snapshot else {
        return;
    };
    let _ = write!(
        out,
        "<section id=\"snapshot\">\n<h2>Accepted differences</h2>\n<p>Snapshot \
         <code>{}</code>: <b>{}</b> accepted, <b>{}</b> pending, <b>{}</b> stale.</p>\n",
        escape(&snapshot.path),
        snapshot.accepted,
        snapshot.pending,
        snapshot.stale.len()
    );
    if let Some(file) = &snapshot.pending_file {
        let _ = writeln!(
            out,
            "<p class=\"notice\">Pending changes are proposed in <code>{}</code>: run \
             <code>shadowdiff review</code> to go through them one by one, or \
             <code>shadowdiff accept</code> to accept them all.</p>",
            escape(file)
        );
    }
    if !snapshot.stale.is_empty() {
        out.push_str(
            "<h4>Stale: accepted, but not seen in this run</h4>\n<table>\n\
             <tr><th>Route</th><th>Signature</th></tr>\n",
        );
        for stale in &snapshot.stale {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                escape(&stale.route),
                escape(&stale.signature)
            );
        }
        out.push_str(
            "</table>\n<p class=\"muted\"><code>shadowdiff accept --prune</code> removes them.</p>\n",
        );
    }
    out.push_str("</section>\n");
}

/// Every rule that hid differences, with the exchanges it touched on all routes.
pub fn ignored(out: &mut String, report: &Report) {
    if report.ignored.is_empty() {
        return;
    }
    out.push_str("<section id=\"ignored\">\n<h2>Rules that hid differences</h2>\n");
    ignored_table(out, &report.ignored, report.unit());
    out.push_str("</section>\n");
}

/// A table of rules with the exchanges (or rows) each touched (the whole run's, or one route's).
pub fn ignored_table(out: &mut String, rules: &[IgnoredRule], unit: Unit) {
    let _ = writeln!(
        out,
        "<table>\n<tr><th>Rule</th><th class=\"n\">{}</th></tr>",
        unit.heading()
    );
    for rule in rules {
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&rule.rule),
            rule.exchanges
        );
    }
    out.push_str("</table>\n");
}

/// The schema the page was made from.
pub fn footer(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<footer>Made by shadowdiff from a <code>{}</code> report; report.json holds \
         everything.</footer>",
        escape(&report.schema)
    );
}

/// `PASS` or `FAIL`.
pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
    }
}

/// The CSS class of a verdict.
pub fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    }
}

/// `1 exchange`, `2 exchanges`: a count with its noun.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
