//! Writing the report folder: every file is written to a temporary name and renamed into place,
//! so an interrupted run never leaves a half-written report.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::render;
use super::Report;

/// The saved aggregate that `report merge` reads.
pub const AGGREGATE_FILE: &str = "aggregate.json";

/// Writes every report format into `dir` (created if needed): report.json, junit.xml, report.md,
/// report.html, `aggregate.json` (the saved `state`, for merging), and `suggested-rules.toml`
/// when noise was found. Returns the paths written.
pub fn write_reports(report: &Report, dir: &Path, state: &str) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let files = [
        ("report.json", render::json::render(report)),
        ("junit.xml", render::junit::render(report)),
        ("report.md", render::markdown::render(report)),
        ("report.html", render::html::render(report)),
        (AGGREGATE_FILE, state.to_string()),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        write_atomically(&path, text.as_bytes())?;
        written.push(path);
    }
    let suggestions = dir.join("suggested-rules.toml");
    match render::suggest::render(report) {
        Some(text) => {
            write_atomically(&suggestions, text.as_bytes())?;
            written.push(suggestions);
        }
        None if suggestions.exists() => {
            fs::remove_file(&suggestions).map_err(|err| Error::io(&suggestions, err))?;
        }
        None => {}
    }
    Ok(written)
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io(dir, err))?;
    temp.write_all(bytes).map_err(|err| Error::io(path, err))?;
    temp.persist(path)
        .map_err(|err| Error::io(path, err.error))?;
    Ok(())
}
