//! SQLite values and declared types as the engine sees them: values kept as they are (a 0/1
//! in a `BOOLEAN` column stays a number), bytes as base64, the kind from the declared type.

use base64::Engine as _;
use rusqlite::types::ValueRef;
use serde_json::{Number, Value};

use super::ColumnKind;

/// The JSON value of a SQLite value, or why it has none (text that is not UTF-8).
pub(super) fn json(value: ValueRef<'_>) -> Result<Value, String> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::from(n),
        ValueRef::Real(x) => float(x),
        ValueRef::Text(bytes) => Value::String(
            String::from_utf8(bytes.to_vec())
                .map_err(|err| format!("its text is not UTF-8: {err}"))?,
        ),
        ValueRef::Blob(bytes) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
    })
}

/// A float as a JSON number; the infinities and NaN, which JSON has no number for, as the
/// text PostgreSQL writes for them.
pub(super) fn float(x: f64) -> Value {
    match Number::from_f64(x) {
        Some(n) => Value::Number(n),
        None if x.is_nan() => Value::String("NaN".into()),
        None if x > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// The kind of a column by its declared type (`None`: an expression, or no type declared).
pub(super) fn kind(declared: Option<&str>) -> ColumnKind {
    let Some(declared) = declared else {
        return ColumnKind::Unknown;
    };
    let declared = declared.to_ascii_uppercase();
    let has = |words: &[&str]| words.iter().any(|word| declared.contains(word));
    if has(&["JSON"]) {
        ColumnKind::Json
    } else if has(&["BOOL"]) {
        ColumnKind::Bool
    } else if has(&["DATETIME", "TIMESTAMP"]) {
        ColumnKind::Timestamp
    } else if has(&["DATE"]) {
        ColumnKind::Date
    } else if has(&["TIME"]) {
        ColumnKind::Time
    } else if has(&["INT"]) {
        ColumnKind::Integer
    } else if has(&["CHAR", "CLOB", "TEXT"]) {
        ColumnKind::Text
    } else if has(&["BLOB"]) {
        ColumnKind::Bytes
    } else if has(&["REAL", "FLOA", "DOUB"]) {
        ColumnKind::Float
    } else if has(&["NUMERIC", "DECIMAL"]) {
        ColumnKind::Numeric
    } else {
        ColumnKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_keep_their_storage_class() {
        assert_eq!(json(ValueRef::Null).unwrap(), Value::Null);
        assert_eq!(json(ValueRef::Integer(1)).unwrap(), json!(1));
        assert_eq!(json(ValueRef::Real(2.5)).unwrap(), json!(2.5));
        assert_eq!(
            json(ValueRef::Real(f64::INFINITY)).unwrap(),
            json!("Infinity")
        );
        assert_eq!(json(ValueRef::Text(b"hi")).unwrap(), json!("hi"));
        assert_eq!(json(ValueRef::Blob(&[1, 2, 255])).unwrap(), json!("AQL/"));
        assert!(json(ValueRef::Text(&[0xff])).is_err());
    }

    #[test]
    fn kinds_follow_the_declared_type() {
        let cases = [
            (Some("BIGINT"), ColumnKind::Integer),
            (Some("boolean"), ColumnKind::Bool),
            (Some("VARCHAR(20)"), ColumnKind::Text),
            (Some("DOUBLE PRECISION"), ColumnKind::Float),
            (Some("DECIMAL(10,2)"), ColumnKind::Numeric),
            (Some("BLOB"), ColumnKind::Bytes),
            (Some("JSON"), ColumnKind::Json),
            (Some("DATETIME"), ColumnKind::Timestamp),
            (Some("TIMESTAMP"), ColumnKind::Timestamp),
            (Some("DATE"), ColumnKind::Date),
            (Some("TIME"), ColumnKind::Time),
            (Some("UUID"), ColumnKind::Unknown),
            (None, ColumnKind::Unknown),
        ];
        for (declared, expected) in cases {
            assert_eq!(kind(declared), expected, "{declared:?}");
        }
    }
}
