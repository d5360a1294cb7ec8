//! Replay: send recorded requests to the targets, in parallel, and judge the answers.

pub mod filter;
pub mod partition;
pub mod target;
