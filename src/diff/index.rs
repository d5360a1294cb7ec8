//! An id index over the B side of `diff`, so A and B may come in any order.
//!
//! B's lines are copied once into an anonymous spill file and found again by offset, so memory
//! holds one small slot per id and never the bodies.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Location, Result};
use crate::recordings::{Limits, RawLine, RawLines};

/// Where one B line lives in the spill file and in its source.
#[derive(Clone, Copy, Debug)]
struct Slot {
    offset: u64,
    len: u32,
    file: u32,
    line: u64,
}

/// B's lines by id, in B's order.
pub struct Index {
    spill: File,
    files: Vec<PathBuf>,
    slots: Vec<(String, Slot)>,
    by_id: HashMap<String, u32>,
}

#[derive(Deserialize)]
struct IdPeek {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// The id a line will have once parsed: its `id` field, else its fallback id. Only the id is
/// decoded; the rest of the line is skipped.
fn peek_id(line: &RawLine) -> Result<String> {
    let peek: IdPeek = serde_json::from_slice(&line.bytes)
        .map_err(|err| Error::input(line.location.clone(), format!("invalid exchange: {err}")))?;
    match peek.id {
        None | Some(serde_json::Value::Null) => Ok(line.fallback_id.clone()),
        Some(serde_json::Value::String(id)) => Ok(id),
        Some(serde_json::Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(other) => Err(Error::input(
            line.location.clone(),
            format!("invalid exchange: `id` must be a string or an integer, not {other}"),
        )),
    }
}

impl Index {
    /// Reads every line of the recording at `path`, indexing it by id. Duplicate ids are an
    /// error naming both lines.
    pub fn build(path: &Path, limits: &Limits) -> Result<Index> {
        let spill = tempfile::tempfile().map_err(|err| Error::io(std::env::temp_dir(), err))?;
        let mut writer = BufWriter::with_capacity(1 << 20, &spill);
        let mut files: Vec<PathBuf> = Vec::new();
        let mut slots: Vec<(String, Slot)> = Vec::new();
        let mut by_id: HashMap<String, u32> = HashMap::new();
        let mut offset = 0u64;
        for line in RawLines::open(path, limits)? {
            let line = line?;
            let id = peek_id(&line)?;
            if files.last() != Some(&line.location.path) {
                files.push(line.location.path.clone());
            }
            let slot = Slot {
                offset,
                len: u32::try_from(line.bytes.len()).map_err(|_| {
                    Error::input(line.location.clone(), "line is longer than 4 GiB")
                })?,
                file: (files.len() - 1) as u32,
                line: line.location.line.unwrap_or(0),
            };
            if let Some(&first) = by_id.get(&id) {
                let first = &slots[first as usize].1;
                return Err(Error::input(
                    line.location.clone(),
                    format!(
                        "duplicate id `{id}`, first used at {}:{}; ids must be unique within a recording",
                        files[first.file as usize].display(),
                        first.line
                    ),
                ));
            }
            writer
                .write_all(&line.bytes)
                .map_err(|err| Error::io(std::env::temp_dir(), err))?;
            offset += line.bytes.len() as u64;
            by_id.insert(id.clone(), slots.len() as u32);
            slots.push((id, slot));
        }
        writer
            .flush()
            .map_err(|err| Error::io(std::env::temp_dir(), err))?;
        drop(writer);
        Ok(Index {
            spill,
            files,
            slots,
            by_id,
        })
    }

    /// The position of `id` in B, if B has it.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// How many lines B has.
    pub fn line_count(&self) -> usize {
        self.slots.len()
    }

    /// Reads B's line at `position` back, as the reader gave it (safe from several threads).
    pub fn line(&self, position: u32) -> Result<RawLine> {
        let (id, slot) = &self.slots[position as usize];
        let mut bytes = vec![0u8; slot.len as usize];
        self.spill
            .read_exact_at(&mut bytes, slot.offset)
            .map_err(|err| Error::io(std::env::temp_dir(), err))?;
        Ok(RawLine {
            bytes,
            location: Location::line(&self.files[slot.file as usize], slot.line),
            fallback_id: id.clone(),
        })
    }
}
