//! Printing to stdout without panicking when the reader goes away (`shadowdiff ... | head`).

use std::io::{IsTerminal as _, Write as _};

use crate::settings::Output;
use shadowdiff_report::Report;

/// Prints the report on stdout in the chosen format, unless quiet. A closed pipe is not an error.
pub fn print_report(report: &Report, output: &Output) {
    if output.quiet {
        return;
    }
    let text = output.format.0.render(report, colour());
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Whether the summary may be coloured: stdout is a terminal, `NO_COLOR` is unset or empty, and
/// `TERM` is not `dumb`.
fn colour() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|term| term == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
}
