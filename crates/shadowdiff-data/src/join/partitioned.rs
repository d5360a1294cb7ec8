//! The join that needs no order: both sides spilled to disk in partitions by the hash of the
//! key, then each partition joined in memory, its keys in key order. Memory holds one partition
//! at a time, a fraction of the rows, whatever order the sources deliver them in.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{Group, Joined};
use crate::error::{Error, Result};
use crate::key::Key;
use crate::rows::Keyed;

/// How many partitions each side is spilled into.
const PARTITIONS: usize = 128;

/// A seed of its own, so that partitions do not follow the `--partition` shards (which take
/// the hash of the same id without a seed).
const SEED: u64 = 0x5348_4144_4f57_4a4e;

/// One spilled row.
#[derive(Serialize, Deserialize)]
struct Spilled {
    /// The key's parts.
    k: Vec<Value>,
    /// The row's line.
    l: u64,
    /// The row's values.
    v: Vec<Value>,
    /// Its fields beyond the columns.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    x: Map<String, Value>,
}

/// One side's partitions on disk.
struct Spill {
    files: Vec<BufWriter<File>>,
}

impl Spill {
    fn new() -> Result<Spill> {
        let files = (0..PARTITIONS)
            .map(|_| {
                tempfile::tempfile()
                    .map(BufWriter::new)
                    .map_err(spill_error)
            })
            .collect::<Result<_>>()?;
        Ok(Spill { files })
    }

    fn add(&mut self, row: Keyed) -> Result<()> {
        let at = (xxh3_64_with_seed(row.key.id().as_bytes(), SEED) % PARTITIONS as u64) as usize;
        let spilled = Spilled {
            k: row.key.values(),
            l: row.line,
            v: row.values,
            x: row.extra,
        };
        let file = &mut self.files[at];
        serde_json::to_writer(&mut *file, &spilled).map_err(|err| spill_error(err.into()))?;
        file.write_all(b"\n").map_err(spill_error)
    }

    /// The files, rewound for reading.
    fn finish(self) -> Result<Vec<File>> {
        self.files
            .into_iter()
            .map(|file| {
                let mut file = file
                    .into_inner()
                    .map_err(|err| spill_error(err.into_error()))?;
                file.seek(SeekFrom::Start(0)).map_err(spill_error)?;
                Ok(file)
            })
            .collect()
    }
}

fn spill_error(err: std::io::Error) -> Error {
    Error::Read(shadowdiff_io::Error::io(std::env::temp_dir(), err))
}

/// The rows of one partition file, grouped by key in key order.
fn load(file: File) -> Result<BTreeMap<Key, Group>> {
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(spill_error)?;
        let spilled: Spilled =
            serde_json::from_str(&line).map_err(|err| spill_error(err.into()))?;
        let key =
            Key::of(&spilled.k).map_err(|reason| spill_error(std::io::Error::other(reason)))?;
        let row = Keyed {
            key: key.clone(),
            line: spilled.l,
            values: spilled.v,
            extra: spilled.x,
        };
        match groups.get_mut(&key) {
            Some(group) => group.add(&row),
            None => {
                groups.insert(key, Group::one(row));
            }
        }
    }
    Ok(groups)
}

/// Joins two sides in any order: partition by partition, keys in key order within each.
pub fn partitioned<O, N>(old: O, new: N) -> Result<impl Iterator<Item = Result<Joined>>>
where
    O: Iterator<Item = Result<Keyed>>,
    N: Iterator<Item = Result<Keyed>>,
{
    let mut old_spill = Spill::new()?;
    for row in old {
        old_spill.add(row?)?;
    }
    let mut new_spill = Spill::new()?;
    for row in new {
        new_spill.add(row?)?;
    }
    let pairs = old_spill.finish()?.into_iter().zip(new_spill.finish()?);
    Ok(pairs.flat_map(|(old, new)| match (load(old), load(new)) {
        (Ok(old), Ok(new)) => join_maps(old, new).into_iter().map(Ok).collect::<Vec<_>>(),
        (Err(err), _) | (_, Err(err)) => vec![Err(err)],
    }))
}

/// The keys of two sorted maps, in key order.
fn join_maps(old: BTreeMap<Key, Group>, new: BTreeMap<Key, Group>) -> Vec<Joined> {
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let mut new = new.into_iter().peekable();
    for (key, old_group) in old {
        while let Some((_, group)) = new.next_if(|(k, _)| *k < key) {
            out.push(Joined::New(group));
        }
        match new.next_if(|(k, _)| *k == key) {
            Some((_, new_group)) => out.push(Joined::Both(old_group, new_group)),
            None => out.push(Joined::Old(old_group)),
        }
    }
    out.extend(new.map(|(_, group)| Joined::New(group)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::merge;
    use super::super::testutil::{rows, shown};
    use super::*;

    fn joined(old: &[i64], new: &[i64]) -> Vec<Joined> {
        partitioned(rows(old).into_iter(), rows(new).into_iter())
            .unwrap()
            .map(|j| j.unwrap())
            .collect()
    }

    #[test]
    fn any_order_gives_the_keys_the_merge_gives() {
        let old: Vec<i64> = (0..500).map(|i| (i * 7919) % 503).collect();
        let new: Vec<i64> = (0..480).map(|i| (i * 31 + 11) % 509).collect();
        let mut sorted_old = old.clone();
        sorted_old.sort();
        let mut sorted_new = new.clone();
        sorted_new.sort();
        let mut expected = shown(
            &merge(rows(&sorted_old).into_iter(), rows(&sorted_new).into_iter())
                .map(|m| m.unwrap().unwrap())
                .collect::<Vec<_>>(),
        );
        let mut got = shown(&joined(&old, &new));
        assert_eq!(got.len(), expected.len());
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(64))]

        /// Whatever the sides hold and in whatever order, the partitioned join gives what the
        /// merge of the sorted sides gives, and every key once.
        #[test]
        fn the_partitioned_join_is_the_merge_in_any_order(
            old in proptest::collection::vec(0i64..40, 0..60),
            new in proptest::collection::vec(0i64..40, 0..60),
        ) {
            let (mut sorted_old, mut sorted_new) = (old.clone(), new.clone());
            sorted_old.sort();
            sorted_new.sort();
            let merged: Vec<Joined> =
                merge(rows(&sorted_old).into_iter(), rows(&sorted_new).into_iter())
                    .map(|m| m.unwrap().unwrap())
                    .collect();
            let mut expected = shown(&merged);
            let mut got = shown(&joined(&old, &new));
            let mut distinct: Vec<i64> = old.iter().chain(&new).copied().collect();
            distinct.sort();
            distinct.dedup();
            proptest::prop_assert_eq!(merged.len(), distinct.len());
            expected.sort();
            got.sort();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn duplicates_and_one_sided_keys_survive_the_spill() {
        let mut got = shown(&joined(&[3, 1, 3], &[2, 1]));
        got.sort();
        assert_eq!(got, ["<3!", "=1", ">2"]);
    }
}
