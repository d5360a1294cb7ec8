//! `PATH.csv`: a header row naming the columns, then one record a row, each cell a JSON value:
//! empty is null, a JSON number literal a number (its text kept), `true`/`false` a boolean,
//! anything else text. Read in file order.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::{Map, Number, Value};

use shadowdiff_core::Location;

use super::{columns, Column, ColumnKind, Read, Row, RowSource};
use crate::error::{Error, Result};

/// An open CSV export.
struct CsvSource {
    /// The file, for errors.
    path: PathBuf,
    /// The header's names.
    columns: Vec<Column>,
    /// The records after the header.
    reader: csv::Reader<BufReader<File>>,
    /// The record being read, reused.
    record: csv::StringRecord,
    /// Whether the end or an error was reached: nothing follows.
    done: bool,
}

/// Opens the CSV export `path`.
pub(super) fn open(path: &Path, read: &Read) -> Result<Box<dyn RowSource>> {
    super::no_query(read, path, "a CSV source", "its header naming the columns")?;
    let file = File::open(path).map_err(|err| shadowdiff_io::Error::io(path, err))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(file));
    let columns: Vec<Column> = reader
        .headers()
        .map_err(|err| bad_csv(path, &err))?
        .iter()
        .map(|name| Column {
            name: name.to_string(),
            kind: ColumnKind::Unknown,
        })
        .collect();
    columns::key_positions(&columns, &read.key, &Location::file(path))?;
    Ok(Box::new(CsvSource {
        path: path.to_path_buf(),
        columns,
        reader,
        record: csv::StringRecord::new(),
        done: false,
    }))
}

/// The error of a CSV file that cannot be read as CSV, at its line where the reader knows it.
fn bad_csv(path: &Path, err: &csv::Error) -> Error {
    if let csv::ErrorKind::Io(io) = err.kind() {
        return shadowdiff_io::Error::io(path, std::io::Error::new(io.kind(), io.to_string()))
            .into();
    }
    let location = match err.position() {
        Some(position) => Location::line(path, position.line()),
        None => Location::file(path),
    };
    Error::input(location, format!("not valid CSV: {err}"))
}

impl CsvSource {
    /// The next record as a row, `None` at the end of the file.
    fn read_row(&mut self) -> Result<Option<Row>> {
        if !self
            .reader
            .read_record(&mut self.record)
            .map_err(|err| bad_csv(&self.path, &err))?
        {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        if self.record.len() != self.columns.len() {
            return Err(Error::input(
                Location::line(&self.path, line),
                format!(
                    "row has {} fields, the header has {}",
                    self.record.len(),
                    self.columns.len()
                ),
            ));
        }
        Ok(Some(Row {
            values: self.record.iter().map(cell).collect(),
            extra: Map::new(),
            line,
        }))
    }
}

impl Iterator for CsvSource {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        if self.done {
            return None;
        }
        let row = self.read_row().transpose();
        self.done = !matches!(row, Some(Ok(_)));
        row
    }
}

impl RowSource for CsvSource {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn ordered(&self) -> bool {
        false
    }
}

/// A cell's JSON value.
fn cell(text: &str) -> Value {
    match text {
        "" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ if is_json_number(text) => {
            Number::from_str(text).map_or_else(|_| text.into(), Value::Number)
        }
        _ => Value::String(text.to_string()),
    }
}

/// Whether `text` is exactly a JSON number literal: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let int_digits = digits(&mut i);
    if int_digits == 0 || (int_digits > 1 && bytes[int_start] == b'0') {
        return false;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::open as open_source;
    use serde_json::json;

    use crate::source::tests::reading;

    fn export(text: &str) -> (tempfile::TempDir, crate::SourceUrl) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path.display().to_string().parse().unwrap())
    }

    #[test]
    fn cells_become_null_numbers_booleans_or_text() {
        assert_eq!(cell(""), Value::Null);
        assert_eq!(cell("12").to_string(), "12");
        assert_eq!(cell("-3.50").to_string(), "-3.50");
        assert_eq!(cell("1e3").as_f64(), Some(1000.0));
        assert_eq!(cell("true"), json!(true));
        for text in [
            "01234", "+1", " 1", "1.", ".5", "1e", "-", "True", "0x10", "1 ",
        ] {
            assert_eq!(cell(text), json!(text), "{text}");
        }
    }

    #[test]
    fn quoted_fields_keep_commas_and_newlines_and_rows_name_their_line() {
        let (_dir, url) = export("id,note\n1,\"a, b\"\n2,\"two\nlines\"\n3,\n");
        let source = open_source(&url, &reading(&["id"])).unwrap();
        assert!(!source.ordered());
        let names: Vec<_> = source.columns().iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["id", "note"]);
        let rows: Vec<Row> = source.map(Result::unwrap).collect();
        let values: Vec<_> = rows.iter().map(|r| r.values.clone()).collect();
        assert_eq!(
            values,
            [
                vec![json!(1), json!("a, b")],
                vec![json!(2), json!("two\nlines")],
                vec![json!(3), Value::Null]
            ]
        );
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_name() {
        let (_dir, url) = export("\u{feff}id,note\n1,a\n");
        let source = open_source(&url, &reading(&["id"])).unwrap();
        assert_eq!(source.columns()[0].name, "id");
    }

    #[test]
    fn a_ragged_row_a_query_a_missing_key_and_a_missing_file_are_errors() {
        let (dir, url) = export("id,note\n1,a\n2,\"x\ny\"\n3\n");
        let mut source = open_source(&url, &reading(&["id"])).unwrap();
        assert!(source.next().unwrap().is_ok());
        assert!(source.next().unwrap().is_ok());
        let err = source.next().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("t.csv:5") && err.contains("row has 1 fields, the header has 2"),
            "{err}"
        );
        assert!(source.next().is_none());
        let query = Read {
            query: Some("SELECT 1".into()),
            ..reading(&["id"])
        };
        let err = open_source(&url, &query).err().unwrap().to_string();
        assert!(err.contains("a CSV source takes no query"), "{err}");
        let err = open_source(&url, &reading(&["nope"]))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("its columns are id, note"), "{err}");
        let missing: crate::SourceUrl = dir
            .path()
            .join("none.csv")
            .display()
            .to_string()
            .parse()
            .unwrap();
        let err = open_source(&missing, &reading(&["id"])).err().unwrap();
        assert!(matches!(err, Error::Read(_)), "{err}");
    }
}
