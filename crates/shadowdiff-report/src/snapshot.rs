//! The snapshot of accepted differences (`shadowdiff.snap`), in insta's model: a committed,
//! reviewed TOML file of accepted signatures per route, each with the highest accepted rate and
//! a reason; and beside it `shadowdiff.snap.new`, the pending changes a run proposes (new
//! signatures, rates above the accepted one, accepted signatures no longer seen), which
//! `shadowdiff accept` and `shadowdiff review` fold into the snapshot. A run never writes the
//! snapshot itself.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use shadowdiff_core::Location;

use crate::error::{Error, Result};

use super::document::{cut_mark, Report, Shown, Side, SignatureReport};
use super::write::write_atomically;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    #[serde(default)]
    accepted: Vec<Spanned<Accepted>>,
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

/// The path of the pending changes beside a snapshot (`shadowdiff.snap.new`).
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    snapshot.with_file_name(name)
}

/// The changes a finished report proposes to the snapshot: signatures that fail for want of
/// acceptance (not noise, not accepted at their rate), and the stale entries.
pub fn pending_changes(report: &Report) -> Vec<Pending> {
    let mut changes = Vec::new();
    for route in &report.routes {
        for sig in &route.signatures {
            if sig.noise || sig.accepted {
                continue;
            }
            changes.push(Pending {
                change: if sig.accepted_rate.is_some() {
                    Change::Rate
                } else {
                    Change::New
                },
                route: route.route.clone(),
                signature: sig.signature.clone(),
                rate: sig.rate,
                count: sig.count,
                exchanges: route.counts.exchanges,
                accepted_rate: sig.accepted_rate,
                example: example(sig),
            });
        }
    }
    if let Some(status) = &report.snapshot {
        for stale in &status.stale {
            changes.push(Pending {
                change: Change::Stale,
                route: stale.route.clone(),
                signature: stale.signature.clone(),
                rate: 0.0,
                count: 0,
                exchanges: report
                    .routes
                    .iter()
                    .find(|r| r.route == stale.route)
                    .map_or(0, |r| r.counts.exchanges),
                accepted_rate: None,
                example: None,
            });
        }
    }
    changes
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

/// The first example of a signature as one line: `r17 at $.total: 10.5 → 10.49`.
fn example(sig: &SignatureReport) -> Option<String> {
    let sample = sig.samples.first()?;
    let value = |side: Side| match sample.shown(side) {
        Shown::Absent => "(absent)".to_string(),
        Shown::Whole(value) => shorten(&value.to_string()),
        Shown::Cut(start, size) => format!("{} {}", shorten(start), cut_mark(size)),
    };
    let place = sample.path.as_deref().unwrap_or("status");
    Some(format!(
        "{} at {place}: {} → {}",
        sample.id,
        value(Side::Old),
        value(Side::New)
    ))
}

/// A value cut to 80 characters for one-line display.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

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
