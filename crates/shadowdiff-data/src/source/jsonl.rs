//! `PATH.jsonl` and `PATH.jsonl.zst`: one JSON object a line, blank lines skipped, read in file
//! order. The columns are the first object's keys; a later object's other keys travel in
//! [`Row::extra`], and a column it lacks is `null`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use shadowdiff_core::Location;

use super::jsonl_line::{read_line, Fields, Line, MAX_LINE};
use super::{columns, Column, ColumnKind, Read, Row, RowSource};
use crate::error::{Error, Result};

/// An open JSON Lines export.
struct JsonlSource {
    /// The file, for errors.
    path: PathBuf,
    /// The first object's keys.
    columns: Vec<Column>,
    /// Each column's position by name.
    positions: HashMap<String, usize>,
    /// The lines, decompressed.
    reader: Box<dyn BufRead + Send>,
    /// The line being read, reused.
    buffer: Vec<u8>,
    /// The number of the last line read.
    line: u64,
    /// The first object, read to find the columns and not yet returned.
    first: Option<Fields>,
    /// The first object's line.
    first_line: u64,
    /// Whether the end or an error was reached: nothing follows.
    done: bool,
}

/// Opens the JSON Lines export `path`, zstd-compressed when its name ends in `.zst`.
pub(super) fn open(path: &Path, read: &Read) -> Result<Box<dyn RowSource>> {
    super::no_query(read, path, "a JSON Lines source", "one object a row")?;
    let file = File::open(path).map_err(|err| shadowdiff_io::Error::io(path, err))?;
    let compressed = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".zst");
    let reader: Box<dyn BufRead + Send> = if compressed {
        let decoder = zstd::stream::read::Decoder::new(file)
            .map_err(|err| shadowdiff_io::Error::io(path, err))?;
        Box::new(BufReader::new(decoder))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut source = JsonlSource {
        path: path.to_path_buf(),
        columns: Vec::new(),
        positions: HashMap::new(),
        reader,
        buffer: Vec::new(),
        line: 0,
        first: None,
        first_line: 0,
        done: false,
    };
    if let Some(first) = source.next_object()? {
        for (name, value) in &first.0 {
            if source.positions.contains_key(name) {
                continue;
            }
            source.positions.insert(name.clone(), source.columns.len());
            let kind = match value {
                Value::Object(_) | Value::Array(_) => ColumnKind::Json,
                _ => ColumnKind::Unknown,
            };
            source.columns.push(Column {
                name: name.clone(),
                kind,
            });
        }
        source.first = Some(first);
        source.first_line = source.line;
    }
    columns::key_positions(&source.columns, &read.key, &Location::file(path))?;
    Ok(Box::new(source))
}

impl JsonlSource {
    /// The next object, skipping blank lines; `None` at the end.
    fn next_object(&mut self) -> Result<Option<Fields>> {
        loop {
            let line = read_line(&mut self.reader, &mut self.buffer)
                .map_err(|err| shadowdiff_io::Error::io(&self.path, err))?;
            self.line += 1;
            let at = || Location::line(&self.path, self.line);
            match line {
                Line::End => return Ok(None),
                Line::TooLong => {
                    return Err(Error::input(
                        at(),
                        format!("the line is longer than {} MiB", MAX_LINE >> 20),
                    ))
                }
                Line::Read if self.buffer.trim_ascii().is_empty() => continue,
                Line::Read => {
                    return serde_json::from_slice(&self.buffer)
                        .map(Some)
                        .map_err(|err| Error::input(at(), format!("not a JSON object: {err}")))
                }
            }
        }
    }

    /// An object as a row: its values in column order, its other keys in `extra`.
    fn row(&self, fields: Fields, line: u64) -> Row {
        let mut values = vec![Value::Null; self.columns.len()];
        let mut extra = Map::new();
        for (name, value) in fields.0 {
            match self.positions.get(&name) {
                Some(&i) => values[i] = value,
                None => {
                    extra.insert(name, value);
                }
            }
        }
        Row {
            values,
            extra,
            line,
        }
    }
}

impl Iterator for JsonlSource {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        if let Some(first) = self.first.take() {
            return Some(Ok(self.row(first, self.first_line)));
        }
        if self.done {
            return None;
        }
        match self.next_object() {
            Ok(Some(fields)) => Some(Ok(self.row(fields, self.line))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

impl RowSource for JsonlSource {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn ordered(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::open as open_source;
    use crate::SourceUrl;
    use serde_json::json;

    use crate::source::tests::reading;

    const TEXT: &str = "\n{\"id\": 2, \"name\": \"b\", \"tags\": [1]}\n\n{\"name\": \"a\", \"id\": 1, \"new\": true}\n{\"id\": 3}\n";

    fn check(url: &SourceUrl) {
        let source = open_source(url, &reading(&["id"])).unwrap();
        assert!(!source.ordered());
        let columns: Vec<_> = source
            .columns()
            .iter()
            .map(|c| (c.name.clone(), c.kind))
            .collect();
        assert_eq!(
            columns,
            [
                ("id".to_string(), ColumnKind::Unknown),
                ("name".to_string(), ColumnKind::Unknown),
                ("tags".to_string(), ColumnKind::Json)
            ]
        );
        let rows: Vec<Row> = source.map(Result::unwrap).collect();
        assert_eq!(rows[0].values, [json!(2), json!("b"), json!([1])]);
        assert_eq!(rows[1].values, [json!(1), json!("a"), Value::Null]);
        assert_eq!(
            rows[1].extra,
            json!({"new": true}).as_object().unwrap().clone()
        );
        assert_eq!(rows[2].values, [json!(3), Value::Null, Value::Null]);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 5]);
    }

    #[test]
    fn plain_and_compressed_exports_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("t.jsonl");
        std::fs::write(&plain, TEXT).unwrap();
        check(&plain.display().to_string().parse().unwrap());
        let packed = dir.path().join("t.jsonl.zst");
        std::fs::write(&packed, zstd::encode_all(TEXT.as_bytes(), 3).unwrap()).unwrap();
        check(&packed.display().to_string().parse().unwrap());
    }

    #[test]
    fn a_bad_line_is_named_and_a_missing_key_or_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, "{\"id\": 1}\n[2]\n").unwrap();
        let url: SourceUrl = path.display().to_string().parse().unwrap();
        let mut source = open_source(&url, &reading(&["id"])).unwrap();
        assert!(source.next().unwrap().is_ok());
        let err = source.next().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("t.jsonl:2") && err.contains("not a JSON object"),
            "{err}"
        );
        assert!(source.next().is_none());
        let err = open_source(&url, &reading(&["nope"]))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("its columns are id"), "{err}");
        std::fs::write(&path, "{\"id\": 1\n").unwrap();
        let err = open_source(&url, &reading(&["id"]))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("t.jsonl:1"), "{err}");
        let missing: SourceUrl = dir
            .path()
            .join("none.jsonl")
            .display()
            .to_string()
            .parse()
            .unwrap();
        let err = open_source(&missing, &reading(&["id"])).err().unwrap();
        assert!(matches!(err, Error::Read(_)), "{err}");
    }
}
