//! The last stage, write: the report files, each written to a temporary name, and all renamed
//! into place together at the end (see [`ReportFolder`]), so a command that stops never leaves a
//! half-written report, nor one file contradicting another.

pub(crate) mod folder;

use std::path::PathBuf;

use crate::aggregate::AGGREGATE_FILE;
use crate::document::Report;
use crate::error::Result;
use crate::render::{suggestion_file, Format};
use crate::verdict::suggestions;

use folder::ReportFolder;

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

/// `suggested-rules.toml`: the rules that would silence the noise of `report`, as TOML text;
/// `None` when no signature is noise.
pub fn suggested_rules(report: &Report) -> Option<String> {
    suggestion_file(&suggestions(report))
}
