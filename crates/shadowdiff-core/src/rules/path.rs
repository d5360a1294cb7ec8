//! The JSONPath subset of rule files (RFC 9535): `$`, `.name`, `['name']`, `[N]`, `[*]`, `..name`.
//!
//! Accepted forms, after the leading `$`:
//!
//! - `.name` where `name` is an RFC 9535 member-name-shorthand (first character a letter, `_` or
//!   any non-ASCII character; then also digits), and `['name']` / `["name"]` for any other name,
//!   with the RFC's escapes (`\'`, `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`);
//! - `[N]`, a non-negative index without leading zeros;
//! - `.*` and `[*]`, every member or element;
//! - `..name` and `..['name']`, the member `name` at any depth below.
//!
//! Everything else (`..*`, negative indices, slices, unions, filters, blanks between segments) is
//! rejected with a message naming the 1-based column and the problem.

/// One step of a path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`: the member `name` of an object.
    Child(String),
    /// `[N]`: element N of an array.
    Index(usize),
    /// `[*]` or `.*`: every member or element.
    Wildcard,
    /// `..name`: the member `name` at any depth below.
    Descendant(String),
}

/// A parsed path pattern such as `$.items[*].price`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    /// The steps after `$`.
    pub segments: Vec<Segment>,
    /// The text the pattern was parsed from, for labels.
    pub text: String,
}

impl PathPattern {
    /// Parses a pattern; the error says what is wrong, for a message naming file and line.
    pub fn parse(text: &str) -> Result<PathPattern, String> {
        let segments = Parser::new(text).path()?;
        Ok(PathPattern {
            segments,
            text: text.to_string(),
        })
    }
}

/// The largest index RFC 9535 allows (I-JSON's exact integer range).
const MAX_INDEX: u64 = (1 << 53) - 1;

/// A cursor over the characters of a path, tracking 1-based columns.
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

/// What a bracketed selector held.
enum Selector {
    Name(String),
    Index(usize),
    Wildcard,
}

impl Parser {
    fn new(text: &str) -> Parser {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    /// The 1-based column of the current character.
    fn column(&self) -> usize {
        self.pos + 1
    }

    fn path(&mut self) -> Result<Vec<Segment>, String> {
        if self.peek() != Some('$') {
            return Err("path must start with `$`".to_string());
        }
        self.pos += 1;
        let mut segments = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '.' if self.peek_at(1) == Some('.') => {
                    self.pos += 2;
                    segments.push(self.descendant()?);
                }
                '.' => {
                    self.pos += 1;
                    segments.push(self.dot_child()?);
                }
                '[' => {
                    segments.push(match self.bracket()? {
                        Selector::Name(name) => Segment::Child(name),
                        Selector::Index(index) => Segment::Index(index),
                        Selector::Wildcard => Segment::Wildcard,
                    });
                }
                other => {
                    return Err(format!(
                        "unexpected {} at column {}; expected `.`, `..` or `[`{}",
                        describe(other),
                        self.column(),
                        shorthand_hint(other)
                    ))
                }
            }
        }
        Ok(segments)
    }

    /// After `..`: a name, `['name']`, or an unsupported wildcard.
    fn descendant(&mut self) -> Result<Segment, String> {
        let column = self.column();
        match self.peek() {
            Some('*') => Err(format!(
                "`..*` (every descendant) at column {column} is not supported; name the member, \
                 as in `..name`"
            )),
            Some('[') => match self.bracket()? {
                Selector::Name(name) => Ok(Segment::Descendant(name)),
                Selector::Wildcard => Err(format!(
                    "`..[*]` (every descendant) at column {column} is not supported; name the \
                     member, as in `..['name']`"
                )),
                Selector::Index(_) => Err(format!(
                    "`..[N]` (descendant index) at column {column} is not supported; only \
                     `..name` and `..['name']` are"
                )),
            },
            Some(c) if is_name_first(c) => Ok(Segment::Descendant(self.shorthand())),
            Some(c) => Err(format!(
                "expected a member name after `..` at column {column}, found {}",
                describe(c)
            )),
            None => Err(format!(
                "expected a member name after `..` at column {column}, found the end"
            )),
        }
    }

    /// After a single `.`: a name or `*`.
    fn dot_child(&mut self) -> Result<Segment, String> {
        let column = self.column();
        match self.peek() {
            Some('*') => {
                self.pos += 1;
                Ok(Segment::Wildcard)
            }
            Some(c) if is_name_first(c) => Ok(Segment::Child(self.shorthand())),
            Some(c) if c.is_ascii_digit() => Err(format!(
                "member name at column {column} starts with a digit; use `['{}']` or `[N]`",
                self.rest_of_word()
            )),
            Some(c) => Err(format!(
                "expected a member name or `*` after `.` at column {column}, found {}",
                describe(c)
            )),
            None => Err(format!(
                "expected a member name or `*` after `.` at column {column}, found the end"
            )),
        }
    }

    /// The characters from here up to the next `.` or `[`, for hints.
    fn rest_of_word(&self) -> String {
        self.chars[self.pos..]
            .iter()
            .take_while(|c| !matches!(c, '.' | '['))
            .collect()
    }

    /// A member-name-shorthand; the first character is already known to be valid.
    fn shorthand(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if is_name_first(c) || c.is_ascii_digit() {
                name.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        name
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    /// `[...]` with one selector: a quoted name, an index or `*`.
    fn bracket(&mut self) -> Result<Selector, String> {
        let open = self.column();
        self.pos += 1;
        self.skip_blanks();
        let column = self.column();
        let (selector, what) = match self.peek() {
            Some(quote @ ('\'' | '"')) => (Selector::Name(self.string(quote)?), "name"),
            Some('*') => {
                self.pos += 1;
                (Selector::Wildcard, "`*`")
            }
            Some(c) if c.is_ascii_digit() => (Selector::Index(self.index()?), "index"),
            Some('-') => {
                return Err(format!(
                    "negative index at column {column} is not supported; expected `[N]` with N \
                     0 or more"
                ))
            }
            Some('?') => return Err(format!("filter at column {column} is not supported")),
            Some(':') => return Err(format!("slice at column {column} is not supported")),
            Some(c) => {
                return Err(format!(
                "expected a quoted name, an index or `*` after `[` at column {column}, found {}",
                describe(c)
            ))
            }
            None => {
                return Err(format!(
                    "expected a quoted name, an index or `*` after `[` at column {open}, found \
                     the end"
                ))
            }
        };
        self.skip_blanks();
        let column = self.column();
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(selector)
            }
            Some(',') => Err(format!(
                "union (`,`) at column {column} is not supported; write one rule per path"
            )),
            Some(':') => Err(format!("slice at column {column} is not supported")),
            Some(c) => Err(format!(
                "expected `]` after {what} at column {column}, found {}",
                describe(c)
            )),
            None => Err(format!(
                "expected `]` after {what} at column {column}, found the end"
            )),
        }
    }

    /// A non-negative integer without leading zeros.
    fn index(&mut self) -> Result<usize, String> {
        let column = self.column();
        let mut digits = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            digits.push(c);
            self.pos += 1;
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(format!(
                "index {digits} at column {column} has a leading zero"
            ));
        }
        digits
            .parse::<u64>()
            .ok()
            .filter(|value| *value <= MAX_INDEX)
            .and_then(|value| usize::try_from(value).ok())
            .ok_or_else(|| format!("index {digits} at column {column} is too large"))
    }

    /// A quoted string with RFC 9535 escapes; the opening quote is the current character.
    fn string(&mut self, quote: char) -> Result<String, String> {
        let open = self.column();
        self.pos += 1;
        let mut out = String::new();
        loop {
            let column = self.column();
            let Some(c) = self.peek() else {
                return Err(format!(
                    "unterminated string starting at column {open}; expected a closing {quote}"
                ));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(out),
                '\\' => out.push(self.escape(quote)?),
                c if (c as u32) < 0x20 => {
                    return Err(format!(
                        "control character U+{:04X} at column {column} must be escaped",
                        c as u32
                    ))
                }
                c => out.push(c),
            }
        }
    }

    /// The character after a backslash inside a string quoted with `quote`.
    fn escape(&mut self, quote: char) -> Result<char, String> {
        let column = self.column() - 1;
        let Some(c) = self.peek() else {
            return Err(format!("unfinished escape at column {column}"));
        };
        self.pos += 1;
        match c {
            '\\' => Ok('\\'),
            '/' => Ok('/'),
            'b' => Ok('\u{8}'),
            'f' => Ok('\u{c}'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            't' => Ok('\t'),
            c if c == quote => Ok(c),
            'u' => {
                let high = self.hex4(column)?;
                if (0xD800..0xDC00).contains(&high) {
                    if self.peek() != Some('\\') || self.peek_at(1) != Some('u') {
                        return Err(format!(
                            "escape at column {column} is a lone surrogate; expected a second \
                             `\\uXXXX`"
                        ));
                    }
                    self.pos += 2;
                    let low = self.hex4(column)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(format!(
                            "escape at column {column} is a lone surrogate; expected a low \
                             surrogate next"
                        ));
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code)
                        .ok_or_else(|| format!("escape at column {column} is not a character"))
                } else {
                    char::from_u32(high)
                        .ok_or_else(|| format!("escape at column {column} is a lone surrogate"))
                }
            }
            other => Err(format!(
                "unknown escape `\\{other}` at column {column}; expected one of \\{quote} \\\\ \
                 \\/ \\b \\f \\n \\r \\t \\uXXXX"
            )),
        }
    }

    /// Four hex digits of a `\u` escape starting at `column`.
    fn hex4(&mut self, column: usize) -> Result<u32, String> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                format!("escape at column {column} needs four hex digits after `\\u`")
            })?;
            value = value * 16 + digit;
            self.pos += 1;
        }
        Ok(value)
    }
}

/// RFC 9535 name-first: ALPHA / "_" / any non-ASCII character.
fn is_name_first(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

/// A character quoted for a message.
fn describe(c: char) -> String {
    match c {
        ' ' => "space".to_string(),
        '\t' => "tab".to_string(),
        '\n' | '\r' => "line break".to_string(),
        '`' => "'`'".to_string(),
        c => format!("`{c}`"),
    }
}

/// A hint for characters that cannot appear in a `.name` shorthand.
fn shorthand_hint(c: char) -> &'static str {
    if matches!(c, '-' | '@' | ':' | '/' | '+' | '#' | '%' | '&' | '~') {
        " (names with other characters need `['...']`)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(text: &str) -> Vec<Segment> {
        match PathPattern::parse(text) {
            Ok(pattern) => pattern.segments,
            Err(message) => panic!("{text:?} should parse: {message}"),
        }
    }

    fn error(text: &str) -> String {
        match PathPattern::parse(text) {
            Ok(pattern) => panic!("{text:?} should not parse: {:?}", pattern.segments),
            Err(message) => message,
        }
    }

    fn child(name: &str) -> Segment {
        Segment::Child(name.to_string())
    }

    fn descendant(name: &str) -> Segment {
        Segment::Descendant(name.to_string())
    }

    #[test]
    fn root_alone() {
        assert_eq!(segments("$"), vec![]);
        assert_eq!(PathPattern::parse("$.a").map(|p| p.text), Ok("$.a".into()));
    }

    #[test]
    fn valid_paths() {
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            ("$.meta.requestId", vec![child("meta"), child("requestId")]),
            ("$._x9", vec![child("_x9")]),
            ("$.été", vec![child("été")]),
            ("$['a b']", vec![child("a b")]),
            ("$[\"a b\"]", vec![child("a b")]),
            ("$['request-id']", vec![child("request-id")]),
            ("$['']", vec![child("")]),
            ("$[0]", vec![Segment::Index(0)]),
            ("$[42]", vec![Segment::Index(42)]),
            ("$[ 3 ]", vec![Segment::Index(3)]),
            ("$[*]", vec![Segment::Wildcard]),
            ("$.*", vec![Segment::Wildcard]),
            (
                "$.items[*].price",
                vec![child("items"), Segment::Wildcard, child("price")],
            ),
            ("$..updatedAt", vec![descendant("updatedAt")]),
            ("$..['x-y']", vec![descendant("x-y")]),
            (
                "$.a..b[1]",
                vec![child("a"), descendant("b"), Segment::Index(1)],
            ),
            (
                "$[9007199254740991]",
                vec![Segment::Index(9007199254740991)],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(segments(text), expected, "{text}");
        }
    }

    #[test]
    fn escapes() {
        let cases = [
            (r"$['it\'s']", "it's"),
            (r#"$["say \"hi\""]"#, "say \"hi\""),
            (r#"$['a"b']"#, "a\"b"),
            (r#"$["a'b"]"#, "a'b"),
            (r"$['back\\slash']", "back\\slash"),
            (r"$['\u00e9']", "é"),
            (r"$['\uD83D\uDE00']", "😀"),
            (r"$['a\/b\n\t']", "a/b\n\t"),
        ];
        for (text, expected) in cases {
            assert_eq!(segments(text), vec![child(expected)], "{text}");
        }
    }

    #[test]
    fn invalid_paths() {
        let cases = [
            ("", "path must start with `$`"),
            ("items", "path must start with `$`"),
            (".a", "path must start with `$`"),
            (
                "$.items[",
                "expected a quoted name, an index or `*` after `[` at column 8",
            ),
            (
                "$.items[0",
                "expected `]` after index at column 10, found the end",
            ),
            (
                "$.items[0x]",
                "expected `]` after index at column 10, found `x`",
            ),
            (
                "$.a.",
                "expected a member name or `*` after `.` at column 5, found the end",
            ),
            (
                "$.a..",
                "expected a member name after `..` at column 6, found the end",
            ),
            (
                "$..*",
                "`..*` (every descendant) at column 4 is not supported",
            ),
            (
                "$..[*]",
                "`..[*]` (every descendant) at column 4 is not supported",
            ),
            (
                "$..[0]",
                "`..[N]` (descendant index) at column 4 is not supported",
            ),
            (
                "$.1a",
                "member name at column 3 starts with a digit; use `['1a']`",
            ),
            (
                "$.request-id",
                "unexpected `-` at column 10; expected `.`, `..` or `[`",
            ),
            ("$[-1]", "negative index at column 3 is not supported"),
            ("$[01]", "index 01 at column 3 has a leading zero"),
            (
                "$[9007199254740992]",
                "index 9007199254740992 at column 3 is too large",
            ),
            ("$[1,2]", "union (`,`) at column 4 is not supported"),
            ("$[1:2]", "slice at column 4 is not supported"),
            ("$[?@.a]", "filter at column 3 is not supported"),
            ("$['abc", "unterminated string starting at column 3"),
            (r"$['a\x']", "unknown escape `\\x` at column 5"),
            (r"$['\u12']", "escape at column 4 needs four hex digits"),
            (r"$['\uD800']", "escape at column 4 is a lone surrogate"),
            (
                "$['a\u{1}']",
                "control character U+0001 at column 5 must be escaped",
            ),
            ("$ .a", "unexpected space at column 2"),
            ("$.a b", "unexpected space at column 4"),
            (
                "$.a[b]",
                "expected a quoted name, an index or `*` after `[` at column 5",
            ),
            ("$x", "unexpected `x` at column 2"),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert!(
                message.starts_with(expected),
                "{text:?}: {message:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn no_panics_on_odd_input() {
        for text in [
            "$[",
            "$['",
            "$['\\",
            "$['\\u",
            "$[\"\\uD83D\\u",
            "$..[",
            "$.€[",
            "$[ ",
        ] {
            assert!(PathPattern::parse(text).is_err(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[$.\\[\\]'\"*a-z0-9\\\\u -]{0,24}") {
            let _ = PathPattern::parse(&text);
        }

        #[test]
        fn shorthand_names_round_trip(names in proptest::collection::vec("[a-z_][a-zA-Z0-9_]{0,8}", 0..5)) {
            let text = format!("${}", names.iter().map(|n| format!(".{n}")).collect::<String>());
            let expected: Vec<Segment> = names.into_iter().map(Segment::Child).collect();
            proptest::prop_assert_eq!(PathPattern::parse(&text).map(|p| p.segments), Ok(expected));
        }
    }
}
