//! Rows read by a thread of their own: a database's statement borrows its connection, so the
//! connection, the statement and its cursor live on a thread that sends the rows in batches
//! through a bounded channel, and the stream the join reads is the channel's end.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use super::{Column, Row, RowSource, SourceUrl};
use crate::error::{Error, Result};

/// How many batches may wait in the channel: memory stays at this many batches.
const QUEUED_BATCHES: usize = 4;

/// What the reading thread sends.
enum Message {
    /// The result's columns: the source opened.
    Columns(Vec<Column>),
    /// The next rows.
    Rows(Vec<Row>),
    /// The source failed; nothing follows.
    Failed(Error),
    /// Every row was sent.
    End,
}

/// The reading thread's end: where it sends the columns, then the rows.
pub(super) struct Sink {
    /// The channel to the stream.
    sender: SyncSender<Message>,
    /// The rows not sent yet.
    batch: Vec<Row>,
    /// How many rows a batch holds.
    batch_size: usize,
}

impl Sink {
    /// Sends the result's columns; `false` when the stream was dropped.
    pub(super) fn columns(&mut self, columns: Vec<Column>) -> bool {
        self.sender.send(Message::Columns(columns)).is_ok()
    }

    /// Adds a row, sending the batch when it is full; `false` when the stream was dropped and
    /// reading should stop.
    pub(super) fn push(&mut self, row: Row) -> bool {
        self.batch.push(row);
        self.batch.len() < self.batch_size || self.flush()
    }

    /// Sends the rows added so far; `false` when the stream was dropped.
    pub(super) fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.sender.send(Message::Rows(batch)).is_ok()
    }
}

/// A stream of rows read on another thread.
pub(super) struct Feed {
    /// The source, for errors.
    shown: SourceUrl,
    /// The result's columns.
    columns: Vec<Column>,
    /// Whether the rows come ordered by key.
    ordered: bool,
    /// The channel from the reading thread.
    receiver: Receiver<Message>,
    /// The rows of the batch being read.
    current: std::vec::IntoIter<Row>,
    /// Whether the end or an error was reached: nothing follows.
    done: bool,
}

/// Starts `read` on a thread of its own and waits until it has sent the columns (or failed):
/// `read` sends the columns through its sink, then the rows, and returns `Ok` after the last.
pub(super) fn start<F>(url: &SourceUrl, ordered: bool, batch_size: usize, read: F) -> Result<Feed>
where
    F: FnOnce(&mut Sink) -> Result<()> + Send + 'static,
{
    let (sender, receiver) = sync_channel(QUEUED_BATCHES);
    let mut sink = Sink {
        sender,
        batch: Vec::with_capacity(batch_size),
        batch_size,
    };
    thread::Builder::new()
        .name("shadowdiff-source".into())
        .spawn(move || {
            let last = match read(&mut sink) {
                Ok(()) if sink.flush() => Message::End,
                Ok(()) => return,
                Err(err) => {
                    sink.flush();
                    Message::Failed(err)
                }
            };
            let _ = sink.sender.send(last);
        })
        .map_err(|err| Error::source(url, format!("cannot start a thread to read it: {err}")))?;
    match receiver.recv() {
        Ok(Message::Columns(columns)) => Ok(Feed {
            shown: url.clone(),
            columns,
            ordered,
            receiver,
            current: Vec::new().into_iter(),
            done: false,
        }),
        Ok(Message::Failed(err)) => Err(err),
        Ok(Message::Rows(_) | Message::End) | Err(_) => Err(stopped(url)),
    }
}

/// The error of a reading thread that ended without saying why.
fn stopped(url: &SourceUrl) -> Error {
    Error::source(url, "the reader stopped unexpectedly")
}

impl Iterator for Feed {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            if let Some(row) = self.current.next() {
                return Some(Ok(row));
            }
            if self.done {
                return None;
            }
            match self.receiver.recv() {
                Ok(Message::Rows(rows)) => self.current = rows.into_iter(),
                Ok(Message::End) => self.done = true,
                Ok(Message::Failed(err)) => {
                    self.done = true;
                    return Some(Err(err));
                }
                Ok(Message::Columns(_)) | Err(_) => {
                    self.done = true;
                    return Some(Err(stopped(&self.shown)));
                }
            }
        }
    }
}

impl RowSource for Feed {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn ordered(&self) -> bool {
        self.ordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url() -> SourceUrl {
        "sqlite:t.db".parse().unwrap()
    }

    fn row(n: u64) -> Row {
        Row {
            values: vec![json!(n)],
            extra: Default::default(),
            line: n,
        }
    }

    #[test]
    fn rows_arrive_in_order_then_the_error_that_ended_them() {
        let feed = start(&url(), true, 3, |sink| {
            sink.columns(vec![]);
            for n in 1..=7 {
                sink.push(row(n));
            }
            Err(Error::usage("boom"))
        })
        .unwrap();
        let got: Vec<_> = feed.collect();
        assert_eq!(got.len(), 8);
        assert!(got[..7]
            .iter()
            .enumerate()
            .all(|(i, r)| r.as_ref().unwrap().line == i as u64 + 1));
        assert!(got[7].as_ref().unwrap_err().to_string().contains("boom"));
    }

    #[test]
    fn a_failure_before_the_columns_fails_the_open_and_a_panic_is_an_error() {
        let err = start(&url(), true, 3, |_| Err(Error::usage("no table")))
            .err()
            .unwrap();
        assert!(err.to_string().contains("no table"));
        let mut feed = start(&url(), true, 3, |sink| {
            sink.columns(vec![]);
            panic!("a bug");
        })
        .unwrap();
        assert!(matches!(feed.next(), Some(Err(Error::Source { .. }))));
        assert!(feed.next().is_none());
    }
}
