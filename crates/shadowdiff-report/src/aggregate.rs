//! Folding judged exchanges into counts, signatures, a few examples and latency histograms.
//!
//! Memory is bounded by the number of routes and signatures, never by the number of exchanges:
//! each signature keeps its count and its first [`MAX_EXAMPLES`] ids (first in input order,
//! by the exchange's position in the recordings, so partitions merge into the same examples).
//! The aggregate before the gate is saved beside the report (`aggregate.json`), so that
//! `shadowdiff report merge` can add up partitioned runs exactly.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use shadowdiff_core::Difference;
use shadowdiff_core::Location;

use crate::error::{Error, Result};
use shadowdiff_core::Redactor;
use shadowdiff_core::RuleId;
use shadowdiff_core::{Body, Request};

use super::document::{
    Counts, ErrorGroup, IgnoredRule, Report, RouteReport, Sample, SignatureReport, SkipGroup,
    SnapshotStatus, StaleSignature, TargetNames, Truncated, Verdict, SCHEMA,
};
use super::gate::{percent, GatePolicy, RouteJudgement};
use super::latency::RoleTimings;
use super::part::Part;
use super::snapshot::Snapshot;
use shadowdiff_core::{Judged, Outcome};

/// How many example ids a signature, error kind or skip reason keeps.
pub const MAX_EXAMPLES: usize = 5;
/// How many examples keep their values as samples.
pub const MAX_SAMPLES: usize = 3;
/// The largest request body a sample keeps for its reproduction command.
const MAX_SAMPLE_BODY: usize = 64 * 1024;
/// The most bytes of a value's JSON text a sample keeps; a longer value keeps this much of its
/// text, as a string, and notes its whole size.
pub const MAX_SAMPLE_VALUE: usize = 2048;
/// How many failing signatures a route's reasons name.
const MAX_SIGNATURES_NAMED: usize = 5;
/// The schema of the saved aggregate: v2 adds the part of the run it covers.
const STATE_SCHEMA: &str = "shadowdiff.aggregate/v2";

/// The running totals of a run; feed it [`Judged`] exchanges.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Aggregate {
    routes: BTreeMap<String, RouteAggregate>,
    incomplete: Option<String>,
    /// Secrets kept out of samples; what was stored is redacted already.
    #[serde(skip)]
    redactor: Redactor,
    /// Which part of the run's input it covers (saved beside it in aggregate.json).
    #[serde(skip)]
    part: Part,
}

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

#[derive(Debug, Default, Serialize, Deserialize)]
struct RouteAggregate {
    counts: Counts,
    signatures: BTreeMap<String, SignatureAggregate>,
    /// Exchanges counted as different, by the set of signatures that were not noise in them:
    /// once the signatures that are noise overall (or accepted) are known, each set says how its
    /// exchanges end. Bounded by the distinct sets, not by the exchanges.
    #[serde(with = "pairs")]
    different_sets: BTreeMap<Vec<String>, u64>,
    errors: BTreeMap<String, ErrorAggregate>,
    skips: BTreeMap<String, Examples>,
    /// Exchanges not run, by the reason the run stopped.
    #[serde(default)]
    not_run: BTreeMap<String, Examples>,
    ignored: BTreeMap<u32, u64>,
    timings: RoleTimings,
}

#[derive(Debug, Serialize, Deserialize)]
struct SignatureAggregate {
    target: String,
    path: Option<String>,
    kind: String,
    /// Exchanges in which old and new differ so.
    examples: Examples,
    /// Exchanges in which old differs so from itself.
    noise_count: u64,
    /// Exchanges in which both happen at once (old against new and old against itself).
    #[serde(default)]
    noise_both: u64,
    samples: Vec<(u64, Sample)>,
    /// The note of the first exchange (by position) whose difference had one, so the report
    /// does not depend on the order exchanges arrive in.
    note: Option<String>,
    /// That exchange's position (0 in aggregates saved before it was kept).
    #[serde(default)]
    note_seq: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ErrorAggregate {
    examples: Examples,
    /// The message of the first exchange (by position) with this kind of error.
    message: (u64, String),
}

/// A count and the first ids by position in the input.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Examples {
    count: u64,
    first: Vec<(u64, String)>,
}

impl Examples {
    fn add(&mut self, seq: u64, id: &str) {
        self.count += 1;
        keep_first(&mut self.first, (seq, id.to_string()), MAX_EXAMPLES);
    }

    fn merge(&mut self, other: Examples) {
        self.count += other.count;
        for item in other.first {
            keep_first(&mut self.first, item, MAX_EXAMPLES);
        }
    }

    fn ids(self) -> Vec<String> {
        self.first.into_iter().map(|(_, id)| id).collect()
    }
}

/// Inserts `item` into `list`, sorted by position, keeping the first `max`.
fn keep_first<T>(list: &mut Vec<(u64, T)>, item: (u64, T), max: usize) {
    if list.len() >= max && list.last().is_some_and(|last| last.0 <= item.0) {
        return;
    }
    let at = list.partition_point(|existing| existing.0 <= item.0);
    list.insert(at, item);
    list.truncate(max);
}

impl Aggregate {
    /// An empty aggregate that stores samples with the default secrets redacted.
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// An empty aggregate that redacts samples with `redactor`.
    pub fn with_redactor(redactor: Redactor) -> Aggregate {
        Aggregate {
            redactor,
            ..Aggregate::default()
        }
    }

    /// Counts one exchange; `request` is kept (redacted) with the first samples, to reproduce
    /// them. Examples are the exchanges with the lowest [`Judged::seq`].
    pub fn add(&mut self, judged: &Judged, request: Option<&Request>) {
        let route = self.routes.entry(judged.route.clone()).or_default();
        route.counts.exchanges += 1;
        route.timings.record(&judged.timing);
        match &judged.outcome {
            Outcome::Compared(comparison) => {
                let hiding: BTreeSet<RuleId> = comparison.ignored.iter().map(|i| i.rule).collect();
                for rule in hiding {
                    *route.ignored.entry(rule.0).or_default() += 1;
                }
                let noisy: BTreeSet<&shadowdiff_core::Target> = match &judged.noise {
                    Some(noise) => {
                        route.add_noise(&noise.differences, &comparison.differences);
                        noise.differences.iter().map(|d| &d.target).collect()
                    }
                    None => BTreeSet::new(),
                };
                if comparison.differences.is_empty() {
                    route.counts.equal += 1;
                } else {
                    route.add_differences(judged, &comparison.differences, request, &self.redactor);
                    let real: BTreeSet<String> = comparison
                        .differences
                        .iter()
                        .filter(|d| !noisy.contains(&d.target))
                        .map(|d| d.signature().to_string())
                        .collect();
                    if real.is_empty() {
                        route.counts.noise_only += 1;
                    } else {
                        route.counts.different += 1;
                        *route
                            .different_sets
                            .entry(real.into_iter().collect())
                            .or_default() += 1;
                    }
                }
            }
            Outcome::Error(error) => {
                route.counts.errors += 1;
                let entry =
                    route
                        .errors
                        .entry(error.kind.clone())
                        .or_insert_with(|| ErrorAggregate {
                            examples: Examples::default(),
                            message: (judged.seq, error.message.clone()),
                        });
                if judged.seq < entry.message.0 {
                    entry.message = (judged.seq, error.message.clone());
                }
                entry.examples.add(judged.seq, &judged.id);
            }
            Outcome::Skipped(reason) => {
                route.counts.skipped += 1;
                route
                    .skips
                    .entry(reason.clone())
                    .or_default()
                    .add(judged.seq, &judged.id);
            }
            Outcome::NotRun(reason) => {
                // A run cut short says so even when its outcomes are judged again offline.
                self.incomplete.get_or_insert_with(|| reason.clone());
                route.counts.not_run += 1;
                route
                    .not_run
                    .entry(reason.clone())
                    .or_default()
                    .add(judged.seq, &judged.id);
            }
        }
    }

    /// Marks the run as stopped before every exchange was judged; the report says why.
    pub fn mark_incomplete(&mut self, reason: impl Into<String>) {
        self.incomplete = Some(reason.into());
    }

    /// Says which part of the run's input the aggregate covers: its shards and what was read.
    pub fn set_part(&mut self, part: Part) {
        self.part = part;
    }

    /// Which part of the run's input the aggregate covers.
    pub fn part(&self) -> &Part {
        &self.part
    }

    /// Adds the aggregate of another part of the same run (another partition); the part the
    /// sum covers is set by the caller, once it has checked that the parts make one run.
    pub fn merge(&mut self, other: Aggregate) {
        self.incomplete = match (self.incomplete.take(), other.incomplete) {
            (Some(a), Some(b)) if a != b => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        for (name, theirs) in other.routes {
            self.routes.entry(name).or_default().merge(theirs);
        }
    }

    /// The aggregate as a file for `report merge`, with the labels of the rules it counts.
    pub fn save(&self, describe: &dyn Fn(RuleId) -> String) -> String {
        let rules: BTreeMap<u32, String> = self
            .routes
            .values()
            .flat_map(|route| route.ignored.keys())
            .map(|rule| (*rule, describe(RuleId(*rule))))
            .collect();
        let state = serde_json::json!({
            "schema": STATE_SCHEMA,
            "part": self.part,
            "rules": rules,
            "aggregate": self,
        });
        let mut text = serde_json::to_string(&state).expect("an aggregate always serializes");
        text.push('\n');
        text
    }

    /// Reads a saved aggregate and its rule labels; errors name the file.
    pub fn restore(
        text: &str,
        path: &std::path::Path,
    ) -> Result<(Aggregate, BTreeMap<u32, String>)> {
        #[derive(Deserialize)]
        struct Schema {
            schema: String,
        }
        #[derive(Deserialize)]
        struct State {
            part: Part,
            rules: BTreeMap<u32, String>,
            aggregate: Aggregate,
        }
        let not_saved = |err: serde_json::Error| {
            Error::input(
                Location::line(path, err.line() as u64),
                format!("not a saved aggregate of a shadowdiff report: {err}"),
            )
        };
        let schema: Schema = serde_json::from_str(text).map_err(not_saved)?;
        if schema.schema == "shadowdiff.aggregate/v1" {
            return Err(Error::input(
                Location::file(path),
                "written by an older shadowdiff (shadowdiff.aggregate/v1), which did not record                  the shard and the input of the run, so merge cannot tell overlapping or missing                  shards: run the shards again with this version",
            ));
        }
        if schema.schema != STATE_SCHEMA {
            return Err(Error::input(
                Location::file(path),
                format!(
                    "schema `{}` is not `{STATE_SCHEMA}`; merge reports written by the same shadowdiff version",
                    schema.schema
                ),
            ));
        }
        let mut state: State = serde_json::from_str(text).map_err(not_saved)?;
        state.aggregate.part = state.part;
        Ok((state.aggregate, state.rules))
    }

    /// Builds the report: sorted routes and signatures, noise decided, signatures matched with
    /// the snapshot, each route and the run judged.
    pub fn finish(self, finish: &Finish<'_>) -> Report {
        let mut totals = Counts::default();
        let mut unaccepted = 0;
        let mut ignored: BTreeMap<u32, u64> = BTreeMap::new();
        let mut timings = RoleTimings::default();
        let mut stale = Vec::new();
        let mut judgements = Vec::new();
        let routes: Vec<RouteReport> = self
            .routes
            .into_iter()
            .map(|(name, route)| {
                for (rule, exchanges) in &route.ignored {
                    *ignored.entry(*rule).or_default() += exchanges;
                }
                timings.merge(&route.timings);
                let (report, judgement) = route.into_report(name, finish);
                totals.add(&report.counts);
                unaccepted += report.unaccepted;
                judgements.push(judgement);
                report
            })
            .collect();
        let snapshot = finish.snapshot.map(|snapshot| {
            if finish.find_stale {
                for entry in &snapshot.entries {
                    let seen = routes.iter().find(|r| r.route == entry.route);
                    let compared = seen.is_some_and(|r| r.counts.compared() > 0);
                    let shown = seen.is_some_and(|r| {
                        r.signatures.iter().any(|s| s.signature == entry.signature)
                    });
                    if compared && !shown {
                        stale.push(StaleSignature {
                            route: entry.route.clone(),
                            signature: entry.signature.clone(),
                        });
                    }
                }
            }
            SnapshotStatus {
                path: snapshot.path.display().to_string(),
                accepted: snapshot.entries.len() as u64,
                pending: routes
                    .iter()
                    .flat_map(|r| &r.signatures)
                    .filter(|s| !s.noise && !s.accepted)
                    .count() as u64,
                pending_file: None,
                stale,
            }
        });
        let named: Vec<(&str, &RouteJudgement)> = routes
            .iter()
            .map(|r| r.route.as_str())
            .zip(judgements.iter())
            .collect();
        let (verdict, mut reasons) =
            finish
                .policy
                .judge_run(&named, &totals, unaccepted, self.incomplete.as_deref());
        let missing_shards = self.part.missing();
        if let Some(shards) = &self.part.partition {
            let held: Vec<String> = shards
                .shards
                .iter()
                .map(|k| format!("{}:{k}/{}", shards.by, shards.of))
                .collect();
            reasons.insert(
                0,
                format!(
                    "partial: this verdict covers {} of the partition only; missing: {}",
                    held.join(", "),
                    missing_shards.join(", ")
                ),
            );
        }
        Report {
            schema: SCHEMA.to_string(),
            verdict,
            reasons,
            incomplete: self.incomplete.is_some(),
            missing_shards,
            totals,
            ignored: ignored_rules(&ignored, finish.describe),
            routes,
            snapshot,
            targets: finish.targets.clone(),
            latency: timings.summary(true),
        }
    }
}

impl RouteAggregate {
    /// Counts each signature once per exchange, keeping the first differences as samples.
    fn add_differences(
        &mut self,
        judged: &Judged,
        differences: &[Difference],
        request: Option<&Request>,
        redactor: &Redactor,
    ) {
        let mut seen = BTreeSet::new();
        for difference in differences {
            let signature = difference.signature();
            let key = signature.to_string();
            if !seen.insert(key.clone()) {
                continue;
            }
            let entry = self
                .signatures
                .entry(key)
                .or_insert_with(|| SignatureAggregate::new(&signature));
            if difference.note.is_some() && (entry.note.is_none() || judged.seq < entry.note_seq) {
                entry.note.clone_from(&difference.note);
                entry.note_seq = judged.seq;
            }
            entry.examples.add(judged.seq, &judged.id);
            let wanted = entry.samples.len() < MAX_SAMPLES
                || entry.samples.last().is_some_and(|last| last.0 > judged.seq);
            if wanted {
                let mut shown = difference.clone();
                redactor.difference_values(&mut shown);
                let (old, old_size) = cut(shown.old);
                let (new, new_size) = cut(shown.new);
                let sample = Sample {
                    id: judged.id.clone(),
                    path: difference.target.place(),
                    old,
                    new,
                    truncated: Truncated {
                        old: old_size,
                        new: new_size,
                    },
                    request: request.map(|r| sample_request(r, redactor)),
                };
                keep_first(&mut entry.samples, (judged.seq, sample), MAX_SAMPLES);
            }
        }
    }

    /// Counts the signatures of old disagreeing with itself, and those it shares in this
    /// exchange with old against new (`compared`).
    fn add_noise(&mut self, differences: &[Difference], compared: &[Difference]) {
        let signatures: BTreeSet<shadowdiff_core::Signature> =
            differences.iter().map(|d| d.signature()).collect();
        let shared: BTreeSet<shadowdiff_core::Signature> =
            compared.iter().map(|d| d.signature()).collect();
        for signature in signatures {
            let entry = self
                .signatures
                .entry(signature.to_string())
                .or_insert_with(|| SignatureAggregate::new(&signature));
            entry.noise_count += 1;
            if shared.contains(&signature) {
                entry.noise_both += 1;
            }
        }
    }

    fn merge(&mut self, other: RouteAggregate) {
        self.counts.add(&other.counts);
        for (key, theirs) in other.signatures {
            match self.signatures.get_mut(&key) {
                Some(ours) => {
                    ours.examples.merge(theirs.examples);
                    ours.noise_count += theirs.noise_count;
                    ours.noise_both += theirs.noise_both;
                    for sample in theirs.samples {
                        keep_first(&mut ours.samples, sample, MAX_SAMPLES);
                    }
                    if theirs.note.is_some()
                        && (ours.note.is_none() || theirs.note_seq < ours.note_seq)
                    {
                        ours.note = theirs.note;
                        ours.note_seq = theirs.note_seq;
                    }
                }
                None => {
                    self.signatures.insert(key, theirs);
                }
            }
        }
        for (set, count) in other.different_sets {
            *self.different_sets.entry(set).or_default() += count;
        }
        for (kind, theirs) in other.errors {
            match self.errors.get_mut(&kind) {
                Some(ours) => {
                    ours.examples.merge(theirs.examples);
                    if theirs.message.0 < ours.message.0 {
                        ours.message = theirs.message;
                    }
                }
                None => {
                    self.errors.insert(kind, theirs);
                }
            }
        }
        for (reason, theirs) in other.skips {
            self.skips.entry(reason).or_default().merge(theirs);
        }
        for (reason, theirs) in other.not_run {
            self.not_run.entry(reason).or_default().merge(theirs);
        }
        for (rule, count) in other.ignored {
            *self.ignored.entry(rule).or_default() += count;
        }
        self.timings.merge(&other.timings);
    }

    fn into_report(mut self, route: String, finish: &Finish<'_>) -> (RouteReport, RouteJudgement) {
        let policy = finish.policy;
        let exchanges = self.counts.exchanges;
        let rate = |count: u64| {
            if exchanges == 0 {
                0.0
            } else {
                count as f64 / exchanges as f64
            }
        };
        let noise: BTreeSet<String> = self
            .signatures
            .iter()
            .filter(|(_, sig)| policy.is_noise(sig.examples.count, sig.noise_count, sig.noise_both))
            .map(|(text, _)| text.clone())
            .collect();
        let accepted: BTreeSet<String> = self
            .signatures
            .iter()
            .filter(|(text, sig)| {
                finish
                    .snapshot
                    .and_then(|s| s.find(&route, text))
                    .is_some_and(|entry| rate(sig.examples.count) <= entry.max_rate + 1e-12)
            })
            .map(|(text, _)| text.clone())
            .collect();
        let mut unaccepted = 0;
        for (set, count) in &self.different_sets {
            if set.iter().all(|signature| noise.contains(signature)) {
                self.counts.different -= count;
                self.counts.noise_only += count;
            } else if set
                .iter()
                .any(|s| !noise.contains(s) && !accepted.contains(s))
            {
                unaccepted += count;
            }
        }
        let mut judgement = policy.judge_route(&route, &self.counts, unaccepted);
        let route_fails = judgement.verdict == Verdict::Fail;
        let signatures: Vec<SignatureReport> = self
            .signatures
            .into_iter()
            .filter(|(_, sig)| sig.examples.count > 0)
            .map(|(text, sig)| {
                let entry = finish.snapshot.and_then(|s| s.find(&route, &text));
                let is_noise = noise.contains(&text);
                let is_accepted = accepted.contains(&text);
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
                    rate: rate(sig.examples.count),
                    examples: sig.examples.ids(),
                    samples: sig.samples.into_iter().map(|(_, s)| s).collect(),
                    note: sig.note,
                }
            })
            .collect();
        let failing: Vec<&SignatureReport> = signatures.iter().filter(|s| s.failing).collect();
        for sig in failing.iter().take(MAX_SIGNATURES_NAMED) {
            judgement.reasons.push(match sig.accepted_rate {
                Some(max) => format!(
                    "`{}` in {} of exchanges, above the accepted {}",
                    sig.signature,
                    percent(sig.rate),
                    percent(max)
                ),
                None => format!(
                    "`{}` in {} of exchanges is not accepted",
                    sig.signature,
                    percent(sig.rate)
                ),
            });
        }
        if failing.len() > MAX_SIGNATURES_NAMED {
            judgement.reasons.push(format!(
                "... and {} more signatures not accepted",
                failing.len() - MAX_SIGNATURES_NAMED
            ));
        }
        let error_kinds = self
            .errors
            .into_iter()
            .map(|(kind, error)| ErrorGroup {
                kind,
                count: error.examples.count,
                examples: error.examples.ids(),
                message: error.message.1,
            })
            .collect();
        let groups = |reasons: BTreeMap<String, Examples>| -> Vec<SkipGroup> {
            reasons
                .into_iter()
                .map(|(reason, examples)| SkipGroup {
                    reason,
                    count: examples.count,
                    examples: examples.ids(),
                })
                .collect()
        };
        let skip_reasons = groups(self.skips);
        let not_run_reasons = groups(self.not_run);
        let report = RouteReport {
            route,
            counts: self.counts,
            signatures,
            error_kinds,
            skip_reasons,
            not_run_reasons,
            ignored: ignored_rules(&self.ignored, finish.describe),
            unaccepted,
            verdict: judgement.verdict,
            reasons: judgement.reasons.clone(),
            latency: self.timings.summary(false),
        };
        (report, judgement)
    }
}

impl SignatureAggregate {
    fn new(signature: &shadowdiff_core::Signature) -> SignatureAggregate {
        SignatureAggregate {
            target: signature.target.to_string(),
            path: signature.path.clone(),
            kind: signature.kind.as_str().to_string(),
            examples: Examples::default(),
            noise_count: 0,
            noise_both: 0,
            samples: Vec::new(),
            note: None,
            note_seq: 0,
        }
    }
}

/// A request as a sample keeps it: secrets redacted, a large body left out.
fn sample_request(request: &Request, redactor: &Redactor) -> Request {
    let mut kept = request.clone();
    redactor.request(&mut kept);
    let size = match &kept.body {
        Body::Empty => 0,
        Body::Text(text) => text.len(),
        Body::Binary(bytes) => bytes.len(),
    };
    if size > MAX_SAMPLE_BODY {
        kept.body = Body::Text(format!(
            "[a body of {size} bytes, not kept in the report; see outcomes.jsonl.zst]"
        ));
    }
    kept
}

/// A sample value as kept: whole when its JSON text is at most [`MAX_SAMPLE_VALUE`] bytes, else
/// the start of that text (as written, numbers included) as a string, with the whole size. The
/// text is written through a capped buffer, so a large value is never copied whole.
fn cut(value: Option<Value>) -> (Option<Value>, Option<u64>) {
    let Some(value) = value else {
        return (None, None);
    };
    let mut text = CappedText::default();
    serde_json::to_writer(&mut text, &value).expect("writing to memory never fails");
    if text.size <= MAX_SAMPLE_VALUE as u64 {
        return (Some(value), None);
    }
    let kept = match std::str::from_utf8(&text.kept) {
        Ok(kept) => kept,
        // The cap fell inside a character: keep the characters before it.
        Err(err) => std::str::from_utf8(&text.kept[..err.valid_up_to()]).unwrap_or_default(),
    };
    (Some(Value::String(kept.to_string())), Some(text.size))
}

/// The first [`MAX_SAMPLE_VALUE`] bytes written to it, and how many were written in all.
#[derive(Default)]
struct CappedText {
    kept: Vec<u8>,
    size: u64,
}

impl std::io::Write for CappedText {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = MAX_SAMPLE_VALUE.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.size += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The rules that hid something, in rule order (file, then line), with their exchange counts.
fn ignored_rules(
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

impl Verdict {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// A map with list keys stored as a list of `[key, value]` pairs (JSON keys are strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<Vec<String>, u64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(&Vec<String>, &u64)> = map.iter().collect();
        pairs.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<Vec<String>, u64>, D::Error> {
        let pairs: Vec<(Vec<String>, u64)> = Vec::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shadowdiff_core::OutcomeError;
    use shadowdiff_core::Timing;
    use shadowdiff_core::{BodyPath, Comparison, Ignored, Kind, Step, Target};

    fn price_change(index: usize) -> Difference {
        Difference {
            target: Target::Body(BodyPath(vec![
                Step::Key("items".into()),
                Step::Index(index),
                Step::Key("price".into()),
            ])),
            kind: Kind::Changed,
            old: Some(json!(10)),
            new: Some(json!(11)),
            note: None,
        }
    }

    fn judged(id: &str, route: &str, outcome: Outcome) -> Judged {
        Judged {
            id: id.into(),
            seq: id.parse().unwrap_or(0),
            route: route.into(),
            outcome,
            noise: None,
            timing: Timing::default(),
        }
    }

    fn finish(agg: Aggregate) -> Report {
        finish_with(agg, &|_| String::new())
    }

    fn finish_with(agg: Aggregate, describe: &dyn Fn(RuleId) -> String) -> Report {
        agg.finish(&Finish {
            policy: &GatePolicy::default(),
            snapshot: None,
            find_stale: true,
            targets: TargetNames::default(),
            describe,
        })
    }

    #[test]
    fn signatures_count_exchanges_not_differences() {
        let mut agg = Aggregate::new();
        let two_prices = Comparison {
            differences: vec![price_change(0), price_change(3)],
            ignored: vec![],
        };
        agg.add(
            &judged("r1", "GET /o/{id}", Outcome::Compared(two_prices.clone())),
            None,
        );
        agg.add(
            &judged(
                "r2",
                "GET /o/{id}",
                Outcome::Compared(Comparison::default()),
            ),
            None,
        );
        agg.add(
            &judged("r3", "GET /o/{id}", Outcome::Compared(two_prices)),
            None,
        );
        let report = finish(agg);
        let route = &report.routes[0];
        assert_eq!(route.counts.different, 2);
        assert_eq!(route.counts.equal, 1);
        let sig = &route.signatures[0];
        assert_eq!(sig.signature, "body $.items[*].price changed");
        assert_eq!(sig.count, 2);
        assert!((sig.rate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(sig.examples, ["r1", "r3"]);
        assert_eq!(sig.samples[0].path.as_deref(), Some("$.items[0].price"));
        assert_eq!(report.verdict, Verdict::Fail);
    }

    #[test]
    fn a_signature_note_is_the_first_by_position_whatever_the_arrival_order() {
        let noted = |id: &str, note: Option<&str>| {
            let difference = Difference {
                note: note.map(String::from),
                ..price_change(0)
            };
            let comparison = Comparison {
                differences: vec![difference],
                ignored: vec![],
            };
            judged(id, "GET /o/{id}", Outcome::Compared(comparison))
        };
        let arrivals = [
            noted("9", Some("late")),
            noted("2", None),
            noted("5", Some("early")),
            noted("7", Some("middle")),
        ];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
            let mut agg = Aggregate::new();
            for i in order {
                agg.add(&arrivals[i], None);
            }
            let report = finish(agg);
            let sig = &report.routes[0].signatures[0];
            assert_eq!(sig.note.as_deref(), Some("early"), "{order:?}");
            assert_eq!(sig.examples, ["2", "5", "7", "9"], "{order:?}");
        }
        let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
        first.add(&arrivals[0], None);
        second.add(&arrivals[2], None);
        first.merge(second);
        let report = finish(first);
        assert_eq!(
            report.routes[0].signatures[0].note.as_deref(),
            Some("early")
        );
    }

    #[test]
    fn totals_add_up_and_routes_are_sorted() {
        let mut agg = Aggregate::new();
        agg.add(
            &judged("1", "GET /b", Outcome::Skipped("method POST".into())),
            None,
        );
        agg.add(
            &judged(
                "2",
                "GET /a",
                Outcome::Error(OutcomeError::new("only_in_a", "missing in B")),
            ),
            None,
        );
        let ignored = Comparison {
            differences: vec![],
            ignored: vec![
                Ignored {
                    rule: RuleId(4),
                    target: Target::Header("date".into()),
                },
                Ignored {
                    rule: RuleId(4),
                    target: Target::Header("server".into()),
                },
            ],
        };
        agg.add(&judged("3", "GET /a", Outcome::Compared(ignored)), None);
        let report = finish_with(agg, &|rule| format!("rule {}", rule.0));
        assert!(report.totals.adds_up());
        assert_eq!(report.totals.exchanges, 3);
        let names: Vec<_> = report.routes.iter().map(|r| r.route.as_str()).collect();
        assert_eq!(names, ["GET /a", "GET /b"]);
        assert_eq!(report.routes[0].ignored[0].rule, "rule 4");
        assert_eq!(report.routes[0].ignored[0].exchanges, 1);
        assert_eq!(report.routes[0].error_kinds[0].examples, ["2"]);
        assert_eq!(report.routes[1].skip_reasons[0].count, 1);
    }

    fn at(key: &str) -> Difference {
        Difference {
            target: Target::Body(BodyPath(vec![Step::Key(key.into())])),
            kind: Kind::Changed,
            old: Some(json!(1)),
            new: Some(json!(2)),
            note: None,
        }
    }

    fn with_noise(id: &str, new: &[&str], noise: &[&str]) -> Judged {
        let comparison = |keys: &[&str]| Comparison {
            differences: keys.iter().map(|k| at(k)).collect(),
            ignored: vec![],
        };
        Judged {
            id: id.into(),
            seq: id.parse().unwrap(),
            route: "GET /o".into(),
            outcome: Outcome::Compared(comparison(new)),
            noise: Some(comparison(noise)),
            timing: Timing::default(),
        }
    }

    #[test]
    fn noise_cancels_per_exchange_and_per_signature() {
        let mut agg = Aggregate::new();
        // requestId differs from old to old in every exchange: noise in each one.
        agg.add(&with_noise("1", &["requestId"], &["requestId"]), None);
        // a flaky field: old disagreed with itself in exchange 3, new differs in 2 and 4.
        agg.add(&with_noise("2", &["flaky"], &["requestId"]), None);
        agg.add(&with_noise("3", &[], &["requestId", "flaky"]), None);
        agg.add(
            &with_noise("4", &["flaky", "requestId"], &["requestId", "flaky"]),
            None,
        );
        agg.add(&with_noise("5", &["flaky"], &["requestId", "flaky"]), None);
        // a real change, never seen between old and itself.
        agg.add(
            &with_noise("6", &["total", "requestId"], &["requestId"]),
            None,
        );
        let report = finish(agg);
        let route = &report.routes[0];
        let sigs: Vec<(&str, u64, u64, bool)> = route
            .signatures
            .iter()
            .map(|s| (s.signature.as_str(), s.count, s.noise_count, s.noise))
            .collect();
        assert_eq!(
            sigs,
            [
                ("body $.flaky changed", 3, 3, true),
                ("body $.requestId changed", 3, 6, true),
                ("body $.total changed", 1, 0, false),
            ]
        );
        assert_eq!(route.counts.equal, 1);
        assert_eq!(route.counts.noise_only, 4);
        assert_eq!(route.counts.different, 1);
        assert!(report.totals.adds_up());
        assert_eq!(report.totals.noise_only, 4);
    }

    #[test]
    fn merged_parts_keep_the_first_examples_in_input_order() {
        let diff = Comparison {
            differences: vec![price_change(0)],
            ignored: vec![],
        };
        let (mut even, mut odd, mut whole) = (Aggregate::new(), Aggregate::new(), Aggregate::new());
        for i in 0..20u32 {
            let one = judged(&i.to_string(), "GET /o", Outcome::Compared(diff.clone()));
            whole.add(&one, None);
            if i % 2 == 0 {
                even.add(&one, None)
            } else {
                odd.add(&one, None)
            }
        }
        let saved = odd.save(&|_| String::new());
        let (odd, _) = Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
        even.merge(odd);
        let (merged, whole) = (finish(even), finish(whole));
        assert_eq!(merged, whole);
        assert_eq!(
            merged.routes[0].signatures[0].examples,
            ["0", "1", "2", "3", "4"]
        );
    }

    #[test]
    fn exchanges_not_run_count_apart_add_up_merge_and_mark_the_run_incomplete() {
        let reason = "target new failed 20 times in a row";
        let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
        first.add(
            &judged("1", "GET /o", Outcome::Compared(Comparison::default())),
            None,
        );
        first.add(&judged("2", "GET /o", Outcome::NotRun(reason.into())), None);
        second.add(&judged("3", "GET /o", Outcome::NotRun(reason.into())), None);
        second.add(
            &judged("4", "GET /p", Outcome::NotRun("interrupted".into())),
            None,
        );
        let saved = second.save(&|_| String::new());
        let (second, _) =
            Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
        first.merge(second);
        let report = finish(first);
        assert!(report.incomplete, "not run means the run was cut short");
        assert_eq!(
            report.reasons[0],
            format!("the run is incomplete: {reason}")
        );
        assert!(report.totals.adds_up());
        assert_eq!((report.totals.exchanges, report.totals.not_run), (4, 3));
        assert_eq!(report.totals.compared(), 1);
        let o = &report.routes[0];
        assert_eq!((o.counts.equal, o.counts.not_run), (1, 2));
        assert_eq!(o.not_run_reasons[0].reason, reason);
        assert_eq!(o.not_run_reasons[0].count, 2);
        assert_eq!(o.not_run_reasons[0].examples, ["2", "3"]);
        let p = &report.routes[1];
        assert_eq!(p.not_run_reasons[0].reason, "interrupted");
        assert!(
            p.reasons[0].starts_with("not judged: 0 compared"),
            "{:?}",
            p.reasons
        );
    }

    #[test]
    fn an_aggregate_saved_before_not_run_existed_still_reads() {
        let mut agg = Aggregate::new();
        agg.add(
            &judged("1", "GET /o", Outcome::Compared(Comparison::default())),
            None,
        );
        let saved = agg
            .save(&|_| String::new())
            .replace(",\"not_run\":0", "")
            .replace(",\"not_run\":{}", "");
        assert!(!saved.contains("not_run"), "{saved}");
        let (agg, _) = Aggregate::restore(&saved, std::path::Path::new("aggregate.json")).unwrap();
        assert_eq!(finish(agg).totals.not_run, 0);
    }

    #[test]
    fn large_sample_values_keep_their_start_and_size() {
        let big = format!("[{}1.50]", "1.50,".repeat(1_000_000));
        let huge: Value = serde_json::from_str(&big).unwrap();
        let mut agg = Aggregate::new();
        let diff = Comparison {
            differences: vec![Difference {
                target: Target::Body(BodyPath(vec![Step::Key("a".into())])),
                kind: Kind::Changed,
                old: Some(huge),
                new: Some(json!("é".repeat(2000))),
                note: None,
            }],
            ignored: vec![],
        };
        agg.add(&judged("1", "GET /o", Outcome::Compared(diff)), None);
        let report = finish(agg);
        let sample = &report.routes[0].signatures[0].samples[0];
        assert_eq!(sample.truncated.old, Some(big.len() as u64));
        let Some(Value::String(start)) = &sample.old else {
            panic!("{:?}", sample.old)
        };
        // The text as sent: `1.50` stays `1.50`.
        assert!(
            start.starts_with("[1.50,1.50,") && start.len() == MAX_SAMPLE_VALUE,
            "{start}"
        );
        // 4002 bytes of JSON text, cut at a character boundary.
        assert_eq!(sample.truncated.new, Some(4002));
        let Some(Value::String(start)) = &sample.new else {
            panic!("{:?}", sample.new)
        };
        assert_eq!(start.len(), MAX_SAMPLE_VALUE - 1);
        let small = Comparison {
            differences: vec![price_change(0)],
            ignored: vec![],
        };
        let mut agg = Aggregate::new();
        agg.add(&judged("1", "GET /o", Outcome::Compared(small)), None);
        let report = finish(agg);
        let sample = &report.routes[0].signatures[0].samples[0];
        assert!(sample.truncated.is_empty());
        assert_eq!(sample.old, Some(json!(10)));
    }

    #[test]
    fn examples_are_bounded() {
        let mut agg = Aggregate::new();
        let diff = Comparison {
            differences: vec![price_change(0)],
            ignored: vec![],
        };
        for i in 0..100 {
            agg.add(
                &judged(&i.to_string(), "GET /o", Outcome::Compared(diff.clone())),
                None,
            );
        }
        let report = finish(agg);
        let sig = &report.routes[0].signatures[0];
        assert_eq!(sig.count, 100);
        assert_eq!(sig.examples.len(), MAX_EXAMPLES);
        assert_eq!(sig.samples.len(), MAX_SAMPLES);
    }
}
