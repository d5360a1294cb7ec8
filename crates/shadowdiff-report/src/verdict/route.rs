//! One route's verdict: its signatures classified, its exchanges settled, the gate's judgement,
//! and the route's part of the report.

use std::collections::{BTreeMap, BTreeSet};

use shadowdiff_core::RuleId;

use crate::aggregate::{ErrorAggregate, Examples, RouteAggregate, SignatureAggregate};
use crate::document::{ErrorGroup, IgnoredRule, RouteReport, SignatureReport, SkipGroup, Verdict};
use crate::snapshot::Snapshot;

use super::gate::RouteJudgement;
use super::{accepted, noise, reasons, Finish};

/// Judges one route's aggregate: the route's report and the gate's judgement of it.
pub(super) fn judge(
    route: String,
    aggregate: RouteAggregate,
    finish: &Finish<'_>,
) -> (RouteReport, RouteJudgement) {
    let RouteAggregate {
        mut counts,
        signatures,
        different_sets,
        errors,
        skips,
        not_run,
        ignored,
        timings,
    } = aggregate;
    let exchanges = counts.exchanges;
    let classes = Classes {
        noise: noise::noise_signatures(&signatures, finish.policy),
        accepted: accepted::accepted_signatures(&signatures, &route, exchanges, finish.snapshot),
    };
    let unaccepted = noise::settle_exchanges(
        &mut counts,
        &different_sets,
        &classes.noise,
        &classes.accepted,
    );
    let mut judgement = finish.policy.judge_route(&route, &counts, unaccepted);
    let route_fails = judgement.verdict == Verdict::Fail;
    let signatures = signature_reports(
        &route,
        signatures,
        exchanges,
        &classes,
        route_fails,
        finish.snapshot,
    );
    judgement.reasons.extend(reasons::failing_signatures(
        &signatures,
        crate::unit::Unit::of_route(&route),
    ));
    let report = RouteReport {
        route,
        counts,
        signatures,
        error_kinds: error_groups(errors),
        skip_reasons: groups(skips),
        not_run_reasons: groups(not_run),
        ignored: ignored_rules(&ignored, finish.describe),
        unaccepted,
        verdict: judgement.verdict,
        reasons: judgement.reasons.clone(),
        latency: timings.summary(false),
    };
    (report, judgement)
}

/// The classes of a route's signatures, by their text.
pub(super) struct Classes {
    /// The signatures that are noise.
    pub noise: BTreeSet<String>,
    /// The signatures the snapshot accepts at the rate seen.
    pub accepted: BTreeSet<String>,
}

/// `count` as a share of `exchanges` (0 for a route without exchanges).
pub(super) fn rate(count: u64, exchanges: u64) -> f64 {
    if exchanges == 0 {
        0.0
    } else {
        count as f64 / exchanges as f64
    }
}

/// The signatures seen between old and new (not those only seen between old and itself), with
/// their classes; each fails when its route fails and it is neither noise nor accepted.
pub(super) fn signature_reports(
    route: &str,
    signatures: BTreeMap<String, SignatureAggregate>,
    exchanges: u64,
    classes: &Classes,
    route_fails: bool,
    snapshot: Option<&Snapshot>,
) -> Vec<SignatureReport> {
    signatures
        .into_iter()
        .filter(|(_, sig)| sig.examples.count > 0)
        .map(|(text, sig)| {
            let entry = snapshot.and_then(|s| s.find(route, &text));
            let is_noise = classes.noise.contains(&text);
            let is_accepted = classes.accepted.contains(&text);
            SignatureReport {
                failing: route_fails && !is_noise && !is_accepted,
                noise: is_noise,
                accepted: is_accepted,
                accepted_rate: entry.map(|e| e.max_rate),
                accepted_reason: entry.map(|e| e.reason.clone()),
                signature: text,
                target: sig.target,
                path: sig.path,
                kind: sig.kind,
                count: sig.examples.count,
                noise_count: sig.noise_count,
                rate: rate(sig.examples.count, exchanges),
                examples: sig.examples.ids(),
                samples: sig.samples.into_iter().map(|(_, s)| s).collect(),
                note: sig.note,
            }
        })
        .collect()
}

/// Error outcomes by kind, with the message of the first.
pub(super) fn error_groups(errors: BTreeMap<String, ErrorAggregate>) -> Vec<ErrorGroup> {
    errors
        .into_iter()
        .map(|(kind, error)| ErrorGroup {
            kind,
            count: error.examples.count,
            examples: error.examples.ids(),
            message: error.message.1,
        })
        .collect()
}

/// Exchanges not compared (skipped, or not run), by reason.
pub(super) fn groups(reasons: BTreeMap<String, Examples>) -> Vec<SkipGroup> {
    reasons
        .into_iter()
        .map(|(reason, examples)| SkipGroup {
            reason,
            count: examples.count,
            examples: examples.ids(),
        })
        .collect()
}

/// The rules that hid something, in rule order (file, then line), with their exchange counts.
pub(super) fn ignored_rules(
    counts: &BTreeMap<u32, u64>,
    describe: &dyn Fn(RuleId) -> String,
) -> Vec<IgnoredRule> {
    counts
        .iter()
        .map(|(rule, exchanges)| IgnoredRule {
            rule: describe(RuleId(*rule)),
            exchanges: *exchanges,
        })
        .collect()
}
