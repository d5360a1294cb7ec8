//! The report folder as one change: files are written under temporary names and renamed into
//! place together at the end ([`ReportFolder::commit`]), so a command that stops first leaves no
//! file half-written and none contradicting another. A command that stops on bad input
//! ([`ReportFolder::abandon`], exit 2) leaves the folder exactly as it was: its temporary files
//! are removed, files written in place as the run went (managed targets' logs, which must be
//! readable while they grow) are cut back to their earlier length, and folders it created are
//! removed again.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempPath};

use crate::error::{Error, Result};

/// A report folder being written.
#[derive(Debug)]
pub struct ReportFolder {
    dir: PathBuf,
    /// Folders this command created, the outermost first.
    created: Vec<PathBuf>,
    /// Files written under a temporary name, each with the path it is renamed to.
    staged: Vec<(TempPath, PathBuf)>,
    /// Files of an earlier report this one has no counterpart for, removed at the commit.
    stale: Vec<PathBuf>,
    /// Files written in place, with their length before (none: they did not exist).
    in_place: Vec<(PathBuf, Option<u64>)>,
}

impl ReportFolder {
    /// Opens `dir`, creating it (and its missing parents) when needed.
    pub fn open(dir: &Path) -> Result<ReportFolder> {
        let created = missing_folders(dir);
        fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
        Ok(ReportFolder {
            dir: dir.to_path_buf(),
            created,
            staged: Vec::new(),
            stale: Vec::new(),
            in_place: Vec::new(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new temporary file in the folder, hidden, named after `name`: hand it back to
    /// [`ReportFolder::stage`] once written.
    pub fn temp_file(&self, name: &str) -> Result<NamedTempFile> {
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .tempfile_in(&self.dir)
            .map_err(|err| Error::io(&self.dir, err))
    }

    /// Renames `file` to `name` at the commit.
    pub fn stage(&mut self, file: TempPath, name: &str) {
        self.staged.push((file, self.dir.join(name)));
    }

    /// Writes `bytes` to a temporary file renamed to `name` at the commit.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        let mut file = self.temp_file(name)?;
        file.write_all(bytes).map_err(|err| Error::io(&path, err))?;
        self.stage(file.into_temp_path(), name);
        Ok(())
    }

    /// Removes `name` at the commit, if an earlier report left one.
    pub fn remove(&mut self, name: &str) {
        let path = self.dir.join(name);
        if path.exists() {
            self.stale.push(path);
        }
    }

    /// Notes that `name` (a path inside the folder, such as `logs/old.log`) is about to be
    /// written in place, so that abandoning cuts it back (or removes it, and its folder, when
    /// they did not exist).
    pub fn written_in_place(&mut self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            self.created.extend(missing_folders(parent));
        }
        let before = match fs::metadata(&path) {
            Ok(metadata) => Some(metadata.len()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(Error::io(&path, err)),
        };
        self.in_place.push((path, before));
        Ok(())
    }

    /// Renames every staged file into place and removes the stale ones; returns the paths
    /// written. What was written in place stays.
    pub fn commit(&mut self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::with_capacity(self.staged.len());
        for (file, path) in self.staged.drain(..) {
            file.persist(&path)
                .map_err(|err| Error::io(&path, err.error))?;
            written.push(path);
        }
        for path in self.stale.drain(..) {
            fs::remove_file(&path).map_err(|err| Error::io(&path, err))?;
        }
        self.in_place.clear();
        self.created.clear();
        Ok(written)
    }

    /// Leaves the folder as it was before this command: staged files deleted, files written in
    /// place cut back or removed, folders it created removed (when empty). Best effort: this runs
    /// on the way out of a failed command, whose own error is the one to report.
    pub fn abandon(&mut self) {
        self.staged.clear();
        self.stale.clear();
        for (path, before) in self.in_place.drain(..) {
            let _ = match before {
                Some(length) => OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|file| file.set_len(length)),
                None => fs::remove_file(&path),
            };
        }
        for dir in self.created.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// The folders of `dir` that do not exist yet, the outermost first.
fn missing_folders(dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_in_place_before_the_commit_and_all_of_it_after() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        let mut folder = ReportFolder::open(&out).unwrap();
        folder.write("a.json", b"new").unwrap();
        let mut late = folder.temp_file("b.zst").unwrap();
        late.write_all(b"outcomes").unwrap();
        folder.stage(late.into_temp_path(), "b.zst");
        assert!(!out.join("a.json").exists() && !out.join("b.zst").exists());
        let written = folder.commit().unwrap();
        assert_eq!(written, [out.join("a.json"), out.join("b.zst")]);
        assert_eq!(fs::read(out.join("b.zst")).unwrap(), b"outcomes");
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            2,
            "no temporary file left"
        );
    }

    #[test]
    fn abandoning_leaves_the_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        fs::create_dir_all(out.join("logs")).unwrap();
        fs::write(out.join("report.json"), "old").unwrap();
        fs::write(out.join("stale.toml"), "old").unwrap();
        fs::write(out.join("logs/old.log"), "earlier run\n").unwrap();
        let mut folder = ReportFolder::open(&out).unwrap();
        folder.written_in_place("logs/old.log").unwrap();
        folder.written_in_place("logs/new.log").unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(out.join("logs/old.log"))
            .unwrap()
            .write_all(b"this run\n")
            .unwrap();
        fs::write(out.join("logs/new.log"), "this run\n").unwrap();
        folder.write("report.json", b"new").unwrap();
        folder.remove("stale.toml");
        folder.abandon();
        assert_eq!(fs::read_to_string(out.join("report.json")).unwrap(), "old");
        assert_eq!(fs::read_to_string(out.join("stale.toml")).unwrap(), "old");
        assert_eq!(
            fs::read_to_string(out.join("logs/old.log")).unwrap(),
            "earlier run\n"
        );
        assert!(!out.join("logs/new.log").exists());
        let names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");

        let fresh = dir.path().join("a/b");
        let mut folder = ReportFolder::open(&fresh).unwrap();
        folder.written_in_place("logs/old.log").unwrap();
        fs::create_dir_all(fresh.join("logs")).unwrap();
        fs::write(fresh.join("logs/old.log"), "x").unwrap();
        folder.write("report.json", b"new").unwrap();
        folder.abandon();
        assert!(!dir.path().join("a").exists(), "created folders stay");
    }
}
