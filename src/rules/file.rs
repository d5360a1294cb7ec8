//! Reading `comparators/*.toml` into a [`RuleSet`], with errors that name file, line and reason.

use std::path::{Path, PathBuf};

use super::RuleSet;
use crate::error::Result;

/// The built-in rules: volatile headers ignored.
pub(super) fn builtin() -> RuleSet {
    todo!()
}

/// Loads a rule file or a folder of them.
pub(super) fn load(path: &Path) -> Result<RuleSet> {
    todo!("{}", path.display())
}

/// Compiles the contents of rule files, in the given order.
pub(super) fn parse_files(files: &[(PathBuf, String)]) -> Result<RuleSet> {
    todo!("{}", files.len())
}
