//! `shadowdiff diff A B`: judge the responses of two recordings joined by id, with no network.
//!
//! A streams in batches that are parsed and compared in parallel on rayon; B is indexed by id
//! (see [`index`]), so the two may come in any order and memory is bounded by the number of ids.
//! Outcomes reach the aggregate in A's order, then B's leftovers in B's order, so the report
//! never depends on the thread count.

mod index;
mod rejudge;

pub use rejudge::rejudge;

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::judge::{judge, Pair};
use crate::model::{Exchange, Request};
use crate::recordings::{parse_line, Limits, RawLine, RawLines};
use crate::replay::outcomes::is_outcome_line;
use crate::report::{Aggregate, Judged, Outcome, OutcomeError, Timing};
use crate::rules::RuleSet;

use index::Index;

/// How many lines are parsed and compared together.
const BATCH: usize = 1024;

/// Judges every exchange of `a` against the exchange with the same id in `b`, feeding the
/// outcomes to `aggregate`. Ids on one side only are error outcomes, never dropped.
pub fn diff(
    a: &Path,
    b: &Path,
    rules: &RuleSet,
    limits: &Limits,
    aggregate: &mut Aggregate,
) -> Result<()> {
    let index = Index::build(b, limits)?;
    let mut matched = vec![false; index.line_count()];
    let mut seen: HashSet<String> = HashSet::new();
    let mut lines = RawLines::open(a, limits)?;
    let mut batch: Vec<RawLine> = Vec::with_capacity(BATCH);
    let mut seq = 0u64;
    while next_batch(&mut lines, &mut batch)? {
        if let Some(first) = batch.first().filter(|line| is_outcome_line(&line.bytes)) {
            return Err(Error::input(
                first.location.clone(),
                "this is a run's outcomes file, which holds both sides: pass it alone \
                 (shadowdiff diff OUTCOMES) to judge it again",
            ));
        }
        let judged: Vec<Result<(Judged, Option<u32>, Request)>> = batch
            .par_iter()
            .enumerate()
            .map(|(i, line)| judge_line(line, seq + i as u64, &index, rules))
            .collect();
        for (result, line) in judged.into_iter().zip(&batch) {
            let (judged, position, request) = result?;
            if !seen.insert(judged.id.clone()) {
                return Err(Error::input(
                    line.location.clone(),
                    format!(
                        "duplicate id `{}`; ids must be unique within a recording",
                        judged.id
                    ),
                ));
            }
            if let Some(position) = position {
                matched[position as usize] = true;
            }
            aggregate.add(&judged, Some(&request));
        }
        seq += batch.len() as u64;
    }
    for (position, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
        let line = index.line(position as u32)?;
        let exchange = parse_line(&line)?;
        let route = rules.route(&exchange.request.method, exchange.request.path());
        let judged = Judged {
            id: exchange.id,
            seq,
            route: route.name,
            outcome: Outcome::Error(OutcomeError::new(
                "only_in_b",
                format!("the id is in B ({}) but not in A", line.location),
            )),
            noise: None,
            timing: Timing::default(),
        };
        aggregate.add(&judged, Some(&exchange.request));
        seq += 1;
    }
    Ok(())
}

/// Refills `batch` with the next lines; `false` once there are none.
fn next_batch(lines: &mut RawLines, batch: &mut Vec<RawLine>) -> Result<bool> {
    batch.clear();
    for line in lines.by_ref().take(BATCH) {
        batch.push(line?);
    }
    Ok(!batch.is_empty())
}

/// Parses one A line (at position `seq`), finds its B partner and judges the pair; the request
/// comes back for the samples.
fn judge_line(
    line: &RawLine,
    seq: u64,
    index: &Index,
    rules: &RuleSet,
) -> Result<(Judged, Option<u32>, Request)> {
    let old = parse_line(line)?;
    let Some(position) = index.position(&old.id) else {
        let route = rules.route(&old.request.method, old.request.path());
        let judged = Judged {
            id: old.id,
            seq,
            route: route.name,
            outcome: Outcome::Error(OutcomeError::new(
                "only_in_a",
                format!("the id is in A ({}) but not in B", line.location),
            )),
            noise: None,
            timing: Timing::default(),
        };
        return Ok((judged, None, old.request));
    };
    let new_line = index.line(position)?;
    let new = parse_line(&new_line)?;
    let judged = judge_exchanges(&old, &new, seq, rules);
    Ok((judged, Some(position), old.request))
}

/// Judges two exchanges with the same id; a request that differs means the join is wrong.
fn judge_exchanges(old: &Exchange, new: &Exchange, seq: u64, rules: &RuleSet) -> Judged {
    if old.request.method != new.request.method || old.request.url != new.request.url {
        let route = rules.route(&old.request.method, old.request.path());
        return Judged {
            id: old.id.clone(),
            seq,
            route: route.name,
            outcome: Outcome::Error(OutcomeError::new(
                "request_mismatch",
                format!(
                    "the same id names different requests: `{} {}` in A, `{} {}` in B",
                    old.request.method, old.request.url, new.request.method, new.request.url
                ),
            )),
            noise: None,
            timing: Timing::default(),
        };
    }
    judge(
        Pair {
            id: &old.id,
            seq,
            request: &old.request,
            old: old.response.as_ref(),
            new: new.response.as_ref(),
            noise: None,
        },
        rules,
    )
}
