//! What a finished report proposes to the snapshot: its pending changes.

use crate::document::{cut_mark, Report, Shown, Side, SignatureReport};

use super::pending::{Change, Pending};

/// The changes a finished report proposes to the snapshot: signatures that fail for want of
/// acceptance (not noise, not accepted at their rate), and the stale entries.
pub fn pending_changes(report: &Report) -> Vec<Pending> {
    let mut changes = Vec::new();
    for route in &report.routes {
        for sig in &route.signatures {
            if sig.noise || sig.accepted {
                continue;
            }
            changes.push(Pending {
                change: if sig.accepted_rate.is_some() {
                    Change::Rate
                } else {
                    Change::New
                },
                route: route.route.clone(),
                signature: sig.signature.clone(),
                rate: sig.rate,
                count: sig.count,
                exchanges: route.counts.exchanges,
                accepted_rate: sig.accepted_rate,
                example: example(sig),
            });
        }
    }
    if let Some(status) = &report.snapshot {
        for stale in &status.stale {
            changes.push(Pending {
                change: Change::Stale,
                route: stale.route.clone(),
                signature: stale.signature.clone(),
                rate: 0.0,
                count: 0,
                exchanges: report
                    .routes
                    .iter()
                    .find(|r| r.route == stale.route)
                    .map_or(0, |r| r.counts.exchanges),
                accepted_rate: None,
                example: None,
            });
        }
    }
    changes
}

/// The first example of a signature as one line: `r17 at $.total: 10.5 → 10.49`.
fn example(sig: &SignatureReport) -> Option<String> {
    let sample = sig.samples.first()?;
    let value = |side: Side| match sample.shown(side) {
        Shown::Absent => "(absent)".to_string(),
        Shown::Whole(value) => shorten(&value.to_string()),
        Shown::Cut(start, size) => format!("{} {}", shorten(start), cut_mark(size)),
    };
    let place = sample.path.as_deref().unwrap_or("status");
    Some(format!(
        "{} at {place}: {} → {}",
        sample.id,
        value(Side::Old),
        value(Side::New)
    ))
}

/// A value cut to 80 characters for one-line display.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
