//! A row's key: the values of its key columns, in an order every source can be asked for.
//!
//! Keys compare as values, whatever engine they come from: NULL first, then numbers by value
//! (an integer, a NUMERIC and a float that denote the same number are the same key; a boolean
//! counts as 0 or 1), then text byte by byte (UTF-8 code point order: SQLite's `BINARY`,
//! PostgreSQL's `COLLATE "C"`). A key of a type that sorts differently on the two sides (a number
//! on one, its text on the other) is still matched by value when both sides are ordered the
//! same way; when they are not, the join sees keys out of order and falls back to the
//! partitioned join, which needs no order.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::str::FromStr;

use bigdecimal::{BigDecimal, ToPrimitive as _};
use serde_json::Value;

use shadowdiff_core::Partition;

/// How far a key number's decimal point may move (`1e1000`, `1e-1000`): further, the key's
/// text, its order and its hash would cost memory and time without bound, and no store keys
/// rows by such numbers.
const MAX_KEY_EXPONENT: u64 = 1000;

/// One key column's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPart {
    /// SQL NULL.
    Null,
    /// A whole number that fits 64 bits: most keys, compared without arithmetic.
    Int(i64),
    /// Any other number, by value (normalised; never a whole number that fits 64 bits).
    Number(BigDecimal),
    /// Text (bytes are keyed by their base64 text).
    Text(String),
}

impl KeyPart {
    /// The part of a JSON value; objects and arrays cannot be keys.
    pub fn of(value: &Value) -> Result<KeyPart, String> {
        Ok(match value {
            Value::Null => KeyPart::Null,
            Value::Bool(b) => KeyPart::Int(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(int) => KeyPart::Int(int),
                None => {
                    let decimal = BigDecimal::from_str(&n.to_string())
                        .map_err(|_| format!("the number {n} cannot be a key"))?
                        .normalized();
                    let (_, exponent) = decimal.as_bigint_and_exponent();
                    if exponent.unsigned_abs() > MAX_KEY_EXPONENT {
                        return Err(format!(
                            "the number {n} cannot be a key: a key's decimal exponent is at \
                             most {MAX_KEY_EXPONENT} either way"
                        ));
                    }
                    match decimal.is_integer().then(|| decimal.to_i64()).flatten() {
                        Some(int) => KeyPart::Int(int),
                        None => KeyPart::Number(decimal),
                    }
                }
            },
            Value::String(s) => KeyPart::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!("`{value}` is a JSON structure and cannot be a key"))
            }
        })
    }

    fn rank(&self) -> u8 {
        match self {
            KeyPart::Null => 0,
            KeyPart::Int(_) | KeyPart::Number(_) => 1,
            KeyPart::Text(_) => 2,
        }
    }

    /// The part as one JSON value of the id.
    fn json(&self) -> Value {
        match self {
            KeyPart::Null => Value::Null,
            KeyPart::Int(int) => Value::from(*int),
            KeyPart::Number(n) => Value::Number(
                serde_json::Number::from_str(&plain(n)).expect("a decimal is a JSON number"),
            ),
            KeyPart::Text(s) => Value::String(s.clone()),
        }
    }
}

/// A decimal without exponent: `12.34`, `100`.
fn plain(n: &BigDecimal) -> String {
    let (digits, scale) = n.as_bigint_and_exponent();
    if scale <= 0 {
        let mut out = digits.to_string();
        if digits.sign() != bigdecimal::num_bigint::Sign::NoSign {
            out.extend(std::iter::repeat('0').take((-scale) as usize));
        }
        return out;
    }
    let negative = digits.sign() == bigdecimal::num_bigint::Sign::Minus;
    let magnitude = digits.magnitude().to_string();
    let scale = scale as usize;
    let padded = if magnitude.len() <= scale {
        format!("{}{magnitude}", "0".repeat(scale - magnitude.len() + 1))
    } else {
        magnitude
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let _ = write!(out, "{int}.{frac}");
    out
}

impl Ord for KeyPart {
    fn cmp(&self, other: &KeyPart) -> Ordering {
        match (self, other) {
            (KeyPart::Int(a), KeyPart::Int(b)) => a.cmp(b),
            (KeyPart::Number(a), KeyPart::Number(b)) => a.cmp(b),
            (KeyPart::Int(a), KeyPart::Number(b)) => BigDecimal::from(*a).cmp(b),
            (KeyPart::Number(a), KeyPart::Int(b)) => a.cmp(&BigDecimal::from(*b)),
            (KeyPart::Text(a), KeyPart::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for KeyPart {
    fn partial_cmp(&self, other: &KeyPart) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A row's key: one part per key column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub Vec<KeyPart>);

impl Key {
    /// The key of the values of the key columns, in key order.
    pub fn of<'a>(values: impl IntoIterator<Item = &'a Value>) -> Result<Key, String> {
        values
            .into_iter()
            .map(KeyPart::of)
            .collect::<Result<_, _>>()
            .map(Key)
    }

    /// The key as an outcome's id: the value of a one-column key as text (`42`, `a@b.c`), a
    /// JSON array for several (`[7,"2024-01-01"]`). Equal keys have equal ids.
    pub fn id(&self) -> String {
        match self.0.as_slice() {
            [KeyPart::Text(text)] => text.clone(),
            [KeyPart::Null] => "null".to_string(),
            [KeyPart::Int(int)] => int.to_string(),
            [KeyPart::Number(n)] => plain(n),
            parts => Value::Array(parts.iter().map(KeyPart::json).collect()).to_string(),
        }
    }

    /// The key's parts as JSON values, which [`Key::of`] reads back as the same key.
    pub fn values(&self) -> Vec<Value> {
        self.0.iter().map(KeyPart::json).collect()
    }

    /// The key as a JSON object of its columns, for outcome lines.
    pub fn json(&self, columns: &[String]) -> Value {
        Value::Object(
            columns
                .iter()
                .cloned()
                .zip(self.0.iter().map(KeyPart::json))
                .collect(),
        )
    }

    /// Whether the key is in the shard: `--partition hash:K/N` splits keys by [`Key::id`] as it
    /// splits exchanges by id, so every side of every engine picks the same keys.
    pub fn in_shard(&self, partition: &Partition) -> bool {
        match partition {
            Partition::Hash { .. } => partition.selects(&self.id(), 0),
            Partition::Count { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(values: &[Value]) -> Key {
        Key::of(values).unwrap()
    }

    #[test]
    fn numbers_key_by_value_whatever_their_spelling() {
        let decimal: Value = serde_json::from_str("12.340").unwrap();
        let float: Value = serde_json::from_str("12.34").unwrap();
        assert_eq!(key(&[decimal]), key(&[float]));
        assert_eq!(key(&[json!(true)]), key(&[json!(1)]));
        assert_eq!(key(&[json!(100)]).id(), "100");
        let whole: Value = serde_json::from_str("100.00").unwrap();
        assert_eq!(key(&[whole]), key(&[json!(100)]));
        let huge: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert_eq!(
            key(std::slice::from_ref(&huge)).id(),
            "123456789012345678901234567890"
        );
        assert!(key(&[huge]) > key(&[json!(i64::MAX)]));
        let half: Value = serde_json::from_str("2.5").unwrap();
        assert!(key(&[json!(2)]) < key(std::slice::from_ref(&half)));
        assert!(key(&[half]) < key(&[json!(3)]));
        let small: Value = serde_json::from_str("-0.0500").unwrap();
        assert_eq!(key(&[small]).id(), "-0.05");
        assert_eq!(key(&[json!(7), json!("a")]).id(), r#"[7,"a"]"#);
        assert_eq!(key(&[json!("a@b.c")]).id(), "a@b.c");
        assert!(Key::of(&[json!({"a": 1})]).is_err());
        for absurd in [
            "1e4000000000",
            "1e-4000000000",
            "999990e000000000000000937910000",
        ] {
            let number: Value = serde_json::from_str(absurd).unwrap();
            let err = Key::of(&[number]).unwrap_err();
            assert!(err.contains("at most 1000"), "{absurd}: {err}");
        }
        let edge: Value = serde_json::from_str("1e1000").unwrap();
        assert_eq!(key(&[edge]).id().len(), 1001);
    }

    #[test]
    fn order_is_null_then_numbers_by_value_then_text_by_bytes() {
        let mut keys = [
            key(&[json!("b")]),
            key(&[json!(10)]),
            key(&[json!("B")]),
            key(&[json!(9)]),
            key(&[Value::Null]),
            key(&[json!("é")]),
        ];
        keys.sort();
        let ids: Vec<String> = keys.iter().map(Key::id).collect();
        assert_eq!(ids, ["null", "9", "10", "B", "b", "é"]);
        assert!(key(&[json!(1), json!("z")]) < key(&[json!(2), json!("a")]));
    }

    #[test]
    fn shards_split_keys_by_id_and_cover_each_once() {
        let n = 3;
        for i in 0..200 {
            let k = key(&[json!(i)]);
            let hits = (1..=n)
                .filter(|s| k.in_shard(&Partition::Hash { k: *s, n }))
                .count();
            assert_eq!(hits, 1);
        }
    }
}
