//! `$.a.b[0]`: a path of object keys and array indices to one value of a JSON document, as
//! `--session body:$.cart.id` and `capture = ["$.id"]` name them. Unlike the rule files' paths it
//! has no wildcards: it names exactly one place.

use std::fmt;

use serde_json::Value;

/// A path of object keys and array indices from the root of a JSON document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuePath(Vec<Step>);

/// One step of a [`ValuePath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

impl ValuePath {
    /// Reads `$.a.b[0]`; none when the text is not such a path (or names the root only).
    pub fn parse(text: &str) -> Option<ValuePath> {
        let mut rest = text.strip_prefix('$')?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let key = &after[..end];
                if key.is_empty() {
                    return None;
                }
                steps.push(Step::Key(key.to_string()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']')?;
                steps.push(Step::Index(after[..end].parse().ok()?));
                rest = &after[end + 1..];
            } else {
                return None;
            }
        }
        (!steps.is_empty()).then_some(ValuePath(steps))
    }

    /// The value at this path of `document`, if there is one.
    pub fn find<'v>(&self, document: &'v Value) -> Option<&'v Value> {
        self.0.iter().try_fold(document, |at, step| match step {
            Step::Key(key) => at.get(key),
            Step::Index(index) => at.get(index),
        })
    }

    /// A document holding `leaf` at this path and nothing else (arrays padded with nulls).
    pub fn skeleton(&self, leaf: Value) -> Value {
        self.0.iter().rev().fold(leaf, |inner, step| match step {
            Step::Key(key) => Value::Object([(key.clone(), inner)].into_iter().collect()),
            Step::Index(index) => {
                let mut items = vec![Value::Null; *index];
                items.push(inner);
                Value::Array(items)
            }
        })
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_show_as_written_and_find_their_value() {
        let document: Value = serde_json::from_str(r#"{"a":{"b":[1,{"c":"x"}]}}"#).unwrap();
        for (text, found) in [
            ("$.a.b[0]", Some("1")),
            ("$.a.b[1].c", Some("\"x\"")),
            ("$.a.z", None),
            ("$.a.b[7]", None),
        ] {
            let path = ValuePath::parse(text).unwrap();
            assert_eq!(path.to_string(), text);
            assert_eq!(
                path.find(&document).map(Value::to_string).as_deref(),
                found,
                "{text}"
            );
        }
        let path = ValuePath::parse("$.a[1].b").unwrap();
        assert_eq!(
            path.skeleton(Value::from(3)).to_string(),
            r#"{"a":[null,{"b":3}]}"#
        );
        for bad in ["", "$", "a.b", "$.", "$[x]", "$.a[", "$..a"] {
            assert_eq!(ValuePath::parse(bad), None, "{bad}");
        }
    }
}
