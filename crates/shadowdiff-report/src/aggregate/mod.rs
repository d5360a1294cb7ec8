//! The first stage, aggregate: folding judged exchanges into counts, signatures, a few examples
//! and latency histograms; merging the aggregates of partitioned runs; saving and loading them.
//! It decides nothing: noise, the snapshot and the gate are the verdict's (`crate::verdict`).
//!
//! Memory is bounded by the number of routes and signatures, never by the number of exchanges:
//! each signature keeps its count and its first [`MAX_EXAMPLES`] ids (first in input order,
//! by the exchange's position in the recordings, so partitions merge into the same examples).
//! The aggregate before the gate is saved beside the report (`aggregate.json`), so that
//! `shadowdiff report merge` can add up partitioned runs exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use shadowdiff_core::Difference;
use shadowdiff_core::Location;

use crate::document::{Counts, Sample, Truncated};
use crate::error::{Error, Result};
use shadowdiff_core::Redactor;
use shadowdiff_core::RuleId;
use shadowdiff_core::{Body, Request};
use shadowdiff_core::{Judged, Outcome};

pub(crate) mod latency;
pub(crate) mod part;

use latency::RoleTimings;
use part::Part;

/// How many example ids a signature, error kind or skip reason keeps.
pub const MAX_EXAMPLES: usize = 5;
/// How many examples keep their values as samples.
pub const MAX_SAMPLES: usize = 3;
/// The largest request body a sample keeps for its reproduction command.
const MAX_SAMPLE_BODY: usize = 64 * 1024;
/// The most bytes of a value's JSON text a sample keeps; a longer value keeps this much of its
/// text, as a string, and notes its whole size.
pub const MAX_SAMPLE_VALUE: usize = 2048;
/// The schema of the saved aggregate: v2 adds the part of the run it covers.
const STATE_SCHEMA: &str = "shadowdiff.aggregate/v2";
/// The saved aggregate in a report folder, which `report merge` reads.
pub const AGGREGATE_FILE: &str = "aggregate.json";

/// A saved aggregate as [`Aggregate::load`] reads it from a report folder.
#[derive(Debug)]
pub struct Loaded {
    /// The file it was read from (`DIR/aggregate.json`).
    pub path: PathBuf,
    /// The aggregate, with the part of the run it covers.
    pub aggregate: Aggregate,
    /// The labels of the rules it counts, by rule number.
    pub rules: BTreeMap<u32, String>,
}

/// The running totals of a run; feed it [`Judged`] exchanges.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Aggregate {
    pub(crate) routes: BTreeMap<String, RouteAggregate>,
    pub(crate) incomplete: Option<String>,
    /// What the reader of the report should know about how the run was made (writes replayed
    /// without a session), each said once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
    /// Secrets kept out of samples; what was stored is redacted already.
    #[serde(skip)]
    redactor: Redactor,
    /// Which part of the run's input it covers (saved beside it in aggregate.json).
    #[serde(skip)]
    pub(crate) part: Part,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct RouteAggregate {
    pub(crate) counts: Counts,
    pub(crate) signatures: BTreeMap<String, SignatureAggregate>,
    /// Exchanges counted as different, by the set of signatures that were not noise in them:
    /// once the signatures that are noise overall (or accepted) are known, each set says how its
    /// exchanges end. Bounded by the distinct sets, not by the exchanges.
    #[serde(with = "pairs")]
    pub(crate) different_sets: BTreeMap<Vec<String>, u64>,
    pub(crate) errors: BTreeMap<String, ErrorAggregate>,
    pub(crate) skips: BTreeMap<String, Examples>,
    /// Exchanges not run, by the reason the run stopped.
    #[serde(default)]
    pub(crate) not_run: BTreeMap<String, Examples>,
    pub(crate) ignored: BTreeMap<u32, u64>,
    pub(crate) timings: RoleTimings,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SignatureAggregate {
    pub(crate) target: String,
    pub(crate) path: Option<String>,
    pub(crate) kind: String,
    /// Exchanges in which old and new differ so.
    pub(crate) examples: Examples,
    /// Exchanges in which old differs so from itself.
    pub(crate) noise_count: u64,
    /// Exchanges in which both happen at once (old against new and old against itself).
    #[serde(default)]
    pub(crate) noise_both: u64,
    pub(crate) samples: Vec<(u64, Sample)>,
    /// The note of the first exchange (by position) whose difference had one, so the report
    /// does not depend on the order exchanges arrive in.
    pub(crate) note: Option<String>,
    /// That exchange's position (0 in aggregates saved before it was kept).
    #[serde(default)]
    pub(crate) note_seq: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ErrorAggregate {
    pub(crate) examples: Examples,
    /// The message of the first exchange (by position) with this kind of error.
    pub(crate) message: (u64, String),
}

/// A count and the first ids by position in the input.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Examples {
    pub(crate) count: u64,
    pub(crate) first: Vec<(u64, String)>,
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

    pub(crate) fn ids(self) -> Vec<String> {
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

    /// Adds a note about how the run was made, once however often it is added.
    pub fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
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
        for note in other.notes {
            self.add_note(note);
        }
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
    pub fn restore(text: &str, path: &Path) -> Result<(Aggregate, BTreeMap<u32, String>)> {
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

    /// Reads the aggregate saved in the report folder `dir` ([`AGGREGATE_FILE`]) and its rule
    /// labels, for `report merge`; returns the file's path with them. A folder without one is
    /// bad input that says which folders `merge` takes.
    pub fn load(dir: &Path) -> Result<Loaded> {
        let path = dir.join(AGGREGATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => Error::input(
                Location::file(&path),
                "not found: name report folders written by `shadowdiff run` or `diff`",
            ),
            _ => Error::io(&path, err),
        })?;
        let (aggregate, rules) = Aggregate::restore(&text, &path)?;
        Ok(Loaded {
            path,
            aggregate,
            rules,
        })
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

/// A sample value as kept in reports and in `shadow`'s mismatch log: whole when its JSON text
/// is at most [`MAX_SAMPLE_VALUE`] bytes, else the start of that text (as written, numbers included) as a string, with the whole size. The
/// text is written through a capped buffer, so a large value is never copied whole.
pub fn cut(value: Option<Value>) -> (Option<Value>, Option<u64>) {
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
    use shadowdiff_core::{Comparison, Timing};

    fn judged(id: &str, route: &str) -> Judged {
        Judged {
            id: id.into(),
            seq: id.parse().unwrap_or(0),
            route: route.into(),
            outcome: Outcome::Compared(Comparison::default()),
            noise: None,
            timing: Timing::default(),
        }
    }

    #[test]
    fn a_saved_aggregate_loads_from_its_report_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut aggregate = Aggregate::new();
        aggregate.add(&judged("1", "GET /o"), None);
        aggregate.add(&judged("2", "GET /p"), None);
        std::fs::write(
            dir.path().join(AGGREGATE_FILE),
            aggregate.save(&|rule| format!("rule {}", rule.0)),
        )
        .unwrap();
        let loaded = Aggregate::load(dir.path()).unwrap();
        assert_eq!(loaded.path, dir.path().join("aggregate.json"));
        assert_eq!(loaded.aggregate.part(), &Part::default());
        let routes: Vec<(&str, u64)> = loaded
            .aggregate
            .routes
            .iter()
            .map(|(name, route)| (name.as_str(), route.counts.equal))
            .collect();
        assert_eq!(routes, [("GET /o", 1), ("GET /p", 1)]);
        assert!(loaded.rules.is_empty());
    }

    #[test]
    fn a_folder_without_an_aggregate_is_bad_input_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Aggregate::load(dir.path()).unwrap_err().to_string();
        let path = dir.path().join("aggregate.json");
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(err.contains("not found: name report folders"), "{err}");
        std::fs::write(&path, "{\"schema\":\"x\"}").unwrap();
        let err = Aggregate::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("schema `x` is not"), "{err}");
    }

    #[test]
    fn merging_adds_counts_and_joins_incomplete_reasons() {
        let (mut first, mut second) = (Aggregate::new(), Aggregate::new());
        first.add(&judged("1", "GET /o"), None);
        second.add(&judged("2", "GET /o"), None);
        first.mark_incomplete("interrupted");
        second.mark_incomplete("target new failed");
        first.merge(second);
        assert_eq!(first.routes["GET /o"].counts.exchanges, 2);
        assert_eq!(
            first.incomplete.as_deref(),
            Some("interrupted; target new failed")
        );
    }
}
