//! `--partition hash:K/N` and `count:K/N`: split one run's exchanges over N CI jobs.
//!
//! `hash` puts an exchange in the shard of the xxh3 hash of its id, so an exchange stays in
//! the same shard whatever else the recordings hold (xxh3 is pinned: its output is specified and
//! does not change between versions). `count` deals exchanges out in input order, 1..N, 1..N.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh3::xxh3_64;

/// Which share of the exchanges this run handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// Shard `k` (1-based) of `n` by the hash of the exchange id.
    Hash {
        /// This shard, 1..=n.
        k: u64,
        /// How many shards.
        n: u64,
    },
    /// Shard `k` of `n` by position in the input.
    Count {
        /// This shard, 1..=n.
        k: u64,
        /// How many shards.
        n: u64,
    },
}

impl Partition {
    /// Whether the exchange with this id, at this 0-based position in the input, is in the shard.
    pub fn selects(&self, id: &str, position: u64) -> bool {
        match *self {
            Partition::Hash { k, n } => xxh3_64(id.as_bytes()) % n == k - 1,
            Partition::Count { k, n } => position % n == k - 1,
        }
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Partition, String> {
        let usage =
            || format!("`{text}` is not a partition; write hash:K/N or count:K/N, e.g. hash:1/3");
        let (kind, shard) = text.split_once(':').ok_or_else(usage)?;
        let (k, n) = shard.split_once('/').ok_or_else(usage)?;
        let k: u64 = k.trim().parse().map_err(|_| usage())?;
        let n: u64 = n.trim().parse().map_err(|_| usage())?;
        if n == 0 || k == 0 || k > n {
            return Err(format!(
                "`{text}`: K must be between 1 and N (N at least 1)"
            ));
        }
        match kind {
            "hash" => Ok(Partition::Hash { k, n }),
            "count" => Ok(Partition::Count { k, n }),
            _ => Err(usage()),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Hash { k, n } => write!(f, "hash:{k}/{n}"),
            Partition::Count { k, n } => write!(f, "count:{k}/{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: [u64; 5] = [4, 4, 2, 3, 3];

    #[test]
    fn parses_and_rejects() {
        assert_eq!("hash:1/3".parse(), Ok(Partition::Hash { k: 1, n: 3 }));
        assert_eq!("count:2/2".parse(), Ok(Partition::Count { k: 2, n: 2 }));
        for bad in ["hash:0/3", "hash:4/3", "hash:1/0", "mod:1/2", "hash:1", "x"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        assert_eq!(Partition::Hash { k: 2, n: 5 }.to_string(), "hash:2/5");
    }

    #[test]
    fn every_exchange_is_in_exactly_one_shard() {
        for n in 1..6 {
            for position in 0..200u64 {
                let id = format!("r{position}");
                for kind in ["hash", "count"] {
                    let shards = (1..=n)
                        .filter(|k| {
                            let p: Partition = format!("{kind}:{k}/{n}").parse().unwrap();
                            p.selects(&id, position)
                        })
                        .count();
                    assert_eq!(shards, 1, "{kind} {id} in {n}");
                }
            }
        }
    }

    #[test]
    fn hash_shards_are_pinned() {
        // Shards must never move between versions: these ids were placed once and reviewed.
        let shard = |id: &str| {
            (1..=4)
                .find(|k| Partition::Hash { k: *k, n: 4 }.selects(id, 0))
                .unwrap()
        };
        let placed: Vec<u64> = ["r1", "r2", "r3", "order-17", ""]
            .iter()
            .map(|id| shard(id))
            .collect();
        assert_eq!(placed, PINNED);
    }
}
