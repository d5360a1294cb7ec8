//! Which part of a run's input a report covers: its shards of the partition (none: the whole
//! input) and the identity of the input read. Saved in aggregate.json, so that `report merge`
//! adds up only parts that make one run: no shard twice, one partition, one input, and no shard
//! missing unless allowed (the report then names the missing ones). Reports of live traffic
//! (`shadowdiff shadow`) are parts of no partition: any number of them merge, since no two
//! processes see the same request, but never with replayed runs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use shadowdiff_core::Partition;
use shadowdiff_io::InputIdentity;

/// The part of a run a report covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The shards covered; `None` when the report covers the whole input.
    pub partition: Option<Shards>,
    /// What the run read, when it read its input to the end.
    pub input: Option<InputIdentity>,
    /// Live traffic judged by `shadowdiff shadow`, rather than a replay of recordings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live: bool,
}

/// Some shards of a partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shards {
    /// `hash` or `count`.
    pub by: String,
    /// How many shards the partition has.
    pub of: u64,
    /// The shards covered, 1-based, ascending.
    pub shards: Vec<u64>,
}

impl Shards {
    /// The one shard a partitioned run covers.
    pub fn of(partition: Partition) -> Shards {
        let (by, k, n) = match partition {
            Partition::Hash { k, n } => ("hash", k, n),
            Partition::Count { k, n } => ("count", k, n),
        };
        Shards {
            by: by.to_string(),
            of: n,
            shards: vec![k],
        }
    }

    /// `hash:2/3`.
    fn label(&self, shard: u64) -> String {
        format!("{}:{shard}/{}", self.by, self.of)
    }

    /// The shards covered, as `hash:1/3, hash:3/3`.
    fn labels(&self) -> String {
        let labels: Vec<String> = self.shards.iter().map(|k| self.label(*k)).collect();
        labels.join(", ")
    }

    /// The shards of the partition not covered, as labels.
    fn missing(&self) -> Vec<String> {
        (1..=self.of)
            .filter(|k| !self.shards.contains(k))
            .map(|k| self.label(k))
            .collect()
    }
}

impl Part {
    /// The shards of the partition this report does not cover (`hash:2/3`), empty when it
    /// covers the whole input.
    pub fn missing(&self) -> Vec<String> {
        self.partition
            .as_ref()
            .map(Shards::missing)
            .unwrap_or_default()
    }
}

/// One part to merge: its folder, as named on the command line, and what it covers.
pub struct Named {
    /// The report folder.
    pub dir: PathBuf,
    /// The folder, resolved, to tell when one is named twice.
    pub resolved: PathBuf,
    /// What it covers.
    pub part: Part,
}

/// Checks that `parts` make one run, or the shards of one run with some missing when
/// `allow_partial`, and returns the part they make together. Errors (exit 2) name the parts.
pub fn combine(parts: &[Named], allow_partial: bool) -> Result<Part> {
    let name = |named: &Named| format!("`{}`", named.dir.display());
    let refuse = |message: String| Err(Error::usage(format!("report merge: {message}")));
    for (i, a) in parts.iter().enumerate() {
        if let Some(b) = parts[..i].iter().find(|b| b.resolved == a.resolved) {
            return refuse(format!(
                "{} is named twice ({} and {}): name each shard's folder once",
                name(a),
                name(b),
                name(a)
            ));
        }
    }
    if let Some(live) = parts.iter().find(|p| p.part.live) {
        if let Some(replayed) = parts.iter().find(|p| !p.part.live) {
            return refuse(format!(
                "{} holds live traffic (shadowdiff shadow) and {} a replay: merge the reports \
                 of shadow processes together, and the shards of a run together",
                name(live),
                name(replayed)
            ));
        }
        return Ok(Part {
            live: true,
            ..Part::default()
        });
    }
    if parts.len() > 1 {
        if let Some(whole) = parts.iter().find(|p| p.part.partition.is_none()) {
            return refuse(format!(
                "{} covers a whole run (it was not partitioned), so it overlaps every other \
                 part: merge only the folders of `shadowdiff run --partition` shards",
                name(whole)
            ));
        }
    }
    let input = parts
        .iter()
        .find_map(|p| p.part.input.as_ref().map(|i| (p, i)));
    if let Some((first, identity)) = input {
        if let Some(other) = parts
            .iter()
            .find(|p| p.part.input.as_ref().is_some_and(|i| i != identity))
        {
            return refuse(format!(
                "{} and {} read different recordings ({} and {} exchanges, digests {} and {}): \
                 merge the shards of one run",
                name(first),
                name(other),
                identity.exchanges,
                other.part.input.as_ref().map_or(0, |i| i.exchanges),
                identity.xxh3,
                other.part.input.as_ref().map_or("", |i| i.xxh3.as_str()),
            ));
        }
    }
    let Some(first) = parts.first() else {
        return Ok(Part::default());
    };
    let Some(partition) = &first.part.partition else {
        return Ok(first.part.clone());
    };
    let mut covered: BTreeSet<u64> = BTreeSet::new();
    for (i, named) in parts.iter().enumerate() {
        let shards = named.part.partition.as_ref().unwrap_or(partition);
        if shards.by != partition.by || shards.of != partition.of {
            return refuse(format!(
                "{} holds {} and {} holds {}: merge the shards of one partition",
                name(first),
                partition.labels(),
                name(named),
                shards.labels()
            ));
        }
        for shard in &shards.shards {
            if !covered.insert(*shard) {
                let other = parts[..i]
                    .iter()
                    .find(|p| {
                        p.part
                            .partition
                            .as_ref()
                            .is_some_and(|s| s.shards.contains(shard))
                    })
                    .map_or_else(String::new, name);
                return refuse(format!(
                    "{other} and {} both hold shard {}: each shard must be merged once",
                    name(named),
                    partition.label(*shard)
                ));
            }
        }
    }
    let merged = Shards {
        by: partition.by.clone(),
        of: partition.of,
        shards: covered.into_iter().collect(),
    };
    let missing = merged.missing();
    if !missing.is_empty() && !allow_partial {
        let held: Vec<String> = parts
            .iter()
            .map(|p| {
                let shards = p
                    .part
                    .partition
                    .as_ref()
                    .map_or_else(String::new, Shards::labels);
                format!("{} holds {shards}", name(p))
            })
            .collect();
        return refuse(format!(
            "{} missing ({}): name every shard's folder, or pass --allow-partial for a report \
             of the shards there are",
            if missing.len() == 1 {
                format!("shard {} is", missing[0])
            } else {
                format!("shards {} are", missing.join(", "))
            },
            held.join("; ")
        ));
    }
    Ok(Part {
        partition: (!missing.is_empty()).then_some(merged),
        input: input.map(|(_, identity)| identity.clone()),
        live: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(dir: &str, spec: &str, digest: &str) -> Named {
        Named {
            dir: dir.into(),
            resolved: dir.into(),
            part: Part {
                partition: Some(Shards::of(spec.parse().unwrap())),
                input: Some(InputIdentity {
                    exchanges: 90,
                    xxh3: digest.into(),
                }),
                live: false,
            },
        }
    }

    fn live(dir: &str) -> Named {
        Named {
            dir: dir.into(),
            resolved: dir.into(),
            part: Part {
                live: true,
                ..Part::default()
            },
        }
    }

    #[test]
    fn reports_of_live_traffic_merge_together_and_never_with_a_replay() {
        let whole = combine(&[live("a"), live("b"), live("c")], false).unwrap();
        assert!(whole.live);
        assert_eq!(whole.partition, None);
        let mixed = refused(&[live("a"), shard("s1", "hash:1/2", "d")], false);
        assert!(mixed.contains("`a` holds live traffic"), "{mixed}");
        let twice = refused(&[live("a"), live("a")], false);
        assert!(twice.contains("named twice"), "{twice}");
    }

    fn refused(parts: &[Named], allow_partial: bool) -> String {
        combine(parts, allow_partial).unwrap_err().to_string()
    }

    #[test]
    fn every_shard_once_makes_the_whole_run() {
        let parts = [
            shard("s2", "hash:2/3", "d"),
            shard("s1", "hash:1/3", "d"),
            shard("s3", "hash:3/3", "d"),
        ];
        let whole = combine(&parts, false).unwrap();
        assert_eq!(whole.partition, None);
        assert_eq!(whole.input.unwrap().xxh3, "d");
        assert!(whole.partition.is_none());
    }

    #[test]
    fn overlaps_and_gaps_are_refused_naming_the_parts() {
        let err = refused(
            &[shard("s1", "hash:1/3", "d"), shard("s1", "hash:1/3", "d")],
            false,
        );
        assert!(err.contains("`s1` is named twice"), "{err}");
        let err = refused(
            &[shard("s1", "hash:1/3", "d"), shard("copy", "hash:1/3", "d")],
            false,
        );
        assert!(
            err.contains("`s1` and `copy` both hold shard hash:1/3"),
            "{err}"
        );
        let err = refused(
            &[shard("s1", "hash:1/3", "d"), shard("s2", "hash:2/4", "d")],
            false,
        );
        assert!(
            err.contains("`s1` holds hash:1/3 and `s2` holds hash:2/4"),
            "{err}"
        );
        let err = refused(
            &[shard("s1", "hash:1/2", "d"), shard("s2", "count:2/2", "d")],
            false,
        );
        assert!(err.contains("merge the shards of one partition"), "{err}");
        let err = refused(
            &[shard("s1", "hash:1/2", "d"), shard("s2", "hash:2/2", "e")],
            false,
        );
        assert!(
            err.contains("`s1` and `s2` read different recordings"),
            "{err}"
        );
        let mut whole = shard("all", "hash:1/1", "d");
        whole.part.partition = None;
        let err = refused(&[shard("s1", "hash:1/2", "d"), whole], false);
        assert!(err.contains("`all` covers a whole run"), "{err}");
        let err = refused(
            &[shard("s1", "hash:1/3", "d"), shard("s2", "hash:2/3", "d")],
            false,
        );
        assert!(err.contains("shard hash:3/3 is missing"), "{err}");
        assert!(
            err.contains("`s1` holds hash:1/3; `s2` holds hash:2/3"),
            "{err}"
        );
        assert!(err.contains("--allow-partial"), "{err}");
    }

    #[test]
    fn a_partial_merge_is_allowed_when_asked_and_knows_what_is_missing() {
        let part = combine(
            &[shard("s3", "hash:3/3", "d"), shard("s1", "hash:1/3", "d")],
            true,
        )
        .unwrap();
        assert_eq!(part.missing(), ["hash:2/3"]);
        assert_eq!(part.partition.as_ref().unwrap().shards, [1, 3]);
        // A partial merge merges again with the shard it lacked.
        let mut merged = shard("merged", "hash:1/3", "d");
        merged.part = part;
        let whole = combine(&[merged, shard("s2", "hash:2/3", "d")], false).unwrap();
        assert!(whole.missing().is_empty());
    }

    #[test]
    fn one_whole_run_merges_alone_and_an_unknown_input_is_not_held_against_a_part() {
        let mut whole = shard("all", "hash:1/1", "d");
        whole.part.partition = None;
        assert_eq!(combine(&[whole], false).unwrap().partition, None);
        let mut cut_short = shard("s2", "hash:2/2", "x");
        cut_short.part.input = None;
        assert!(combine(&[shard("s1", "hash:1/2", "d"), cut_short], false).is_ok());
    }
}
