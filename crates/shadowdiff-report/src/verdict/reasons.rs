//! The reasons a verdict gives beyond the gate's: the failing signatures a route names, and the
//! note that a partition's verdict covers only part of the run.

use crate::aggregate::part::Part;
use crate::document::{percent, SignatureReport};
use crate::unit::Unit;

/// How many failing signatures a route's reasons name.
const MAX_SIGNATURES_NAMED: usize = 5;

/// One reason per failing signature, the first [`MAX_SIGNATURES_NAMED`] of them, then how many
/// more there are.
pub(super) fn failing_signatures(signatures: &[SignatureReport], unit: Unit) -> Vec<String> {
    let unit = unit.plural();
    let failing: Vec<&SignatureReport> = signatures.iter().filter(|s| s.failing).collect();
    let mut reasons: Vec<String> = failing
        .iter()
        .take(MAX_SIGNATURES_NAMED)
        .map(|sig| match sig.accepted_rate {
            Some(max) => format!(
                "`{}` in {} of {unit}, above the accepted {}",
                sig.signature,
                percent(sig.rate),
                percent(max)
            ),
            None => format!(
                "`{}` in {} of {unit} is not accepted",
                sig.signature,
                percent(sig.rate)
            ),
        })
        .collect();
    if failing.len() > MAX_SIGNATURES_NAMED {
        reasons.push(format!(
            "... and {} more signatures not accepted",
            failing.len() - MAX_SIGNATURES_NAMED
        ));
    }
    reasons
}

/// The first reason of a verdict on some shards of a partition: which it covers, which are
/// `missing`. None for a whole run.
pub(super) fn partial(part: &Part, missing: &[String]) -> Option<String> {
    let shards = part.partition.as_ref()?;
    let held: Vec<String> = shards
        .shards
        .iter()
        .map(|k| format!("{}:{k}/{}", shards.by, shards.of))
        .collect();
    Some(format!(
        "partial: this verdict covers {} of the partition only; missing: {}",
        held.join(", "),
        missing.join(", ")
    ))
}
