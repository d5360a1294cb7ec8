//! The values a stateful run captured (its `captures.jsonl`), read back to compare the stores
//! the run left: a row that each implementation keyed by an id it chose for itself is keyed by
//! the recorded value that id stands for, on both sides, so the two rows pair up whatever order
//! the implementations numbered them in; and a column holding each side's own id counts as the
//! recorded value.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use shadowdiff_core::{Captured, Location};

use crate::error::{Error, Result};
use crate::rows::Side;

/// What a secret place's values are written as: they stand for nothing that can be matched.
const REDACTED: &str = "[redacted]";

/// A run's map of captured values: which of old's and new's values stand for one recorded
/// value, and, per place and side, the recorded value each side's value stands for.
///
/// It holds one entry per captured value, as the run did while it replayed.
#[derive(Debug, Default)]
pub struct CaptureMap {
    /// (old's text, new's text) → the recorded value both stand for.
    pairs: HashMap<(String, String), Captured>,
    /// Place (`$.id`) → old's text → the recorded value.
    old_keys: HashMap<String, HashMap<String, Value>>,
    /// Place → new's text → the recorded value.
    new_keys: HashMap<String, HashMap<String, Value>>,
}

impl CaptureMap {
    /// Reads a run's `captures.jsonl`; a line that is not one of its records is bad input
    /// naming the file and the line. Values a target did not answer, and redacted ones, pair
    /// nothing.
    pub fn read(path: &Path) -> Result<CaptureMap> {
        let file = std::fs::File::open(path).map_err(|err| shadowdiff_io::Error::io(path, err))?;
        let mut map = CaptureMap::default();
        for (number, line) in (1u64..).zip(BufReader::new(file).lines()) {
            let line = line.map_err(|err| shadowdiff_io::Error::io(path, err))?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |why: &str| {
                Error::input(
                    Location::line(path.display().to_string(), number),
                    format!("not a line of a run's captures.jsonl: {why}"),
                )
            };
            let record: Value = serde_json::from_str(&line).map_err(|err| bad(&err.to_string()))?;
            let place = record["capture"]
                .as_str()
                .ok_or_else(|| bad("it names no capture"))?;
            let recorded = captured(&record["recorded"])
                .ok_or_else(|| bad("its recorded value is missing"))?;
            if record.get("error").is_some() {
                continue;
            }
            let (Some(old), Some(new)) = (captured(&record["old"]), captured(&record["new"]))
            else {
                return Err(bad("it has neither old's and new's values nor an error"));
            };
            if recorded.text() == REDACTED {
                continue;
            }
            map.insert(place, &record["recorded"], recorded, old, new);
        }
        Ok(map)
    }

    /// Adds one captured value; the first pairing of a value is kept.
    fn insert(
        &mut self,
        place: &str,
        recorded_json: &Value,
        recorded: Captured,
        old: Captured,
        new: Captured,
    ) {
        for (keys, value) in [(&mut self.old_keys, &old), (&mut self.new_keys, &new)] {
            keys.entry(place.to_string())
                .or_default()
                .entry(value.text().to_string())
                .or_insert_with(|| recorded_json.clone());
        }
        self.pairs
            .entry((old.text().to_string(), new.text().to_string()))
            .or_insert(recorded);
    }

    /// Whether any value was captured at `place`.
    pub fn has_place(&self, place: &str) -> bool {
        self.old_keys.contains_key(place)
    }

    /// The recorded value that `side`'s value `text` stands for, captured at `place`.
    pub fn recorded(&self, place: &str, side: Side, text: &str) -> Option<&Value> {
        let keys = match side {
            Side::Old => &self.old_keys,
            Side::New => &self.new_keys,
        };
        keys.get(place)?.get(text)
    }

    /// The recorded value that old's value `old` and new's value `new` both stand for.
    pub fn stands_for(&self, old: &str, new: &str) -> Option<Captured> {
        self.pairs.get(&(old.to_string(), new.to_string())).cloned()
    }
}

/// A captured value as the file writes it: a string or a number.
fn captured(value: &Value) -> Option<Captured> {
    match value {
        Value::String(text) => Some(Captured::Text(text.clone())),
        Value::Number(number) => Some(Captured::Number(number.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(lines: &str) -> Result<CaptureMap> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("captures.jsonl");
        std::fs::write(&path, lines).unwrap();
        CaptureMap::read(&path)
    }

    #[test]
    fn values_pair_by_place_and_failed_or_redacted_ones_pair_nothing() {
        let map = map_of(concat!(
            r#"{"id":"a","route":"POST /orders","capture":"$.id","recorded":7,"old":1001,"new":"n-1"}"#,
            "\n",
            r#"{"id":"b","route":"POST /orders","capture":"$.id","recorded":8,"error":"new answered with status 422"}"#,
            "\n\n",
            r#"{"id":"c","route":"POST /login","capture":"$.token","recorded":"[redacted]","old":"[redacted]","new":"[redacted]"}"#,
            "\n",
        ))
        .unwrap();
        assert!(map.has_place("$.id"));
        assert!(!map.has_place("$.token"));
        assert_eq!(
            map.recorded("$.id", Side::Old, "1001"),
            Some(&serde_json::json!(7))
        );
        assert_eq!(
            map.recorded("$.id", Side::New, "n-1"),
            Some(&serde_json::json!(7))
        );
        assert_eq!(map.recorded("$.id", Side::New, "1001"), None);
        assert_eq!(map.recorded("$.id", Side::Old, "n-2"), None);
        assert_eq!(
            map.stands_for("1001", "n-1"),
            Some(Captured::Number("7".into()))
        );
        assert_eq!(map.stands_for("1001", "n-2"), None);
    }

    #[test]
    fn a_line_that_is_no_record_names_the_file_and_line() {
        let err = map_of("{\"capture\":\"$.id\",\"recorded\":1,\"old\":2,\"new\":3}\n{oops\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("captures.jsonl:2: not a line of a run's captures.jsonl"),
            "{err}"
        );
        let err = map_of("{\"capture\":\"$.id\",\"recorded\":1}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":1: ") && err.contains("neither"), "{err}");
    }
}
