//! The noise signatures, collapsed: where old disagreed with itself.

use std::fmt::Write as _;

use crate::Report;

use super::escape::code;
use super::page::Page;

/// Every noise signature with its counts, in a collapsed block.
pub(super) fn section(page: &mut Page, report: &Report) {
    let noise: Vec<_> = report
        .routes
        .iter()
        .flat_map(|r| r.signatures.iter().filter(|s| s.noise).map(move |s| (r, s)))
        .collect();
    if noise.is_empty() {
        return;
    }
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
