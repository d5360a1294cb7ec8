//! The terminal summary: the verdict and its reasons first, then what differs, route by route
//! (failing, accepted and noise signatures apart), the snapshot's status and the latency.
//!
//! With colour, ANSI escapes are added around the same text: without them the output is
//! byte-identical.

use crate::unit::Unit;
use std::fmt::Display;

use crate::document::percent;
use crate::{Report, RouteReport, SignatureReport, Verdict};

/// How many signatures of each kind per route the summary lists before pointing at report.json.
const MAX_SIGNATURES_SHOWN: usize = 10;
/// How many of the rules that hid differences the summary lists.
const MAX_RULES_SHOWN: usize = 5;
/// How many stale snapshot entries the summary lists.
const MAX_STALE_SHOWN: usize = 10;

/// Bold text.
const BOLD: &str = "\x1b[1m";
/// Green text.
const GREEN: &str = "\x1b[32m";
/// Red text.
const RED: &str = "\x1b[31m";
/// Faint text.
const DIM: &str = "\x1b[2m";
/// Back to plain text.
const RESET: &str = "\x1b[0m";

/// A short plain-text summary of the report, with ANSI colours when `colour` is set.
pub fn render(report: &Report, colour: bool) -> String {
    let mut out = Summary {
        text: String::new(),
        colour,
    };
    let verdict = match report.verdict {
        Verdict::Pass => out.paint(&[BOLD, GREEN], "PASS"),
        Verdict::Fail => out.paint(&[BOLD, RED], "FAIL"),
    };
    let partial = if report.missing_shards.is_empty() {
        ""
    } else {
        " (partial)"
    };
    out.line(&[], format_args!("shadowdiff: {verdict}{partial}"));
    for reason in &report.reasons {
        out.line(&[], format_args!("  {reason}"));
    }
    for note in &report.notes {
        out.line(&[], format_args!("  note: {note}"));
    }
    let t = &report.totals;
    out.blank();
    out.line(
        &[],
        format_args!(
            "{} {}: {} equal, {} different, {} noise only, {} errors, {} skipped{}",
            t.exchanges,
            report.unit().plural(),
            t.equal,
            t.different,
            t.noise_only,
            t.errors,
            t.skipped,
            not_run(t.not_run)
        ),
    );
    for route in &report.routes {
        out.route(route);
    }
    out.snapshot(report);
    if report
        .routes
        .iter()
        .flat_map(|r| &r.signatures)
        .any(|s| s.noise)
    {
        out.blank();
        out.line(
            &[],
            "suggested-rules.toml in the report folder proposes ignore rules for the noise.",
        );
    }
    out.hidden(report);
    out.latency(report);
    out.text
}

/// `, N not run` after the other counts when a run was cut short; nothing otherwise.
fn not_run(count: u64) -> String {
    if count == 0 {
        String::new()
    } else {
        format!(", {count} not run")
    }
}

/// The summary being written, and whether it is coloured.
struct Summary {
    text: String,
    colour: bool,
}

impl Summary {
    /// `text` between the escapes of `style` and a reset, or as is without colour.
    fn paint(&self, style: &[&str], text: impl Display) -> String {
        if self.colour && !style.is_empty() {
            format!("{}{text}{RESET}", style.concat())
        } else {
            text.to_string()
        }
    }

    /// One line in `style`. Control characters from recorded data are shown escaped, so a
    /// recording cannot move the cursor, retitle the terminal or hide text; colour escapes
    /// (`ESC [ digits ; m`) are the one sequence kept.
    fn line(&mut self, style: &[&str], text: impl Display) {
        let line = self.paint(style, text);
        self.text.push_str(&neutralize(&line));
        self.text.push('\n');
    }

    /// An empty line.
    fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A route with signatures, errors, skips or exchanges not run; nothing for a route where
    /// all was equal.
    fn route(&mut self, route: &RouteReport) {
        let c = &route.counts;
        let interesting = !route.signatures.is_empty()
            || !route.error_kinds.is_empty()
            || !route.skip_reasons.is_empty()
            || !route.not_run_reasons.is_empty();
        if !interesting {
            return;
        }
        self.blank();
        self.line(
            &[BOLD],
            format_args!(
                "{}  ({} {}: {} different, {} noise only, {} errors, {} skipped{})",
                route.route,
                c.exchanges,
                Unit::of_route(&route.route).plural(),
                c.different,
                c.noise_only,
                c.errors,
                c.skipped,
                not_run(c.not_run)
            ),
        );
        let of_kind = |keep: fn(&SignatureReport) -> bool| -> Vec<&SignatureReport> {
            route.signatures.iter().filter(|s| keep(s)).collect()
        };
        self.signatures(&[RED], "failing:", &of_kind(|s| s.failing), |s| {
            let above = s
                .accepted_rate
                .map(|max| format!("  (above the accepted {})", percent(max)))
                .unwrap_or_default();
            format!("{above}  e.g. {}", s.examples.join(", "))
        });
        self.signatures(
            &[],
            "not accepted, within the route's limits:",
            &of_kind(|s| !s.failing && !s.noise && !s.accepted),
            |s| format!("  e.g. {}", s.examples.join(", ")),
        );
        self.signatures(
            &[DIM],
            "accepted by the snapshot:",
            &of_kind(|s| s.accepted && !s.noise),
            |s| match s.accepted_rate {
                Some(max) => format!("  (up to {})", percent(max)),
                None => String::new(),
            },
        );
        self.signatures(
            &[DIM],
            "noise (old disagrees with itself about as often):",
            &of_kind(|s| s.noise),
            |s| format!("  (old vs old: {})", s.noise_count),
        );
        for error in &route.error_kinds {
            self.line(
                &[],
                format_args!(
                    "  {:>6} error {}: {}  e.g. {}",
                    error.count,
                    error.kind,
                    error.message,
                    error.examples.join(", ")
                ),
            );
        }
        for skip in &route.skip_reasons {
            self.line(
                &[],
                format_args!(
                    "  {:>6} skipped: {}  e.g. {}",
                    skip.count,
                    skip.reason,
                    skip.examples.join(", ")
                ),
            );
        }
        for left in &route.not_run_reasons {
            self.line(
                &[],
                format_args!(
                    "  {:>6} not run: {}  e.g. {}",
                    left.count,
                    left.reason,
                    left.examples.join(", ")
                ),
            );
        }
    }

    /// One kind of signature under its heading, each line ending with what `detail` says.
    fn signatures(
        &mut self,
        style: &[&str],
        heading: &str,
        signatures: &[&SignatureReport],
        detail: impl Fn(&SignatureReport) -> String,
    ) {
        if signatures.is_empty() {
            return;
        }
        self.line(style, format_args!("  {heading}"));
        for sig in signatures.iter().take(MAX_SIGNATURES_SHOWN) {
            self.line(
                style,
                format_args!(
                    "  {:>6} {:>8}  {}{}",
                    sig.count,
                    percent(sig.rate),
                    sig.signature,
                    detail(sig)
                ),
            );
        }
        if signatures.len() > MAX_SIGNATURES_SHOWN {
            self.line(
                style,
                format_args!(
                    "  ... {} more in report.json",
                    signatures.len() - MAX_SIGNATURES_SHOWN
                ),
            );
        }
    }

    /// What the snapshot of accepted differences says, and what to run about it.
    fn snapshot(&mut self, report: &Report) {
        let Some(snapshot) = &report.snapshot else {
            return;
        };
        if snapshot.pending == 0 && snapshot.stale.is_empty() && snapshot.accepted == 0 {
            return;
        }
        self.blank();
        match (&snapshot.pending_file, snapshot.pending) {
            (_, 0) => self.line(
                &[],
                format_args!(
                    "{} accepts {} signatures; none pending",
                    snapshot.path, snapshot.accepted
                ),
            ),
            (Some(file), pending) => self.line(
                &[],
                format_args!(
                    "{pending} signatures not accepted by {}: pending changes in {file} \
                     — run shadowdiff review (or shadowdiff accept)",
                    snapshot.path
                ),
            ),
            (None, pending) => self.line(
                &[],
                format_args!("{pending} signatures not accepted by {}", snapshot.path),
            ),
        }
        if snapshot.stale.is_empty() {
            return;
        }
        self.line(
            &[],
            format_args!(
                "{} accepted signatures no longer seen (shadowdiff accept --prune removes them):",
                snapshot.stale.len()
            ),
        );
        for stale in snapshot.stale.iter().take(MAX_STALE_SHOWN) {
            self.line(
                &[DIM],
                format_args!("  {}  {}", stale.route, stale.signature),
            );
        }
        if snapshot.stale.len() > MAX_STALE_SHOWN {
            self.line(
                &[DIM],
                format_args!("  ... {} more", snapshot.stale.len() - MAX_STALE_SHOWN),
            );
        }
    }

    /// The rules that hid the most differences.
    fn hidden(&mut self, report: &Report) {
        if report.ignored.is_empty() {
            return;
        }
        let mut busiest: Vec<_> = report.ignored.iter().collect();
        busiest.sort_by(|a, b| b.exchanges.cmp(&a.exchanges).then(a.rule.cmp(&b.rule)));
        self.blank();
        self.line(
            &[],
            format_args!(
                "Hidden by {} rules ({} touched; all of them in report.json):",
                report.ignored.len(),
                report.unit().plural()
            ),
        );
        for rule in busiest.iter().take(MAX_RULES_SHOWN) {
            self.line(&[], format_args!("  {:>6}  {}", rule.exchanges, rule.rule));
        }
        if busiest.len() > MAX_RULES_SHOWN {
            self.line(
                &[],
                format_args!("  ... {} more", busiest.len() - MAX_RULES_SHOWN),
            );
        }
    }

    /// One line per timed target.
    fn latency(&mut self, report: &Report) {
        let timed = report.latency.timed();
        if timed.is_empty() {
            return;
        }
        self.blank();
        for (role, l) in timed {
            self.line(
                &[],
                format_args!(
                    "latency {role:<5} p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                    l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
                ),
            );
        }
    }
}

/// `text` with every control character but colour escapes written as `\u{..}`.
fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' {
            let sgr = rest[1..]
                .strip_prefix('[')
                .and_then(|tail| tail.find('m').map(|end| &tail[..end]))
                .filter(|params| params.chars().all(|p| p.is_ascii_digit() || p == ';'));
            if let Some(params) = sgr {
                let length = 2 + params.len() + 1;
                out.push_str(&rest[..length]);
                rest = &rest[length..];
                continue;
            }
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    /// `text` without its ANSI escape sequences.
    fn plain(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('\x1b') {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('m').expect("an escape ends with m");
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn recorded_control_sequences_are_shown_escaped_but_colours_kept() {
        assert_eq!(neutralize("\x1b[1;31mFAIL\x1b[0m"), "\x1b[1;31mFAIL\x1b[0m");
        assert_eq!(
            neutralize("id\x1b]0;pwned\x07 \x1b[2J\r"),
            "id\\u{1b}]0;pwned\\u{7} \\u{1b}[2J\\u{d}"
        );
    }

    #[test]
    fn notes_follow_the_reasons_of_the_verdict() {
        let mut report = testutil::report();
        report.notes = vec!["writes are allowed but no --session is set".into()];
        let text = render(&report, false);
        let lines: Vec<&str> = text.lines().collect();
        let reasons = report.reasons.len();
        assert_eq!(
            lines[1 + reasons],
            "  note: writes are allowed but no --session is set",
            "{text}"
        );
    }

    #[test]
    fn colour_only_adds_escapes() {
        let mut report = testutil::report();
        report.latency.old = Some(testutil::latency());
        let coloured = render(&report, true);
        let uncoloured = render(&report, false);
        assert!(
            coloured.contains(&format!("{BOLD}{RED}FAIL{RESET}")),
            "{coloured}"
        );
        assert!(!uncoloured.contains('\x1b'), "{uncoloured}");
        assert_eq!(plain(&coloured), uncoloured);
        report.verdict = Verdict::Pass;
        assert!(render(&report, true).starts_with(&format!("shadowdiff: {BOLD}{GREEN}PASS")));
    }

    #[test]
    fn signatures_are_shown_failing_accepted_and_noise_apart() {
        let mut report = testutil::report();
        report.latency.new = Some(testutil::latency());
        let text = render(&report, false);
        let expected = "\
shadowdiff: FAIL
  GET /orders/{id}: 3 of 10 differ
  GET /health: 2 of 10 ended in error

30 exchanges: 24 equal, 4 different, 0 noise only, 2 errors, 0 skipped

GET /orders/{id}  (10 exchanges: 4 different, 0 noise only, 0 errors, 0 skipped)
  failing:
       2   20.00%  body $.fee changed  (above the accepted 10.00%)  e.g. r1
       3   30.00%  body $.total changed  e.g. r1
  accepted by the snapshot:
       2   20.00%  body $.tax changed  (up to 50.00%)
  noise (old disagrees with itself about as often):
       4   40.00%  header date changed  (old vs old: 4)

GET /health  (10 exchanges: 0 different, 0 noise only, 2 errors, 0 skipped)
       2 error no_response: new: connection refused  e.g. r7, r8

2 signatures not accepted by shadowdiff.snap: pending changes in shadowdiff.snap.new \
— run shadowdiff review (or shadowdiff accept)
1 accepted signatures no longer seen (shadowdiff accept --prune removes them):
  GET /gone  status changed

suggested-rules.toml in the report folder proposes ignore rules for the noise.

latency new   p50 1.2 ms  p95 4.0 ms  p99 9.9 ms  max 12.0 ms
";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_passing_route_shows_its_unaccepted_differences_within_limits() {
        let mut report = testutil::report();
        report.snapshot = None;
        report.routes = vec![testutil::route(
            "GET /a",
            Verdict::Pass,
            vec![testutil::signature("status changed", 1)],
        )];
        let text = render(&report, false);
        assert!(
            text.contains(
                "  not accepted, within the route's limits:\n       1   10.00%  status changed  e.g. r1\n"
            ),
            "{text}"
        );
        assert!(!text.contains("shadowdiff.snap"), "{text}");
    }
}
