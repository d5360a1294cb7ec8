//! The replay's reader: the recordings read, parsed and partitioned on a thread of its own, each
//! exchange given its place in the input and what it waits for ([`Dealer`]), and dealt to the
//! lanes in chunks, in turn. With sessions, exchanges are dealt in recorded time order within a
//! bounded window ([`TimeOrder`]).

use std::sync::{Arc, OnceLock};

use shadowdiff_core::{Exchange, Partition, RuleSet};
use shadowdiff_io::{parse_line, InputDigest, InputIdentity, RawLines, UniqueIds};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::pipeline::{Chunk, Halt, Plan, CHUNK};
use crate::stateful::{Dealer, Stateful};
use crate::time_order::TimeOrder;

/// Reads, parses and partitions the recordings on a thread of its own, dealing them to the
/// lanes in chunks, in turn; an error that ends the input (a repeated id among them) is dealt as
/// the last item, after the exchanges read before it. An interrupted run reads nothing more
/// (what was read is still dealt). Returns the identity of the input when it was read to the
/// end.
pub(crate) fn spawn(
    plan: &Plan,
    lanes: Vec<mpsc::Sender<Chunk>>,
    halt: Arc<Halt>,
    out_of_time_order: &Arc<OnceLock<String>>,
) -> tokio::task::JoinHandle<Option<InputIdentity>> {
    let paths = plan.recordings.clone();
    let limits = plan.limits.clone();
    let mut dealing = Dealing {
        lanes,
        turn: 0,
        chunk: Vec::with_capacity(CHUNK),
        position: 0,
        partition: plan.partition,
        dealer: Dealer::new(
            plan.session.clone(),
            plan.capture_scope,
            plan.rules.captures(),
            out_of_time_order,
        ),
        rules: plan.rules.clone(),
    };
    let mut window = plan.session.is_some().then(TimeOrder::new);
    tokio::task::spawn_blocking(move || {
        let mut digest = InputDigest::default();
        let mut ids = UniqueIds::default();
        for path in &paths {
            let lines = match RawLines::open(path, &limits) {
                Ok(lines) => lines,
                Err(err) => {
                    dealing.fail(window.as_mut(), err.into());
                    return None;
                }
            };
            for line in lines {
                if halt.interrupted() {
                    break;
                }
                let parsed = line.and_then(|line| {
                    digest.add(&line.bytes);
                    let exchange = parse_line(&line)?;
                    ids.check(&exchange.id, &line.location, &paths, &limits)?;
                    Ok((exchange, line.bytes.len()))
                });
                let (exchange, bytes) = match parsed {
                    Ok(parsed) => parsed,
                    Err(err) => {
                        dealing.fail(window.as_mut(), err.into());
                        return None;
                    }
                };
                let admitted = match window.as_mut() {
                    None => dealing.admit(exchange),
                    Some(window) => {
                        let ts = exchange.ts.clone();
                        window.push(ts.as_deref(), bytes, exchange);
                        window.ready().map_or(true, |next| dealing.admit(next))
                    }
                };
                if !admitted {
                    return None;
                }
            }
            if halt.interrupted() {
                break;
            }
        }
        let whole = !halt.interrupted();
        dealing.finish(window.as_mut());
        whole.then(|| digest.finish())
    })
}

/// Exchanges on their way to the lanes: placed, partitioned, dealt.
struct Dealing {
    lanes: Vec<mpsc::Sender<Chunk>>,
    turn: usize,
    chunk: Chunk,
    /// The place of the next exchange in the input (in time order, with sessions).
    position: u64,
    partition: Option<Partition>,
    dealer: Dealer,
    rules: Arc<RuleSet>,
}

impl Dealing {
    /// Places the next exchange and, when this shard replays it, adds it to the chunk; false
    /// when the lanes are gone.
    fn admit(&mut self, exchange: Exchange) -> bool {
        let seq = self.position;
        self.position += 1;
        if !self
            .partition
            .map_or(true, |p| p.selects(&exchange.id, seq))
        {
            return true;
        }
        let stateful: Stateful = self.dealer.deal(seq, &exchange, &self.rules);
        self.chunk.push(Ok((seq, exchange, stateful)));
        if self.chunk.len() < CHUNK {
            return true;
        }
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.deal(full)
    }

    fn deal(&mut self, chunk: Chunk) -> bool {
        let sent = self.lanes[self.turn % self.lanes.len()]
            .blocking_send(chunk)
            .is_ok();
        self.turn += 1;
        sent
    }

    /// Deals what the window holds, then the error that ends the input.
    fn fail(&mut self, window: Option<&mut TimeOrder<Exchange>>, err: Error) {
        if !self.drain(window) {
            return;
        }
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.push(Err(err));
        self.deal(chunk);
    }

    /// Deals what the window holds and the last chunk.
    fn finish(mut self, window: Option<&mut TimeOrder<Exchange>>) {
        if self.drain(window) && !self.chunk.is_empty() {
            let chunk = std::mem::take(&mut self.chunk);
            self.deal(chunk);
        }
    }

    fn drain(&mut self, window: Option<&mut TimeOrder<Exchange>>) -> bool {
        let Some(window) = window else {
            return true;
        };
        while let Some(exchange) = window.next() {
            if !self.admit(exchange) {
                return false;
            }
        }
        true
    }
}
