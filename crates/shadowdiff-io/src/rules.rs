//! Reading comparator rule files from disk: a file, or every `*.toml` file of a folder in name
//! order, compiled by the core into one [`RuleSet`].

use std::fs;
use std::path::Path;

use shadowdiff_core::{Location, RuleSet};

use crate::error::{Error, Result};

/// Loads a rule file, or every `*.toml` file of a folder in name order. Any problem is an
/// error naming the file, the line and the reason, before any work is done.
pub fn load_rules(path: &Path) -> Result<RuleSet> {
    let meta = fs::metadata(path).map_err(|source| Error::io(path, source))?;
    if !meta.is_dir() {
        return Ok(RuleSet::parse_files(&[(path.to_path_buf(), read(path)?)])?);
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(path).map_err(|source| Error::io(path, source))? {
        let entry = entry.map_err(|source| Error::io(path, source))?;
        let file = entry.path();
        if file.extension().is_some_and(|ext| ext == "toml") && file.is_file() {
            names.push(entry.file_name());
        }
    }
    names.sort();
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let file = path.join(name);
        let text = read(&file)?;
        files.push((file, text));
    }
    Ok(RuleSet::parse_files(&files)?)
}

/// Reads a rule file as UTF-8 text.
fn read(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(|source| Error::io(path, source))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::config(
            Location::file(path),
            "rule file is not UTF-8 text; expected TOML",
        )
    })
}
