//! The snapshot of accepted differences (`shadowdiff.snap`), in insta's model: a committed,
//! reviewed TOML file of accepted signatures per route, each with the highest accepted rate and
//! a reason; and beside it `shadowdiff.snap.new`, the pending changes a run proposes (new
//! signatures, rates above the accepted one, accepted signatures no longer seen), which
//! `shadowdiff accept`, `reject` and `review` decide. A run never writes the snapshot itself.
//!
//! Each pending change is accepted (into the snapshot), rejected (dropped from the pending
//! file) or skipped (kept pending), as in insta: [`Review`] holds those operations, and
//! `shadowdiff accept`, `reject` and `review` are made of them.

mod file;
mod pending;
mod proposal;
mod review;

pub(crate) use file::quote;
pub use file::Snapshot;
pub use pending::{load_pending, pending_path, render_pending, write_pending, Change, Pending};
pub use proposal::pending_changes;
pub use review::{Decision, Review, Selection};
