//! `report.json`: the report as the public contract, pretty-printed, byte-stable.

use crate::Report;

/// The report as pretty JSON with a final newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serializes");
    text.push('\n');
    text
}
