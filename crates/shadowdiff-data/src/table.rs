//! One table compared: both sides opened, keyed, joined, bridged and judged, each key's outcome
//! handed on in key order.
//!
//! The merge join is tried when both sources deliver rows in key order. When a side turns out
//! not to (a collation the key order does not share), what was handed on is withdrawn
//! ([`RowSink::restart`]) and the table is read again through the partitioned join, which
//! needs no order; so is a table with an export on either side from the start.

use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Map, Value};

use shadowdiff_core::{
    judge_row, reconcile_values, Judged, Outcome, OutcomeError, Partition, Redactor, RowLine,
};
use shadowdiff_core::{RowPair, RuleSet, Timing};

use crate::bridge::{is_numeric, Bridge};
use crate::captures::CaptureMap;
use crate::error::Result;
use crate::join::{merge, partitioned, Group, Joined, OutOfOrder};
use crate::rows::{Keyed, KeyedRows, Side};
use crate::source::{open, ColumnKind, Read, SourceUrl};

/// How many keys are judged together.
const BATCH: usize = 1024;

/// How many batches the join may run ahead of judging.
const BATCHES_AHEAD: usize = 4;

/// What the join hands to judging.
enum Batch {
    /// The next keys, each with its position in key order.
    Keys(Vec<(u64, Joined)>),
    /// A side is not in key order: the join stopped.
    Stopped(OutOfOrder),
    /// A source failed: the join stopped.
    Failed(crate::error::Error),
}

/// The rows the join read, by side.
#[derive(Default)]
struct RowCounts {
    old_rows: u64,
    new_rows: u64,
}

/// Runs the join, sending its keys in batches, until it ends, stops, or judging hangs up.
fn join_in_batches(
    joined: impl Iterator<Item = std::result::Result<Result<Joined>, OutOfOrder>>,
    send: &std::sync::mpsc::SyncSender<Batch>,
) -> RowCounts {
    let mut counts = RowCounts::default();
    let mut batch: Vec<(u64, Joined)> = Vec::with_capacity(BATCH);
    for (seq, item) in (0u64..).zip(joined) {
        let joined = match item {
            Ok(Ok(joined)) => joined,
            Ok(Err(err)) => {
                let _ = send.send(Batch::Failed(err));
                return counts;
            }
            Err(out_of_order) => {
                let _ = send.send(Batch::Stopped(out_of_order));
                return counts;
            }
        };
        let (old, new) = match &joined {
            Joined::Both(a, b) => (rows(a), rows(b)),
            Joined::Old(a) => (rows(a), 0),
            Joined::New(b) => (0, rows(b)),
        };
        counts.old_rows += old;
        counts.new_rows += new;
        batch.push((seq, joined));
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if send.send(Batch::Keys(full)).is_err() {
                return counts;
            }
        }
    }
    if !batch.is_empty() {
        let _ = send.send(Batch::Keys(batch));
    }
    counts
}

/// One side of a table: its source and its query.
#[derive(Clone, Debug)]
pub struct TableSide {
    /// Where the rows are.
    pub url: SourceUrl,
    /// The query; `None` reads the whole table.
    pub query: Option<String>,
}

/// One table to compare.
#[derive(Clone, Debug)]
pub struct TableSpec {
    /// The table's name: its route is `table NAME`.
    pub name: String,
    /// Old's rows.
    pub old: TableSide,
    /// New's rows.
    pub new: TableSide,
    /// The key columns.
    pub key: Vec<String>,
    /// Where a stateful run captured the key of rows its exchanges created (`$.id`): each
    /// side's keys are read as the recorded values they stand for, when the judge has the
    /// captures.
    pub key_capture: Option<String>,
}

/// Where judged rows go.
pub trait RowSink {
    /// One key's outcome and its outcomes-file line (serialised, ending in a newline), in key
    /// order.
    fn row(&mut self, judged: Judged, line: &[u8]) -> Result<()>;
    /// Forgets every row of this table handed on so far: the table is read again.
    fn restart(&mut self) -> Result<()>;
}

/// What comparing a table did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRun {
    /// Rows read from old (of this shard).
    pub old_rows: u64,
    /// Rows read from new (of this shard).
    pub new_rows: u64,
    /// Why the partitioned join was used, when it was.
    pub partitioned: Option<String>,
}

/// What judging a table needs besides its rows.
pub struct Judge<'a> {
    /// The rules.
    pub rules: &'a RuleSet,
    /// What is kept out of outcome lines.
    pub redactor: &'a Redactor,
    /// The shard of the keys to compare, when the table is split over several jobs.
    pub partition: Option<Partition>,
    /// A stateful run's captured values: keys translated (a table's `key_capture`) and
    /// each side's own ids counted as the recorded value they stand for.
    pub captures: Option<Arc<CaptureMap>>,
}

/// Compares one table, handing every key's outcome to `sink`.
pub fn compare_table(
    spec: &TableSpec,
    judge: &Judge<'_>,
    sink: &mut dyn RowSink,
) -> Result<TableRun> {
    let translated = spec
        .key_capture
        .as_ref()
        .zip(judge.captures.as_ref())
        .filter(|(place, captures)| captures.has_place(place));
    let (old, new) = open_sides(spec, judge)?;
    let bridge = Bridge::new(old.columns(), new.columns());
    let names = |rows: &KeyedRows| -> Vec<String> {
        rows.columns().iter().map(|c| c.name.clone()).collect()
    };
    let columns = (names(&old), names(&new));
    // The partitioned join, and why: the sides as opened when no merge was tried, else opened
    // again.
    let (reason, sides) = if let Some((place, _)) = translated {
        let reason = format!(
            "keys are read as the recorded values captured at {place}, so the rows were joined \
             on disk"
        );
        (reason, Some((old, new)))
    } else if old.ordered() && new.ordered() {
        let mut run = Counting::new(spec, judge, &bridge, &columns);
        match run.judge_all(merge(old, new), sink)? {
            None => return Ok(run.finish(None)),
            Some(out_of_order) => {
                sink.restart()?;
                let reason = format!(
                    "{} returned key {} after {} (row {}): its order is not the key order, so \
                     the rows were joined on disk",
                    match out_of_order.side {
                        Side::Old => &spec.old.url,
                        Side::New => &spec.new.url,
                    },
                    out_of_order.key,
                    out_of_order.after,
                    out_of_order.line
                );
                (reason, None)
            }
        }
    } else {
        let export = if old.ordered() {
            &spec.new.url
        } else {
            &spec.old.url
        };
        let reason = format!("{export} is read in file order, so the rows were joined on disk");
        (reason, Some((old, new)))
    };
    let (old, new) = match sides {
        Some(sides) => sides,
        None => open_sides(spec, judge)?,
    };
    let mut run = Counting::new(spec, judge, &bridge, &columns);
    let joined = partitioned(old, new)?.map(Ok);
    run.judge_all(joined, sink)?;
    Ok(run.finish(Some(reason)))
}

/// Opens both sides, keying text as numbers on one side where the other's key column is
/// numeric, and keys as the recorded values where the table's key was captured.
fn open_sides(spec: &TableSpec, judge: &Judge<'_>) -> Result<(KeyedRows, KeyedRows)> {
    let partition = judge.partition;
    let side = |side: &TableSide| -> Result<KeyedRows> {
        let read = Read {
            query: side.query.clone(),
            table: spec.name.clone(),
            key: spec.key.clone(),
            partition,
        };
        KeyedRows::new(open(&side.url, &read)?, &spec.key, partition, &side.url)
    };
    let (mut old, mut new) = (side(&spec.old)?, side(&spec.new)?);
    let (old_kinds, new_kinds) = (old.key_kinds(), new.key_kinds());
    let numeric_against = |mine: &[ColumnKind], theirs: &[ColumnKind]| -> Vec<bool> {
        mine.iter()
            .zip(theirs)
            .map(|(mine, theirs)| !is_numeric(*mine) && is_numeric(*theirs))
            .collect()
    };
    old.key_text_as_numbers(numeric_against(&old_kinds, &new_kinds));
    new.key_text_as_numbers(numeric_against(&new_kinds, &old_kinds));
    if let (Some(place), Some(captures)) = (&spec.key_capture, &judge.captures) {
        old.translate_keys(captures.clone(), place.clone(), Side::Old);
        new.translate_keys(captures.clone(), place.clone(), Side::New);
    }
    Ok((old, new))
}

/// Judges a table's keys in batches, counting rows.
struct Counting<'a> {
    spec: &'a TableSpec,
    judge: &'a Judge<'a>,
    bridge: &'a Bridge,
    /// Old's and new's column names, which make documents of the rows' values.
    columns: &'a (Vec<String>, Vec<String>),
    old_rows: u64,
    new_rows: u64,
}

impl<'a> Counting<'a> {
    fn new(
        spec: &'a TableSpec,
        judge: &'a Judge<'a>,
        bridge: &'a Bridge,
        columns: &'a (Vec<String>, Vec<String>),
    ) -> Counting<'a> {
        Counting {
            spec,
            judge,
            bridge,
            columns,
            old_rows: 0,
            new_rows: 0,
        }
    }

    fn finish(self, partitioned: Option<String>) -> TableRun {
        TableRun {
            old_rows: self.old_rows,
            new_rows: self.new_rows,
            partitioned,
        }
    }

    /// Judges every key `joined` yields; stops early, returning it, at an [`OutOfOrder`].
    ///
    /// The join runs on a thread of its own, a few batches ahead, while this thread judges
    /// the batch before on the thread pool and hands it to `sink`: reading and merging never
    /// wait for judging, and the pool is the one the caller installed.
    fn judge_all(
        &mut self,
        joined: impl Iterator<Item = std::result::Result<Result<Joined>, OutOfOrder>> + Send,
        sink: &mut dyn RowSink,
    ) -> Result<Option<OutOfOrder>> {
        let (send, batches) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        std::thread::scope(|scope| {
            let joiner = scope.spawn(move || join_in_batches(joined, &send));
            let mut outcome = Ok(None);
            for batch in &batches {
                match batch {
                    Batch::Keys(mut keys) => {
                        if let Err(err) = self.flush(&mut keys, sink) {
                            outcome = Err(err);
                            break;
                        }
                    }
                    Batch::Stopped(out_of_order) => outcome = Ok(Some(out_of_order)),
                    Batch::Failed(err) => outcome = Err(err),
                }
            }
            drop(batches);
            let counts = joiner
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            self.old_rows = counts.old_rows;
            self.new_rows = counts.new_rows;
            outcome
        })
    }

    fn flush(&self, batch: &mut Vec<(u64, Joined)>, sink: &mut dyn RowSink) -> Result<()> {
        let judged: Vec<(Judged, Vec<u8>)> = batch
            .par_drain(..)
            .map(|(seq, joined)| self.one(seq, joined))
            .collect();
        for (judged, line) in judged {
            sink.row(judged, &line)?;
        }
        Ok(())
    }

    /// One key's outcome and its outcomes line, serialised (here, on the thread pool).
    fn one(&self, seq: u64, joined: Joined) -> (Judged, Vec<u8>) {
        let table = self.spec.name.as_str();
        let key = joined.key().clone();
        let id = key.id();
        let duplicate = match &joined {
            Joined::Both(a, b) => a.duplicate(Side::Old).or_else(|| b.duplicate(Side::New)),
            Joined::Old(a) => a.duplicate(Side::Old),
            Joined::New(b) => b.duplicate(Side::New),
        };
        let (old_names, new_names) = self.columns;
        let (mut old, mut new) = match joined {
            Joined::Both(a, b) => (
                Some(document(old_names, a.first)),
                Some(document(new_names, b.first)),
            ),
            Joined::Old(a) => (Some(document(old_names, a.first)), None),
            Joined::New(b) => (None, Some(document(new_names, b.first))),
        };
        if let (Some(a), Some(b)) = (old.as_mut(), new.as_mut()) {
            if let Some(captures) = &self.judge.captures {
                reconcile_columns(a, b, captures);
            }
            self.bridge.apply(a, b);
        }
        let old = old.map(Value::Object);
        let new = new.map(Value::Object);
        let judged = match duplicate {
            Some(message) => Judged {
                id: id.clone(),
                seq,
                route: self.judge.rules.table(table).name,
                outcome: Outcome::Error(OutcomeError::new(
                    "duplicate_key",
                    format!("key {id}: {message}"),
                )),
                noise: None,
                timing: Timing::default(),
            },
            None => judge_row(
                RowPair {
                    table,
                    id: &id,
                    seq,
                    old: old.as_ref(),
                    new: new.as_ref(),
                },
                self.judge.rules,
            ),
        };
        let line = RowLine::new(
            table,
            key.json(&self.spec.key),
            &judged,
            old.as_ref(),
            new.as_ref(),
            self.judge.redactor,
        );
        let mut bytes = serde_json::to_vec(&line).expect("an outcomes line always serialises");
        bytes.push(b'\n');
        (judged, bytes)
    }
}

/// Each pair of old's and new's values of a column that stand for one captured value, replaced
/// by that value on both sides.
fn reconcile_columns(
    old: &mut Map<String, Value>,
    new: &mut Map<String, Value>,
    captures: &CaptureMap,
) {
    for (column, a) in old.iter_mut() {
        if let Some(b) = new.get_mut(column) {
            reconcile_values(a, b, |x, y| captures.stands_for(x, y));
        }
    }
}

/// A row as a document: column → value, and its fields beyond the columns.
fn document(names: &[String], row: Keyed) -> Map<String, Value> {
    let mut doc: Map<String, Value> = names.iter().cloned().zip(row.values).collect();
    doc.extend(row.extra);
    doc
}

/// How many rows a group stands for.
fn rows(group: &Group) -> u64 {
    group.more + 1
}
