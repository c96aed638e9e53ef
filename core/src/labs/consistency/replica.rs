//! A replica. In the leader modes (see `leader.rs`) replicas elect a leader that orders
//! every write; in the causal and eventual modes (here) every replica takes writes and
//! sends them on.
//!
//! **Causal** follows COPS (Lloyd, Freedman, Kaminsky and Andersen, SOSP 2011): a write is
//! stamped with a Lamport clock and carries the client's context (the newest version of
//! each key the client has seen) as its dependencies; another replica applies it only once
//! it has applied those versions or newer, and keeps the write with the higher version.
//! **Eventual** stamps writes with the replica's clock and applies them as they come: the
//! last writer wins. Both send every write to the other replicas at once and, every
//! 200 ms, their whole state to one other replica (anti-entropy), so lost messages heal.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{key_name, Cell, Key, Msg, Request, Version};
use super::node::{empty, Config, Mode, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::MICROS_PER_MS;
use crate::trace::NodeId;

pub(super) const GOSSIP_EVERY: u64 = 200 * MICROS_PER_MS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Standing {
    Follower,
    Candidate { votes: Vec<NodeId> },
    Leader,
}

/// A read the leader answers once the commit point reaches `seq` and a majority confirmed
/// it is still the leader after the read arrived (`probe`).
#[derive(Clone, Debug)]
pub(super) struct PendingRead {
    pub client: NodeId,
    pub id: u32,
    pub value: u32,
    pub seq: u64,
    pub probe: u64,
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub(super) me: NodeId,
    pub(super) index: u8,
    pub config: Config,
    pub stable: super::node::Stable,
    pub(super) standing: Standing,
    pub(super) leader: Option<NodeId>,
    /// Leader: per replica (by index), the newest (seq, probe) it acknowledged this term.
    pub(super) matched: Vec<(u64, u64)>,
    /// Leader: the values after each write not yet committed.
    pub(super) log: Vec<(u64, Vec<u32>)>,
    pub(super) pending_writes: Vec<(u64, NodeId, u32)>,
    pub(super) pending_reads: Vec<PendingRead>,
    /// Sequential mode: reads waiting for the commit point to reach the client's.
    pub(super) waiting: Vec<(NodeId, u32, Key, u64)>,
    pub(super) probe: u64,
    /// Causal mode: writes received before their dependencies.
    buffered: Vec<(Key, Cell)>,
    /// Eventual mode: operations waiting for enough replicas, by token.
    gathering: Vec<Gathering>,
    next_token: u32,
}

/// A client's operation the coordinator answers once `need` replicas (itself included) have.
#[derive(Clone, Debug)]
pub(super) struct Gathering {
    token: u32,
    client: NodeId,
    id: u32,
    need: u8,
    got: u8,
    /// For a read: the newest value seen so far; for a write: the version written.
    best: Cell,
    read: bool,
}

impl Replica {
    pub fn boot(me: NodeId, index: u8, config: Config, stable: &super::node::Stable) -> Self {
        let mut stable = stable.clone();
        let keys = config.keys;
        if stable.tip.len() != usize::from(keys) {
            stable.tip = empty(keys);
            stable.committed = empty(keys);
            stable.cells = alloc::vec![Cell::default(); usize::from(keys)];
        }
        Replica {
            me,
            index,
            stable,
            standing: Standing::Follower,
            leader: None,
            matched: alloc::vec![(0, 0); config.replicas.len()],
            log: Vec::new(),
            pending_writes: Vec::new(),
            pending_reads: Vec::new(),
            waiting: Vec::new(),
            probe: 0,
            buffered: Vec::new(),
            gathering: Vec::new(),
            next_token: 0,
            config,
        }
    }

    pub(super) fn majority(&self) -> usize {
        self.config.replicas.len() / 2 + 1
    }

    pub(super) fn others(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.config.replicas.iter().copied().filter(move |&r| r != self.me)
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if self.config.mode.has_leader() {
            self.arm_election(ctx, out);
        } else {
            out.set_timer(Timer::Gossip, GOSSIP_EVERY / 2 + ctx.entropy % GOSSIP_EVERY);
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        if self.config.mode.has_leader() {
            return self.on_leader_mode_message(ctx, from, msg, out);
        }
        match msg {
            Msg::Op { id, request: Request::Read { key }, .. } => {
                let cell = self.stable.cells[usize::from(key)].clone();
                let need = if self.config.mode == Mode::Eventual { self.config.read_quorum } else { 1 };
                let token = self.gather(from, id, need, cell, true, out);
                if let Some(token) = token {
                    let others: Vec<NodeId> = self.others().collect();
                    for to in others {
                        out.send(to, Msg::Fetch { token, key });
                    }
                }
            }
            Msg::Store { token, key, cell } => {
                if usize::from(key) < self.stable.cells.len() {
                    self.apply(key, cell);
                    self.persist(out);
                }
                out.send(from, Msg::Stored { token });
            }
            Msg::Fetch { token, key } => {
                let cell = self.stable.cells.get(usize::from(key)).cloned().unwrap_or_default();
                out.send(from, Msg::Fetched { token, cell });
            }
            Msg::Stored { token } => self.answered(token, None, out),
            Msg::Fetched { token, cell } => self.answered(token, Some(cell), out),
            Msg::Op { id, request: Request::Write { key, value }, deps, .. } => {
                let stamp = match self.config.mode {
                    Mode::Causal => {
                        let seen = deps.iter().map(|(_, v)| v.stamp).max().unwrap_or(0);
                        self.stable.lamport = self.stable.lamport.max(seen) + 1;
                        self.stable.lamport
                    }
                    _ => ctx.now,
                };
                let version = Version { stamp, replica: self.index };
                let cell =
                    Cell { value, version, deps: if self.config.mode == Mode::Causal { deps } else { Vec::new() } };
                self.apply(key, cell.clone());
                self.persist(out);
                let need = if self.config.mode == Mode::Eventual { self.config.write_quorum } else { 1 };
                let token = self.gather(from, id, need, cell.clone(), false, out);
                let others: Vec<NodeId> = self.others().collect();
                for to in others {
                    match token {
                        Some(token) => out.send(to, Msg::Store { token, key, cell: cell.clone() }),
                        None => out.send(to, Msg::Replicate { cells: alloc::vec![(key, cell.clone())], whole: false }),
                    }
                }
            }
            Msg::Replicate { cells, whole } => {
                let known = self.stable.cells.len();
                let cells = cells.into_iter().filter(move |(key, _)| usize::from(*key) < known);
                if whole {
                    // The sender's whole state is causally closed, and so is its merge with
                    // ours: every dependency is met by the sender's version or a newer one.
                    for (key, cell) in cells {
                        self.apply(key, cell);
                    }
                    self.release();
                } else {
                    for (key, cell) in cells {
                        self.receive(key, cell);
                    }
                }
                self.persist(out);
            }
            _ => {}
        }
    }

    /// Answers the client now if one replica is enough; otherwise starts gathering and
    /// returns the token to ask the others with.
    fn gather(
        &mut self,
        client: NodeId,
        id: u32,
        need: u8,
        mine: Cell,
        read: bool,
        out: &mut Out<State>,
    ) -> Option<u32> {
        if need <= 1 {
            let value = if read { mine.value } else { 0 };
            out.send(client, Msg::Done { id, value, seq: 0, version: mine.version });
            return None;
        }
        self.next_token += 1;
        let token = self.next_token;
        self.gathering.push(Gathering { token, client, id, need, got: 1, best: mine, read });
        Some(token)
    }

    /// Another replica answered a gathering operation.
    fn answered(&mut self, token: u32, cell: Option<Cell>, out: &mut Out<State>) {
        let Some(at) = self.gathering.iter().position(|g| g.token == token) else { return };
        let g = &mut self.gathering[at];
        g.got += 1;
        if let Some(cell) = cell.filter(|c| c.version > g.best.version) {
            g.best = cell;
        }
        if g.got >= g.need {
            let g = self.gathering.remove(at);
            let value = if g.read { g.best.value } else { 0 };
            out.send(g.client, Msg::Done { id: g.id, value, seq: 0, version: g.best.version });
        }
    }

    fn persist(&self, out: &mut Out<State>) {
        out.persist(self.stable.clone());
    }

    /// Whether every dependency of a write is applied here (at that version or newer).
    fn ready(&self, cell: &Cell) -> bool {
        cell.deps.iter().all(|(k, v)| self.stable.cells.get(usize::from(*k)).is_some_and(|c| c.version >= *v))
    }

    fn receive(&mut self, key: Key, cell: Cell) {
        if self.config.mode == Mode::Causal && !self.ready(&cell) {
            if !self.buffered.iter().any(|(k, c)| *k == key && c.version == cell.version) {
                self.buffered.push((key, cell));
            }
            return;
        }
        self.apply(key, cell);
        self.release();
    }

    /// Applies the buffered writes whose dependencies are now met.
    fn release(&mut self) {
        while let Some(at) = self.buffered.iter().position(|(_, c)| self.ready(c)) {
            let (k, c) = self.buffered.remove(at);
            self.apply(k, c);
        }
    }

    /// Keeps the newer of the current value and `cell` (last writer wins).
    fn apply(&mut self, key: Key, cell: Cell) {
        self.stable.lamport = self.stable.lamport.max(cell.version.stamp);
        let slot = &mut self.stable.cells[usize::from(key)];
        if cell.version > slot.version {
            *slot = cell;
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Gossip => {
                let others: Vec<NodeId> = self.others().collect();
                if !others.is_empty() {
                    let to = others[(ctx.entropy % others.len() as u64) as usize];
                    let cells = self.stable.cells.iter().cloned().enumerate().filter(|(_, c)| c.value != 0);
                    let cells: Vec<(Key, Cell)> = cells.map(|(k, c)| (k as Key, c)).collect();
                    if !cells.is_empty() {
                        out.send(to, Msg::Replicate { cells, whole: true });
                    }
                }
                out.set_timer(Timer::Gossip, GOSSIP_EVERY);
            }
            Timer::Election => self.campaign(ctx, out),
            Timer::Heartbeat => self.heartbeat(ctx, out),
            _ => {}
        }
    }

    /// The values this replica would answer reads with.
    pub fn values(&self) -> Vec<u32> {
        match self.config.mode {
            Mode::Linearizable => self.stable.tip.clone(),
            Mode::Sequential => self.stable.committed.clone(),
            _ => self.stable.cells.iter().map(|c| c.value).collect(),
        }
    }

    pub fn is_leader(&self) -> bool {
        self.standing == Standing::Leader
    }

    pub fn describe(&self) -> Vec<String> {
        let values = self.values();
        let shown: String = values.iter().enumerate().map(|(k, v)| format!("{}={v} ", key_name(k as Key))).collect();
        let mut lines = alloc::vec![shown.trim_end().into()];
        if self.config.mode.has_leader() {
            let standing = match self.standing {
                Standing::Leader => "leader",
                Standing::Candidate { .. } => "candidate",
                Standing::Follower => "follower",
            };
            lines.push(format!("{standing} · term {}", self.stable.term));
            lines.push(format!("seq {} · commit {}", self.stable.seq, self.stable.commit));
        } else if !self.buffered.is_empty() {
            lines.push(format!("{} writes wait for dependencies", self.buffered.len()));
        }
        lines
    }
}
