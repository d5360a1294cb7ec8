//! Renderers: each turns a finished [`Report`](super::Report) into one format and computes nothing.

pub mod curl;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod suggest;
pub mod terminal;
#[cfg(test)]
mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::{cut_short, report};

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
