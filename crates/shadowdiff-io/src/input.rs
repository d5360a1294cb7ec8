//! The identity of a run's input, computed as the recordings stream through the reader: how
//! many exchanges were read and an xxh3-128 digest of their lines (as decompressed), in order.
//! Every shard of a partitioned run reads the whole input, so the shards of one run agree on
//! it, and `report merge` refuses parts that read different recordings. File names are left
//! out: CI jobs may check out the same recordings under other paths, and the lines already pin
//! the content and its order; the compression is left out too (a `.jsonl` and its `.jsonl.zst`
//! are the same input).

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// What a run read: the number of exchanges and the digest of their lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputIdentity {
    /// Exchanges read, in every shard.
    pub exchanges: u64,
    /// The xxh3-128 digest of the lines, in hex.
    pub xxh3: String,
}

/// The running digest of the lines read so far.
#[derive(Default)]
pub struct InputDigest {
    hasher: Xxh3,
    exchanges: u64,
}

impl InputDigest {
    /// Adds one recording line (each line's length goes in first, so lines cannot run together).
    pub fn add(&mut self, line: &[u8]) {
        self.hasher.update(&(line.len() as u64).to_le_bytes());
        self.hasher.update(line);
        self.exchanges += 1;
    }

    /// The identity of what was added.
    pub fn finish(&self) -> InputIdentity {
        InputIdentity {
            exchanges: self.exchanges,
            xxh3: format!("{:032x}", self.hasher.digest128()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(lines: &[&[u8]]) -> InputIdentity {
        let mut digest = InputDigest::default();
        lines.iter().for_each(|line| digest.add(line));
        digest.finish()
    }

    #[test]
    fn the_same_lines_in_the_same_order_are_the_same_input() {
        let a = identity(&[b"{\"id\":1}", b"{\"id\":2}"]);
        assert_eq!(a, identity(&[b"{\"id\":1}", b"{\"id\":2}"]));
        assert_eq!(a.exchanges, 2);
        assert_eq!(a.xxh3.len(), 32);
        assert_ne!(a, identity(&[b"{\"id\":2}", b"{\"id\":1}"]));
        assert_ne!(a, identity(&[b"{\"id\":1}{\"id\":2}"]));
        assert_ne!(a, identity(&[b"{\"id\":1}", b"{\"id\":3}"]));
    }
}
