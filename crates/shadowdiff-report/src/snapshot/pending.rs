//! The pending file, `shadowdiff.snap.new` beside the snapshot: the changes a run proposes (new
//! signatures, rates above the accepted one, accepted signatures no longer seen), one
//! `[[pending]]` table each.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use shadowdiff_core::Location;

use crate::error::{Error, Result};
use crate::fs::write_atomically;

/// What kind of change a pending entry proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A signature the snapshot does not list.
    New,
    /// An accepted signature seen above its accepted rate.
    Rate,
    /// An accepted signature no exchange showed any more.
    Stale,
}

/// One change proposed by a run, as `shadowdiff.snap.new` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// new, rate or stale.
    pub change: Change,
    /// The route.
    pub route: String,
    /// The signature.
    pub signature: String,
    /// The rate seen (0 for stale entries).
    pub rate: f64,
    /// Exchanges with the signature, of the route's exchanges.
    pub count: u64,
    /// The route's exchanges.
    pub exchanges: u64,
    /// The accepted rate, for rate changes and stale entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_rate: Option<f64>,
    /// The first example, values redacted, for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

#[derive(Serialize)]
struct PendingDoc {
    pending: Vec<Pending>,
}

/// The pending file as read: each change with its place, so a bad rate names its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingFile {
    #[serde(default)]
    pending: Vec<Spanned<Pending>>,
}

/// The path of the pending changes beside a snapshot (`shadowdiff.snap.new`).
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    snapshot.with_file_name(name)
}

/// Writes the pending changes beside the snapshot, or removes an outdated pending file when
/// there are none; returns the path written.
pub fn write_pending(snapshot: &Path, changes: &[Pending]) -> Result<Option<PathBuf>> {
    let path = pending_path(snapshot);
    if changes.is_empty() {
        if path.exists() {
            std::fs::remove_file(&path).map_err(|err| Error::io(&path, err))?;
        }
        return Ok(None);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    }
    write_atomically(&path, render_pending(changes).as_bytes())?;
    Ok(Some(path))
}

/// Reads the pending changes beside a snapshot; none when the file does not exist.
pub fn load_pending(snapshot: &Path) -> Result<Vec<Pending>> {
    let path = pending_path(snapshot);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Error::io(&path, err)),
    };
    let at = |offset: usize| Location {
        path: path.clone(),
        line: Some(text[..offset.min(text.len())].matches('\n').count() as u64 + 1),
    };
    let renew = "this file is written by `shadowdiff run`: run again to renew it";
    let doc: PendingFile = toml::from_str(&text).map_err(|err| {
        let location = match err.span() {
            Some(span) => at(span.start),
            None => Location::file(&path),
        };
        Error::config(location, format!("{}; {renew}", err.message().trim()))
    })?;
    let mut changes = Vec::with_capacity(doc.pending.len());
    for spanned in doc.pending {
        let offset = spanned.span().start;
        let change = spanned.into_inner();
        if !(0.0..=1.0).contains(&change.rate) {
            return Err(Error::config(
                at(offset),
                format!("rate {} is not between 0 and 1; {renew}", change.rate),
            ));
        }
        changes.push(change);
    }
    Ok(changes)
}

/// The pending file's text: a header saying what to do, then one table per change.
pub fn render_pending(changes: &[Pending]) -> String {
    let mut out = String::from(
        "# Changes the last run proposes to the snapshot of accepted differences. Accept them\n\
         # with `shadowdiff accept [--route GLOB] [--reason TEXT] [--prune]`, or one by one\n\
         # with `shadowdiff review`. Written by `shadowdiff run` / `diff`; do not commit it.\n",
    );
    for change in changes {
        let text = toml::to_string(&PendingDoc {
            pending: vec![change.clone()],
        })
        .expect("pending changes serialize");
        out.push('\n');
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("not-yet").join("shadowdiff.snap");
        let changes = vec![Pending {
            change: Change::New,
            route: "GET /orders/{id}".into(),
            signature: "body $['a b'] changed".into(),
            rate: 0.5,
            count: 2,
            exchanges: 4,
            accepted_rate: None,
            example: Some("r1 at $['a b']: \"x\" → \"y\"".into()),
        }];
        let written = write_pending(&snap, &changes).unwrap().unwrap();
        assert_eq!(written, dir.path().join("not-yet/shadowdiff.snap.new"));
        assert_eq!(load_pending(&snap).unwrap(), changes);
        assert_eq!(write_pending(&snap, &[]).unwrap(), None);
        assert!(!written.exists());
    }

    #[test]
    fn a_pending_rate_outside_0_and_1_is_bad_input_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("shadowdiff.snap");
        let entry = |rate: &str| {
            format!(
                "\n[[pending]]\nchange = \"new\"\nroute = \"GET /a\"\nsignature = \"status \
                 changed\"\nrate = {rate}\ncount = 1\nexchanges = 2\n"
            )
        };
        for rate in ["-0.5", "1.5", "nan"] {
            let text = format!("# header{}{}", entry("0.5"), entry(rate));
            std::fs::write(pending_path(&snap), text).unwrap();
            let err = load_pending(&snap).unwrap_err().to_string();
            let place = format!("{}:10:", pending_path(&snap).display());
            assert!(err.starts_with(&place), "{err}");
            assert!(err.contains("is not between 0 and 1"), "{err}");
        }
    }
}
