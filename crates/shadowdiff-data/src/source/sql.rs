//! What the SQL sources share: quoting names, the query read, and where its errors point.

use shadowdiff_core::Location;

use super::{Read, SourceUrl};

/// `name` as a quoted SQL identifier: `"name"`, its quotes doubled.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table's name as SQL, each dotted part quoted: `"sales"."orders"` for `sales.orders`.
fn quote_table(name: &str) -> String {
    name.split('.').map(quote).collect::<Vec<_>>().join(".")
}

/// The query to read: the user's, without a trailing `;` (it is wrapped in a subquery), or
/// every row of the table (a dotted name is a schema's table).
pub(super) fn inner_query(read: &Read) -> String {
    match &read.query {
        Some(query) => query
            .trim_end()
            .trim_end_matches(';')
            .trim_end()
            .to_string(),
        None => format!("SELECT * FROM {}", quote_table(&read.table)),
    }
}

/// `query` as the subquery `shadowdiff_rows` that the order and the shard are added to; on
/// lines of its own, so that a trailing `--` comment ends before the closing parenthesis.
pub(super) fn subquery(query: &str) -> String {
    format!("SELECT * FROM (\n{query}\n) AS shadowdiff_rows")
}

/// Where an error of `query` on `url` points: the source (password redacted) and the query; a
/// row's error adds the row's number as the line.
pub(super) fn location(url: &SourceUrl, query: &str) -> Location {
    Location::file(format!("{url} query `{query}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_queries_lose_their_semicolon() {
        assert_eq!(quote(r#"odd"name"#), r#""odd""name""#);
        let read = Read {
            query: Some("SELECT 1 ;  ".into()),
            table: "t".into(),
            key: vec![],
            partition: None,
        };
        assert_eq!(inner_query(&read), "SELECT 1");
        let table = Read {
            query: None,
            ..read
        };
        assert_eq!(inner_query(&table), r#"SELECT * FROM "t""#);
        let dotted = Read {
            table: "sales.orders".into(),
            ..table
        };
        assert_eq!(inner_query(&dotted), r#"SELECT * FROM "sales"."orders""#);
        assert_eq!(
            subquery("SELECT 1 -- one"),
            "SELECT * FROM (\nSELECT 1 -- one\n) AS shadowdiff_rows"
        );
    }
}
