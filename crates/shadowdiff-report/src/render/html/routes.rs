//! The routes table, with each route's verdict and counts, and the chart of difference rates.

use std::fmt::Write as _;

use crate::document::percent;
use crate::{Report, RouteReport};

use super::charts;
use super::escape::escape;
use super::page::{verdict_class, verdict_word};
use super::route::has_details;

/// The routes section: table, then the bar chart of difference rates.
pub fn section(out: &mut String, report: &Report) {
    if report.routes.is_empty() {
        return;
    }
    // The column of exchanges not run appears when the run was cut short.
    let cut_short = report.totals.not_run > 0;
    let _ = writeln!(
        out,
        "<section id=\"routes\">\n<h2>Routes</h2>\n<table>\n<tr><th>Verdict</th><th>Route</th>\
         <th class=\"n\">{}</th><th class=\"n\">Different</th>\
         <th class=\"n\">Not accepted</th><th class=\"n\">Noise only</th>\
         <th class=\"n\">Errors</th><th class=\"n\">Skipped</th>{}\
         <th class=\"n\">Difference rate</th></tr>",
        report.unit().heading(),
        if cut_short {
            "<th class=\"n\">Not run</th>"
        } else {
            ""
        }
    );
    for (index, route) in report.routes.iter().enumerate() {
        let c = &route.counts;
        let name = escape(&route.route);
        let name = if has_details(route) {
            format!("<a href=\"#route-{index}\">{name}</a>")
        } else {
            name
        };
        let not_run = if cut_short {
            format!("<td class=\"n\">{}</td>", c.not_run)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td><span class=\"badge {}\">{}</span></td><td class=\"mono\">{name}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{not_run}\
             <td class=\"n\">{}</td></tr>",
            verdict_class(route.verdict),
            verdict_word(route.verdict),
            c.exchanges,
            c.different,
            route.unaccepted,
            c.noise_only,
            c.errors,
            c.skipped,
            difference_rate(route).map_or("–".to_string(), percent)
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<figure>\n<figcaption>Difference rate per route (different / {}); red routes fail.</figcaption>",
        report.unit().plural()
    );
    out.push_str(&charts::rate_bars(&report.routes));
    out.push_str("</figure>\n</section>\n");
}

/// The share of a route's exchanges that differ, when it has any.
pub fn difference_rate(route: &RouteReport) -> Option<f64> {
    let c = &route.counts;
    (c.exchanges > 0).then(|| c.different as f64 / c.exchanges as f64)
}
