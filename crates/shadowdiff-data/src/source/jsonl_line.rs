//! One line of a JSON Lines export: read with a cap on its length, parsed as an object whose
//! keys keep the line's order.

use std::fmt;
use std::io::{self, BufRead, Read as _};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// The longest line read.
pub(super) const MAX_LINE: usize = 64 << 20;

/// What reading a line gave.
pub(super) enum Line {
    /// The line's bytes are in the buffer, without the line break.
    Read,
    /// The line is longer than [`MAX_LINE`].
    TooLong,
    /// The end of the input.
    End,
}

/// Reads the next line into `buffer` (cleared first), reading at most [`MAX_LINE`] + 1 bytes.
pub(super) fn read_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>) -> io::Result<Line> {
    buffer.clear();
    let read = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
        if buffer.last() == Some(&b'\r') {
            buffer.pop();
        }
    } else if buffer.len() > MAX_LINE {
        return Ok(Line::TooLong);
    }
    Ok(Line::Read)
}

/// A JSON object's fields in the order the line has them.
pub(super) struct Fields(pub(super) Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fields, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// Collects an object's fields in order.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(field) = map.next_entry()? {
            fields.push(field);
        }
        Ok(Fields(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_break_and_objects_keep_their_order() {
        let mut input: &[u8] = b"{\"b\":1,\"a\":2}\r\nlast";
        let mut buffer = Vec::new();
        assert!(matches!(
            read_line(&mut input, &mut buffer).unwrap(),
            Line::Read
        ));
        let fields: Fields = serde_json::from_slice(&buffer).unwrap();
        let names: Vec<&str> = fields.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert!(matches!(
            read_line(&mut input, &mut buffer).unwrap(),
            Line::Read
        ));
        assert_eq!(buffer, b"last");
        assert!(matches!(
            read_line(&mut input, &mut buffer).unwrap(),
            Line::End
        ));
        let err = serde_json::from_slice::<Fields>(b"[1]").err().unwrap();
        assert!(err.to_string().contains("expected a JSON object"), "{err}");
    }

    #[test]
    fn a_line_over_the_cap_is_too_long() {
        let long = vec![b'x'; MAX_LINE + 10];
        let mut input: &[u8] = &long;
        let mut buffer = Vec::new();
        assert!(matches!(
            read_line(&mut input, &mut buffer).unwrap(),
            Line::TooLong
        ));
    }
}
