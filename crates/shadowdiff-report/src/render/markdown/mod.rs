//! `report.md`: a Markdown summary fit for a pull-request comment or a GitHub step summary.
//! The verdict and its reasons come first; then the routes, then what fails, with examples.

use std::fmt::Write as _;

use crate::document::percent;
use crate::{Report, Shown, Side, Verdict};

use super::curl;

/// How many failing signatures are listed with their examples.
const MAX_FAILING_SHOWN: usize = 20;
/// The most bytes report.md holds, whatever the report: GitHub takes at most 1 MiB for a job
/// summary.
pub const MAX_MARKDOWN: usize = 1 << 20;
/// Room kept at the end for the note on what was left out.
const NOTE_ROOM: usize = 4 * 1024;
/// The longest text from the report (a route, an id, a signature, a reason) shown whole; longer
/// ones are cut with `…`.
const MAX_TEXT: usize = 4 * 1024;

/// The page being written: blocks are added while they fit under [`MAX_MARKDOWN`], and what
/// did not fit is counted, to be named at the end.
#[derive(Default)]
struct Page {
    out: String,
    left_out: Vec<(&'static str, usize)>,
}

impl Page {
    /// Appends `block` if the page stays under its limit with room for the closing note; else
    /// counts one `kind` (a plural noun) left out. Says whether it was written.
    fn add(&mut self, kind: &'static str, block: &str) -> bool {
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
    fn finish(mut self) -> String {
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

/// The report as Markdown, at most [`MAX_MARKDOWN`] bytes.
pub fn render(report: &Report) -> String {
    let mut page = Page::default();
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
    let t = &report.totals;
    let not_run = if t.not_run > 0 {
        format!(", {} not run", t.not_run)
    } else {
        String::new()
    };
    let _ = writeln!(
        page.out,
        "\n**{}** exchanges: {} equal, {} different, {} noise only, {} errors, {} skipped{not_run}.",
        t.exchanges, t.equal, t.different, t.noise_only, t.errors, t.skipped
    );
    if let Some(snapshot) = &report.snapshot {
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
    // The column of exchanges not run appears when the run was cut short.
    let cut_short = t.not_run > 0;
    let (head, rule) = if cut_short {
        (" Not run |", "---:|")
    } else {
        ("", "")
    };
    let _ = writeln!(
        page.out,
        "\n| | Route | Exchanges | Different | Not accepted | Noise only | Errors | Skipped |{head}\n\
         |---|---|---:|---:|---:|---:|---:|---:|{rule}"
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
    if !failing.is_empty() {
        page.out.push_str("\n### Failing signatures\n\n");
        for (route, sig) in failing.iter().take(MAX_FAILING_SHOWN) {
            let accepted = match sig.accepted_rate {
                Some(max) => format!(", above the accepted {}", percent(max)),
                None => ", not accepted".to_string(),
            };
            let mut entry = format!(
                "- {} {}: {} exchanges ({}){accepted}\n",
                code(&route.route),
                code(&sig.signature),
                sig.count,
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
    let noise: Vec<_> = report
        .routes
        .iter()
        .flat_map(|r| r.signatures.iter().filter(|s| s.noise).map(move |s| (r, s)))
        .collect();
    if !noise.is_empty() {
        let _ = writeln!(
            page.out,
            "\n<details><summary>{} noise signatures (old disagrees with itself)</summary>\n",
            noise.len()
        );
        for (route, sig) in noise {
            page.add(
                "noise signatures",
                &format!(
                    "- {} {}: {} (old vs old: {})\n",
                    code(&route.route),
                    code(&sig.signature),
                    sig.count,
                    sig.noise_count
                ),
            );
        }
        page.out.push_str("\n</details>\n");
    }
    let latency = report.latency.timed();
    if !latency.is_empty() {
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
    page.finish()
}

/// `value` cut to at most [`MAX_TEXT`] bytes (at a character boundary), marked `…` when cut.
fn clip(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= MAX_TEXT {
        return value.into();
    }
    let mut end = MAX_TEXT;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end]).into()
}

/// Text from the report in running Markdown: characters with a meaning escaped.
fn text(value: &str) -> String {
    let value = clip(value);
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span that holds any text, even backticks.
fn code(value: &str) -> String {
    let value = clip(value).replace(['\n', '\r'], " ");
    let mut fence = String::from("`");
    while value.contains(fence.as_str()) {
        fence.push('`');
    }
    // A span loses one space at each end when it has one at both: pad so that it keeps them.
    let spaced = value.starts_with(' ') && value.ends_with(' ') && value.trim() != "";
    let pad = if value.starts_with('`') || value.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// Inline Markdown for a table cell: its pipes escaped, which GFM resolves even in code spans.
fn cell(markdown: &str) -> String {
    markdown.replace('|', "\\|")
}

/// The collapsed block of reproduction commands under a nested list item: every line indented
/// into the item, in a fence longer than any run of backticks in the commands.
fn reproduce(commands: &str) -> String {
    let commands = commands.replace("\r\n", "\n").replace('\r', "\n");
    let mut fence = String::from("```");
    while commands.contains(fence.as_str()) {
        fence.push('`');
    }
    let mut block = format!("    <details><summary>reproduce</summary>\n\n    {fence}sh\n");
    for line in commands.split('\n') {
        let _ = writeln!(block, "    {line}");
    }
    let _ = writeln!(block, "    {fence}\n    </details>");
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testutil;
    use crate::SignatureReport;
    use shadowdiff_core::{Body, Request};

    #[test]
    fn code_spans_hold_backticks_pipes_and_spaces() {
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(cell(&code("a|b")), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`y"), "`` `y ``");
        assert_eq!(code(" y "), "`  y  `");
        assert_eq!(code("  "), "`  `");
    }

    #[test]
    fn reproduce_commands_stay_inside_their_list_item() {
        let block = reproduce("curl --data-binary 'a\n```\nb'\ncurl x");
        assert_eq!(
            block,
            "    <details><summary>reproduce</summary>\n\n    ````sh\n    curl --data-binary 'a\n    \
             ```\n    b'\n    curl x\n    ````\n    </details>\n"
        );
    }

    #[test]
    fn a_report_of_any_size_stays_under_a_mebibyte_and_says_what_was_left_out() {
        let mut report = testutil::report();
        let long = "x".repeat(100_000);
        let mut sig = SignatureReport {
            failing: true,
            signature: format!("body $.{long} changed"),
            ..testutil::signature("body $.total changed", 3)
        };
        sig.samples[0].request = Some(Request {
            method: "POST".into(),
            url: "/orders".into(),
            headers: vec![],
            body: Body::Text("y".repeat(64 * 1024)),
        });
        for i in 0..40 {
            report.routes.push(testutil::route(
                &format!("GET /r{i}/{long}"),
                Verdict::Fail,
                vec![sig.clone()],
            ));
        }
        for i in 0..100_000 {
            report.routes.push(testutil::route(
                &format!("GET /many/{i}"),
                Verdict::Pass,
                vec![],
            ));
        }
        report.reasons.push(long.repeat(100));
        let md = render(&report);
        assert!(md.len() <= MAX_MARKDOWN, "{} bytes", md.len());
        assert!(md.lines().all(|line| line.len() < 10_000), "a long line");
        let note = md.lines().last().expect("a last line");
        assert!(
            note.starts_with("**Left out** to keep report.md under 1 MiB"),
            "{note}"
        );
        assert!(
            note.contains(" routes") && note.contains("report.html"),
            "{note}"
        );
        // The verdict and the first routes are there.
        assert!(md.starts_with("## ❌ shadowdiff: FAIL"));
        assert!(md.contains("| `GET /orders/{id}` |"));
    }

    #[test]
    fn a_report_that_fits_leaves_nothing_out() {
        let md = render(&testutil::report());
        assert!(!md.contains("Left out"), "{md}");
    }

    #[test]
    fn running_text_cannot_open_markup() {
        assert_eq!(text("<script>|*x*"), "\\<script\\>\\|\\*x\\*");
        assert_eq!(text("&amp; ~~x~~"), "\\&amp; \\~\\~x\\~\\~");
    }
}
