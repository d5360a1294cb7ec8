//! The snapshot of accepted differences (`shadowdiff.snap`), in insta's model: a committed,
//! reviewed TOML file of accepted signatures per route, each with the highest accepted rate and
//! a reason; and beside it `shadowdiff.snap.new`, the pending changes a run proposes (new
//! signatures, rates above the accepted one, accepted signatures no longer seen), which
//! `shadowdiff accept` and `shadowdiff review` fold into the snapshot. A run never writes the
//! snapshot itself.

mod file;
mod pending;
mod proposal;

pub use file::{Snapshot, DEFAULT_SNAPSHOT};
pub use pending::{load_pending, pending_path, render_pending, write_pending, Change, Pending};
pub use proposal::pending_changes;
