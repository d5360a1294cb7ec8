//! The third stage, render: each renderer turns a finished [`Report`] into one format (and
//! suggested-rules.toml writes out the verdict's suggestions) and computes nothing. The one
//! table of formats, [`Format::ALL`], names each with its `--format` value, its file in a report
//! folder and its help line.

pub(crate) mod curl;
mod html;
mod json;
mod junit;
mod markdown;
mod suggest;
mod terminal;

pub(crate) use suggest::render as suggestion_file;

use crate::Report;

/// A format a report renders in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A short summary for people.
    Terminal,
    /// The report.json contract.
    Json,
    /// junit.xml, for CI test views.
    Junit,
    /// report.md, for a pull-request comment.
    Markdown,
    /// report.html, one self-contained page.
    Html,
}

/// One row of the table of formats.
#[derive(Clone, Copy, Debug)]
pub struct FormatInfo {
    /// The format.
    pub format: Format,
    /// Its `--format` value.
    pub name: &'static str,
    /// Its file in a report folder, when a report folder has one.
    pub file: Option<&'static str>,
    /// One line for `--help`.
    pub help: &'static str,
}

impl Format {
    /// Every format, in the order help lists them and a report folder writes them.
    pub const ALL: [FormatInfo; 5] = [
        FormatInfo {
            format: Format::Terminal,
            name: "terminal",
            file: None,
            help: "A short summary for people",
        },
        FormatInfo {
            format: Format::Json,
            name: "json",
            file: Some("report.json"),
            help: "The report.json contract",
        },
        FormatInfo {
            format: Format::Junit,
            name: "junit",
            file: Some("junit.xml"),
            help: "junit.xml, for CI test views",
        },
        FormatInfo {
            format: Format::Markdown,
            name: "markdown",
            file: Some("report.md"),
            help: "report.md, for a pull-request comment",
        },
        FormatInfo {
            format: Format::Html,
            name: "html",
            file: Some("report.html"),
            help: "report.html, one self-contained page",
        },
    ];

    /// This format's row of [`Format::ALL`].
    pub fn info(self) -> &'static FormatInfo {
        Format::ALL
            .iter()
            .find(|info| info.format == self)
            .expect("every format has a row")
    }

    /// Renders `report`; `colour` only matters to the terminal summary.
    pub fn render(self, report: &Report, colour: bool) -> String {
        match self {
            Format::Terminal => terminal::render(report, colour),
            Format::Json => json::render(report),
            Format::Junit => junit::render(report),
            Format::Markdown => markdown::render(report),
            Format::Html => html::render(report),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{cut_short, report};

    #[test]
    fn every_renderer_shows_the_exchanges_not_run_once_there_are_any() {
        let cut = cut_short();
        assert!(cut.totals.adds_up());
        let terminal = super::terminal::render(&cut, false);
        assert!(
            terminal.contains(
                "30 exchanges: 20 equal, 4 different, 0 noise only, 2 errors, 0 skipped, 4 not run"
            ),
            "{terminal}"
        );
        assert!(
            terminal.contains("GET /users  (10 exchanges: 0 different, 0 noise only, 0 errors, 0 skipped, 4 not run)"),
            "{terminal}"
        );
        assert!(
            terminal.contains("4 not run: target new failed 20 times in a row  e.g. r21, r22"),
            "{terminal}"
        );
        let markdown = super::markdown::render(&cut);
        assert!(
            markdown.contains("2 errors, 0 skipped, 4 not run."),
            "{markdown}"
        );
        assert!(markdown.contains("| Skipped | Not run |\n"), "{markdown}");
        assert!(
            markdown.contains("| `GET /users` | 10 | 0 | 0 | 0 | 0 | 0 | 4 |"),
            "{markdown}"
        );
        let junit = super::junit::render(&cut);
        assert!(
            junit.contains("4 exchanges not run: target new failed 20 times in a row (4)"),
            "{junit}"
        );
        let html = super::html::render(&cut);
        assert!(html.contains("<b>4</b><span>not run</span>"), "{html}");
        assert!(html.contains("<th class=\"n\">Not run</th>"), "{html}");
        assert!(html.contains("<h4>Not run</h4>"), "{html}");
        assert!(
            html.contains("target new failed 20 times in a row"),
            "{html}"
        );

        let whole = report();
        assert!(!super::terminal::render(&whole, false).contains("not run"));
        assert!(!super::markdown::render(&whole).contains("Not run"));
        assert!(!super::junit::render(&whole).contains("not run"));
        assert!(!super::html::render(&whole).contains("Not run"));
    }
}
