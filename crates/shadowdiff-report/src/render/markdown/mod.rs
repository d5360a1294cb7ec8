//! `report.md`: a Markdown summary fit for a pull-request comment or a GitHub step summary.
//! The verdict and its reasons come first; then the routes, then what fails, with examples.
//! One file per section, as for report.html.

mod escape;
mod failing;
mod latency;
mod noise;
mod page;
mod routes;
mod summary;
#[cfg(test)]
mod tests;

use crate::Report;

use page::Page;

/// The report as Markdown, at most [`page::MAX_MARKDOWN`] bytes.
pub fn render(report: &Report) -> String {
    let mut page = Page::default();
    summary::verdict(&mut page, report);
    summary::totals(&mut page, report);
    summary::snapshot(&mut page, report);
    routes::table(&mut page, report);
    failing::section(&mut page, report);
    noise::section(&mut page, report);
    latency::table(&mut page, report);
    page.finish()
}
