//! Renderers: each turns a finished [`Report`](super::Report) into one format and computes nothing.

pub mod curl;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod suggest;
pub mod terminal;
#[cfg(test)]
mod testutil;
