//! PostgreSQL values, read in text form, as JSON: numbers exact (a NUMERIC keeps its digits),
//! bytes as base64, json and jsonb as their text (compared as structure: the bridge parses both
//! sides where their texts differ, so equal rows are never parsed), instants as RFC 3339 UTC,
//! arrays of plain elements as arrays; what has no JSON form (NaN, an infinite date) as its text.

use std::str::FromStr;

use base64::Engine as _;
use postgres::types::{Kind, Type};
use serde_json::{Number, Value};

use super::pg_array::{self, Item};
use super::sqlite_value::float;
use super::ColumnKind;

/// How a column's text is read.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PgType {
    /// `int2`, `int4`, `int8`, `oid`.
    Integer,
    /// `float4`, `float8`.
    Float,
    /// `numeric`.
    Numeric,
    /// `bool`.
    Bool,
    /// `text`, `varchar`, `bpchar`, `name`, `citext`, `uuid`.
    Text,
    /// `bytea`.
    Bytea,
    /// `json`, `jsonb`.
    Json,
    /// `timestamp`, `timestamptz`.
    Timestamp,
    /// `date`.
    Date,
    /// `time`.
    Time,
    /// An array of the type.
    Array(Box<PgType>),
    /// Anything else: its text as it is.
    Other,
}

impl PgType {
    /// How a column of type `ty` is read (a domain as its base type).
    pub(super) fn of(ty: &Type) -> PgType {
        match ty.kind() {
            Kind::Array(element) => return PgType::Array(Box::new(PgType::of(element))),
            Kind::Domain(base) => return PgType::of(base),
            _ => {}
        }
        if ty.name() == "citext" {
            return PgType::Text;
        }
        if ty.schema() != "pg_catalog" {
            return PgType::Other;
        }
        match ty.name() {
            "int2" | "int4" | "int8" | "oid" => PgType::Integer,
            "float4" | "float8" => PgType::Float,
            "numeric" => PgType::Numeric,
            "bool" => PgType::Bool,
            "text" | "varchar" | "bpchar" | "name" | "uuid" => PgType::Text,
            "bytea" => PgType::Bytea,
            "json" | "jsonb" => PgType::Json,
            "timestamp" | "timestamptz" => PgType::Timestamp,
            "date" => PgType::Date,
            "time" => PgType::Time,
            _ => PgType::Other,
        }
    }

    /// The column's kind.
    pub(super) fn kind(&self) -> ColumnKind {
        match self {
            PgType::Integer => ColumnKind::Integer,
            PgType::Float => ColumnKind::Float,
            PgType::Numeric => ColumnKind::Numeric,
            PgType::Bool => ColumnKind::Bool,
            PgType::Text => ColumnKind::Text,
            PgType::Bytea => ColumnKind::Bytes,
            PgType::Json => ColumnKind::Json,
            PgType::Timestamp => ColumnKind::Timestamp,
            PgType::Date => ColumnKind::Date,
            PgType::Time => ColumnKind::Time,
            PgType::Array(_) | PgType::Other => ColumnKind::Unknown,
        }
    }

    /// The JSON value of a value's text (`None`: NULL).
    pub(super) fn json(&self, text: Option<&str>) -> Value {
        let Some(text) = text else {
            return Value::Null;
        };
        let converted = match self {
            PgType::Integer | PgType::Numeric => Number::from_str(text).ok().map(Value::Number),
            PgType::Float => text.parse::<f64>().ok().map(float),
            PgType::Bool => match text {
                "t" => Some(Value::Bool(true)),
                "f" => Some(Value::Bool(false)),
                _ => None,
            },
            PgType::Bytea => bytea(text),
            PgType::Json => Some(Value::String(text.to_string())),
            PgType::Timestamp => crate::bridge::instant(text).map(Value::String),
            PgType::Array(element) if element.plain() => {
                pg_array::parse(text).map(|items| element.array(items))
            }
            PgType::Text | PgType::Date | PgType::Time | PgType::Array(_) | PgType::Other => None,
        };
        converted.unwrap_or_else(|| Value::String(text.to_string()))
    }

    /// Whether arrays of the type are read as arrays: its elements are never written with a
    /// delimiter of their own.
    fn plain(&self) -> bool {
        !matches!(self, PgType::Array(_) | PgType::Other)
    }

    /// An array of elements of this type.
    fn array(&self, items: Vec<Item>) -> Value {
        Value::Array(
            items
                .into_iter()
                .map(|item| match item {
                    Item::Null => Value::Null,
                    Item::Text(text) => self.json(Some(&text)),
                    Item::List(items) => self.array(items),
                })
                .collect(),
        )
    }
}

/// `bytea`'s hex form (`\x0102`) as base64.
fn bytea(text: &str) -> Option<Value> {
    let hex = text.strip_prefix("\\x")?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    let bytes = hex
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect::<Option<Vec<u8>>>()?;
    Some(Value::String(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn texts_become_json_by_type() {
        assert_eq!(PgType::Integer.json(Some("-42")), json!(-42));
        assert_eq!(PgType::Numeric.json(Some("12.340")).to_string(), "12.340");
        assert_eq!(PgType::Numeric.json(Some("NaN")), json!("NaN"));
        assert_eq!(PgType::Float.json(Some("1.5")), json!(1.5));
        assert_eq!(PgType::Float.json(Some("-Infinity")), json!("-Infinity"));
        assert_eq!(PgType::Float.json(Some("NaN")), json!("NaN"));
        assert_eq!(PgType::Bool.json(Some("t")), json!(true));
        assert_eq!(PgType::Bytea.json(Some("\\x0102ff")), json!("AQL/"));
        assert_eq!(PgType::Bytea.json(Some("\\x0")), json!("\\x0"));
        assert_eq!(
            PgType::Json.json(Some(r#"{"a": [1]}"#)),
            json!(r#"{"a": [1]}"#)
        );
        assert_eq!(PgType::Text.json(None), Value::Null);
        let array = PgType::Array(Box::new(PgType::Integer));
        assert_eq!(
            array.json(Some("{{1,NULL},{3,4}}")),
            json!([[1, null], [3, 4]])
        );
        let boxes = PgType::Array(Box::new(PgType::Other));
        assert_eq!(boxes.json(Some("{(1,1),(0,0)}")), json!("{(1,1),(0,0)}"));
    }

    #[test]
    fn instants_are_rfc3339_utc_with_the_fraction_trimmed() {
        let ts = |text: &str| PgType::Timestamp.json(Some(text));
        assert_eq!(
            ts("2024-01-02 03:04:05.500000+00"),
            json!("2024-01-02T03:04:05.5Z")
        );
        assert_eq!(ts("2024-01-02 03:04:05.5"), json!("2024-01-02T03:04:05.5Z"));
        assert_eq!(ts("2024-01-02 03:04:05+02"), json!("2024-01-02T01:04:05Z"));
        assert_eq!(ts("2024-01-02 03:04:05"), json!("2024-01-02T03:04:05Z"));
        assert_eq!(ts("infinity"), json!("infinity"));
    }
}
