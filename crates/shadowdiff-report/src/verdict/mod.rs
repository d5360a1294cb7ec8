//! The second stage, verdict: what the aggregate's counts mean. Each route's signatures are
//! classified as noise ([`noise`]) and as accepted by the snapshot or not ([`accepted`]); the
//! exchanges counted as different are settled by those classes; the gate ([`gate`]) judges each
//! route and the run; the reasons ([`reasons`]) say why. The result is the finished [`Report`]
//! that the renderers turn into files, and the rules that would silence its noise
//! ([`suggestions()`]); nothing here formats a report.

mod accepted;
pub(crate) mod gate;
mod noise;
mod reasons;
mod route;
mod sign_test;
mod suggestions;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use shadowdiff_core::RuleId;

use crate::aggregate::latency::RoleTimings;
use crate::aggregate::Aggregate;
use crate::document::{Counts, Report, RouteReport, TargetNames, SCHEMA};
use crate::snapshot::Snapshot;

use gate::{GatePolicy, RouteJudgement};

pub use suggestions::suggestions;

/// What the gate needs besides the aggregate.
pub struct Finish<'a> {
    /// The limits.
    pub policy: &'a GatePolicy,
    /// The accepted differences, when judged against a snapshot.
    pub snapshot: Option<&'a Snapshot>,
    /// Whether accepted signatures not seen count as stale (not in a partition of a run).
    pub find_stale: bool,
    /// Where the targets were.
    pub targets: TargetNames,
    /// The label of a rule (`comparators/orders.toml:12: ignore $.meta.requestId`).
    pub describe: &'a dyn Fn(RuleId) -> String,
}

impl Aggregate {
    /// Builds the report: sorted routes and signatures, noise decided, signatures matched with
    /// the snapshot, each route and the run judged.
    pub fn finish(self, finish: &Finish<'_>) -> Report {
        let Aggregate {
            routes,
            incomplete,
            notes,
            part,
            ..
        } = self;
        let mut totals = Counts::default();
        let mut unaccepted = 0;
        let mut ignored: BTreeMap<u32, u64> = BTreeMap::new();
        let mut timings = RoleTimings::default();
        let mut judgements = Vec::new();
        let routes: Vec<RouteReport> = routes
            .into_iter()
            .map(|(name, route)| {
                for (rule, exchanges) in &route.ignored {
                    *ignored.entry(*rule).or_default() += exchanges;
                }
                timings.merge(&route.timings);
                let (report, judgement) = route::judge(name, route, finish);
                totals.add(&report.counts);
                unaccepted += report.unaccepted;
                judgements.push(judgement);
                report
            })
            .collect();
        let snapshot = finish
            .snapshot
            .map(|snapshot| accepted::status(snapshot, &routes, finish.find_stale));
        let named: Vec<(&str, &RouteJudgement)> = routes
            .iter()
            .map(|r| r.route.as_str())
            .zip(judgements.iter())
            .collect();
        let (verdict, mut reasons) =
            finish
                .policy
                .judge_run(&named, &totals, unaccepted, incomplete.as_deref());
        let missing_shards = part.missing();
        if let Some(partial) = reasons::partial(&part, &missing_shards) {
            reasons.insert(0, partial);
        }
        Report {
            schema: SCHEMA.to_string(),
            verdict,
            reasons,
            incomplete: incomplete.is_some(),
            missing_shards,
            notes,
            totals,
            ignored: route::ignored_rules(&ignored, finish.describe),
            routes,
            snapshot,
            targets: finish.targets.clone(),
            latency: timings.summary(true),
        }
    }
}
