//! PostgreSQL's text form of an array (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) read
//! into its elements' texts.

use std::iter::Peekable;
use std::str::Chars;

/// An element of an array's text form.
#[derive(Debug, PartialEq)]
pub(super) enum Item {
    /// An unquoted `NULL`.
    Null,
    /// An element's text, unquoted and unescaped.
    Text(String),
    /// A nested array.
    List(Vec<Item>),
}

/// The array written as `text`, or `None` when it is not in the plain form (bounds such as
/// `[0:1]={1,2}`, a delimiter other than `,`).
pub(super) fn parse(text: &str) -> Option<Vec<Item>> {
    let mut chars = text.chars().peekable();
    let items = list(&mut chars)?;
    chars.next().is_none().then_some(items)
}

/// A `{…}` list, its opening brace next.
fn list(chars: &mut Peekable<Chars<'_>>) -> Option<Vec<Item>> {
    if chars.next()? != '{' {
        return None;
    }
    let mut items = Vec::new();
    if chars.peek() == Some(&'}') {
        chars.next();
        return Some(items);
    }
    loop {
        let item = match chars.peek()? {
            '{' => Item::List(list(chars)?),
            '"' => Item::Text(quoted(chars)?),
            _ => bare(chars)?,
        };
        items.push(item);
        match chars.next()? {
            ',' => continue,
            '}' => return Some(items),
            _ => return None,
        }
    }
}

/// A quoted element, its opening quote next.
fn quoted(chars: &mut Peekable<Chars<'_>>) -> Option<String> {
    chars.next();
    let mut text = String::new();
    loop {
        match chars.next()? {
            '\\' => text.push(chars.next()?),
            '"' => return Some(text),
            c => text.push(c),
        }
    }
}

/// An unquoted element: up to the next `,` or `}`; `NULL` is null.
fn bare(chars: &mut Peekable<Chars<'_>>) -> Option<Item> {
    let mut text = String::new();
    while let Some(&c) = chars.peek() {
        match c {
            ',' | '}' => break,
            '{' | '"' => return None,
            _ => text.push(c),
        }
        chars.next();
    }
    if text.is_empty() {
        None
    } else if text.eq_ignore_ascii_case("NULL") {
        Some(Item::Null)
    } else {
        Some(Item::Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Item {
        Item::Text(s.into())
    }

    #[test]
    fn arrays_flat_nested_quoted_and_odd() {
        assert_eq!(parse("{}").unwrap(), []);
        assert_eq!(
            parse("{1,NULL,3}").unwrap(),
            [text("1"), Item::Null, text("3")]
        );
        assert_eq!(
            parse(r#"{"a,b","c\"d","NULL",e}"#).unwrap(),
            [text("a,b"), text("c\"d"), text("NULL"), text("e")]
        );
        assert_eq!(
            parse("{{1,2},{3,4}}").unwrap(),
            [
                Item::List(vec![text("1"), text("2")]),
                Item::List(vec![text("3"), text("4")])
            ]
        );
        for odd in ["[0:1]={1,2}", "{1,2", "{1,,2}", "{1}x", "", r#"{"a}"#] {
            assert!(parse(odd).is_none(), "{odd}");
        }
    }
}
