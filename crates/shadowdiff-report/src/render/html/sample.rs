//! One example of a signature: old and new side by side with the differing lines marked, and
//! the commands that replay its request against each target.

use crate::unit::Unit;
use std::fmt::Write as _;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::document::cut_mark;
use crate::{Sample, Shown, Side, TargetNames};

use super::super::curl;
use super::escape::escape;

/// The sample as a block: where, the two sides, and the reproduction commands when the
/// request is known.
pub fn render(out: &mut String, sample: &Sample, targets: &TargetNames, unit: Unit) {
    let (old, new) = sides(
        side_text(sample.shown(Side::Old)),
        side_text(sample.shown(Side::New)),
    );
    let _ = writeln!(
        out,
        "<div class=\"sample\">\n<div class=\"sample-head\">{} <code>{}</code> at \
         <code>{}</code></div>\n<div class=\"sides\">\n\
         <div class=\"side\"><div class=\"label\">old</div><pre>{old}</pre></div>\n\
         <div class=\"side\"><div class=\"label\">new</div><pre>{new}</pre></div>\n</div>",
        unit.singular(),
        escape(&sample.id),
        escape(sample.path.as_deref().unwrap_or("status"))
    );
    if let Some(request) = &sample.request {
        let _ = writeln!(
            out,
            "<details><summary>Reproduce</summary><pre class=\"cmd\">{}\n{}</pre></details>",
            escape(&curl::command(request, targets.old.as_deref(), "OLD_URL")),
            escape(&curl::command(request, targets.new.as_deref(), "NEW_URL"))
        );
    }
    out.push_str("</div>\n");
}

/// The two values as escaped HTML, lines only on the old side marked `del`, lines only on the
/// new side marked `ins`; an absent side says so.
fn sides(old: Option<String>, new: Option<String>) -> (String, String) {
    let absent = || "<span class=\"absent\">(absent)</span>".to_string();
    match (old, new) {
        (Some(old), Some(new)) => {
            let (mut left, mut right) = (String::new(), String::new());
            for change in TextDiff::from_lines(&old, &new).iter_all_changes() {
                let line = escape(change.value());
                match change.tag() {
                    ChangeTag::Equal => {
                        left.push_str(&line);
                        right.push_str(&line);
                    }
                    ChangeTag::Delete => mark(&mut left, "del", &line),
                    ChangeTag::Insert => mark(&mut right, "ins", &line),
                }
            }
            (left, right)
        }
        (Some(old), None) => (marked("del", &old), absent()),
        (None, Some(new)) => (absent(), marked("ins", &new)),
        (None, None) => (absent(), absent()),
    }
}

/// One side as text: a whole value indented, or the start of a cut value with a line saying
/// how large it was; `None` when absent.
fn side_text(shown: Shown<'_>) -> Option<String> {
    match shown {
        Shown::Absent => None,
        Shown::Whole(value) => Some(pretty(value)),
        Shown::Cut(start, size) => Some(format!("{start}\n{}", cut_mark(size))),
    }
}

/// A JSON value indented, one member or element per line.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// All of `text` escaped and marked.
fn marked(class: &str, text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        mark(&mut out, class, &escape(line));
    }
    out
}

/// One escaped line in a span of `class`, its line break outside the span.
fn mark(out: &mut String, class: &str, line: &str) {
    let (text, end) = match line.strip_suffix('\n') {
        Some(text) => (text, "\n"),
        None => (line, ""),
    };
    let _ = write!(out, "<span class=\"{class}\">{text}</span>{end}");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_differing_lines_are_marked() {
        let (old, new) = sides(
            side_text(Shown::Whole(&json!({"a": 1, "b": 2}))),
            side_text(Shown::Whole(&json!({"a": 1, "b": 3}))),
        );
        let q = "&quot;";
        let expected = |class: &str, b: u8| {
            format!("{{\n  {q}a{q}: 1,\n<span class=\"{class}\">  {q}b{q}: {b}</span>\n}}")
        };
        assert_eq!(old, expected("del", 2));
        assert_eq!(new, expected("ins", 3));
    }

    #[test]
    fn an_absent_side_says_so_and_values_are_escaped() {
        let (old, new) = sides(side_text(Shown::Whole(&json!("<b>'x'</b>"))), None);
        assert_eq!(
            old,
            "<span class=\"del\">&quot;&lt;b&gt;&#39;x&#39;&lt;/b&gt;&quot;</span>"
        );
        assert_eq!(new, "<span class=\"absent\">(absent)</span>");
    }

    #[test]
    fn a_cut_value_shows_its_start_as_sent_and_its_size() {
        let (old, _) = sides(side_text(Shown::Cut("[1.50,<b>", 5_242_880)), None);
        assert_eq!(
            old,
            "<span class=\"del\">[1.50,&lt;b&gt;</span>\n<span class=\"del\">… (5.2 MB, cut)</span>"
        );
    }
}
