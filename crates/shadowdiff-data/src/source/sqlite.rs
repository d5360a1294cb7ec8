//! `sqlite:PATH`: the file opened read-only, the query wrapped so that SQLite orders the rows by
//! key (bytewise for text) and, for a hash shard, keeps only the shard's keys.

use std::path::{Path, PathBuf};

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde_json::Map;

use shadowdiff_core::{Location, Partition};

use super::feed::{self, Sink};
use super::sqlite_value::{json, kind};
use super::{columns, sql, Column, Read, Row, RowSource, SourceUrl};
use crate::error::{Error, Result};
use crate::Key;

/// Rows sent from the reading thread at a time.
const BATCH: usize = 1024;

/// The SQL function that says whether its arguments, the key's values, are a key of the shard.
const SHARD_FUNCTION: &str = "shadowdiff_shard";

/// Opens `read` on the SQLite file `path` (`url` is how it is shown).
pub(super) fn open(url: &SourceUrl, path: &Path, read: &Read) -> Result<Box<dyn RowSource>> {
    std::fs::metadata(path).map_err(|err| shadowdiff_io::Error::io(path, err))?;
    let (shown, path, read) = (url.clone(), path.to_path_buf(), read.clone());
    let feed = feed::start(url, true, BATCH, move |sink| {
        read_rows(&shown, &path, &read, sink)
    })?;
    Ok(Box::new(feed))
}

/// Reads the rows on the reading thread: the columns first, then each row.
fn read_rows(url: &SourceUrl, path: &PathBuf, read: &Read, sink: &mut Sink) -> Result<()> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| not_sqlite(path, &err))?;
    let query = sql::inner_query(read);
    let at = sql::location(url, &query);
    let columns: Vec<Column> = connection
        .prepare(&query)
        .map_err(|err| rejected(path, &at, &err))?
        .columns()
        .iter()
        .map(|column| Column {
            name: column.name().to_string(),
            kind: kind(column.decl_type()),
        })
        .collect();
    columns::key_positions(&columns, &read.key, &at)?;
    if let Some(partition @ Partition::Hash { .. }) = read.partition {
        register_shard(&connection, partition)
            .map_err(|err| Error::source(url, format!("cannot add the shard function: {err}")))?;
    }
    let mut statement = connection
        .prepare(&wrapped(&query, read))
        .map_err(|err| rejected(path, &at, &err))?;
    let count = statement.column_count();
    if !sink.columns(columns) {
        return Ok(());
    }
    let mut rows = statement
        .query([])
        .map_err(|err| rejected(path, &at, &err))?;
    let mut line = 0;
    loop {
        let row = rows.next().map_err(|err| {
            Error::source(
                url,
                format!("query `{query}` failed after row {line}: {err}"),
            )
        })?;
        let Some(row) = row else {
            return Ok(());
        };
        line += 1;
        let values = (0..count)
            .map(|i| {
                let value = row.get_ref(i).map_err(|err| err.to_string())?;
                json(value).map_err(|why| format!("column {}: {why}", i + 1))
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|why| Error::input(Location::line(at.path.clone(), line), why))?;
        let row = Row {
            values,
            extra: Map::new(),
            line,
        };
        if !sink.push(row) {
            return Ok(());
        }
    }
}

/// The query ordered by key, bytewise for text, NULLs first, and filtered by the shard.
fn wrapped(query: &str, read: &Read) -> String {
    let keys: Vec<String> = read.key.iter().map(|name| sql::quote(name)).collect();
    let mut wrapped = sql::subquery(query);
    if matches!(read.partition, Some(Partition::Hash { .. })) {
        wrapped += &format!(" WHERE {SHARD_FUNCTION}({})", keys.join(", "));
    }
    if !keys.is_empty() {
        let order: Vec<String> = keys
            .iter()
            .map(|key| format!("{key} COLLATE BINARY"))
            .collect();
        wrapped += &format!(" ORDER BY {}", order.join(", "));
    }
    wrapped
}

/// Adds the shard function: the arguments converted as row values are, their key's shard.
fn register_shard(connection: &Connection, partition: Partition) -> rusqlite::Result<()> {
    connection.create_scalar_function(
        SHARD_FUNCTION,
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |context| {
            let values = (0..context.len())
                .map(|i| json(context.get_raw(i)))
                .collect::<Result<Vec<_>, String>>()
                .map_err(|why| rusqlite::Error::UserFunctionError(why.into()))?;
            let key =
                Key::of(&values).map_err(|why| rusqlite::Error::UserFunctionError(why.into()))?;
            Ok(key.in_shard(&partition))
        },
    )
}

/// The error of a file SQLite cannot open.
fn not_sqlite(path: &Path, err: &rusqlite::Error) -> Error {
    Error::input(
        Location::file(path),
        format!("cannot open it as a SQLite database: {err}"),
    )
}

/// The error of a query SQLite rejects: the file's, when it is not a database, else the query's.
fn rejected(path: &Path, at: &Location, err: &rusqlite::Error) -> Error {
    if err.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        return not_sqlite(path, err);
    }
    Error::input(at.clone(), format!("SQLite rejects the query: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::open as open_source;
    use serde_json::{json, Value};

    /// A database file made by `setup`, and its URL.
    fn database(setup: &str) -> (tempfile::TempDir, SourceUrl) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(setup)
            .unwrap();
        let url = format!("sqlite:{}", path.display()).parse().unwrap();
        (dir, url)
    }

    fn reading(key: &[&str], query: Option<&str>, partition: Option<Partition>) -> Read {
        Read {
            query: query.map(str::to_string),
            table: "t".into(),
            key: key.iter().map(|k| k.to_string()).collect(),
            partition,
        }
    }

    fn values(url: &SourceUrl, read: &Read) -> Vec<Vec<Value>> {
        open_source(url, read)
            .unwrap()
            .map(|row| row.unwrap().values)
            .collect()
    }

    #[test]
    fn values_and_kinds_come_as_declared_and_stored() {
        let (_dir, url) = database(
            "CREATE TABLE t (id INTEGER, price REAL, data BLOB, flag BOOLEAN, at DATETIME, \
             note TEXT, anything);
             INSERT INTO t VALUES (1, 2.5, x'0102', 1, '2024-01-02 03:04:05', NULL, 'x');",
        );
        let source = open_source(&url, &reading(&["id"], None, None)).unwrap();
        let kinds: Vec<_> = source.columns().iter().map(|c| c.kind).collect();
        use crate::ColumnKind::*;
        assert_eq!(
            kinds,
            [Integer, Float, Bytes, Bool, Timestamp, Text, Unknown]
        );
        assert!(source.ordered());
        let rows: Vec<Row> = source.map(Result::unwrap).collect();
        assert_eq!(
            rows[0].values,
            [
                json!(1),
                json!(2.5),
                json!("AQI="),
                json!(1),
                json!("2024-01-02 03:04:05"),
                Value::Null,
                json!("x")
            ]
        );
        assert_eq!(rows[0].line, 1);
    }

    #[test]
    fn rows_come_ordered_by_key_text_bytewise_nulls_first() {
        let (_dir, url) = database(
            "CREATE TABLE t (a, b TEXT);
             INSERT INTO t VALUES (2, 'a'), (1, 'b'), (1, 'B'), (NULL, 'z'), (1, 'a');",
        );
        let got = values(&url, &reading(&["a", "b"], None, None));
        let expected = [
            [Value::Null, json!("z")],
            [json!(1), json!("B")],
            [json!(1), json!("a")],
            [json!(1), json!("b")],
            [json!(2), json!("a")],
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn shards_split_the_rows_disjointly_and_cover_them_all() {
        let inserts: Vec<String> = (0..300).map(|i| format!("({i}, 'n{i}')")).collect();
        let (_dir, url) = database(&format!(
            "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES {};",
            inserts.join(", ")
        ));
        let mut seen = Vec::new();
        for k in 1..=3 {
            let shard = Partition::Hash { k, n: 3 };
            let rows = values(&url, &reading(&["id", "name"], None, Some(shard)));
            assert!(!rows.is_empty() && rows.len() < 300);
            for row in &rows {
                assert!(Key::of(row).unwrap().in_shard(&shard));
            }
            seen.extend(rows);
        }
        seen.sort_by_key(|row| row[0].as_i64());
        assert_eq!(seen, values(&url, &reading(&["id", "name"], None, None)));
    }

    #[test]
    fn a_query_with_renames_a_semicolon_or_a_comment_is_read() {
        let (_dir, url) = database("CREATE TABLE t (id); INSERT INTO t VALUES (2), (1);");
        for query in [
            "SELECT id AS k, id * 10 AS ten FROM t;",
            "SELECT id AS k, id * 10 AS ten FROM t -- renamed",
        ] {
            let read = reading(&["k"], Some(query), None);
            assert_eq!(
                values(&url, &read),
                [[json!(1), json!(10)], [json!(2), json!(20)]]
            );
        }
    }

    #[test]
    fn bad_sql_a_missing_key_column_and_a_missing_file_are_errors() {
        let (dir, url) = database("CREATE TABLE t (id, name);");
        let err = open_source(&url, &reading(&["id"], Some("SELEC nothing"), None))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("SELEC nothing") && err.contains("syntax error"),
            "{err}"
        );
        let err = open_source(&url, &reading(&["nope"], None, None))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("key column `nope` is not in the result; its columns are id, name"),
            "{err}"
        );
        let missing: SourceUrl = format!("sqlite:{}", dir.path().join("none.db").display())
            .parse()
            .unwrap();
        let err = open_source(&missing, &reading(&["id"], None, None))
            .err()
            .unwrap();
        assert!(matches!(err, Error::Read(_)), "{err}");
        assert!(!dir.path().join("none.db").exists());
        let text = dir.path().join("text.db");
        std::fs::write(&text, "not a database at all, just some text to read").unwrap();
        let text: SourceUrl = format!("sqlite:{}", text.display()).parse().unwrap();
        let err = open_source(&text, &reading(&["id"], None, None))
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a database"), "{err}");
    }
}
