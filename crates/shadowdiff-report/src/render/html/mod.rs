//! `report.html`: one self-contained page (inline CSS, script and SVG, nothing fetched) with
//! the verdict first, then totals, snapshot status, routes, the differences of each route as a
//! field tree with examples side by side, the rules that hid differences, and latency.
//!
//! Everything from recordings is escaped, and a Content-Security-Policy lets only the page's
//! own script run. The page is readable with scripts off: the script only adds filters.

mod assets;
mod charts;
mod escape;
mod latency;
mod page;
mod route;
mod routes;
mod sample;
mod signature;
mod tree;

use crate::Report;

/// The report as one HTML page; the same report always gives the same bytes.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    page::head(&mut out, report);
    out.push_str("<body>\n<main>\n");
    page::verdict(&mut out, report);
    page::totals(&mut out, report);
    page::snapshot(&mut out, report);
    routes::section(&mut out, report);
    route::sections(&mut out, report);
    page::ignored(&mut out, report);
    latency::section(&mut out, report);
    page::footer(&mut out, report);
    out.push_str("</main>\n<script>");
    out.push_str(assets::SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests;
