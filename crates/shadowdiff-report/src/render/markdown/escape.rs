//! Text from the report in Markdown: escaped in running text, in code spans that hold any text,
//! in table cells, and in the collapsed blocks of reproduction commands.

use std::fmt::Write as _;

/// The longest text from the report (a route, an id, a signature, a reason) shown whole; longer
/// ones are cut with `…`.
const MAX_TEXT: usize = 4 * 1024;

/// `value` cut to at most [`MAX_TEXT`] bytes (at a character boundary), marked `…` when cut.
fn clip(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= MAX_TEXT {
        return value.into();
    }
    let mut end = MAX_TEXT;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end]).into()
}

/// Text from the report in running Markdown: characters with a meaning escaped.
pub(super) fn text(value: &str) -> String {
    let value = clip(value);
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span that holds any text, even backticks.
pub(super) fn code(value: &str) -> String {
    let value = clip(value).replace(['\n', '\r'], " ");
    let mut fence = String::from("`");
    while value.contains(fence.as_str()) {
        fence.push('`');
    }
    // A span loses one space at each end when it has one at both: pad so that it keeps them.
    let spaced = value.starts_with(' ') && value.ends_with(' ') && value.trim() != "";
    let pad = if value.starts_with('`') || value.ends_with('`') || spaced {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// Inline Markdown for a table cell: its pipes escaped, which GFM resolves even in code spans.
pub(super) fn cell(markdown: &str) -> String {
    markdown.replace('|', "\\|")
}

/// The collapsed block of reproduction commands under a nested list item: every line indented
/// into the item, in a fence longer than any run of backticks in the commands.
pub(super) fn reproduce(commands: &str) -> String {
    let commands = commands.replace("\r\n", "\n").replace('\r', "\n");
    let mut fence = String::from("```");
    while commands.contains(fence.as_str()) {
        fence.push('`');
    }
    let mut block = format!("    <details><summary>reproduce</summary>\n\n    {fence}sh\n");
    for line in commands.split('\n') {
        let _ = writeln!(block, "    {line}");
    }
    let _ = writeln!(block, "    {fence}\n    </details>");
    block
}
