//! The operations on pending changes, as in insta: accept a change (into the snapshot), reject
//! it (dropped from the pending file; a run proposes it again while it still happens), or skip
//! it (kept pending). `shadowdiff accept` and `shadowdiff reject` decide the changes a
//! [`Selection`] picks; `shadowdiff review` decides them one at a time.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use shadowdiff_core::RouteGlob;

use crate::error::Result;

use super::file::Snapshot;
use super::pending::{load_pending, pending_path, write_pending, Change, Pending};

/// What becomes of one pending change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Into the snapshot, with this reason (none: the entry's reason, or a placeholder).
    Accept(Option<String>),
    /// Dropped from the pending file; the snapshot is not touched.
    Reject,
    /// Kept pending.
    Skip,
}

/// Which pending changes a command decides: by kind, and by route.
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    /// New signatures and raised rates.
    pub changes: bool,
    /// Stale entries (accepting one removes it from the snapshot).
    pub stale: bool,
    /// Only changes of routes matching one of these globs; every route when empty.
    pub routes: &'a [RouteGlob],
}

impl Selection<'_> {
    /// Whether the selection picks `change`.
    pub fn picks(&self, change: &Pending) -> bool {
        let kind = match change.change {
            Change::New | Change::Rate => self.changes,
            Change::Stale => self.stale,
        };
        kind && (self.routes.is_empty() || self.routes.iter().any(|g| g.matches(&change.route)))
    }
}

/// The pending changes beside a snapshot, decided in their order; nothing is written until
/// [`Review::apply`] and [`Review::save_pending`].
#[derive(Debug)]
pub struct Review {
    snapshot: PathBuf,
    undecided: VecDeque<Pending>,
    accepted: Vec<(Pending, Option<String>)>,
    rejected: Vec<Pending>,
    skipped: Vec<Pending>,
}

impl Review {
    /// The pending changes beside the snapshot at `snapshot`; none when there is no pending file.
    pub fn load(snapshot: &Path) -> Result<Review> {
        Ok(Review::new(snapshot, load_pending(snapshot)?))
    }

    /// `pending`, the changes proposed to the snapshot at `snapshot`, all undecided.
    pub fn new(snapshot: &Path, pending: Vec<Pending>) -> Review {
        Review {
            snapshot: snapshot.to_path_buf(),
            undecided: pending.into(),
            accepted: Vec::new(),
            rejected: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// The pending file (`shadowdiff.snap.new`).
    pub fn pending_path(&self) -> PathBuf {
        pending_path(&self.snapshot)
    }

    /// Every change, decided or not.
    pub fn len(&self) -> usize {
        self.undecided.len() + self.accepted.len() + self.rejected.len() + self.skipped.len()
    }

    /// Whether nothing was pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next change not decided yet.
    pub fn next(&self) -> Option<&Pending> {
        self.undecided.front()
    }

    /// Decides the next change; returns it, or none when every change is decided.
    pub fn decide(&mut self, decision: Decision) -> Option<&Pending> {
        let change = self.undecided.pop_front()?;
        Some(match decision {
            Decision::Accept(reason) => {
                self.accepted.push((change, reason));
                &self.accepted.last().expect("just pushed").0
            }
            Decision::Reject => {
                self.rejected.push(change);
                self.rejected.last().expect("just pushed")
            }
            Decision::Skip => {
                self.skipped.push(change);
                self.skipped.last().expect("just pushed")
            }
        })
    }

    /// Accepts the next change.
    pub fn accept(&mut self, reason: Option<&str>) -> Option<&Pending> {
        self.decide(Decision::Accept(reason.map(String::from)))
    }

    /// Rejects the next change.
    pub fn reject(&mut self) -> Option<&Pending> {
        self.decide(Decision::Reject)
    }

    /// Skips the next change.
    pub fn skip(&mut self) -> Option<&Pending> {
        self.decide(Decision::Skip)
    }

    /// Decides every change left: `decision` for those `selection` picks, skip for the others.
    pub fn decide_selected(&mut self, selection: &Selection<'_>, decision: &Decision) {
        while let Some(change) = self.next() {
            let decision = if selection.picks(change) {
                decision.clone()
            } else {
                Decision::Skip
            };
            self.decide(decision);
        }
    }

    /// The accepted changes, in the order decided.
    pub fn accepted(&self) -> impl Iterator<Item = &Pending> {
        self.accepted.iter().map(|(change, _)| change)
    }

    /// The rejected changes, in the order decided.
    pub fn rejected(&self) -> &[Pending] {
        &self.rejected
    }

    /// The changes that stay pending: skipped, or not decided.
    pub fn still_pending(&self) -> usize {
        self.skipped.len() + self.undecided.len()
    }

    /// Folds the accepted changes into `snapshot` (which the caller saves): new and rate entries
    /// added or raised, stale ones removed.
    pub fn apply(&self, snapshot: &mut Snapshot) {
        for (change, reason) in &self.accepted {
            snapshot.apply(std::slice::from_ref(change), reason.as_deref());
        }
    }

    /// Writes the changes still pending (skipped, then undecided, in their order) beside the
    /// snapshot, or removes the pending file when none are left; returns the path written.
    pub fn save_pending(&self) -> Result<Option<PathBuf>> {
        let left: Vec<Pending> = self
            .skipped
            .iter()
            .chain(&self.undecided)
            .cloned()
            .collect();
        write_pending(&self.snapshot, &left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(change: Change, route: &str, signature: &str) -> Pending {
        Pending {
            change,
            route: route.into(),
            signature: signature.into(),
            rate: 0.25,
            count: 1,
            exchanges: 4,
            accepted_rate: None,
            example: None,
        }
    }

    /// A snapshot accepting `GET /a status changed`, and a pending file of three changes.
    fn setup(dir: &Path) -> (PathBuf, Vec<Pending>) {
        let path = dir.join("shadowdiff.snap");
        let mut snapshot = Snapshot::load(&path).unwrap();
        snapshot.apply(
            &[change(Change::New, "GET /a", "status changed")],
            Some("moved"),
        );
        snapshot.save().unwrap();
        let pending = vec![
            change(Change::New, "GET /b", "body $.x added"),
            change(Change::Rate, "GET /a", "body $.y changed"),
            change(Change::Stale, "GET /a", "status changed"),
        ];
        write_pending(&path, &pending).unwrap();
        (path, pending)
    }

    #[test]
    fn accept_moves_a_change_into_the_snapshot_and_out_of_the_pending_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, pending) = setup(dir.path());
        let mut review = Review::load(&path).unwrap();
        assert_eq!(review.len(), 3);
        assert_eq!(review.accept(Some("checked")), Some(&pending[0]));
        let mut snapshot = Snapshot::load(&path).unwrap();
        review.apply(&mut snapshot);
        snapshot.save().unwrap();
        review.save_pending().unwrap();
        let snapshot = Snapshot::load(&path).unwrap();
        let entry = snapshot.find("GET /b", "body $.x added").unwrap();
        assert_eq!((entry.max_rate, entry.reason.as_str()), (0.25, "checked"));
        assert_eq!(load_pending(&path).unwrap(), pending[1..]);
    }

    #[test]
    fn reject_drops_a_change_without_touching_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let (path, pending) = setup(dir.path());
        let before = std::fs::read(&path).unwrap();
        let mut review = Review::load(&path).unwrap();
        review.skip();
        review.skip();
        assert_eq!(review.reject(), Some(&pending[2]));
        assert_eq!(review.reject(), None, "nothing left to decide");
        assert_eq!(review.rejected(), &pending[2..]);
        assert_eq!(review.still_pending(), 2);
        review.save_pending().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(load_pending(&path).unwrap(), pending[..2]);
    }

    #[test]
    fn skip_keeps_changes_pending_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let (path, pending) = setup(dir.path());
        let mut review = Review::load(&path).unwrap();
        review.skip();
        review.reject();
        // The third is left undecided (a review that quits): it stays pending after the skipped.
        assert_eq!(review.next(), Some(&pending[2]));
        review.save_pending().unwrap();
        assert_eq!(
            load_pending(&path).unwrap(),
            [pending[0].clone(), pending[2].clone()]
        );
    }

    #[test]
    fn deciding_everything_removes_the_pending_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = setup(dir.path());
        let mut review = Review::load(&path).unwrap();
        let all = Selection {
            changes: true,
            stale: true,
            routes: &[],
        };
        review.decide_selected(&all, &Decision::Reject);
        assert_eq!((review.rejected().len(), review.still_pending()), (3, 0));
        assert_eq!(review.save_pending().unwrap(), None);
        assert!(!review.pending_path().exists());
        assert!(Review::load(&path).unwrap().is_empty());
    }

    #[test]
    fn a_selection_picks_by_kind_and_route_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (path, pending) = setup(dir.path());
        let routes = [RouteGlob::new("GET /a").unwrap()];
        let mut review = Review::load(&path).unwrap();
        let selection = Selection {
            changes: true,
            stale: false,
            routes: &routes,
        };
        assert!(!selection.picks(&pending[0]), "another route");
        assert!(selection.picks(&pending[1]));
        assert!(!selection.picks(&pending[2]), "stale, not chosen");
        review.decide_selected(&selection, &Decision::Accept(None));
        let accepted: Vec<&Pending> = review.accepted().collect();
        assert_eq!(accepted, [&pending[1]]);
        let mut snapshot = Snapshot::load(&path).unwrap();
        review.apply(&mut snapshot);
        assert_eq!(snapshot.entries.len(), 2);
        assert_eq!(
            snapshot.find("GET /a", "body $.y changed").unwrap().reason,
            super::super::file::NO_REASON
        );
        review.save_pending().unwrap();
        assert_eq!(
            load_pending(&path).unwrap(),
            [pending[0].clone(), pending[2].clone()]
        );
    }

    #[test]
    fn accepting_a_stale_entry_removes_it_from_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = setup(dir.path());
        let mut review = Review::load(&path).unwrap();
        let prune = Selection {
            changes: false,
            stale: true,
            routes: &[],
        };
        review.decide_selected(&prune, &Decision::Accept(None));
        let mut snapshot = Snapshot::load(&path).unwrap();
        review.apply(&mut snapshot);
        assert!(snapshot.entries.is_empty());
        assert_eq!(review.still_pending(), 2);
    }
}
