//! `shadowdiff diff A B`: judge the responses of two recordings joined by id, with no network.
//!
//! A and B stream together (see [`join`]): lines in the same id order pair as they come, with
//! no index, and anything else goes through a grace hash join on disk, so memory stays flat in
//! the number of ids. Pairs are parsed and compared in parallel on rayon, in batches. Each
//! outcome keeps its position (A's order, then B's leftovers in B's order) and the aggregate
//! chooses by position, so the report depends neither on the thread count nor on the order the
//! join finds the pairs in.

mod rejudge;

pub use rejudge::{outcome_files, rejudge};

use std::path::Path;
use std::sync::mpsc;

use rayon::prelude::*;

use shadowdiff_core::RuleSet;
use shadowdiff_core::{judge, Pair};
use shadowdiff_core::{Exchange, Request};
use shadowdiff_core::{Judged, Outcome, OutcomeError, Timing};
use shadowdiff_io::Result;
use shadowdiff_io::{parse_line, parse_pair, Limits, ParsedPair, RawLine, RawLines};

use shadowdiff_io::{join, Joined, Sizes};

/// How many lines are parsed and compared together.
const BATCH: usize = Sizes::DEFAULT.batch;

/// How many batches the join may read ahead of judging.
const BATCHES_AHEAD: usize = 2;

/// Judges every exchange of `a` against the exchange with the same id in `b`, handing each
/// judged exchange, with its request, to `judged_to` in the order of the report. Ids on one
/// side only are error outcomes, never dropped.
///
/// The join reads on a thread of its own, a few batches ahead, while this thread judges the
/// batch before on the thread pool the caller installed and hands it on: reading, decompressing
/// and parsing overlap.
pub fn diff(
    a: &Path,
    b: &Path,
    rules: &RuleSet,
    limits: &Limits,
    judged_to: &mut dyn FnMut(Judged, Request),
) -> crate::Result<()> {
    let (send, batches) = mpsc::sync_channel::<Vec<Joined>>(BATCHES_AHEAD);
    std::thread::scope(|scope| {
        let joiner = scope.spawn(move || {
            join(a, b, limits, Sizes::DEFAULT, &mut |batch| {
                send.send(batch)
                    .map_err(|_| shadowdiff_io::Error::usage("judging stopped"))
            })
        });
        let judged = judge_batches(&batches, rules, judged_to);
        drop(batches);
        let joined = joiner
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // A judging error stops the join (its own error then only says so).
        judged?;
        Ok(joined?)
    })
}

/// Judges each batch on the thread pool and hands its outcomes on in order.
fn judge_batches(
    batches: &mpsc::Receiver<Vec<Joined>>,
    rules: &RuleSet,
    judged_to: &mut dyn FnMut(Judged, Request),
) -> Result<()> {
    for batch in batches {
        let judged: Vec<Result<(Judged, Request)>> = batch
            .into_par_iter()
            .map(|joined| judge_joined(joined, rules))
            .collect();
        for result in judged {
            let (judged, request) = result?;
            judged_to(judged, request);
        }
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

/// Parses what the join found and judges it; the request comes back for the samples.
fn judge_joined(joined: Joined, rules: &RuleSet) -> Result<(Judged, Request)> {
    match joined {
        Joined::Pair { a, b, seq } => {
            let ParsedPair { old, new, .. } = parse_pair(&a, &b)?;
            let judged = judge_exchanges(&old, new.as_ref().unwrap_or(&old), seq, rules);
            Ok((judged, old.request))
        }
        Joined::OnlyInA { line, seq } => one_side(&line, seq, "only_in_a", "in A", "B", rules),
        Joined::OnlyInB { line, seq } => one_side(&line, seq, "only_in_b", "in B", "A", rules),
    }
}

/// The error outcome of a line whose id the other side does not have.
fn one_side(
    line: &RawLine,
    seq: u64,
    kind: &str,
    here: &str,
    there: &str,
    rules: &RuleSet,
) -> Result<(Judged, Request)> {
    let exchange = parse_line(line)?;
    let route = rules.route(&exchange.request.method, exchange.request.path());
    let judged = Judged {
        id: exchange.id,
        seq,
        route: route.name,
        outcome: Outcome::Error(OutcomeError::new(
            kind,
            format!("the id is {here} ({}) but not in {there}", line.location),
        )),
        noise: None,
        timing: Timing::default(),
    };
    Ok((judged, exchange.request))
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
