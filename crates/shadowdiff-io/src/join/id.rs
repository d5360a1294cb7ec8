//! The id a recording line joins by, read without parsing the rest of the line.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::recordings::{parse_line, RawLine};

#[derive(Deserialize)]
struct IdPeek {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// The id a line will have once parsed: its `id` field, else its fallback id. Only the id is
/// decoded; the rest of the line is skipped. A line that is not JSON gets the error the full
/// parse gives it, which says more.
pub fn peek_id(line: &RawLine) -> Result<String> {
    if let Some(id) = leading_id(&line.bytes) {
        return Ok(id.to_string());
    }
    let peek: IdPeek = serde_json::from_slice(&line.bytes).map_err(|err| {
        parse_line(line).err().unwrap_or_else(|| {
            Error::input(line.location.clone(), format!("invalid exchange: {err}"))
        })
    })?;
    match peek.id {
        None | Some(serde_json::Value::Null) => Ok(line.fallback_id.clone()),
        Some(serde_json::Value::String(id)) => Ok(id),
        Some(serde_json::Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(Error::input(
            line.location.clone(),
            format!("invalid exchange: `id` must be a string or an integer, not {other}"),
        )),
    }
}

/// The id of a line that starts `{"id":"` (spaces allowed between the tokens) with a plain
/// string (no escapes), as shadowdiff and most tools write it, read without scanning the rest:
/// every line is parsed in full later, before it is judged, so what this skips is still checked.
fn leading_id(bytes: &[u8]) -> Option<&str> {
    let mut rest = bytes;
    for token in [&b"{"[..], b"\"id\"", b":", b"\""] {
        let start = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r'))?;
        rest = rest[start..].strip_prefix(token)?;
    }
    let end = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if rest[end] != b'"' {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::Location;

    fn raw(text: &str) -> RawLine {
        RawLine {
            bytes: text.as_bytes().to_vec(),
            location: Location::line("a.jsonl", 3),
            fallback_id: "3".into(),
        }
    }

    fn peek(text: &str) -> Result<String> {
        peek_id(&raw(text))
    }

    #[test]
    fn ids_read_as_the_full_parse_reads_them() {
        let request = r#""request":{"method":"GET","url":"/"}"#;
        for (line, id) in [
            (format!(r#"{{"id":"r1",{request}}}"#), "r1"),
            (format!(r#"{{"id":"a\"b",{request}}}"#), "a\"b"),
            (format!(r#"{{"id":"caf\u00e9",{request}}}"#), "caf\u{e9}"),
            (format!(r#"{{ "id" : "spaced",{request}}}"#), "spaced"),
            (format!(r#"{{"id": "a\tb",{request}}}"#), "a\tb"),
            (
                format!(r#"{{"identity":"x","id":"second",{request}}}"#),
                "second",
            ),
            (format!(r#"{{{request},"id":"last"}}"#), "last"),
            (format!(r#"{{"id":42,{request}}}"#), "42"),
            (format!(r#"{{"id":null,{request}}}"#), "3"),
            (format!(r#"{{{request}}}"#), "3"),
        ] {
            assert_eq!(peek(&line).expect(&line), id, "{line}");
            assert_eq!(parse_line(&raw(&line)).expect(&line).id, id, "{line}");
        }
    }

    #[test]
    fn an_id_of_another_type_or_a_broken_line_is_an_error() {
        let shown = peek(r#"{"id":{"x":1}}"#)
            .expect_err("object id")
            .to_string();
        assert!(shown.starts_with("a.jsonl:3: "), "{shown}");
        assert!(shown.contains("must be a string or an integer"), "{shown}");
        assert!(peek(r#"{"request": {"#).is_err());
        // The id comes first: it is read, and the full parse refuses the line before it is judged.
        let broken = r#"{"id": "r1", "request": "#;
        assert_eq!(peek(broken).expect("a leading id"), "r1");
        assert!(parse_line(&raw(broken)).is_err());
    }
}
