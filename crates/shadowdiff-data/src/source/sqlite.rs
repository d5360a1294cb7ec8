//! Placeholder: being written.

use super::{Read, RowSource, SourceUrl};
use crate::error::{Error, Result};

pub(super) fn open(_url: &SourceUrl, _read: &Read) -> Result<Box<dyn RowSource>> {
    Err(Error::usage("sqlite sources are being written"))
}
