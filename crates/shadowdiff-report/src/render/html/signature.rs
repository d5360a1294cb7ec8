//! One signature in the field tree: how it differs, how often, whether it is noise, accepted or
//! failing, and its examples.

use std::fmt::Write as _;

use crate::document::percent;
use crate::unit::Unit;
use crate::{SignatureReport, TargetNames};

use super::escape::escape;
use super::page::count;
use super::sample;

/// The signature as a block with element id `id`; classes `noise` and `accepted` let the
/// filters hide it.
pub fn render(
    out: &mut String,
    id: &str,
    sig: &SignatureReport,
    targets: &TargetNames,
    unit: Unit,
) {
    let mut classes = String::from("sig");
    for (flag, class) in [
        (sig.noise, " noise"),
        (sig.accepted, " accepted"),
        (sig.failing, " failing"),
    ] {
        if flag {
            classes.push_str(class);
        }
    }
    let _ = write!(
        out,
        "<div class=\"{classes}\" id=\"{id}\">\n<div class=\"sig-head\"><b>{}</b> \
         <span class=\"rate\">{} · {}</span>",
        escape(&sig.kind),
        count(sig.count, unit.singular()),
        percent(sig.rate)
    );
    for (flag, class, label) in [
        (sig.failing, "failing", "failing"),
        (sig.noise, "noise", "noise"),
        (sig.accepted, "accepted", "accepted"),
    ] {
        if flag {
            let _ = write!(out, " <span class=\"badge {class}\">{label}</span>");
        }
    }
    let _ = writeln!(
        out,
        " <code class=\"muted\">{}</code></div>",
        escape(&sig.signature)
    );
    if sig.noise {
        let _ = writeln!(
            out,
            "<p class=\"why\">Noise: old disagreed with itself so in {}.</p>",
            count(sig.noise_count, unit.singular())
        );
    }
    if let Some(rate) = sig.accepted_rate {
        let reason = sig
            .accepted_reason
            .as_deref()
            .map(|r| format!(": {}", escape(r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"why\">The snapshot accepts it up to {}{reason}.</p>",
            percent(rate)
        );
    }
    if let Some(note) = &sig.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    let _ = writeln!(
        out,
        "<details{}><summary>Examples: {}</summary>",
        if sig.failing { " open" } else { "" },
        escape(&sig.examples.join(", "))
    );
    for sample in &sig.samples {
        sample::render(out, sample, targets, unit);
    }
    out.push_str("</details>\n</div>\n");
}
