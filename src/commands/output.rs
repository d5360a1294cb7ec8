//! Printing to stdout without panicking when the reader goes away (`shadowdiff ... | head`).

use std::io::Write as _;

use crate::cli::{Format, OutputArgs};
use crate::report::{render, Report};

/// Prints the report on stdout in the chosen format, unless quiet. A closed pipe is not an error.
pub fn print_report(report: &Report, output: &OutputArgs) {
    if output.quiet {
        return;
    }
    let text = match output.format {
        Format::Terminal => render::terminal::render(report),
        Format::Json => render::json::render(report),
        Format::Markdown => render::markdown::render(report),
        Format::Html => render::html::render(report),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
