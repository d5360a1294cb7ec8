//! Writing the report folder: every file is written to a temporary name and renamed into place,
//! so an interrupted run never leaves a half-written report.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::render;
use super::Report;

/// Writes `report.json` (and `suggested-rules.toml` when noise was found) into `dir`, created
/// if needed, and returns the paths written.
pub fn write_reports(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let json = dir.join("report.json");
    write_atomically(&json, render::json::render(report).as_bytes())?;
    let mut written = vec![json];
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
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io(dir, err))?;
    temp.write_all(bytes).map_err(|err| Error::io(path, err))?;
    temp.persist(path)
        .map_err(|err| Error::io(path, err.error))?;
    Ok(())
}
