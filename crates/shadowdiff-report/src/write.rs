//! Writing the report files: each is written to a temporary name, and all are renamed into place
//! together at the end (see [`ReportFolder`]), so a command that stops never leaves a
//! half-written report, nor one file contradicting another.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::folder::ReportFolder;
use super::render::{suggested_rules, Format};
use super::Report;

/// The saved aggregate that `report merge` reads.
pub const AGGREGATE_FILE: &str = "aggregate.json";

/// Writes every report format into `folder`, with what it staged before (a run's outcomes
/// file), and commits it: report.json, junit.xml, report.md, report.html, `aggregate.json` (the
/// saved `state`, for merging), and `suggested-rules.toml` when noise was found (an earlier one
/// is removed otherwise). Returns the paths written.
pub fn write_reports(
    report: &Report,
    folder: &mut ReportFolder,
    state: &str,
) -> Result<Vec<PathBuf>> {
    for info in &Format::ALL {
        if let Some(name) = info.file {
            folder.write(name, info.format.render(report, false).as_bytes())?;
        }
    }
    folder.write(AGGREGATE_FILE, state.as_bytes())?;
    let suggestions = "suggested-rules.toml";
    match suggested_rules(report) {
        Some(text) => folder.write(suggestions, text.as_bytes())?,
        None => folder.remove(suggestions),
    }
    folder.commit()
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
