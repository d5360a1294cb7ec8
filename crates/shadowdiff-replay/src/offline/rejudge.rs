//! `shadowdiff diff OUTCOMES`: judge the answers stored in a run's outcomes file again, under
//! the rules given now, without replaying anything. The rows of `shadowdiff data` are stored
//! and judged again the same way, with no request.

use std::path::Path;
use std::time::Duration;

use rayon::prelude::*;

use shadowdiff_core::Request;
use shadowdiff_core::RuleSet;
use shadowdiff_core::{is_row_line, RowLine};
use shadowdiff_core::{judge, Pair};
use shadowdiff_core::{Answer, OutcomeLine};
use shadowdiff_core::{Judged, Outcome, OutcomeError, Timing};
use shadowdiff_io::{Error, Result};
use shadowdiff_io::{Limits, RawLine, RawLines};

use super::{next_batch, BATCH};

/// Judges every line of the outcomes file at `path` again, in file order, handing each judged
/// exchange, with its request (none for a row), to `judged_to`. `path` may also be a report
/// folder: its outcome files (`outcomes.jsonl.zst` of a run, the parts
/// `outcomes-000001.jsonl.zst`, ... of `shadow`) are read in name order, and nothing else.
pub fn rejudge(
    path: &Path,
    rules: &RuleSet,
    limits: &Limits,
    judged_to: &mut dyn FnMut(Judged, Option<Request>),
) -> crate::Result<()> {
    match outcome_files(path)? {
        Some(files) => {
            for file in files {
                rejudge_lines(&file, rules, limits, judged_to)?;
            }
            Ok(())
        }
        None => Ok(rejudge_lines(path, rules, limits, judged_to)?),
    }
}

/// The outcome files of a report folder, in name order; none when `path` is not a folder or
/// holds no outcome file (it is then read as a folder of recordings, which says what is wrong).
pub fn outcome_files(path: &Path) -> Result<Option<Vec<std::path::PathBuf>>> {
    if !path.is_dir() {
        return Ok(None);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|err| Error::io(path, err))? {
        let entry = entry.map_err(|err| Error::io(path, err))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let numbered = name
            .strip_prefix("outcomes-")
            .and_then(|rest| rest.strip_suffix(".jsonl.zst"))
            .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()));
        if numbered || name == "outcomes.jsonl.zst" {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok((!files.is_empty()).then_some(files))
}

fn rejudge_lines(
    path: &Path,
    rules: &RuleSet,
    limits: &Limits,
    judged_to: &mut dyn FnMut(Judged, Option<Request>),
) -> Result<()> {
    let mut lines = RawLines::open(path, limits)?;
    let mut batch: Vec<RawLine> = Vec::with_capacity(BATCH);
    while next_batch(&mut lines, &mut batch)? {
        let judged: Vec<Result<(Judged, Option<Request>)>> = batch
            .par_iter()
            .map(|line| judge_line(line, rules))
            .collect();
        for result in judged {
            let (judged, request) = result?;
            judged_to(judged, request);
        }
    }
    Ok(())
}

/// The response of an answer, if it has one.
fn response(answer: &Option<Answer>) -> Option<&shadowdiff_core::Response> {
    answer.as_ref().and_then(|a| a.response.as_ref())
}

/// How long an answer took, when it was one; a time that is not a duration is bad input, named
/// with the line.
fn latency(answer: &Option<Answer>, role: &str, line: &RawLine) -> Result<Option<Duration>> {
    let Some(answer) = answer.as_ref().filter(|a| a.response.is_some()) else {
        return Ok(None);
    };
    Duration::try_from_secs_f64(answer.latency_ms / 1000.0)
        .map(Some)
        .map_err(|_| {
            Error::input(
                line.location.clone(),
                format!(
                    "{role}.latency_ms {:?} is not a time in milliseconds (0 or more)",
                    answer.latency_ms
                ),
            )
        })
}

/// Parses one outcomes line and judges its answers (or its rows); the request comes back for
/// the samples.
fn judge_line(line: &RawLine, rules: &RuleSet) -> Result<(Judged, Option<Request>)> {
    if is_row_line(&line.bytes) {
        let stored: RowLine = serde_json::from_slice(&line.bytes).map_err(|err| {
            Error::input(
                line.location.clone(),
                format!("not a row's outcomes line ({err})"),
            )
        })?;
        return Ok((stored.judge(rules), None));
    }
    let (judged, request) = judge_exchange_line(line, rules)?;
    Ok((judged, Some(request)))
}

/// Parses one exchange's outcomes line and judges its answers.
fn judge_exchange_line(line: &RawLine, rules: &RuleSet) -> Result<(Judged, Request)> {
    let mut stored: OutcomeLine = serde_json::from_slice(&line.bytes).map_err(|err| {
        Error::input(
            line.location.clone(),
            format!(
                "not an outcomes line ({err}); without B, A must be a run's outcomes.jsonl.zst"
            ),
        )
    })?;
    stored.restore_bodies();
    let route = rules
        .route(&stored.request.method, stored.request.path())
        .name;
    let timing = Timing {
        old: latency(&stored.old, "old", line)?,
        new: latency(&stored.new, "new", line)?,
        noise: latency(&stored.noise, "noise", line)?,
    };
    let not_judged = match stored.outcome.as_str() {
        "skipped" => Some(Outcome::Skipped(
            stored
                .reason
                .unwrap_or_else(|| "skipped during the run".to_string()),
        )),
        "not_run" => {
            Some(Outcome::NotRun(stored.reason.unwrap_or_else(|| {
                "not run: the run stopped first".to_string()
            })))
        }
        _ => None,
    };
    if let Some(outcome) = not_judged {
        let judged = Judged {
            id: stored.id,
            seq: stored.seq,
            route,
            outcome,
            noise: None,
            timing,
        };
        return Ok((judged, stored.request));
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
            let judged = Judged {
                id: stored.id,
                seq: stored.seq,
                route,
                outcome: Outcome::Error(OutcomeError::failed_call(
                    role,
                    &error.kind,
                    &error.message,
                )),
                noise: None,
                timing,
            };
            return Ok((judged, stored.request));
        }
    }
    let mut judged = judge(
        Pair {
            id: &stored.id,
            seq: stored.seq,
            request: &stored.request,
            old: response(&stored.old),
            new: response(&stored.new),
            noise: response(&stored.noise),
        },
        rules,
    );
    judged.timing = timing;
    Ok((judged, stored.request))
}
