//! Replay: send recorded requests to the targets, in parallel, and judge the answers.

pub mod filter;
pub mod input;
pub mod outcomes;
pub mod partition;
pub mod pipeline;
pub mod target;
