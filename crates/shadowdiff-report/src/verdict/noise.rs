//! Noise classification: which signatures of a route are noise (old disagreeing with itself about
//! as often as with new), and how the exchanges counted as different end once that is known.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::SignatureAggregate;
use crate::document::Counts;

use super::gate::GatePolicy;

/// The signatures the policy holds to be noise, by their text.
pub(super) fn noise_signatures(
    signatures: &BTreeMap<String, SignatureAggregate>,
    policy: &GatePolicy,
) -> BTreeSet<String> {
    signatures
        .iter()
        .filter(|(_, sig)| policy.is_noise(sig.examples.count, sig.noise_count, sig.noise_both))
        .map(|(text, _)| text.clone())
        .collect()
}

/// Settles the exchanges counted as different, by the set of their signatures that were not
/// noise in them: a set all noise overall moves its exchanges to `noise_only`; returns how many
/// of the rest have a signature neither noise nor `accepted`.
pub(super) fn settle_exchanges(
    counts: &mut Counts,
    different_sets: &BTreeMap<Vec<String>, u64>,
    noise: &BTreeSet<String>,
    accepted: &BTreeSet<String>,
) -> u64 {
    let mut unaccepted = 0;
    for (set, count) in different_sets {
        if set.iter().all(|signature| noise.contains(signature)) {
            counts.different -= count;
            counts.noise_only += count;
        } else if set
            .iter()
            .any(|s| !noise.contains(s) && !accepted.contains(s))
        {
            unaccepted += count;
        }
    }
    unaccepted
}
