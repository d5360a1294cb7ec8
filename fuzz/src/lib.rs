//! What the fuzz targets share: the fuzzed bytes written as a file (the readers read paths, as
//! the binary does), and the laws every reader keeps whatever the bytes.
//!
//! The laws: no panic, no hang, bounded memory (libFuzzer's `-timeout` and `-rss_limit_mb` watch
//! those); every error names the file it is about; and every exchange a recording reader hands
//! out is written back as a native line (as `shadowdiff import` does) that reads back as the same
//! exchange.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use std::fmt::Display;

use shadowdiff_core::{Exchange, Location};
use shadowdiff_io::{parse_line, Limits, RawLine, RawLines};

/// The folder the inputs are written to: a fresh one in `$TMPDIR` when it is set (`run.sh` sets
/// it, and removes it afterwards), else in `/dev/shm` when it exists, else in the system's
/// temporary folder.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = match std::env::var_os("TMPDIR") {
            Some(dir) => PathBuf::from(dir),
            None if Path::new("/dev/shm").is_dir() => PathBuf::from("/dev/shm"),
            None => std::env::temp_dir(),
        };
        tempfile::Builder::new()
            .prefix("shadowdiff-fuzz-")
            .tempdir_in(base)
            .expect("a scratch folder for the fuzzed files")
    })
    .path()
}

/// Writes `data` to the file `name` in the scratch folder and returns its path.
pub fn write_input(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("the fuzzed bytes written to the scratch folder");
    path
}

/// Panics unless `err` names `path` first (`PATH:LINE: ...` or `PATH: ...`), as every error
/// about a file must, whichever crate's error it is.
pub fn assert_names(err: &impl Display, path: &Path) {
    let text = err.to_string();
    let named = text
        .strip_prefix(path.display().to_string().as_str())
        .is_some_and(|rest| rest.starts_with(':'));
    assert!(named, "the error does not name {}: {text}", path.display());
}

/// Reads the recording `name` holding `data` the way `run`, `diff` and `import` do (format by
/// name, else by the first bytes), checking the laws on every item.
pub fn read_recording(name: &str, data: &[u8]) {
    let path = write_input(name, data);
    let lines = match RawLines::open(&path, &Limits::default()) {
        Ok(lines) => lines,
        Err(err) => return assert_names(&err, &path),
    };
    for line in lines {
        let exchange = line.and_then(|line| parse_line(&line).map(|e| (e, line.location)));
        match exchange {
            Ok((exchange, location)) => assert_reads_back(&exchange, location),
            Err(err) => assert_names(&err, &path),
        }
    }
}

/// Panics unless `exchange`, written as a native line, reads back as itself.
fn assert_reads_back(exchange: &Exchange, location: Location) {
    let line = RawLine {
        bytes: serde_json::to_vec(exchange).expect("an exchange serializes"),
        location,
        fallback_id: String::new(),
    };
    match parse_line(&line) {
        Ok(again) => assert_eq!(&again, exchange, "the written exchange reads back changed"),
        Err(err) => panic!("the written exchange does not read back: {err}"),
    }
}

/// Reads the export `name` holding `data` as `shadowdiff data` reads a source: opened as the
/// source its name says, keyed by `id`, every row read. Laws: errors name the file; every key
/// gives an id, and its values read back as the same key.
pub fn read_export(name: &str, data: &[u8]) {
    use shadowdiff_data::{Key, KeyedRows, Read, SourceUrl};

    let path = write_input(name, data);
    let url: SourceUrl = path
        .display()
        .to_string()
        .parse()
        .expect("the scratch file's name is a source");
    let key = vec!["id".to_string()];
    let read = Read {
        query: None,
        table: "t".into(),
        key: key.clone(),
        partition: None,
    };
    let rows = shadowdiff_data::open(&url, &read).and_then(|source| {
        assert!(!source.ordered(), "an export is read in file order");
        KeyedRows::new(source, &key, None, &url)
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => return assert_names(&err, &path),
    };
    for row in rows {
        match row {
            Ok(row) => {
                assert!(
                    row.doc.contains_key("id"),
                    "a keyed row lacks its key column"
                );
                let _ = row.key.id();
                let again = Key::of(&row.key.values()).expect("a key's values are a key");
                assert_eq!(again, row.key, "a key's values read back as another key");
            }
            Err(err) => assert_names(&err, &path),
        }
    }
}
