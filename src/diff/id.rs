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
