//! The check every source makes when it opens: each key column is in the result.

use shadowdiff_core::Location;

use super::Column;
use crate::error::{Error, Result};

/// The positions of the key columns in `columns`, or a bad-input error at `location` naming the
/// first key column that is missing and the columns there are.
pub(super) fn key_positions(
    columns: &[Column],
    key: &[String],
    location: &Location,
) -> Result<Vec<usize>> {
    key.iter()
        .map(|name| {
            columns
                .iter()
                .position(|column| &column.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                    let names = if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    };
                    Error::input(
                        location.clone(),
                        format!(
                            "key column `{name}` is not in the result; its columns are {names}"
                        ),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColumnKind;

    #[test]
    fn a_missing_key_column_is_named_with_the_columns_there_are() {
        let columns: Vec<Column> = ["a", "b"]
            .iter()
            .map(|name| Column {
                name: name.to_string(),
                kind: ColumnKind::Unknown,
            })
            .collect();
        let at = Location::file("t.csv");
        assert_eq!(
            key_positions(&columns, &["b".into(), "a".into()], &at).unwrap(),
            [1, 0]
        );
        let err = key_positions(&columns, &["x".into()], &at).unwrap_err();
        assert!(
            err.to_string()
                .contains("key column `x` is not in the result; its columns are a, b"),
            "{err}"
        );
    }
}
