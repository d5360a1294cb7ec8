//! The outcomes file of a run: each finished exchange becomes an outcome line (what each target
//! answered, secrets redacted), written on a thread of its own.

use std::path::Path;

use shadowdiff_core::{Answered, Answers, OutcomeLine, Redactor};
use shadowdiff_io::OutcomeWriter;

use crate::error::Result;
use crate::pipeline::Finished;
use crate::target::{CallError, Reply};

/// The outcome line of a finished exchange.
pub fn outcome_line(done: &Finished, redactor: &Redactor) -> OutcomeLine {
    let messages = [&done.old, &done.new, &done.noise].map(|result| match result {
        Some(Err(err)) => err.to_string(),
        _ => String::new(),
    });
    let answers = Answers {
        old: answered(&done.old, &messages[0]),
        new: answered(&done.new, &messages[1]),
        noise: answered(&done.noise, &messages[2]),
    };
    OutcomeLine::new(&done.exchange.request, &done.judged, answers, redactor)
}

/// One target's answer, borrowed; `message` is the failure's, when it failed.
fn answered<'a>(
    result: &'a Option<std::result::Result<Reply, CallError>>,
    message: &'a str,
) -> Option<Answered<'a>> {
    result.as_ref().map(|result| match result {
        Ok(reply) => Answered::Response(&reply.response, reply.latency),
        Err(err) => Answered::Failed(err.kind(), message),
    })
}

/// Writes outcome lines into `temp` (to become `path`) on a thread of its own, so serialising
/// and compressing bodies never slows the replay; secrets are redacted on the way. The thread
/// returns the complete file, or the first error it met.
pub fn spawn_writer(
    temp: tempfile::NamedTempFile,
    path: &Path,
    redactor: Redactor,
) -> Result<(
    std::sync::mpsc::SyncSender<Finished>,
    std::thread::JoinHandle<Result<tempfile::TempPath>>,
)> {
    let mut writer = OutcomeWriter::create(temp, path)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Finished>(1024);
    let handle = std::thread::spawn(move || {
        for done in receiver {
            writer.write(&outcome_line(&done, &redactor))?;
        }
        Ok(writer.finish()?)
    });
    Ok((sender, handle))
}
