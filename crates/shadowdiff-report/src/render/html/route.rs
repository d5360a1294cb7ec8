//! The detail of each route that has something to show: its reasons, the field tree of its
//! signatures with examples, its errors and skips with example ids, and the rules that hid
//! differences on it.

use crate::unit::Unit;
use std::fmt::Write as _;

use crate::{Report, RouteReport, TargetNames};

use super::escape::{escape, prose};
use super::page::{count, ignored_table, verdict_class, verdict_word};
use super::signature;
use super::tree::{self, Node};

/// The filters, then one section per route with signatures, errors or skips.
pub fn sections(out: &mut String, report: &Report) {
    if !report.routes.iter().any(has_details) {
        return;
    }
    out.push_str("<section id=\"details\">\n<h2>Differences by route</h2>\n");
    if report.routes.iter().any(|r| !r.signatures.is_empty()) {
        out.push_str(
            "<div id=\"filters\" hidden>Show: \
             <label><input type=\"checkbox\" data-hide=\"hide-noise\" checked> noise signatures</label>\
             <label><input type=\"checkbox\" data-hide=\"hide-accepted\" checked> accepted signatures</label>\
             </div>\n",
        );
    }
    for (index, route) in report.routes.iter().enumerate() {
        if has_details(route) {
            section(out, index, route, &report.targets);
        }
    }
    out.push_str("</section>\n");
}

/// Whether a route has differences, errors, skips or exchanges not run to detail.
pub fn has_details(route: &RouteReport) -> bool {
    !route.signatures.is_empty()
        || !route.error_kinds.is_empty()
        || !route.skip_reasons.is_empty()
        || !route.not_run_reasons.is_empty()
}

/// One route's section.
fn section(out: &mut String, index: usize, route: &RouteReport, targets: &TargetNames) {
    let _ = write!(
        out,
        "<section class=\"route\" id=\"route-{index}\">\n<header><span class=\"badge {}\">{}</span>\
         <h3 class=\"mono\">{}</h3></header>\n<ul class=\"reasons\">\n",
        verdict_class(route.verdict),
        verdict_word(route.verdict),
        escape(&route.route)
    );
    for reason in &route.reasons {
        let _ = writeln!(out, "<li>{}</li>", prose(reason));
    }
    out.push_str("</ul>\n");
    if !route.signatures.is_empty() {
        out.push_str("<h4>Differences by field</h4>\n");
        let id = format!("route-{index}");
        out.push_str("<div class=\"tree\">\n");
        nodes(
            out,
            &tree::build(&route.signatures),
            &id,
            targets,
            Unit::of_route(&route.route),
        );
        out.push_str("</div>\n");
    }
    if !route.error_kinds.is_empty() {
        let _ = writeln!(
            out,
            "<h4>Errors</h4>\n<table>\n<tr><th>Kind</th><th class=\"n\">{}</th>\
             <th>First message</th><th>Examples</th></tr>",
            Unit::of_route(&route.route).heading()
        );
        for error in &route.error_kinds {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td class=\"n\">{}</td><td>{}</td>\
                 <td class=\"mono\">{}</td></tr>",
                escape(&error.kind),
                error.count,
                escape(&error.message),
                escape(&error.examples.join(", "))
            );
        }
        out.push_str("</table>\n");
    }
    for (heading, groups) in [
        ("Skipped", &route.skip_reasons),
        ("Not run", &route.not_run_reasons),
    ] {
        if groups.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h4>{heading}</h4>\n<table>\n<tr><th>Reason</th><th class=\"n\">{}</th>\
             <th>Examples</th></tr>\n",
            Unit::of_route(&route.route).heading()
        );
        for group in groups {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"mono\">{}</td></tr>",
                escape(&group.reason),
                group.count,
                escape(&group.examples.join(", "))
            );
        }
        out.push_str("</table>\n");
    }
    if !route.ignored.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"hidden-by\"><summary>Hidden on this route by {}</summary>",
            count(route.ignored.len() as u64, "rule")
        );
        ignored_table(out, &route.ignored, Unit::of_route(&route.route));
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// A level of the field tree, its signatures at each place and the places below.
fn nodes(out: &mut String, nodes: &[Node<'_>], id: &str, targets: &TargetNames, unit: Unit) {
    out.push_str("<ul>\n");
    for node in nodes {
        let _ = writeln!(
            out,
            "<li><span class=\"seg mono\">{}</span>",
            escape(&node.label)
        );
        for (index, sig) in &node.signatures {
            signature::render(out, &format!("{id}-sig-{index}"), sig, targets, unit);
        }
        if !node.children.is_empty() {
            self::nodes(out, &node.children, id, targets, unit);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}
