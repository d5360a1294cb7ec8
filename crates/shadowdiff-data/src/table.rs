//! One table compared: both sides opened, keyed, joined, bridged and judged, each key's outcome
//! handed on in key order.
//!
//! The merge join is tried when both sources deliver rows in key order. When a side turns out
//! not to (a collation the key order does not share), what was handed on is withdrawn
//! ([`RowSink::restart`]) and the table is read again through the partitioned join, which
//! needs no order; so is a table with an export on either side from the start.

use rayon::prelude::*;
use serde_json::Value;

use shadowdiff_core::{judge_row, Judged, Outcome, OutcomeError, Partition, Redactor, RowLine};
use shadowdiff_core::{RowPair, RuleSet, Timing};

use crate::bridge::{is_numeric, Bridge};
use crate::error::Result;
use crate::join::{merge, partitioned, Group, Joined, OutOfOrder};
use crate::rows::{KeyedRows, Side};
use crate::source::{open, ColumnKind, Read, SourceUrl};

/// How many keys are judged together.
const BATCH: usize = 1024;

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
}

/// Where judged rows go.
pub trait RowSink {
    /// One key's outcome and its outcomes-file line, in key order.
    fn row(&mut self, judged: Judged, line: RowLine) -> Result<()>;
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
}

/// Compares one table, handing every key's outcome to `sink`.
pub fn compare_table(
    spec: &TableSpec,
    judge: &Judge<'_>,
    sink: &mut dyn RowSink,
) -> Result<TableRun> {
    let (old, new) = open_sides(spec, judge.partition)?;
    let bridge = Bridge::new(old.columns(), new.columns());
    let reason = if old.ordered() && new.ordered() {
        let mut run = Counting::new(spec, judge, &bridge);
        match run.judge_all(merge(old, new), sink)? {
            None => return Ok(run.finish(None)),
            Some(out_of_order) => {
                sink.restart()?;
                format!(
                    "{} returned key {} after {} (row {}): its order is not the key order, so \
                     the rows were joined on disk",
                    match out_of_order.side {
                        Side::Old => &spec.old.url,
                        Side::New => &spec.new.url,
                    },
                    out_of_order.key,
                    out_of_order.after,
                    out_of_order.line
                )
            }
        }
    } else {
        let export = if old.ordered() {
            &spec.new.url
        } else {
            &spec.old.url
        };
        format!("{export} is read in file order, so the rows were joined on disk")
    };
    let (old, new) = open_sides(spec, judge.partition)?;
    let mut run = Counting::new(spec, judge, &bridge);
    let joined = partitioned(old, new)?.map(Ok);
    run.judge_all(joined, sink)?;
    Ok(run.finish(Some(reason)))
}

/// Opens both sides, keying text as numbers on one side where the other's key column is
/// numeric.
fn open_sides(spec: &TableSpec, partition: Option<Partition>) -> Result<(KeyedRows, KeyedRows)> {
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
    Ok((old, new))
}

/// Judges a table's keys in batches, counting rows.
struct Counting<'a> {
    spec: &'a TableSpec,
    judge: &'a Judge<'a>,
    bridge: &'a Bridge,
    seq: u64,
    old_rows: u64,
    new_rows: u64,
}

impl<'a> Counting<'a> {
    fn new(spec: &'a TableSpec, judge: &'a Judge<'a>, bridge: &'a Bridge) -> Counting<'a> {
        Counting {
            spec,
            judge,
            bridge,
            seq: 0,
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
    fn judge_all(
        &mut self,
        joined: impl Iterator<Item = std::result::Result<Result<Joined>, OutOfOrder>>,
        sink: &mut dyn RowSink,
    ) -> Result<Option<OutOfOrder>> {
        let mut batch: Vec<(u64, Joined)> = Vec::with_capacity(BATCH);
        let mut stopped = None;
        for item in joined {
            match item {
                Ok(joined) => {
                    let joined = joined?;
                    let (old, new) = match &joined {
                        Joined::Both(a, b) => (rows(a), rows(b)),
                        Joined::Old(a) => (rows(a), 0),
                        Joined::New(b) => (0, rows(b)),
                    };
                    self.old_rows += old;
                    self.new_rows += new;
                    batch.push((self.seq, joined));
                    self.seq += 1;
                    if batch.len() == BATCH {
                        self.flush(&mut batch, sink)?;
                    }
                }
                Err(out_of_order) => {
                    stopped = Some(out_of_order);
                    break;
                }
            }
        }
        if stopped.is_none() {
            self.flush(&mut batch, sink)?;
        }
        Ok(stopped)
    }

    fn flush(&self, batch: &mut Vec<(u64, Joined)>, sink: &mut dyn RowSink) -> Result<()> {
        let judged: Vec<(Judged, RowLine)> = batch
            .par_drain(..)
            .map(|(seq, joined)| self.one(seq, joined))
            .collect();
        for (judged, line) in judged {
            sink.row(judged, line)?;
        }
        Ok(())
    }

    /// One key's outcome and line.
    fn one(&self, seq: u64, joined: Joined) -> (Judged, RowLine) {
        let table = self.spec.name.as_str();
        let key = joined.key().clone();
        let id = key.id();
        let duplicate = match &joined {
            Joined::Both(a, b) => a.duplicate(Side::Old).or_else(|| b.duplicate(Side::New)),
            Joined::Old(a) => a.duplicate(Side::Old),
            Joined::New(b) => b.duplicate(Side::New),
        };
        let (mut old, mut new) = match joined {
            Joined::Both(a, b) => (Some(a.first.doc), Some(b.first.doc)),
            Joined::Old(a) => (Some(a.first.doc), None),
            Joined::New(b) => (None, Some(b.first.doc)),
        };
        if let (Some(a), Some(b)) = (old.as_mut(), new.as_mut()) {
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
        (judged, line)
    }
}

/// How many rows a group stands for.
fn rows(group: &Group) -> u64 {
    group.more + 1
}
