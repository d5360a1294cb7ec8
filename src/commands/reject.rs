//! `shadowdiff reject`: discard the pending changes of the last run (like `cargo insta reject`),
//! by route; the snapshot is not touched.

use crate::cli::RejectArgs;
use crate::error::{exit, Result};
use crate::settings::resolve;
use shadowdiff_report::{Change, Decision, Selection};

use super::accept::pending;

/// Runs `reject`; exit 0 whether or not something was pending.
pub fn run(args: RejectArgs) -> Result<u8> {
    let path = resolve::snapshot_files(&args.files)?.snapshot.value;
    let Some(mut review) = pending(&path)? else {
        return Ok(exit::PASS);
    };
    let selection = Selection {
        changes: true,
        stale: true,
        routes: &args.route,
    };
    review.decide_selected(&selection, &Decision::Reject);
    review.save_pending()?;
    let count = |kind: Change| {
        review
            .rejected()
            .iter()
            .filter(|c| c.change == kind)
            .count()
    };
    println!(
        "shadowdiff: {} rejected ({} new, {} rates, {} stale kept); {} still pending; {} unchanged",
        review.rejected().len(),
        count(Change::New),
        count(Change::Rate),
        count(Change::Stale),
        review.still_pending(),
        path.display()
    );
    Ok(exit::PASS)
}
