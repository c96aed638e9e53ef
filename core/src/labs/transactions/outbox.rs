//! The transactional outbox (Richardson, *Microservices Patterns*, 2018, ch. 3; Kleppmann,
//! *Designing Data-Intensive Applications*, ch. 11 on change data capture) against the
//! dual-write bug.
//!
//! A service must both change its database and tell others, through a message broker.
//! Written as two separate writes, one of them can happen without the other:
//!
//! - **dual write**, database first: the write commits, then the event is published; if
//!   the broker is unreachable (the service gives up after three tries) or the service
//!   crashes before the broker has it, the event is lost for a committed write;
//! - **publish first**: the event goes out, then the local transaction commits; if it rolls
//!   back (a constraint, `rollback`%) or the service crashes first, the event announces a
//!   write that never happened.
//!
//! With the **outbox**, the event is a row in an outbox table written in the same local
//! transaction as the change, so both or neither commit. A relay publishes the outbox's rows
//! and marks each sent once the broker has it: a *poller* reads the table every `poll`; *change
//! data capture* tails the commit log and publishes each row as it commits. Either way a row
//! can be published twice (an acknowledgement lost, a crash before the row is marked), and
//! the broker redelivers what its consumer did not acknowledge, so delivery is at least once:
//! the consumer records each event id it processed in the same local transaction as the
//! event's effect and skips a repeat (the Network lab's idempotency keys).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{Msg, TxId};
use super::node::{Change, Config, Obs, Publish, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// Tries at publishing before a dual-writing service gives up.
const TRIES: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Publishing,
    Committing,
}

#[derive(Clone, Debug)]
pub struct OutboxService {
    pub config: Config,
    stable: Stable,
    /// Writes under way: (write, client, phase).
    open: Vec<(TxId, NodeId, Phase)>,
    /// Events sent to the broker and not yet acknowledged: (write, last sent, tries).
    publishing: Vec<(TxId, Micros, u8)>,
}

impl OutboxService {
    pub fn boot(config: Config, stable: Stable) -> OutboxService {
        OutboxService { config, stable, open: Vec::new(), publishing: Vec::new() }
    }

    fn broker(&self) -> NodeId {
        self.config.servers.first().copied().unwrap_or(NodeId::MAX)
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Poll, self.config.poll.max(1));
        if self.config.publish == Publish::Outbox && self.config.cdc {
            // Change data capture resumes from the last row the broker acknowledged.
            for id in self.stable.outbox.clone() {
                self.publish(ctx, id, out);
            }
        }
    }

    fn publish(&mut self, ctx: &Ctx, id: TxId, out: &mut Out<State>) {
        out.send(self.broker(), Msg::Publish { id });
        match self.publishing.iter_mut().find(|p| p.0 == id) {
            Some(p) => (p.1, p.2) = (ctx.now, p.2.saturating_add(1)),
            None => self.publishing.push((id, ctx.now, 1)),
        }
    }

    /// The relay reads the outbox table and publishes every row not yet sent.
    pub fn poll(&mut self, out: &mut Out<State>) {
        let broker = self.broker();
        for &id in &self.stable.outbox {
            out.send(broker, Msg::Publish { id });
        }
    }

    fn write(&mut self, ctx: &Ctx, from: NodeId, id: TxId, out: &mut Out<State>) {
        if let Some(ok) = self.stable.write_finished(id) {
            out.send(from, Msg::Written { id, ok });
            return;
        }
        if self.open.iter().any(|o| o.0 == id) {
            return;
        }
        if self.config.publish == Publish::PublishFirst {
            self.open.push((id, from, Phase::Publishing));
            self.publish(ctx, id, out);
        } else {
            self.open.push((id, from, Phase::Committing));
            out.set_timer(Timer::Commit(id), self.config.db.max(1));
        }
    }

    fn commit(&mut self, ctx: &Ctx, id: TxId, out: &mut Out<State>) {
        let Some(i) = self.open.iter().position(|o| o.0 == id && o.2 == Phase::Committing) else { return };
        let (_, client, _) = self.open.swap_remove(i);
        let outbox = self.config.publish == Publish::Outbox;
        if ctx.entropy % 100 < u64::from(self.config.rollback) {
            out.persist_applied(&mut self.stable, Change::Finished { id, committed: false, outbox });
            out.observe(Obs::RolledBack { id });
            out.send(client, Msg::Written { id, ok: false });
            return;
        }
        out.persist_applied(&mut self.stable, Change::Finished { id, committed: true, outbox });
        out.observe(Obs::Committed { id });
        out.send(client, Msg::Written { id, ok: true });
        if self.config.publish == Publish::DualWrite || (outbox && self.config.cdc) {
            self.publish(ctx, id, out);
        }
    }

    fn published(&mut self, id: TxId, out: &mut Out<State>) {
        self.publishing.retain(|p| p.0 != id);
        match self.config.publish {
            Publish::Outbox => {
                if self.stable.outbox.contains(&id) {
                    out.persist_applied(&mut self.stable, Change::Sent(id));
                }
            }
            Publish::PublishFirst => {
                if let Some(o) = self.open.iter_mut().find(|o| o.0 == id && o.2 == Phase::Publishing) {
                    o.2 = Phase::Committing;
                    out.set_timer(Timer::Commit(id), self.config.db.max(1));
                }
            }
            Publish::DualWrite => {}
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Write { id } => self.write(ctx, from, id, out),
            Msg::Published { id } => self.published(id, out),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Commit(id) => self.commit(ctx, id, out),
            Timer::Poll => {
                let poll = self.config.poll.max(1);
                let due: Vec<(TxId, u8)> =
                    self.publishing.iter().filter(|p| ctx.now >= p.1 + poll).map(|p| (p.0, p.2)).collect();
                for (id, tries) in due {
                    let outbox = self.config.publish == Publish::Outbox;
                    if outbox || tries < TRIES {
                        self.publish(ctx, id, out);
                        continue;
                    }
                    self.publishing.retain(|p| p.0 != id);
                    out.observe(Obs::GaveUp { id });
                    if let Some(i) = self.open.iter().position(|o| o.0 == id) {
                        let (_, client, _) = self.open.swap_remove(i);
                        out.send(client, Msg::Written { id, ok: false });
                    }
                }
                if self.config.publish == Publish::Outbox && !self.config.cdc {
                    self.poll(out);
                }
                out.set_timer(Timer::Poll, poll);
            }
            _ => {}
        }
    }

    /// Rows committed, outbox rows not yet sent, events being published.
    pub fn tables(&self) -> (u64, Vec<TxId>, usize) {
        (self.stable.rows, self.stable.outbox.clone(), self.publishing.len())
    }

    pub fn describe(&self) -> Vec<String> {
        let (rows, unsent, publishing) = self.tables();
        let mut lines = alloc::vec![format!("{rows} rows committed")];
        if self.config.publish == Publish::Outbox {
            lines.push(format!("outbox: {} unsent", unsent.len()));
        } else if publishing > 0 {
            lines.push(format!("{publishing} events being published"));
        }
        lines
    }
}

/// Events the broker has out to its consumer at once.
const WINDOW: usize = 8;

#[derive(Clone, Debug)]
pub struct Broker {
    pub config: Config,
    stable: Stable,
    /// Deliveries not yet acknowledged: (offset, last sent).
    out: Vec<(u32, Micros)>,
    /// Every offset before this one is acknowledged.
    first: u32,
}

impl Broker {
    pub fn boot(config: Config, stable: Stable) -> Broker {
        let first = stable.consumed.iter().position(|c| !c).unwrap_or(stable.consumed.len()) as u32;
        Broker { config, stable, out: Vec::new(), first }
    }

    fn consumer(&self) -> NodeId {
        self.config.servers.get(1).copied().unwrap_or(NodeId::MAX)
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.deliver(ctx, out);
        out.set_timer(Timer::Resend, self.config.retry.max(1));
    }

    /// Sends the oldest unacknowledged events, up to the window; redelivers any sent longer
    /// ago than the retry interval.
    fn deliver(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let retry = self.config.retry.max(1);
        let consumer = self.consumer();
        for o in self.out.iter_mut().filter(|o| ctx.now >= o.1 + retry) {
            o.1 = ctx.now;
            let id = self.stable.log[o.0 as usize];
            out.send(consumer, Msg::Deliver { offset: o.0, id });
        }
        let mut offset = self.first as usize;
        while self.out.len() < WINDOW && offset < self.stable.log.len() {
            let o = offset as u32;
            if !self.stable.consumed[offset] && !self.out.iter().any(|x| x.0 == o) {
                out.send(consumer, Msg::Deliver { offset: o, id: self.stable.log[offset] });
                self.out.push((o, ctx.now));
            }
            offset += 1;
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Publish { id } => {
                let offset = self.stable.log.len() as u32;
                out.persist_applied(&mut self.stable, Change::Append(id));
                out.observe(Obs::Appended { id, offset });
                out.send(from, Msg::Published { id });
                self.deliver(ctx, out);
            }
            Msg::Consumed { offset } => {
                if self.stable.consumed.get(offset as usize) == Some(&false) {
                    out.persist_applied(&mut self.stable, Change::Consumed(offset));
                }
                self.out.retain(|o| o.0 != offset);
                while self.stable.consumed.get(self.first as usize) == Some(&true) {
                    self.first += 1;
                }
                self.deliver(ctx, out);
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer == Timer::Resend {
            self.deliver(ctx, out);
            out.set_timer(Timer::Resend, self.config.retry.max(1));
        }
    }

    /// Events in the log, and how many the consumer has not acknowledged.
    pub fn backlog(&self) -> (usize, usize) {
        (self.stable.log.len(), self.stable.consumed.iter().filter(|c| !**c).count())
    }

    pub fn describe(&self) -> Vec<String> {
        let (log, unacked) = self.backlog();
        alloc::vec![format!("{log} events logged · {unacked} unacknowledged")]
    }
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub config: Config,
    stable: Stable,
    applied: u32,
    skipped: u32,
}

impl Consumer {
    pub fn boot(config: Config, stable: Stable) -> Consumer {
        Consumer { config, stable, applied: 0, skipped: 0 }
    }

    pub fn start(&mut self, _ctx: &Ctx, _out: &mut Out<State>) {}

    pub fn on_message(&mut self, _ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        if let Msg::Deliver { offset, id } = msg {
            if self.config.dedup && self.stable.processed.contains(&id) {
                out.observe(Obs::Skipped { id, offset });
                self.skipped += 1;
            } else {
                // The effect and the processed id commit in one local transaction.
                if self.config.dedup {
                    out.persist_applied(&mut self.stable, Change::Processed(id));
                }
                out.observe(Obs::Applied { id, offset });
                self.applied += 1;
            }
            out.send(from, Msg::Consumed { offset });
        }
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, _timer: Timer, _out: &mut Out<State>) {}

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} applied · {} duplicates skipped", self.applied, self.skipped)]
    }
}
