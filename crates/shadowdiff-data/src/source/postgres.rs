//! Placeholder: being written.

use super::{Read, RowSource, SourceUrl};
use crate::error::{Error, Result};

pub(super) fn open(_url: &SourceUrl, _given: &str, _read: &Read) -> Result<Box<dyn RowSource>> {
    Err(Error::usage("postgres sources are being written"))
}
