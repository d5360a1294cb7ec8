//! `report.md`: a Markdown summary fit for a pull-request comment or a GitHub step summary.
//! The verdict and its reasons come first; then the routes, then what fails, with examples.

use std::fmt::Write as _;

use crate::report::gate::percent;
use crate::report::{Report, Verdict};

use super::curl;

/// How many failing signatures are listed with their examples.
const MAX_FAILING_SHOWN: usize = 20;

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let verdict = match report.verdict {
        Verdict::Pass => "✅ shadowdiff: PASS",
        Verdict::Fail => "❌ shadowdiff: FAIL",
    };
    let _ = writeln!(out, "## {verdict}\n");
    for reason in &report.reasons {
        let _ = writeln!(out, "- {}", text(reason));
    }
    let t = &report.totals;
    let not_run = if t.not_run > 0 {
        format!(", {} not run", t.not_run)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n**{}** exchanges: {} equal, {} different, {} noise only, {} errors, {} skipped{not_run}.",
        t.exchanges, t.equal, t.different, t.noise_only, t.errors, t.skipped
    );
    if let Some(snapshot) = &report.snapshot {
        let _ = writeln!(
            out,
            "\nSnapshot {}: {} accepted, {} pending, {} stale.",
            code(&snapshot.path),
            snapshot.accepted,
            snapshot.pending,
            snapshot.stale.len()
        );
        if let Some(file) = &snapshot.pending_file {
            let _ = writeln!(
                out,
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
        out,
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
        let _ = writeln!(
            out,
            "| {mark} | {} | {} | {} | {} | {} | {} | {} |{not_run}",
            cell(&code(&route.route)),
            c.exchanges,
            c.different,
            route.unaccepted,
            c.noise_only,
            c.errors,
            c.skipped
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
        out.push_str("\n### Failing signatures\n\n");
        for (route, sig) in failing.iter().take(MAX_FAILING_SHOWN) {
            let accepted = match sig.accepted_rate {
                Some(max) => format!(", above the accepted {}", percent(max)),
                None => ", not accepted".to_string(),
            };
            let _ = writeln!(
                out,
                "- {} {}: {} exchanges ({}){accepted}",
                code(&route.route),
                code(&sig.signature),
                sig.count,
                percent(sig.rate)
            );
            if let Some(sample) = sig.samples.first() {
                let value = |v: &Option<serde_json::Value>| match v {
                    Some(v) => code(&v.to_string()),
                    None => "(absent)".to_string(),
                };
                let _ = writeln!(
                    out,
                    "  - e.g. {} at {}: {} → {}",
                    code(&sample.id),
                    code(sample.path.as_deref().unwrap_or("status")),
                    value(&sample.old),
                    value(&sample.new)
                );
                if let Some(request) = &sample.request {
                    let commands = format!(
                        "{}\n{}",
                        curl::command(request, report.targets.old.as_deref(), "OLD_URL"),
                        curl::command(request, report.targets.new.as_deref(), "NEW_URL"),
                    );
                    out.push_str(&reproduce(&commands));
                }
            }
        }
        if failing.len() > MAX_FAILING_SHOWN {
            let _ = writeln!(
                out,
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
            out,
            "\n<details><summary>{} noise signatures (old disagrees with itself)</summary>\n",
            noise.len()
        );
        for (route, sig) in noise {
            let _ = writeln!(
                out,
                "- {} {}: {} (old vs old: {})",
                code(&route.route),
                code(&sig.signature),
                sig.count,
                sig.noise_count
            );
        }
        out.push_str("\n</details>\n");
    }
    let latency = report.latency.timed();
    if !latency.is_empty() {
        out.push_str("\n| Latency | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|\n");
        for (role, l) in latency {
            let _ = writeln!(
                out,
                "| {role} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
                l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
            );
        }
    }
    out
}

/// Text from the report in running Markdown: characters with a meaning escaped.
fn text(value: &str) -> String {
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
    let value = value.replace(['\n', '\r'], " ");
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
    fn running_text_cannot_open_markup() {
        assert_eq!(text("<script>|*x*"), "\\<script\\>\\|\\*x\\*");
        assert_eq!(text("&amp; ~~x~~"), "\\&amp; \\~\\~x\\~\\~");
    }
}
