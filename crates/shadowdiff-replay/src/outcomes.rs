//! The outcomes file of a run: each finished exchange becomes an outcome line (what each target
//! answered, secrets redacted), written on a thread of its own.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use shadowdiff_core::{Answered, Answers, OutcomeLine, Redactor};
use shadowdiff_io::OutcomeWriter;

use crate::error::{Error, Result};
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

/// The files a run's writer wrote, complete, to be renamed into place.
pub struct Written {
    /// The outcomes file.
    pub outcomes: tempfile::TempPath,
    /// The map of captured values, when one was asked for.
    pub captures: Option<tempfile::TempPath>,
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
) -> Result<(
    std::sync::mpsc::SyncSender<Finished>,
    std::thread::JoinHandle<Result<Written>>,
)> {
    let mut writer = OutcomeWriter::create(temp, path)?;
    let mut captures = captures.map(|(file, path)| (BufWriter::new(file), path));
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Finished>(1024);
    let handle = std::thread::spawn(move || {
        for done in receiver {
            writer.write(&outcome_line(&done, &redactor))?;
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
    Ok((sender, handle))
}
