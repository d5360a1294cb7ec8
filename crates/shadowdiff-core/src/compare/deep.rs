//! JSON of any depth that fits in memory: parsed, walked, shown and dropped without overflowing
//! the stack.
//!
//! serde_json refuses documents nested more than 128 levels unless told not to, and its parser,
//! like every recursive walk, takes stack for each level. [`parse`] lifts the limit and grows the
//! stack on the heap as it descends (serde_stacker); the engine's recursive functions run
//! through [`guarded`], which does the same (stacker); a parsed document is taken apart without
//! recursion when it is no longer needed ([`dismantle`]); and a value a difference carries is
//! kept whole only up to [`MAX_SHOWN_DEPTH`] levels ([`shown`]), so that what leaves the engine
//! is always shallow enough for any code to clone, print or drop.

use std::io::{self, Write};

use serde::Deserialize as _;
use serde_json::Value;

/// Stack that must be left before a recursive step runs on the current segment: enough for the
/// unguarded stretches below a guarded step (the canonical hash looks up to 32 levels down)
/// even with the large frames of a debug or sanitizer build.
const RED_ZONE: usize = 1024 * 1024;

/// Size of each stack segment added when the red zone is reached.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Values nested deeper than this are shown as the start of their JSON text.
pub(crate) const MAX_SHOWN_DEPTH: usize = 64;

/// How much JSON text of a value too deep to show whole is kept.
const SHOWN_BYTES: usize = 2048;

/// Parses a JSON document of any depth; trailing characters are an error, as for
/// `serde_json::from_slice`.
pub(crate) fn parse(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    json.disable_recursion_limit();
    let mut grown = serde_stacker::Deserializer::new(&mut json);
    grown.red_zone = RED_ZONE;
    grown.stack_size = SEGMENT;
    let value = Value::deserialize(grown)?;
    json.end()?;
    Ok(value)
}

/// A document of any depth as compact JSON text, byte for byte what `serde_json::to_string`
/// writes, without recursion: containers are walked with a stack of iterators, and only
/// scalars and keys go through serde_json.
pub(crate) fn to_string(value: &Value) -> String {
    enum Open<'v> {
        Array(std::slice::Iter<'v, Value>),
        Object(serde_json::map::Iter<'v>),
    }
    let mut out = Vec::new();
    let mut stack: Vec<(Open<'_>, bool)> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::Array(items) => {
                    out.push(b'[');
                    stack.push((Open::Array(items.iter()), true));
                }
                Value::Object(members) => {
                    out.push(b'{');
                    stack.push((Open::Object(members.iter()), true));
                }
                // Writing a scalar to memory cannot fail.
                scalar => {
                    let _ = serde_json::to_writer(&mut out, scalar);
                }
            }
        }
        let Some((open, first)) = stack.last_mut() else {
            break;
        };
        let comma = !std::mem::replace(first, false);
        match open {
            Open::Array(items) => match items.next() {
                Some(item) => {
                    if comma {
                        out.push(b',');
                    }
                    next = Some(item);
                }
                None => {
                    out.push(b']');
                    stack.pop();
                }
            },
            Open::Object(members) => match members.next() {
                Some((key, member)) => {
                    if comma {
                        out.push(b',');
                    }
                    let _ = serde_json::to_writer(&mut out, key);
                    out.push(b':');
                    next = Some(member);
                }
                None => {
                    out.push(b'}');
                    stack.pop();
                }
            },
        }
    }
    // serde_json writes only valid UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs one step of a recursive walk, on a fresh stack segment when little stack is left.
pub(crate) fn guarded<R>(step: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, step)
}

/// Drops a document of any depth one node at a time, instead of recursing as `Value`'s own drop
/// does.
pub(crate) fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => stack.extend(members.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// How many levels of arrays and objects `value` nests, counted without recursion; 0 for a
/// scalar.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(members) => Box::new(members.values()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        stack.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}

/// The value a difference shows for `value`: the value itself when it nests at most
/// [`MAX_SHOWN_DEPTH`] levels, else the first 2 KB of its JSON text as a string, with a note
/// that says so.
pub(crate) fn shown(value: &Value) -> (Value, Option<String>) {
    if depth(value) <= MAX_SHOWN_DEPTH {
        return (value.clone(), None);
    }
    cut(value)
}

/// [`shown`] for a value the caller gives up.
pub(crate) fn shown_owned(value: Value) -> (Value, Option<String>) {
    if depth(&value) <= MAX_SHOWN_DEPTH {
        return (value, None);
    }
    let shown = cut(&value);
    dismantle(value);
    shown
}

/// The first bytes of a deep value's JSON text, with the note that says so.
fn cut(value: &Value) -> (Value, Option<String>) {
    let levels = depth(value);
    let mut head = Head(Vec::with_capacity(SHOWN_BYTES));
    // The writer refuses bytes past the cap, which ends the (recursive) serialization after at
    // most that many levels; a segment of its own makes room for them.
    let _ = stacker::grow(SEGMENT, || serde_json::to_writer(&mut head, value));
    let text = String::from_utf8_lossy(&head.0).into_owned();
    let note = format!(
        "value nested {levels} levels deep: shown as the first {SHOWN_BYTES} bytes of its JSON text"
    );
    (Value::String(text), Some(note))
}

/// A writer that keeps the first [`SHOWN_BYTES`] bytes and then fails.
struct Head(Vec<u8>);

impl Write for Head {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = SHOWN_BYTES - self.0.len();
        if room == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "shown value is full",
            ));
        }
        let taken = bytes.len().min(room);
        self.0.extend_from_slice(&bytes[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `levels` nested objects `{"a": ...}` around `leaf`, as text.
    pub(crate) fn nested_objects(levels: usize, leaf: &str) -> String {
        format!("{}{leaf}{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
    }

    /// `levels` nested arrays around `leaf`, as text.
    pub(crate) fn nested_arrays(levels: usize, leaf: &str) -> String {
        format!("{}{leaf}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn documents_of_any_depth_parse_and_drop() {
        for text in [nested_objects(100_000, "1"), nested_arrays(100_000, "1")] {
            let value = parse(text.as_bytes()).expect("deep JSON parses");
            assert_eq!(depth(&value), 100_000);
            assert_eq!(to_string(&value), text);
            dismantle(value);
        }
        assert!(parse(b"[1] x").is_err(), "trailing characters");
        let mixed =
            serde_json::json!({"a": [1.50, {"b": "\u{1}\"é"}, [], {}], "c": null, "d": true});
        assert_eq!(to_string(&mixed), mixed.to_string());
        assert!(parse(b"[[1]").is_err());
    }

    #[test]
    fn deep_values_are_shown_as_the_start_of_their_text() {
        let value = parse(nested_arrays(10_000, "1").as_bytes()).expect("parses");
        let (shown_value, note) = shown(&value);
        let text = shown_value.as_str().expect("a string");
        assert_eq!(text.len(), SHOWN_BYTES);
        assert!(text.bytes().all(|b| b == b'['));
        assert!(note.is_some_and(|n| n.starts_with("value nested 10000 levels deep")));
        dismantle(value);
        let shallow = parse(nested_objects(MAX_SHOWN_DEPTH, "1").as_bytes()).expect("parses");
        assert_eq!(shown(&shallow), (shallow.clone(), None));
    }
}
