//! One line of a recording → one [`Exchange`].
//!
//! The input form is looser than the output form: `id` may be missing (the line's fallback id
//! stands in) or an integer, and unknown top-level fields are ignored so that newer writers'
//! recordings still read. What it holds is then checked (see `valid`). Errors name the file,
//! line and column.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::{valid, RawLine};
use crate::error::{Error, Result};
use shadowdiff_core::Exchange;
use shadowdiff_core::Location;

/// What to tell the user when text in a line is not valid UTF-8.
const BINARY_HINT: &str = r#"binary bodies belong in {"base64": ...}"#;

mod wire {
    //! The input form; named `Exchange` so that serde's messages say "struct Exchange".

    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::InputId;
    use shadowdiff_core::{Request, Response};

    /// An exchange as it may appear on input.
    #[derive(Deserialize)]
    pub(super) struct Exchange {
        #[serde(default)]
        pub id: Option<InputId>,
        #[serde(default)]
        pub ts: Option<String>,
        pub request: Request,
        #[serde(default)]
        pub response: Option<Response>,
        #[serde(default)]
        pub tags: BTreeMap<String, String>,
    }
}

/// An id given as a string or as an integer.
pub(super) struct InputId(pub(super) String);

impl<'de> Deserialize<'de> for InputId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InputId, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = InputId;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<InputId, E> {
        Ok(InputId(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<InputId, E> {
        Ok(InputId(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<InputId, E> {
        Ok(InputId(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<InputId, E> {
        Ok(InputId(value.to_string()))
    }

    /// Numbers keep their text (serde_json's `arbitrary_precision`), so they arrive as a map
    /// that only [`serde_json::Number`] knows how to read.
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<InputId, A::Error> {
        let number = serde_json::Number::deserialize(de::value::MapAccessDeserializer::new(map))?;
        if number.is_f64() {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other(&format!("floating point `{number}`")),
                &self,
            ));
        }
        Ok(InputId(number.as_str().to_owned()))
    }
}

/// Parses one line into an exchange; errors name the file and line.
pub fn parse_line(line: &RawLine) -> Result<Exchange> {
    let text = utf8_text(line)?;
    // Derived structs would also accept a JSON array of the fields in order; an exchange is an
    // object.
    let start = text.len() - text.trim_start().len();
    if text[start..].starts_with('[') {
        return Err(Error::input(
            line.location.clone(),
            format!(
                "invalid exchange: invalid type: array, expected struct Exchange at column {}",
                start + 1
            ),
        ));
    }
    let input: wire::Exchange =
        serde_json::from_str(text).map_err(|err| json_error(&line.location, &err))?;
    checked(
        Exchange {
            id: input
                .id
                .map_or_else(|| line.fallback_id.clone(), |InputId(id)| id),
            ts: input.ts,
            request: input.request,
            response: input.response,
            tags: input.tags,
        },
        line,
    )
}

/// The line's text, or the error that names the first byte that is not UTF-8.
pub(super) fn utf8_text(line: &RawLine) -> Result<&str> {
    std::str::from_utf8(&line.bytes).map_err(|err| {
        Error::input(
            line.location.clone(),
            format!(
                "text is not valid UTF-8 at column {}; {BINARY_HINT}",
                err.valid_up_to() + 1
            ),
        )
    })
}

/// The exchange read from `line` once it holds what an exchange must (see `valid`).
pub(super) fn checked(exchange: Exchange, line: &RawLine) -> Result<Exchange> {
    match valid::problem(&exchange) {
        Some(problem) => Err(Error::input(
            line.location.clone(),
            format!("invalid exchange `{}`: {problem}", exchange.id),
        )),
        None => Ok(exchange),
    }
}

/// Turns a serde error into an input error at `location`, saying "column N" rather than
/// "line 1 column N" (a recording line is always line 1 to serde).
fn json_error(location: &Location, err: &serde_json::Error) -> Error {
    let full = err.to_string();
    let (message, column) = if err.line() == 0 {
        (full.as_str(), String::new())
    } else {
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        (message, format!(" at column {}", err.column()))
    };
    let category = err.classify();
    let lone_surrogate = category == serde_json::error::Category::Syntax
        && matches!(
            message,
            "lone leading surrogate in hex escape" | "unexpected end of hex escape"
        );
    let message = if lone_surrogate {
        format!(
            "text is not valid UTF-8{column}: a lone surrogate escape (\\uD800-\\uDFFF) is not a \
             character; {BINARY_HINT}"
        )
    } else if category == serde_json::error::Category::Data {
        format!("invalid exchange: {message}{column}")
    } else {
        format!("invalid JSON: {message}{column}")
    };
    Error::input(location.clone(), message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::Body;

    fn raw(text: &[u8]) -> RawLine {
        RawLine {
            bytes: text.to_vec(),
            location: Location::line("recs/a.jsonl", 7),
            fallback_id: "7".into(),
        }
    }

    fn error(text: &[u8]) -> String {
        parse_line(&raw(text)).unwrap_err().to_string()
    }

    const REQUEST: &str = r#""request":{"method":"GET","url":"/a"}"#;

    #[test]
    fn ids_are_strings_integers_or_the_fallback() {
        for (id, expected) in [
            (r#""id":"r1","#, "r1"),
            (r#""id":42,"#, "42"),
            (r#""id":-3,"#, "-3"),
            (r#""id":18446744073709551615,"#, "18446744073709551615"),
            (
                r#""id":123456789012345678901234567890,"#,
                "123456789012345678901234567890",
            ),
            (r#""id":null,"#, "7"),
            ("", "7"),
        ] {
            let line = format!("{{{id}{REQUEST}}}");
            let exchange = parse_line(&raw(line.as_bytes())).unwrap();
            assert_eq!(exchange.id, expected, "{line}");
        }
        let err = error(format!(r#"{{"id":1.5,{REQUEST}}}"#).as_bytes());
        assert!(
            err.starts_with("recs/a.jsonl:7: invalid exchange: invalid type: floating point"),
            "{err}"
        );
        assert!(err.contains("expected a string or an integer"), "{err}");
    }

    #[test]
    fn unknown_fields_are_ignored_and_known_ones_kept() {
        let line = format!(
            r#"{{"future":{{"x":[1]}},"ts":"2026-01-01T00:00:00Z",{REQUEST},"response":{{"status":204}},"tags":{{"k":"v"}}}}"#
        );
        let exchange = parse_line(&raw(line.as_bytes())).unwrap();
        assert_eq!(exchange.ts.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(exchange.request.url, "/a");
        assert_eq!(exchange.request.body, Body::Empty);
        let response = exchange.response.unwrap();
        assert_eq!(response.status, 204);
        assert_eq!(exchange.tags["k"], "v");
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = error(br#"{"id":"r1","response":{"status":200}}"#);
        assert_eq!(
            err,
            "recs/a.jsonl:7: invalid exchange: missing field `request` at column 37"
        );
        let err = error(br#"{"id":"r1","#);
        assert!(err.starts_with("recs/a.jsonl:7: invalid JSON: "), "{err}");
        assert!(err.ends_with("at column 11"), "{err}");
        let err = error(br#"{"request":{"method":"GET","url":"/a","body":{"base64":"!!"}}}"#);
        assert!(err.contains("body is not valid base64"), "{err}");
        let err = error(br#" ["r1",null,{"method":"GET","url":"/"}]"#);
        assert_eq!(
            err,
            "recs/a.jsonl:7: invalid exchange: invalid type: array, expected struct Exchange at \
             column 2"
        );
        let err = error(br#""r1""#);
        assert_eq!(
            err,
            "recs/a.jsonl:7: invalid exchange: invalid type: string \"r1\", expected struct \
             Exchange at column 4"
        );
        let err = error(format!("{{{REQUEST}}} x").as_bytes());
        assert!(
            err.contains("invalid JSON: trailing characters at column"),
            "{err}"
        );
    }

    #[test]
    fn text_that_is_not_utf8_points_to_base64() {
        let mut line = br#"{"request":{"method":"GET","url":"/a","body":{"text":""#.to_vec();
        let column = line.len() + 1;
        line.extend_from_slice(b"\xff\xfe\"}}}");
        let err = error(&line);
        assert_eq!(
            err,
            format!(
                "recs/a.jsonl:7: text is not valid UTF-8 at column {column}; binary bodies belong \
                 in {{\"base64\": ...}}"
            )
        );
        for escape in [r"\ud800", r"\udc00", r"\ud800\u0041", r"\ud800x"] {
            let line = format!(
                r#"{{"request":{{"method":"GET","url":"/a","body":{{"text":"a{escape}"}}}}}}"#
            );
            let err = error(line.as_bytes());
            assert!(
                err.starts_with("recs/a.jsonl:7: text is not valid UTF-8 at column"),
                "{escape}: {err}"
            );
            assert!(
                err.contains(r#"binary bodies belong in {"base64": ...}"#),
                "{err}"
            );
        }
        let paired = br#"{"request":{"method":"GET","url":"/a","body":{"text":"\ud83d\ude00"}}}"#;
        let exchange = parse_line(&raw(paired)).unwrap();
        assert_eq!(exchange.request.body, Body::Text("😀".into()));
    }
}
