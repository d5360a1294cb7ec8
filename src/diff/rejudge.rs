//! `shadowdiff diff OUTCOMES`: judge the answers stored in a run's outcomes file again, under
//! the rules given now, without replaying anything.

use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::judge::{judge, Pair};
use crate::recordings::{Limits, RawLine, RawLines};
use crate::replay::outcomes::{Answer, OutcomeLine};
use crate::report::{Aggregate, Judged, Outcome, OutcomeError};
use crate::rules::RuleSet;

use super::{next_batch, BATCH};

/// Judges every line of the outcomes file at `path` again, in file order.
pub fn rejudge(
    path: &Path,
    rules: &RuleSet,
    limits: &Limits,
    aggregate: &mut Aggregate,
) -> Result<()> {
    let mut lines = RawLines::open(path, limits)?;
    let mut batch: Vec<RawLine> = Vec::with_capacity(BATCH);
    while next_batch(&mut lines, &mut batch)? {
        let judged: Vec<Result<Judged>> = batch
            .par_iter()
            .map(|line| judge_line(line, rules))
            .collect();
        for result in judged {
            aggregate.add(&result?);
        }
    }
    Ok(())
}

/// The response of an answer, if it has one.
fn response(answer: &Option<Answer>) -> Option<&crate::model::Response> {
    answer.as_ref().and_then(|a| a.response.as_ref())
}

/// Parses one outcomes line and judges its answers.
fn judge_line(line: &RawLine, rules: &RuleSet) -> Result<Judged> {
    let stored: OutcomeLine = serde_json::from_slice(&line.bytes).map_err(|err| {
        Error::input(
            line.location.clone(),
            format!(
                "not an outcomes line ({err}); without B, A must be a run's outcomes.jsonl.zst"
            ),
        )
    })?;
    let route = rules
        .route(&stored.request.method, stored.request.path())
        .name;
    if stored.outcome == "skipped" {
        let reason = stored
            .reason
            .unwrap_or_else(|| "skipped during the run".to_string());
        return Ok(Judged {
            id: stored.id,
            route,
            outcome: Outcome::Skipped(reason),
            noise: None,
        });
    }
    let sides = [
        ("old", &stored.old),
        ("new", &stored.new),
        ("noise", &stored.noise),
    ];
    for (role, answer) in sides {
        if let Some(Answer {
            error: Some(error), ..
        }) = answer
        {
            return Ok(Judged {
                id: stored.id,
                route,
                outcome: Outcome::Error(OutcomeError::new(
                    &format!("{role}_{}", error.kind),
                    format!("{role}: {}", error.message),
                )),
                noise: None,
            });
        }
    }
    Ok(judge(
        Pair {
            id: &stored.id,
            request: &stored.request,
            old: response(&stored.old),
            new: response(&stored.new),
            noise: response(&stored.noise),
        },
        rules,
    ))
}
