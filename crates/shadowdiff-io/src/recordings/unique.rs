//! Ids unique across the recordings a run reads, checked as they stream by.
//!
//! Each id is remembered as its 128-bit xxh3 hash (16 bytes and the set's overhead, whatever
//! the id's length), so memory grows with the number of exchanges but never with their size;
//! two different ids sharing a hash is a 1 in 2^64 chance at four billion ids. A repeated id is
//! an error naming its line; where the recordings can be read again (not standard input or a
//! pipe), a second pass finds the line that used it first.

use std::collections::HashSet;
use std::path::PathBuf;

use xxhash_rust::xxh3::xxh3_128;

use super::{is_stream, parse_line, Limits, RawLines};
use crate::error::{Error, Result};
use shadowdiff_core::Location;

/// The ids seen so far, as hashes.
#[derive(Default)]
pub struct UniqueIds {
    seen: HashSet<u128>,
}

impl UniqueIds {
    /// Notes `id`, read at `location`; an id seen before is an error naming `location` and,
    /// when `paths` (the recordings being read) can be read again, where it was first used.
    pub fn check(
        &mut self,
        id: &str,
        location: &Location,
        paths: &[PathBuf],
        limits: &Limits,
    ) -> Result<()> {
        if self.seen.insert(xxh3_128(id.as_bytes())) {
            return Ok(());
        }
        let first = first_use(id, location, paths, limits)
            .map(|first| format!(", first used at {first}"))
            .unwrap_or_default();
        Err(Error::input(
            location.clone(),
            format!("duplicate id `{id}`{first}; ids must be unique within the recordings"),
        ))
    }
}

/// Where `id` was first used before `location`, reading the recordings again; `None` when one
/// of them cannot be read twice (or reading fails).
fn first_use(
    id: &str,
    location: &Location,
    paths: &[PathBuf],
    limits: &Limits,
) -> Option<Location> {
    if paths.iter().any(|path| is_stream(path)) {
        return None;
    }
    for path in paths {
        for line in RawLines::open(path, limits).ok()? {
            let line = line.ok()?;
            if &line.location == location {
                return None;
            }
            if parse_line(&line).ok()?.id == id {
                return Some(line.location);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_id_names_both_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let line = |id: &str| format!(r#"{{"id":"{id}","request":{{"method":"GET","url":"/"}}}}"#);
        std::fs::write(&path, [line("x"), line("y"), line("x")].join("\n")).unwrap();
        let paths = vec![path.clone()];
        let limits = Limits::default();
        let mut ids = UniqueIds::default();
        ids.check("x", &Location::line(&path, 1), &paths, &limits)
            .unwrap();
        ids.check("y", &Location::line(&path, 2), &paths, &limits)
            .unwrap();
        let err = ids
            .check("x", &Location::line(&path, 3), &paths, &limits)
            .unwrap_err()
            .to_string();
        let shown = path.display();
        assert_eq!(
            err,
            format!(
                "{shown}:3: duplicate id `x`, first used at {shown}:1; ids must be unique within \
                 the recordings"
            )
        );
    }
}
