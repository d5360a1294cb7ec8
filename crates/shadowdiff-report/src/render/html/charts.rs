//! Inline SVG charts: difference rate per route, and the latency distribution of old and new.

use std::fmt::Write as _;

use crate::document::percent;
use crate::{LatencyBin, RouteReport, Verdict};

use super::escape::escape;
use super::page::count;
use super::routes::difference_rate;

/// The chart's width in user units; the SVG scales to the page.
const WIDTH: f64 = 1000.0;
/// Where the bars of the rate chart start (labels are left of it).
const LABEL_WIDTH: f64 = 320.0;
/// Room right of the bars for the percentage.
const VALUE_WIDTH: f64 = 80.0;
/// One route's row.
const ROW: f64 = 24.0;
/// Longer route names are cut in the chart (the table has them whole).
const MAX_LABEL_CHARS: usize = 44;
/// The latency chart's height.
const HEIGHT: f64 = 240.0;
/// The latency chart's plot area: left, top, bottom margin.
const PLOT_LEFT: f64 = 60.0;
const PLOT_TOP: f64 = 28.0;
const PLOT_BOTTOM: f64 = 40.0;

/// Horizontal bars, one per route, of the share of its exchanges that differ, on a 0-100 %
/// scale; failing routes in red.
pub fn rate_bars(routes: &[RouteReport]) -> String {
    let height = ROW * routes.len() as f64 + 22.0;
    let span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"Difference rate per route\">"
    );
    for (index, route) in routes.iter().enumerate() {
        let y = ROW * index as f64;
        let rate = difference_rate(route).unwrap_or(0.0);
        let class = match route.verdict {
            Verdict::Pass => "bar-pass",
            Verdict::Fail => "bar-fail",
        };
        let _ = writeln!(
            out,
            "<g><title>{}</title><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"track\" x=\"{LABEL_WIDTH}\" y=\"{:.1}\" width=\"{span}\" height=\"16\"/>\
             <rect class=\"{class}\" x=\"{LABEL_WIDTH}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            escape(&route.route),
            LABEL_WIDTH - 8.0,
            y + 16.0,
            escape(&cut(&route.route)),
            y + 4.0,
            y + 4.0,
            rate.clamp(0.0, 1.0) * span,
            LABEL_WIDTH + span + 8.0,
            y + 16.0,
            difference_rate(route).map_or("–".to_string(), percent)
        );
    }
    let axis = ROW * routes.len() as f64 + 14.0;
    for (share, anchor) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")] {
        let _ = writeln!(
            out,
            "<text class=\"muted\" x=\"{:.1}\" y=\"{axis:.1}\" text-anchor=\"{anchor}\">{}%</text>",
            LABEL_WIDTH + share * span,
            share * 100.0
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Grouped vertical bars of how many answers fell in each latency bin, old beside new.
pub fn latency_bars(old: &[LatencyBin], new: &[LatencyBin]) -> String {
    let mut bounds: Vec<f64> = old.iter().chain(new).map(|b| b.le_ms).collect();
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    let answers = |bins: &[LatencyBin], bound: f64| {
        bins.iter()
            .find(|b| b.le_ms == bound)
            .map_or(0, |b| b.count)
    };
    let top = old
        .iter()
        .chain(new)
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_width = WIDTH - PLOT_LEFT - 10.0;
    let plot_height = HEIGHT - PLOT_TOP - PLOT_BOTTOM;
    let base = HEIGHT - PLOT_BOTTOM;
    let group = plot_width / bounds.len().max(1) as f64;
    let bar = group * 0.38;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-label=\"Latency distribution, old against new\">\n\
         <rect class=\"bar-old\" x=\"{PLOT_LEFT}\" y=\"6\" width=\"12\" height=\"12\"/><text x=\"{:.1}\" y=\"16\">old</text>\n\
         <rect class=\"bar-new\" x=\"{:.1}\" y=\"6\" width=\"12\" height=\"12\"/><text x=\"{:.1}\" y=\"16\">new</text>\n\
         <line class=\"axis\" x1=\"{PLOT_LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{top}</text><text x=\"{:.1}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        PLOT_LEFT + 18.0,
        PLOT_LEFT + 60.0,
        PLOT_LEFT + 78.0,
        PLOT_LEFT + plot_width,
        PLOT_LEFT - 8.0,
        PLOT_TOP + 4.0,
        PLOT_LEFT - 8.0,
    );
    for (index, bound) in bounds.iter().enumerate() {
        let x = PLOT_LEFT + group * index as f64 + (group - 2.0 * bar) / 2.0;
        for (offset, class, role, n) in [
            (0.0, "bar-old", "old", answers(old, *bound)),
            (bar, "bar-new", "new", answers(new, *bound)),
        ] {
            let h = plot_height * n as f64 / top as f64;
            let _ = writeln!(
                out,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\">\
                 <title>{role}: {} at or below {bound} ms</title></rect>",
                x + offset,
                base - h,
                count(n, "answer")
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">≤{bound}</text>",
            x + bar,
            base + 16.0
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"muted\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">answer time, ms (upper bound of each bar)</text>\n</svg>",
        PLOT_LEFT + plot_width / 2.0,
        HEIGHT - 4.0
    );
    out
}

/// A route name short enough for the chart's label column.
fn cut(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL_CHARS {
        return name.to_string();
    }
    let mut short: String = name.chars().take(MAX_LABEL_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_on_characters() {
        let name = "é".repeat(60);
        let short = cut(&name);
        assert_eq!(short.chars().count(), MAX_LABEL_CHARS);
        assert!(short.ends_with('…'));
        assert_eq!(cut("GET /a"), "GET /a");
    }

    #[test]
    fn latency_bins_of_both_sides_share_one_axis() {
        let bin = |le_ms, count| LatencyBin { le_ms, count };
        let svg = latency_bars(&[bin(5.0, 3), bin(10.0, 1)], &[bin(10.0, 2), bin(20.0, 4)]);
        assert_eq!(svg.matches("text-anchor=\"middle\">≤").count(), 3);
        assert!(svg.contains("old: 0 answers at or below 20 ms"));
        assert!(svg.contains("new: 4 answers at or below 20 ms"));
    }
}
