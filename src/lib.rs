//! shadowdiff: replay captured traffic against an old and a new implementation, compare the
//! responses structurally under ignore rules, and gate the cutover on what differs.
//!
//! The data flows one way: [`recordings`] (read) → [`rules`] (route and rules of each exchange)
//! → [`compare`] (pure engine) → [`report`] (aggregate, gate, render). The binary in `main.rs`
//! only parses the command line and maps errors to exit codes.

pub mod cli;
pub mod commands;
pub mod compare;
pub mod diff;
pub mod error;
pub mod judge;
pub mod model;
pub mod record;
pub mod recordings;
pub mod redact;
pub mod replay;
pub mod report;
pub mod rules;
pub mod settings;
pub mod time;

pub use error::{Error, Location, Result};
