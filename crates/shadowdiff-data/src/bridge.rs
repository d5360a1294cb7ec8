//! Values bridged across engines before a pair of rows is compared, column by column, so that
//! the same value stored two ways compares equal: a boolean against SQLite's 0 or 1, a JSON
//! column against text holding JSON, a timestamp against text naming the same instant, a number
//! against text spelling a number. Anything else is compared as it is, and a real change of type
//! still shows.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::source::{Column, ColumnKind};

/// The kinds of each column on the two sides, for the columns both sides have.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bridge {
    kinds: BTreeMap<String, (ColumnKind, ColumnKind)>,
}

impl Bridge {
    /// The bridge between old's columns and new's.
    pub fn new(old: &[Column], new: &[Column]) -> Bridge {
        let new_kinds: BTreeMap<&str, ColumnKind> =
            new.iter().map(|c| (c.name.as_str(), c.kind)).collect();
        let kinds = old
            .iter()
            .filter_map(|c| {
                let theirs = new_kinds.get(c.name.as_str())?;
                Some((c.name.clone(), (c.kind, *theirs)))
            })
            .collect();
        Bridge { kinds }
    }

    /// Rewrites the values of `old` and `new` that say the same thing in two engines' ways into
    /// one way.
    pub fn apply(&self, old: &mut Map<String, Value>, new: &mut Map<String, Value>) {
        for (name, (old_kind, new_kind)) in &self.kinds {
            let (Some(a), Some(b)) = (old.get_mut(name), new.get_mut(name)) else {
                continue;
            };
            bridge(a, *old_kind, b, *new_kind);
        }
    }
}

/// Bridges one column's two values.
fn bridge(a: &mut Value, a_kind: ColumnKind, b: &mut Value, b_kind: ColumnKind) {
    use ColumnKind::{Json, Timestamp};
    match (&*a, &*b) {
        (Value::Bool(_), Value::Number(_)) => as_bool(b),
        (Value::Number(_), Value::Bool(_)) => as_bool(a),
        (Value::Object(_) | Value::Array(_), Value::String(_)) => as_json(b),
        (Value::String(_), Value::Object(_) | Value::Array(_)) => as_json(a),
        (Value::Number(_), Value::String(_)) if is_numeric(a_kind) => as_number(b),
        (Value::String(_), Value::Number(_)) if is_numeric(b_kind) => as_number(a),
        (Value::String(x), Value::String(y)) if (a_kind == Json || b_kind == Json) && x != y => {
            as_json(a);
            as_json(b);
        }
        (Value::String(x), Value::String(y))
            if (a_kind == Timestamp || b_kind == Timestamp) && x != y =>
        {
            if let (Some(x), Some(y)) = (instant(x), instant(y)) {
                *a = Value::String(x);
                *b = Value::String(y);
            }
        }
        _ => {}
    }
}

/// Whether a column's values are numbers.
pub(crate) fn is_numeric(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::Integer | ColumnKind::Float | ColumnKind::Numeric
    )
}

/// 0 and 1 as false and true; any other number stays (and differs by type).
fn as_bool(value: &mut Value) {
    let bit = match value {
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    match bit.as_str() {
        "0" => *value = Value::Bool(false),
        "1" => *value = Value::Bool(true),
        _ => {}
    }
}

/// Text holding JSON as the structure it holds.
fn as_json(value: &mut Value) {
    if let Value::String(text) = value {
        if let Ok(parsed) = serde_json::from_str::<Value>(text) {
            *value = parsed;
        }
    }
}

/// Text spelling a JSON number as that number.
fn as_number(value: &mut Value) {
    if let Value::String(text) = value {
        if let Ok(number) = serde_json::Number::from_str(text.trim()) {
            *value = Value::Number(number);
        }
    }
}

/// The instant a text names (a PostgreSQL timestamp's text, or any side's), as RFC 3339 UTC (`2024-01-02T03:04:05.5Z`): with an offset or
/// `Z`, or without (taken as UTC); `T` or a space between date and time.
pub(crate) fn instant(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(at) = jiff::Timestamp::from_str(text) {
        return Some(at.to_string());
    }
    let civil = jiff::civil::DateTime::from_str(text).ok()?;
    let at = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(name: &str, kind: ColumnKind) -> Column {
        Column {
            name: name.into(),
            kind,
        }
    }

    fn bridged(
        old: Value,
        old_kind: ColumnKind,
        new: Value,
        new_kind: ColumnKind,
    ) -> (Value, Value) {
        let bridge = Bridge::new(&[column("c", old_kind)], &[column("c", new_kind)]);
        let mut a = Map::from_iter([("c".to_string(), old)]);
        let mut b = Map::from_iter([("c".to_string(), new)]);
        bridge.apply(&mut a, &mut b);
        (a["c"].clone(), b["c"].clone())
    }

    #[test]
    fn booleans_meet_zero_and_one_but_not_two() {
        use ColumnKind::*;
        assert_eq!(
            bridged(json!(1), Integer, json!(true), Bool),
            (json!(true), json!(true))
        );
        assert_eq!(
            bridged(json!(false), Bool, json!(0), Unknown),
            (json!(false), json!(false))
        );
        assert_eq!(
            bridged(json!(2), Integer, json!(true), Bool),
            (json!(2), json!(true))
        );
    }

    #[test]
    fn instants_meet_whatever_their_spelling() {
        use ColumnKind::*;
        let (a, b) = bridged(
            json!("2024-01-02 03:04:05"),
            Text,
            json!("2024-01-02T04:04:05.000+01:00"),
            Timestamp,
        );
        assert_eq!(
            (a.as_str(), b.as_str()),
            (Some("2024-01-02T03:04:05Z"), Some("2024-01-02T03:04:05Z"))
        );
        let (a, b) = bridged(
            json!("not a time"),
            Text,
            json!("2024-01-02T03:04:05Z"),
            Timestamp,
        );
        assert_eq!(a, json!("not a time"), "text that names no instant stays");
        assert_eq!(b, json!("2024-01-02T03:04:05Z"));
        let (a, _) = bridged(json!("2024-01-02 03:04:05"), Text, json!("x"), Text);
        assert_eq!(
            a,
            json!("2024-01-02 03:04:05"),
            "text against text is compared as text"
        );
    }

    #[test]
    fn json_and_numbers_held_in_text_meet_their_values() {
        use ColumnKind::*;
        let (a, b) = bridged(
            json!("{\"b\":1,\"a\":2}"),
            Text,
            json!({"a": 2, "b": 1}),
            Json,
        );
        assert_eq!(a, b);
        let (a, b) = bridged(
            json!("{\"b\":1,\"a\":2}"),
            Text,
            json!("{\"a\": 2, \"b\": 1}"),
            Json,
        );
        assert_eq!((a, b), (json!({"a": 2, "b": 1}), json!({"a": 2, "b": 1})));
        let (a, _) = bridged(json!("{}"), Json, json!("{}"), Json);
        assert_eq!(a, json!("{}"), "equal texts are not parsed");
        let decimal: Value = serde_json::from_str("12.340").unwrap();
        let (a, _) = bridged(json!("12.340"), Text, decimal.clone(), Numeric);
        assert_eq!(a, decimal);
        let (a, _) = bridged(json!("12 apples"), Text, decimal, Numeric);
        assert_eq!(a, json!("12 apples"));
    }
}
