//! Snapshot classification: which signatures of a route the snapshot of accepted differences
//! accepts at the rate seen, and the snapshot as the run saw it (accepted, pending, stale).

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::SignatureAggregate;
use crate::document::{RouteReport, SnapshotStatus, StaleSignature};
use crate::snapshot::Snapshot;

use super::route::rate;

/// The signatures of `route` that `snapshot` accepts at their rate among the route's
/// `exchanges`, by their text.
pub(super) fn accepted_signatures(
    signatures: &BTreeMap<String, SignatureAggregate>,
    route: &str,
    exchanges: u64,
    snapshot: Option<&Snapshot>,
) -> BTreeSet<String> {
    signatures
        .iter()
        .filter(|(text, sig)| {
            snapshot
                .and_then(|s| s.find(route, text))
                .is_some_and(|entry| rate(sig.examples.count, exchanges) <= entry.max_rate + 1e-12)
        })
        .map(|(text, _)| text.clone())
        .collect()
}

/// The snapshot as the judged `routes` saw it; accepted signatures no exchange showed are stale
/// when `find_stale` (a whole run, not a partition).
pub(super) fn status(
    snapshot: &Snapshot,
    routes: &[RouteReport],
    find_stale: bool,
) -> SnapshotStatus {
    SnapshotStatus {
        path: snapshot.path.display().to_string(),
        accepted: snapshot.entries.len() as u64,
        pending: routes
            .iter()
            .flat_map(|r| &r.signatures)
            .filter(|s| !s.noise && !s.accepted)
            .count() as u64,
        pending_file: None,
        stale: if find_stale {
            stale(snapshot, routes)
        } else {
            Vec::new()
        },
    }
}

/// The accepted signatures of routes that were compared but did not show them.
fn stale(snapshot: &Snapshot, routes: &[RouteReport]) -> Vec<StaleSignature> {
    snapshot
        .entries
        .iter()
        .filter(|entry| {
            let seen = routes.iter().find(|r| r.route == entry.route);
            let compared = seen.is_some_and(|r| r.counts.compared() > 0);
            let shown =
                seen.is_some_and(|r| r.signatures.iter().any(|s| s.signature == entry.signature));
            compared && !shown
        })
        .map(|entry| StaleSignature {
            route: entry.route.clone(),
            signature: entry.signature.clone(),
        })
        .collect()
}
