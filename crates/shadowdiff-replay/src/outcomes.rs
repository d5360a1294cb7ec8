//! The outcomes file of a run: each finished exchange becomes an outcome line (what each target
//! answered, secrets redacted), written on a thread of its own.

use std::borrow::Cow;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use shadowdiff_core::{Answered, Answers, OutcomeLine, Redactor, Response};
use shadowdiff_io::OutcomeWriter;

use crate::error::{Error, Result};
use crate::pipeline::Finished;
use crate::target::{CallError, Reply};

/// The outcome line of a finished exchange; what it keeps is copied.
pub fn outcome_line(done: &Finished, redactor: &Redactor) -> OutcomeLine {
    let messages = failures([&done.old, &done.new, &done.noise]);
    let answers = Answers {
        old: answered(done.old.as_ref().map(borrowed), &messages[0]),
        new: answered(done.new.as_ref().map(borrowed), &messages[1]),
        noise: answered(done.noise.as_ref().map(borrowed), &messages[2]),
    };
    OutcomeLine::new(
        Cow::Borrowed(&done.exchange.request),
        &done.judged,
        answers,
        redactor,
    )
}

/// The outcome line of a finished exchange, moving its request and answers into the line
/// rather than copying them (the run's writer needs nothing else of them); `done` keeps its
/// judgement and captures.
fn take_outcome_line(done: &mut Finished, redactor: &Redactor) -> OutcomeLine {
    let messages = failures([&done.old, &done.new, &done.noise]);
    let owned = |answer: &mut Option<std::result::Result<Reply, CallError>>| {
        answer.take().map(|result| match result {
            Ok(reply) => Ok((Cow::Owned(reply.response), reply.latency)),
            Err(err) => Err(err.kind()),
        })
    };
    let answers = Answers {
        old: answered(owned(&mut done.old), &messages[0]),
        new: answered(owned(&mut done.new), &messages[1]),
        noise: answered(owned(&mut done.noise), &messages[2]),
    };
    let request = std::mem::replace(
        &mut done.exchange.request,
        shadowdiff_core::Request {
            method: String::new(),
            url: String::new(),
            headers: Vec::new(),
            body: shadowdiff_core::Body::Empty,
        },
    );
    OutcomeLine::new(Cow::Owned(request), &done.judged, answers, redactor)
}

/// What each failed call says, empty for the answers that are not failures.
fn failures(answers: [&Option<std::result::Result<Reply, CallError>>; 3]) -> [String; 3] {
    answers.map(|result| match result {
        Some(Err(err)) => err.to_string(),
        _ => String::new(),
    })
}

/// A reply borrowed, or the kind of its failure.
fn borrowed(
    result: &std::result::Result<Reply, CallError>,
) -> std::result::Result<(Cow<'_, Response>, Duration), &'static str> {
    match result {
        Ok(reply) => Ok((Cow::Borrowed(&reply.response), reply.latency)),
        Err(err) => Err(err.kind()),
    }
}

/// One target's answer for its line; `message` is the failure's, when it failed.
fn answered<'a>(
    result: Option<std::result::Result<(Cow<'a, Response>, Duration), &'static str>>,
    message: &'a str,
) -> Option<Answered<'a>> {
    result.map(|result| match result {
        Ok((response, latency)) => Answered::Response(response, latency),
        Err(kind) => Answered::Failed(kind, message),
    })
}

/// The files a run's writer wrote, complete, to be renamed into place.
pub struct Written {
    /// The outcomes file.
    pub outcomes: tempfile::TempPath,
    /// The map of captured values, when one was asked for.
    pub captures: Option<tempfile::TempPath>,
}

/// Finished exchanges handed to the writer at once: it is woken once a batch rather than once an
/// exchange (with the client pinned to one core, a wake-up an exchange was a context switch an
/// exchange).
const BATCH: usize = 64;

/// The run's end of the outcomes writer: takes finished exchanges in input order and hands them
/// over in batches; dropping it hands over the last batch and tells the writer the run is over.
pub struct OutcomeSender {
    sender: std::sync::mpsc::SyncSender<Vec<Finished>>,
    batch: Vec<Finished>,
}

impl OutcomeSender {
    /// Queues a finished exchange for the outcomes file. When the writer has failed it is
    /// dropped; the writer's error is the one reported when it is joined.
    pub fn send(&mut self, done: Finished) {
        self.batch.push(done);
        if self.batch.len() == BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            let _ = self.sender.send(batch);
        }
    }
}

impl Drop for OutcomeSender {
    fn drop(&mut self) {
        self.hand_over();
    }
}

/// Writes outcome lines into `temp` (to become `path`) on a thread of its own, so serialising
/// and compressing bodies never slows the replay; secrets are redacted on the way. With
/// `captures` (a file and the path it becomes), each value an exchange captured is a JSON line
/// there, in input order. The thread returns the complete files, or the first error it met.
pub fn spawn_writer(
    temp: tempfile::NamedTempFile,
    path: &Path,
    captures: Option<(tempfile::NamedTempFile, PathBuf)>,
    redactor: Redactor,
) -> Result<(OutcomeSender, std::thread::JoinHandle<Result<Written>>)> {
    let mut writer = OutcomeWriter::create(temp, path)?;
    let mut captures = captures.map(|(file, path)| (BufWriter::new(file), path));
    // At most 1 024 exchanges wait for the writer, as before they were batched.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Finished>>(1024 / BATCH);
    let handle = std::thread::spawn(move || {
        for mut done in receiver.into_iter().flatten() {
            writer.write(&take_outcome_line(&mut done, &redactor))?;
            if let Some((file, path)) = &mut captures {
                for record in &done.captures {
                    let line = record.to_json_line(&done.judged.id, &done.judged.route, &redactor);
                    writeln!(file, "{line}").map_err(|err| Error::io(&*path, err))?;
                }
            }
        }
        let captures = match captures {
            Some((file, path)) => {
                let file = file
                    .into_inner()
                    .map_err(|err| Error::io(&path, err.into_error()))?;
                Some(file.into_temp_path())
            }
            None => None,
        };
        Ok(Written {
            outcomes: writer.finish()?,
            captures,
        })
    });
    let sender = OutcomeSender {
        sender,
        batch: Vec::with_capacity(BATCH),
    };
    Ok((sender, handle))
}
