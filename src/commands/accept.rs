//! `shadowdiff accept`: fold the pending changes of the last run into the snapshot, without a
//! terminal (CI, scripts), by route and with a reason.

use crate::cli::AcceptArgs;
use crate::error::{exit, Result};
use crate::settings::resolve;
use shadowdiff_report::Snapshot;
use shadowdiff_report::{load_pending, pending_path, write_pending, Change, Pending};

/// Runs `accept`; exit 0 whether or not something was pending.
pub fn run(args: AcceptArgs) -> Result<u8> {
    let path = resolve::accept(&args)?.snapshot.value;
    let pending = load_pending(&path)?;
    if pending.is_empty() {
        println!(
            "shadowdiff: nothing pending ({} does not exist); run shadowdiff first",
            pending_path(&path).display()
        );
        return Ok(exit::PASS);
    }
    let accept_changes = args.all || !args.route.is_empty() || !args.prune;
    let on_route = |change: &Pending| {
        args.route.is_empty() || args.route.iter().any(|g| g.matches(&change.route))
    };
    let (chosen, rest): (Vec<Pending>, Vec<Pending>) =
        pending.into_iter().partition(|change| match change.change {
            Change::Stale => args.prune && on_route(change),
            Change::New | Change::Rate => accept_changes && on_route(change),
        });
    let mut snapshot = Snapshot::load(&path)?;
    snapshot.apply(&chosen, args.reason.as_deref());
    snapshot.save()?;
    write_pending(&path, &rest)?;
    let count = |kind: Change| chosen.iter().filter(|c| c.change == kind).count();
    println!(
        "shadowdiff: {} accepted ({} new, {} rates raised), {} stale removed; {} still pending; {} lists {} signatures",
        count(Change::New) + count(Change::Rate),
        count(Change::New),
        count(Change::Rate),
        count(Change::Stale),
        rest.len(),
        path.display(),
        snapshot.entries.len()
    );
    Ok(exit::PASS)
}
