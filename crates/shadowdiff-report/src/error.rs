//! What aggregating, merging and writing reports can fail with: input that is not valid (a
//! snapshot entry, a part of another run, refused by the core's rules) and the operating
//! system's refusals on files. That is what reading and writing fail with, so the report stages
//! share the io crate's error rather than keep a copy of it.

pub use shadowdiff_io::{Error, Result};
