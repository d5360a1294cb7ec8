//! Renderers: each turns a finished [`Report`](super::Report) into one format and computes nothing.

pub mod json;
pub mod suggest;
pub mod terminal;
