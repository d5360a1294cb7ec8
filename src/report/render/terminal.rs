//! The terminal summary: the verdict and its reasons first, then what differs, route by route.

use std::fmt::Write as _;

use crate::report::gate::percent;
use crate::report::{Report, Verdict};

/// How many signatures per route the summary lists before pointing at report.json.
const MAX_SIGNATURES_SHOWN: usize = 10;
/// How many of the rules that hid differences the summary lists.
const MAX_RULES_SHOWN: usize = 5;

/// A short plain-text summary of the report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let verdict = match report.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
    };
    let _ = writeln!(out, "shadowdiff: {verdict}");
    for reason in &report.reasons {
        let _ = writeln!(out, "  {reason}");
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "\n{} exchanges: {} equal, {} different, {} noise only, {} errors, {} skipped",
        t.exchanges, t.equal, t.different, t.noise_only, t.errors, t.skipped
    );
    for route in &report.routes {
        let c = &route.counts;
        let interesting = !route.signatures.is_empty()
            || !route.error_kinds.is_empty()
            || !route.skip_reasons.is_empty();
        if !interesting {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{}  ({} exchanges: {} different, {} noise only, {} errors, {} skipped)",
            route.route, c.exchanges, c.different, c.noise_only, c.errors, c.skipped
        );
        let (noise, real): (Vec<_>, Vec<_>) = route.signatures.iter().partition(|s| s.noise);
        for sig in real.iter().take(MAX_SIGNATURES_SHOWN) {
            let _ = writeln!(
                out,
                "  {:>6} {:>8}  {}  e.g. {}",
                sig.count,
                percent(sig.rate),
                sig.signature,
                sig.examples.join(", ")
            );
        }
        if real.len() > MAX_SIGNATURES_SHOWN {
            let _ = writeln!(
                out,
                "  ... {} more signatures in report.json",
                real.len() - MAX_SIGNATURES_SHOWN
            );
        }
        if !noise.is_empty() {
            let _ = writeln!(out, "  noise (old disagrees with itself about as often):");
            for sig in noise.iter().take(MAX_SIGNATURES_SHOWN) {
                let _ = writeln!(
                    out,
                    "  {:>6} {:>8}  {}  (old vs old: {})",
                    sig.count,
                    percent(sig.rate),
                    sig.signature,
                    sig.noise_count
                );
            }
        }
        for error in &route.error_kinds {
            let _ = writeln!(
                out,
                "  {:>6} error {}: {}  e.g. {}",
                error.count,
                error.kind,
                error.message,
                error.examples.join(", ")
            );
        }
        for skip in &route.skip_reasons {
            let _ = writeln!(
                out,
                "  {:>6} skipped: {}  e.g. {}",
                skip.count,
                skip.reason,
                skip.examples.join(", ")
            );
        }
    }
    if report
        .routes
        .iter()
        .flat_map(|r| &r.signatures)
        .any(|s| s.noise)
    {
        let _ = writeln!(
            out,
            "\nsuggested-rules.toml in the report folder proposes ignore rules for the noise."
        );
    }
    if !report.ignored.is_empty() {
        let mut busiest: Vec<_> = report.ignored.iter().collect();
        busiest.sort_by(|a, b| b.exchanges.cmp(&a.exchanges).then(a.rule.cmp(&b.rule)));
        let _ = writeln!(
            out,
            "\nHidden by {} rules (exchanges touched; all of them in report.json):",
            report.ignored.len()
        );
        for rule in busiest.iter().take(MAX_RULES_SHOWN) {
            let _ = writeln!(out, "  {:>6}  {}", rule.exchanges, rule.rule);
        }
        if busiest.len() > MAX_RULES_SHOWN {
            let _ = writeln!(out, "  ... {} more", busiest.len() - MAX_RULES_SHOWN);
        }
    }
    out
}
