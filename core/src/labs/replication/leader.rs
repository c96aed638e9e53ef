//! Single-leader replication with failover, as MySQL and PostgreSQL replicate and as
//! failover managers (Orchestrator, Sentinel, Patroni) promote: one server takes every write
//! into its log and ships the log to its followers; it acknowledges a write after all of
//! them (synchronous), one of them (semi-synchronous) or none (asynchronous) have it. A
//! monitor checks every server's health; when the leader is silent for the failover timeout
//! it promotes a follower (the most up to date, or an arbitrary one) in a new epoch and tells
//! clients. Followers keep the entries of the leader's log and discard their own entries that
//! the new leader does not have (the consistency check of Raft's AppendEntries).
//!
//! A synchronous or semi-synchronous leader ships each write at once; an asynchronous one
//! ships its log in batches with each heartbeat (every 100 ms), as a replication buffer is
//! flushed, so the writes of the last batch exist only on the leader.
//!
//! With `lease`, a leader takes writes only while it holds a lease that the monitor's health
//! checks grant until a time on the monitor's clock; the monitor stops granting once it
//! suspects the leader and promotes another only after the last lease it granted has run out,
//! so a leader cut off (in either direction) stops first (leases, Gray & Cheriton 1989).
//!
//! Servers ignore a client operation they have already taken (by client and operation id), so
//! a duplicated message is not written twice. The failover monitor is in `monitor.rs`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{Entry, Msg, Reply, Request, Value};
use super::node::{Change, Config, Obs, Recent, Stable, State, SyncMode, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

/// Entries shipped per message at most.
const BATCH: usize = 64;

#[derive(Clone, Debug)]
pub struct Server {
    pub config: Config,
    me: NodeId,
    pub index: u8,
    pub epoch: u64,
    pub leading: bool,
    pub leader: Option<NodeId>,
    pub log: Vec<Entry>,
    pub values: Vec<Value>,
    /// Leader: how much of the log each server is known to have, and where to send from.
    pub matched: Vec<u64>,
    next: Vec<u64>,
    /// Leader: when each entry was appended (for lag in time).
    pub appended_at: Vec<Micros>,
    /// Leader: writes waiting for their acknowledgement: (log position, client, op).
    waiting: Vec<(u64, NodeId, u32)>,
    lease_until: Micros,
    taken: Recent,
}

impl Server {
    pub fn boot(me: NodeId, index: u8, config: Config, stable: &Stable) -> Self {
        let fresh = stable.epoch == 0;
        let mut server = Server {
            me,
            index,
            epoch: stable.epoch.max(1),
            leading: fresh && index == 0,
            leader: if fresh { config.servers.first().copied() } else { None },
            log: stable.log.clone(),
            values: Vec::new(),
            matched: alloc::vec![0; config.servers.len()],
            next: alloc::vec![stable.log.len() as u64; config.servers.len()],
            appended_at: alloc::vec![0; stable.log.len()],
            waiting: Vec::new(),
            lease_until: if fresh { config.failover / 2 } else { 0 },
            taken: Recent::default(),
            config,
        };
        server.recompute();
        server
    }

    fn recompute(&mut self) {
        self.values = alloc::vec![0; usize::from(self.config.keys)];
        for e in &self.log {
            if let Some(v) = self.values.get_mut(usize::from(e.key)) {
                *v = e.value;
            }
        }
    }

    /// Appends an entry to the log, on disk and in the values.
    fn push(&mut self, entry: Entry, out: &mut Out<State>) {
        self.log.push(entry);
        if let Some(v) = self.values.get_mut(usize::from(entry.key)) {
            *v = entry.value;
        }
        out.persist(Change::Append(entry));
    }

    fn set_epoch(&mut self, epoch: u64, out: &mut Out<State>) {
        self.epoch = epoch;
        out.persist(Change::Epoch(epoch));
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Heartbeat, 1 + ctx.entropy % self.config.heartbeat.max(1));
        if self.leading {
            out.persist(Change::Epoch(self.epoch));
        }
    }

    fn last_epoch(&self) -> u64 {
        self.log.last().map_or(0, |e| e.epoch)
    }

    fn may_lead(&self, now: Micros) -> bool {
        self.leading && (!self.config.lease || now < self.lease_until)
    }

    fn adopt(&mut self, epoch: u64, leader: Option<NodeId>, out: &mut Out<State>) {
        if epoch > self.epoch {
            if self.leading {
                out.observe(Obs::SteppedDown { epoch });
            }
            self.leading = false;
            self.waiting.clear();
            self.set_epoch(epoch, out);
        }
        if epoch == self.epoch && leader.is_some() && leader != Some(self.me) {
            self.leader = leader;
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Op { id, request: Request::Write { key, value }, .. } => {
                if !self.may_lead(ctx.now) {
                    let leader = if self.leading { None } else { self.leader };
                    out.send(from, Msg::Redirect { id, leader });
                    return;
                }
                if !self.taken.first(from, id) {
                    return;
                }
                self.push(Entry { epoch: self.epoch, key, value }, out);
                self.appended_at.push(ctx.now);
                let index = self.log.len() as u64;
                self.matched[usize::from(self.index)] = index;
                self.waiting.push((index, from, id));
                // An asynchronous leader ships its log in batches, with each heartbeat; the
                // others ship at once, since their clients wait for followers.
                if self.config.sync != SyncMode::Asynchronous {
                    self.ship(out);
                }
                self.acknowledge(out);
            }
            Msg::Op { id, request: Request::Read { key }, .. } => {
                let value = self.values.get(usize::from(key)).copied().unwrap_or(0);
                out.send(from, Msg::Done { id, reply: Reply::Value(value) });
            }
            Msg::Append { epoch, prev, prev_epoch, entries, len } => {
                self.on_append(from, epoch, (prev, prev_epoch), entries, len, out)
            }
            Msg::Appended { epoch, len, ok } => {
                if epoch > self.epoch {
                    self.adopt(epoch, None, out);
                    return;
                }
                let Some(i) = self.config.servers.iter().position(|&s| s == from) else { return };
                if !self.leading || epoch < self.epoch {
                    return;
                }
                let len = len.min(self.log.len() as u64);
                if ok {
                    self.matched[i] = self.matched[i].max(len);
                    self.next[i] = len;
                    self.acknowledge(out);
                } else {
                    self.next[i] = len;
                    self.send_append(i, out);
                }
            }
            Msg::Ping { epoch, leader, lease } => {
                if leader == Some(self.me) && epoch >= self.epoch {
                    // Promoted (the health check came before the promotion), or restarted
                    // as the leader the monitor still knows: lead.
                    if !self.leading || epoch > self.epoch {
                        self.lead(ctx, epoch, out);
                    }
                    if let Some(until) = lease {
                        self.lease_until = self.lease_until.max(until);
                    }
                } else {
                    self.adopt(epoch, leader, out);
                }
                let pong = Msg::Pong {
                    epoch: self.epoch,
                    leading: self.leading,
                    len: self.log.len() as u64,
                    last_epoch: self.last_epoch(),
                };
                out.send(from, pong);
            }
            Msg::Promote { epoch, lease } if epoch > self.epoch => {
                self.lead(ctx, epoch, out);
                self.lease_until = lease;
            }
            _ => {}
        }
    }

    /// Takes the lead in `epoch`.
    fn lead(&mut self, ctx: &Ctx, epoch: u64, out: &mut Out<State>) {
        self.set_epoch(epoch, out);
        self.leading = true;
        self.leader = Some(self.me);
        // Writes waiting from an earlier term of leadership are not this epoch's to answer.
        self.waiting.clear();
        let len = self.log.len() as u64;
        self.matched = alloc::vec![0; self.config.servers.len()];
        self.matched[usize::from(self.index)] = len;
        self.next = alloc::vec![len; self.config.servers.len()];
        self.appended_at.resize(self.log.len(), ctx.now);
        out.observe(Obs::Promoted { epoch, len });
        self.ship(out);
    }

    /// A leader's entries after `prev` (if ours at `prev` is from `prev_epoch`). Entries past
    /// the leader's `len` that are from an older epoch are not the leader's: discarded.
    fn on_append(
        &mut self,
        from: NodeId,
        epoch: u64,
        (prev, prev_epoch): (u64, u64),
        entries: Vec<Entry>,
        len: u64,
        out: &mut Out<State>,
    ) {
        if epoch < self.epoch {
            out.send(from, Msg::Appended { epoch: self.epoch, len: self.log.len() as u64, ok: false });
            return;
        }
        self.adopt(epoch, Some(from), out);
        self.leader = Some(from);
        let mine = self.log.len() as u64;
        if prev > mine {
            out.send(from, Msg::Appended { epoch, len: mine, ok: false });
            return;
        }
        if prev > 0 && self.log[prev as usize - 1].epoch != prev_epoch {
            self.truncate(prev - 1, out);
            out.send(from, Msg::Appended { epoch, len: prev - 1, ok: false });
            return;
        }
        let matched = prev + entries.len() as u64;
        for (i, entry) in entries.into_iter().enumerate() {
            let at = prev as usize + i;
            match self.log.get(at) {
                Some(mine) if mine.epoch == entry.epoch => continue,
                Some(_) => self.truncate(at as u64, out),
                None => {}
            }
            self.push(entry, out);
        }
        let kept = len.max(matched) as usize;
        if let Some(stale) = self.log.iter().skip(kept).position(|e| e.epoch < epoch) {
            self.truncate((kept + stale) as u64, out);
        }
        out.send(from, Msg::Appended { epoch, len: matched, ok: true });
    }

    fn truncate(&mut self, to: u64, out: &mut Out<State>) {
        let count = (self.log.len() as u64).saturating_sub(to);
        if count > 0 {
            self.log.truncate(to as usize);
            self.appended_at.truncate(to as usize);
            self.recompute();
            out.persist(Change::Truncate(to));
            out.observe(Obs::Rollback { from: to + 1, count });
        }
    }

    fn send_append(&self, i: usize, out: &mut Out<State>) {
        let prev = self.next[i].min(self.log.len() as u64);
        let prev_epoch = if prev == 0 { 0 } else { self.log[prev as usize - 1].epoch };
        let end = (prev as usize + BATCH).min(self.log.len());
        let entries = self.log[prev as usize..end].to_vec();
        let len = self.log.len() as u64;
        out.send(self.config.servers[i], Msg::Append { epoch: self.epoch, prev, prev_epoch, entries, len });
    }

    /// Sends every follower what it lacks (or a heartbeat).
    fn ship(&self, out: &mut Out<State>) {
        for i in 0..self.config.servers.len() {
            if i != usize::from(self.index) {
                self.send_append(i, out);
            }
        }
    }

    /// Acknowledges the writes the sync mode allows.
    fn acknowledge(&mut self, out: &mut Out<State>) {
        let followers = self.config.servers.len().saturating_sub(1);
        let needed = match self.config.sync {
            SyncMode::Synchronous => followers,
            SyncMode::SemiSynchronous => followers.min(1),
            SyncMode::Asynchronous => 0,
        };
        let me = usize::from(self.index);
        let (log, matched) = (&self.log, &self.matched);
        self.waiting.retain(|&(index, client, id)| {
            let have = matched.iter().enumerate().filter(|&(i, &m)| i != me && m >= index).count();
            if have < needed {
                return true;
            }
            let entry = log[index as usize - 1];
            out.observe(Obs::Acked { epoch: entry.epoch, index, key: entry.key, value: entry.value, client });
            out.send(client, Msg::Done { id, reply: Reply::Written });
            false
        });
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        if timer == Timer::Heartbeat {
            if self.leading {
                self.ship(out);
            }
            out.set_timer(Timer::Heartbeat, self.config.heartbeat);
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let role = if self.leading { "leader" } else { "follower" };
        alloc::vec![format!("{role} · epoch {}", self.epoch), format!("log {} entries", self.log.len())]
    }
}
