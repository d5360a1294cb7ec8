//! `shadowdiff accept`: fold the pending changes of the last run into the snapshot, without a
//! terminal (CI, scripts), by route and with a reason.

use std::path::Path;

use crate::cli::AcceptArgs;
use crate::error::{exit, Result};
use crate::settings::resolve;
use shadowdiff_report::{Change, Decision, Review, Selection, Snapshot};

/// Runs `accept`; exit 0 whether or not something was pending.
pub fn run(args: AcceptArgs) -> Result<u8> {
    let path = resolve::snapshot_files(&args.files)?.snapshot.value;
    let Some(mut review) = pending(&path)? else {
        return Ok(exit::PASS);
    };
    let selection = Selection {
        changes: args.all || !args.route.is_empty() || !args.prune,
        stale: args.prune,
        routes: &args.route,
    };
    review.decide_selected(&selection, &Decision::Accept(args.reason.clone()));
    let mut snapshot = Snapshot::load(&path)?;
    review.apply(&mut snapshot);
    snapshot.save()?;
    review.save_pending()?;
    let count = |kind: Change| review.accepted().filter(|c| c.change == kind).count();
    println!(
        "shadowdiff: {} accepted ({} new, {} rates raised), {} stale removed; {} still pending; {} lists {} signatures",
        count(Change::New) + count(Change::Rate),
        count(Change::New),
        count(Change::Rate),
        count(Change::Stale),
        review.still_pending(),
        path.display(),
        snapshot.entries.len()
    );
    Ok(exit::PASS)
}

/// The pending changes beside the snapshot at `path`; none, said on stdout, when there are none.
pub(super) fn pending(path: &Path) -> Result<Option<Review>> {
    let review = Review::load(path)?;
    if review.is_empty() {
        println!(
            "shadowdiff: nothing pending ({} does not exist); run shadowdiff first",
            review.pending_path().display()
        );
        return Ok(None);
    }
    Ok(Some(review))
}
