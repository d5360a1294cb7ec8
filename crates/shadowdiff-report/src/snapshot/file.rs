//! The snapshot file, `shadowdiff.snap`: the accepted differences, a committed and reviewed
//! TOML file of accepted signatures per route, each with the highest accepted rate and a reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use shadowdiff_core::Location;

use crate::error::{Error, Result};
use crate::fs::write_atomically;

use super::pending::{Change, Pending};

/// The accepted differences.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Where it was read from (it may not exist yet).
    pub path: PathBuf,
    /// Accepted signatures, sorted by route then signature.
    pub entries: Vec<Accepted>,
}

/// One accepted signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// The route (`GET /orders/{id}`).
    pub route: String,
    /// The signature (`body $.total changed`).
    pub signature: String,
    /// The highest share of the route's exchanges it may reach.
    pub max_rate: f64,
    /// Why it is acceptable.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    #[serde(default)]
    accepted: Vec<Spanned<Accepted>>,
}

impl Snapshot {
    /// Reads the snapshot at `path`; a file that does not exist is an empty snapshot.
    pub fn load(path: &Path) -> Result<Snapshot> {
        match std::fs::read_to_string(path) {
            Ok(text) => Snapshot::parse(&text, path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Snapshot {
                path: path.to_path_buf(),
                entries: Vec::new(),
            }),
            Err(err) => Err(Error::io(path, err)),
        }
    }

    /// Parses a snapshot; errors name the file and line.
    pub fn parse(text: &str, path: &Path) -> Result<Snapshot> {
        let line_of =
            |offset: usize| text[..offset.min(text.len())].matches('\n').count() as u64 + 1;
        let at = |offset: usize| Location {
            path: path.to_path_buf(),
            line: Some(line_of(offset)),
        };
        let doc: SnapshotDoc = toml::from_str(text).map_err(|err| {
            let location = match err.span() {
                Some(span) => at(span.start),
                None => Location::file(path),
            };
            let message = err
                .message()
                .trim()
                .replace("unknown field", "unknown key")
                .replace("missing field", "missing key");
            Error::config(
                location,
                format!("{message}; each [[accepted]] has route, signature, max_rate and reason"),
            )
        })?;
        let mut entries: Vec<(usize, Accepted)> = Vec::new();
        for spanned in doc.accepted {
            let offset = spanned.span().start;
            let entry = spanned.into_inner();
            if !(0.0..=1.0).contains(&entry.max_rate) {
                return Err(Error::config(
                    at(offset),
                    format!(
                        "max_rate {} is not between 0 and 1 (0.02 means 2 % of the route's exchanges)",
                        entry.max_rate
                    ),
                ));
            }
            if let Some((first, _)) = entries
                .iter()
                .find(|(_, e)| e.route == entry.route && e.signature == entry.signature)
            {
                return Err(Error::config(
                    at(offset),
                    format!(
                        "`{}` on `{}` is accepted twice (first on line {}); keep one entry",
                        entry.signature,
                        entry.route,
                        line_of(*first)
                    ),
                ));
            }
            entries.push((offset, entry));
        }
        let mut entries: Vec<Accepted> = entries.into_iter().map(|(_, e)| e).collect();
        sort(&mut entries);
        Ok(Snapshot {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The entry accepting `signature` on `route`, if any.
    pub fn find(&self, route: &str, signature: &str) -> Option<&Accepted> {
        self.entries
            .binary_search_by(|e| (e.route.as_str(), e.signature.as_str()).cmp(&(route, signature)))
            .ok()
            .map(|index| &self.entries[index])
    }

    /// The snapshot as its file: a header, then one `[[accepted]]` table per entry.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# Accepted differences between the old and the new implementation, reviewed like code.\n\
             # A run fails when a signature is not listed here or exceeds its max_rate (a share of\n\
             # the route's exchanges). Update with `shadowdiff accept` or `shadowdiff review`.\n",
        );
        for entry in &self.entries {
            let _ = write!(
                out,
                "\n[[accepted]]\nroute = {}\nsignature = {}\nmax_rate = {}\nreason = {}\n",
                quote(&entry.route),
                quote(&entry.signature),
                entry.max_rate,
                quote(&entry.reason)
            );
        }
        out
    }

    /// Writes the snapshot to its path, atomically.
    pub fn save(&self) -> Result<()> {
        write_atomically(&self.path, self.render().as_bytes())
    }

    /// Applies accepted pending changes: new and rate entries are added or raised (with
    /// `reason`, or the existing reason, or a placeholder), stale ones removed.
    pub fn apply(&mut self, changes: &[Pending], reason: Option<&str>) {
        for change in changes {
            let existing = self
                .entries
                .iter()
                .position(|e| e.route == change.route && e.signature == change.signature);
            match (change.change, existing) {
                (Change::Stale, Some(index)) => {
                    self.entries.remove(index);
                }
                (Change::Stale, None) => {}
                (_, Some(index)) => {
                    let entry = &mut self.entries[index];
                    entry.max_rate = entry.max_rate.max(rate_ceiling(change.rate));
                    if let Some(reason) = reason {
                        entry.reason = reason.to_string();
                    }
                }
                (_, None) => self.entries.push(Accepted {
                    route: change.route.clone(),
                    signature: change.signature.clone(),
                    max_rate: rate_ceiling(change.rate),
                    reason: reason.unwrap_or(NO_REASON).to_string(),
                }),
            }
        }
        sort(&mut self.entries);
    }
}

/// The reason written when none was given.
pub const NO_REASON: &str = "accepted without a reason (say why here)";

/// A rate rounded up to four decimals, so the run that proposed it passes with it.
fn rate_ceiling(rate: f64) -> f64 {
    ((rate * 10_000.0).ceil() / 10_000.0).min(1.0)
}

fn sort(entries: &mut [Accepted]) {
    entries.sort_by(|a, b| (&a.route, &a.signature).cmp(&(&b.route, &b.signature)));
}

/// `text` as a TOML basic string (`"..."`, with `\"`, `\\`, `\n`-style and `\uXXXX` escapes)
/// whatever it holds, never a literal or multi-line one; shared with `suggested-rules.toml`.
pub(crate) fn quote(text: &str) -> String {
    use toml_writer::ToTomlValue as _;
    toml_writer::TomlStringBuilder::new(text)
        .as_basic()
        .to_toml_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAP: &str = r#"
[[accepted]]
route = "GET /orders/{id}"
signature = "body $.total changed"
max_rate = 0.02
reason = "v2 rounds totals to cents"

[[accepted]]
route = "GET /a"
signature = "status changed"
max_rate = 1.0
reason = "moved"
"#;

    #[test]
    fn parses_sorts_and_finds() {
        let snap = Snapshot::parse(SNAP, Path::new("shadowdiff.snap")).unwrap();
        assert_eq!(snap.entries[0].route, "GET /a");
        let entry = snap
            .find("GET /orders/{id}", "body $.total changed")
            .unwrap();
        assert_eq!(entry.max_rate, 0.02);
        assert!(snap
            .find("GET /orders/{id}", "body $.tax changed")
            .is_none());
    }

    #[test]
    fn renders_what_it_parses() {
        let snap = Snapshot::parse(SNAP, Path::new("s.snap")).unwrap();
        let again = Snapshot::parse(&snap.render(), Path::new("s.snap")).unwrap();
        assert_eq!(again, snap);
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let dup = format!("{SNAP}\n[[accepted]]\nroute = \"GET /a\"\nsignature = \"status changed\"\nmax_rate = 0.5\nreason = \"x\"\n");
        let err = Snapshot::parse(&dup, Path::new("s.snap")).unwrap_err();
        assert!(
            err.to_string().starts_with("s.snap:14:")
                && err.to_string().contains("twice (first on line 8)"),
            "{err}"
        );
        let bad =
            "[[accepted]]\nroute = \"GET /a\"\nsignature = \"x\"\nmax_rate = 2.0\nreason = \"\"\n";
        let err = Snapshot::parse(bad, Path::new("s.snap")).unwrap_err();
        assert!(err.to_string().contains("not between 0 and 1"), "{err}");
        let missing = "[[accepted]]\nroute = \"GET /a\"\n";
        let err = Snapshot::parse(missing, Path::new("s.snap")).unwrap_err();
        assert!(err.to_string().contains("missing key"), "{err}");
    }

    #[test]
    fn applying_changes_adds_raises_and_prunes() {
        let mut snap = Snapshot::parse(SNAP, Path::new("s.snap")).unwrap();
        let change = |change, route: &str, signature: &str, rate| Pending {
            change,
            route: route.into(),
            signature: signature.into(),
            rate,
            count: 1,
            exchanges: 3,
            accepted_rate: None,
            example: None,
        };
        snap.apply(
            &[
                change(Change::New, "GET /b", "body $.x added", 1.0 / 3.0),
                change(
                    Change::Rate,
                    "GET /orders/{id}",
                    "body $.total changed",
                    0.05,
                ),
                change(Change::Stale, "GET /a", "status changed", 0.0),
            ],
            Some("checked"),
        );
        let routes: Vec<_> = snap.entries.iter().map(|e| e.route.as_str()).collect();
        assert_eq!(routes, ["GET /b", "GET /orders/{id}"]);
        assert_eq!(snap.entries[0].max_rate, 0.3334);
        assert_eq!(snap.entries[1].max_rate, 0.05);
        assert_eq!(snap.entries[1].reason, "checked");
    }
}
