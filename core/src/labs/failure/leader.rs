//! Split brain in a replicated service: three (or more) replicas elect a leader per epoch
//! and the leader acknowledges clients' writes.
//!
//! With a **majority quorum** (as in Raft, Ongaro & Ousterhout 2014, without the log): a
//! candidate needs votes from a majority, one vote per replica per epoch, kept on disk; a
//! replica that heard from a leader within the election timeout refuses to vote (the
//! leader's lease); the leader acknowledges a write only once a majority has stored it and
//! while a majority answered its heartbeats within half an election timeout. A leader cut
//! off from the majority stops acknowledging before anyone else can be elected.
//!
//! **Without** a quorum (the teaching variant), a replica that hears no leader for the
//! election timeout declares itself leader of the next epoch on its own and acknowledges
//! writes it stored alone: after a partition both sides accept writes, and two isolated
//! replicas can lead the same epoch.

use crate::sort;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::Msg;
use super::node::{Change, Config, Obs, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::{Micros, MICROS_PER_MS};
use crate::trace::NodeId;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Follower,
    /// Who voted for this candidate (each counted once, however often its reply arrives).
    Candidate {
        voters: Vec<NodeId>,
    },
    /// `echoes`: the send time of the latest heartbeat each follower answered.
    Leader {
        echoes: Vec<(NodeId, Micros)>,
        lease_until: Micros,
    },
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub config: Config,
    me: NodeId,
    stable: Stable,
    mode: Mode,
    leader: Option<NodeId>,
    /// When this replica last heard from a leader (or granted a vote, or booted): it votes
    /// for no one for an election timeout after.
    heard: Micros,
    /// Writes waiting for a majority: (id, client, who stored it, when it arrived).
    pending: Vec<(u32, NodeId, Vec<NodeId>, Micros)>,
    acked: u32,
}

impl Replica {
    pub fn boot(me: NodeId, config: Config, stable: Stable) -> Replica {
        Replica { config, me, stable, mode: Mode::Follower, leader: None, heard: 0, pending: Vec::new(), acked: 0 }
    }

    fn epoch(&self) -> u64 {
        self.stable.counter
    }

    fn others(&self) -> Vec<NodeId> {
        self.config.servers.iter().copied().filter(|&n| n != self.me).collect()
    }

    fn majority(&self, count: usize) -> bool {
        count * 2 > self.config.servers.len()
    }

    fn election_timer(&self, ctx: &Ctx, out: &mut Out<State>) {
        let e = self.config.election.max(2);
        out.set_timer(Timer::Election, e + ctx.entropy % e);
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        // Booting (or restarting), a replica may have promised a leader its loyalty: it
        // votes for no one for an election timeout.
        self.heard = ctx.now;
        self.election_timer(ctx, out);
    }

    /// Stands for election in the next epoch (or, without a quorum, simply leads it).
    pub fn stand(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        self.step_down(out);
        let epoch = self.epoch() + 1;
        out.persist_applied(&mut self.stable, Change::Counter(epoch));
        if self.config.quorum {
            out.persist_applied(&mut self.stable, Change::Voted(epoch, self.me));
            self.mode = Mode::Candidate { voters: alloc::vec![self.me] };
            for n in self.others() {
                out.send(n, Msg::VoteRequest { epoch });
            }
            if self.majority(1) {
                self.lead(ctx, out);
            }
        } else {
            self.lead(ctx, out);
        }
        self.election_timer(ctx, out);
    }

    fn lead(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let lease_until = if self.config.quorum { 0 } else { Micros::MAX };
        self.mode = Mode::Leader { echoes: Vec::new(), lease_until };
        self.leader = Some(self.me);
        out.observe(Obs::Leader { epoch: self.epoch() });
        self.heartbeat(ctx, out);
    }

    /// With a quorum, the lease runs half an election timeout past the send time of the
    /// latest heartbeat a majority (the leader counted) has answered: each of those
    /// followers stays loyal a whole election timeout after it received that heartbeat.
    fn renew(&mut self, now: Micros) {
        let (election, needed) = (self.config.election, self.config.servers.len() / 2 + 1);
        if let Mode::Leader { echoes, lease_until } = &mut self.mode {
            if !self.config.quorum {
                return;
            }
            let mut sent: Vec<Micros> = echoes.iter().map(|e| e.1).collect();
            sent.push(now);
            sort::by(&mut sent, |a, b| b.cmp(a));
            if let Some(&t) = sent.get(needed - 1) {
                *lease_until = (*lease_until).max(t + election / 2);
            }
        }
    }

    fn heartbeat(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let epoch = self.epoch();
        for n in self.others() {
            out.send(n, Msg::Beat { epoch, sent: ctx.now });
        }
        self.renew(ctx.now);
        // Writes that found no majority within a client's patience are given up.
        let timeout = self.config.timeout;
        let (late, kept): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| ctx.now > p.3 + timeout);
        self.pending = kept;
        for (id, client, ..) in late {
            out.send(client, Msg::PutReply { id, ok: false, leader: NodeId::MAX });
        }
        out.set_timer(Timer::Heartbeat, (self.config.election / 4).max(MICROS_PER_MS));
    }

    fn step_down(&mut self, out: &mut Out<State>) {
        if matches!(self.mode, Mode::Leader { .. }) {
            out.observe(Obs::SteppedDown { epoch: self.epoch() });
            for (id, client, ..) in self.pending.drain(..) {
                out.send(client, Msg::PutReply { id, ok: false, leader: NodeId::MAX });
            }
        }
        self.mode = Mode::Follower;
    }

    /// A message from a later epoch: follow it.
    fn adopt(&mut self, epoch: u64, out: &mut Out<State>) {
        if epoch > self.epoch() {
            out.persist_applied(&mut self.stable, Change::Counter(epoch));
            self.step_down(out);
            self.leader = None;
        }
    }

    fn lease_valid(&self, now: Micros) -> bool {
        matches!(self.mode, Mode::Leader { lease_until, .. } if now < lease_until)
    }

    fn store(&mut self, out: &mut Out<State>) {
        let count = self.stable.value.wrapping_add(1);
        out.persist_applied(&mut self.stable, Change::Value(count));
    }

    fn follow(&mut self, ctx: &Ctx, from: NodeId, epoch: u64, out: &mut Out<State>) {
        self.adopt(epoch, out);
        // Two leaders of one epoch only happen without a quorum; each keeps leading.
        if !matches!(self.mode, Mode::Leader { .. }) {
            self.mode = Mode::Follower;
            self.leader = Some(from);
            self.heard = ctx.now;
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Beat { epoch, sent } if epoch >= self.epoch() => {
                self.follow(ctx, from, epoch, out);
                out.send(from, Msg::BeatAck { epoch, sent });
            }
            Msg::Append { epoch, id } if epoch >= self.epoch() => {
                self.follow(ctx, from, epoch, out);
                self.store(out);
                out.send(from, Msg::Appended { epoch, id, ok: true });
            }
            Msg::Beat { sent, .. } => out.send(from, Msg::BeatAck { epoch: self.epoch(), sent }),
            Msg::Append { id, .. } => out.send(from, Msg::Appended { epoch: self.epoch(), id, ok: false }),
            Msg::BeatAck { epoch, .. } if epoch > self.epoch() => self.adopt(epoch, out),
            Msg::BeatAck { epoch, sent } if epoch == self.epoch() => {
                if let Mode::Leader { echoes, .. } = &mut self.mode {
                    match echoes.iter_mut().find(|e| e.0 == from) {
                        Some(e) => e.1 = e.1.max(sent),
                        None => echoes.push((from, sent)),
                    }
                }
                self.renew(ctx.now);
            }
            Msg::VoteRequest { epoch } => {
                // A leader, or a replica that heard from one lately, keeps it: the lease.
                let leading = matches!(self.mode, Mode::Leader { .. });
                let loyal = self.config.quorum && (leading || ctx.now < self.heard + self.config.election);
                if !loyal {
                    self.adopt(epoch, out);
                }
                let free = match self.stable.voted {
                    Some((e, n)) if e == epoch => n == from,
                    _ => true,
                };
                let granted = !loyal && epoch == self.epoch() && free && !matches!(self.mode, Mode::Leader { .. });
                if granted {
                    out.persist_applied(&mut self.stable, Change::Voted(epoch, from));
                    self.heard = ctx.now;
                }
                out.send(from, Msg::VoteReply { epoch: self.epoch(), granted });
            }
            Msg::VoteReply { epoch, granted } => {
                if epoch > self.epoch() {
                    self.adopt(epoch, out);
                } else if let (Mode::Candidate { voters }, true) =
                    (&mut self.mode, granted && epoch == self.stable.counter)
                {
                    if !voters.contains(&from) {
                        voters.push(from);
                    }
                    let votes = voters.len();
                    if self.majority(votes) {
                        self.lead(ctx, out);
                    }
                }
            }
            Msg::Put { id } => self.put(ctx, from, id, out),
            Msg::Appended { epoch, .. } if epoch > self.epoch() => self.adopt(epoch, out),
            Msg::Appended { epoch, id, ok: true } if epoch == self.epoch() => {
                let Some(i) = self.pending.iter().position(|p| p.0 == id) else { return };
                if !self.pending[i].2.contains(&from) {
                    self.pending[i].2.push(from);
                }
                if self.majority(self.pending[i].2.len()) && self.lease_valid(ctx.now) {
                    let (id, client, ..) = self.pending.swap_remove(i);
                    self.acknowledge(id, client, out);
                }
            }
            _ => {}
        }
    }

    fn acknowledge(&mut self, id: u32, client: NodeId, out: &mut Out<State>) {
        self.acked += 1;
        out.observe(Obs::Acked { epoch: self.epoch(), client, id });
        out.send(client, Msg::PutReply { id, ok: true, leader: self.me });
    }

    fn put(&mut self, ctx: &Ctx, client: NodeId, id: u32, out: &mut Out<State>) {
        let leading = matches!(self.mode, Mode::Leader { .. });
        if !leading || (self.config.quorum && !self.lease_valid(ctx.now)) {
            let leader = self.leader.filter(|&l| l != self.me).unwrap_or(NodeId::MAX);
            out.send(client, Msg::PutReply { id, ok: false, leader });
            return;
        }
        if self.pending.iter().any(|p| p.0 == id) {
            return;
        }
        self.store(out);
        if !self.config.quorum || self.majority(1) {
            self.acknowledge(id, client, out);
            return;
        }
        self.pending.push((id, client, alloc::vec![self.me], ctx.now));
        let epoch = self.epoch();
        for n in self.others() {
            out.send(n, Msg::Append { epoch, id });
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Election => match self.mode {
                Mode::Leader { lease_until, .. } => {
                    // A leader that lost its majority for a whole election timeout steps down.
                    if self.config.quorum && ctx.now > lease_until.saturating_add(self.config.election) {
                        self.step_down(out);
                    }
                    self.election_timer(ctx, out);
                }
                _ if ctx.now >= self.heard + self.config.election => self.stand(ctx, out),
                _ => self.election_timer(ctx, out),
            },
            Timer::Heartbeat if matches!(self.mode, Mode::Leader { .. }) => self.heartbeat(ctx, out),
            _ => {}
        }
    }

    /// (epoch, leading, writes stored, writes acknowledged).
    pub fn status(&self) -> (u64, bool, u32, u32) {
        (self.epoch(), matches!(self.mode, Mode::Leader { .. }), self.stable.value, self.acked)
    }

    pub fn glyph(&self) -> crate::sim::Glyph {
        use crate::sim::{Glyph, Standing};
        let standing = match self.mode {
            Mode::Follower => Standing::Follower,
            Mode::Candidate { .. } => Standing::Candidate,
            Mode::Leader { .. } => Standing::Leader,
        };
        Glyph { standing, mark: Some(("epoch", self.epoch())), timer: None }
    }

    pub fn describe(&self) -> Vec<String> {
        let role = match self.mode {
            Mode::Follower => "follower",
            Mode::Candidate { .. } => "candidate",
            Mode::Leader { .. } => "leader",
        };
        alloc::vec![
            format!("{role} · epoch {}", self.epoch()),
            format!("{} stored · {} acknowledged", self.stable.value, self.acked)
        ]
    }
}

#[derive(Clone, Debug)]
pub struct PutClient {
    pub config: Config,
    index: u8,
    stable: Stable,
    /// The replica this client talks to.
    target: usize,
    open: Option<(u32, u8)>,
    done: u32,
}

impl PutClient {
    pub fn boot(index: u8, config: Config, stable: Stable) -> PutClient {
        let target = usize::from(index) % config.servers.len().max(1);
        PutClient { config, index, stable, target, open: None, done: 0 }
    }

    pub fn start(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Next, ctx.entropy % self.config.think.max(1) + 1);
    }

    pub fn request(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if self.open.is_some() || ctx.now >= self.config.stop {
            return;
        }
        let id = (u32::from(self.index) << 24) | ((self.stable.counter as u32 + 1) & 0xFF_FFFF);
        let next = self.stable.counter + 1;
        out.persist_applied(&mut self.stable, Change::Counter(next));
        out.observe(Obs::Submitted { id });
        self.send(id, 1, out);
    }

    fn send(&mut self, id: u32, attempt: u8, out: &mut Out<State>) {
        self.open = Some((id, attempt));
        let to = self.config.servers[self.target % self.config.servers.len()];
        out.send(to, Msg::Put { id });
        out.set_timer(Timer::Timeout(id, attempt), self.config.timeout.max(1));
    }

    fn finish(&mut self, ctx: &Ctx, id: u32, ok: Option<bool>, out: &mut Out<State>) {
        self.open = None;
        if ok == Some(true) {
            self.done += 1;
        }
        out.observe(Obs::Finished { id, ok });
        let think = self.config.think.max(2);
        out.set_timer(Timer::Next, think / 2 + ctx.entropy % think);
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        let Msg::PutReply { id, ok, leader } = msg else { return };
        let Some((open, attempt)) = self.open else { return };
        if id != open {
            return;
        }
        if ok {
            return self.finish(ctx, id, Some(true), out);
        }
        // Redirected: try the leader it named, or the next replica.
        self.target = match self.config.servers.iter().position(|&s| s == leader) {
            Some(i) => i,
            None => (self.config.servers.iter().position(|&s| s == from).unwrap_or(0) + 1) % self.config.servers.len(),
        };
        if attempt >= 3 {
            return self.finish(ctx, id, Some(false), out);
        }
        self.send(id, attempt + 1, out);
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::Next => self.request(ctx, out),
            Timer::Timeout(id, attempt) if self.open == Some((id, attempt)) => {
                self.target = (self.target + 1) % self.config.servers.len().max(1);
                self.finish(ctx, id, None, out);
            }
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        alloc::vec![format!("{} writes acknowledged", self.done)]
    }
}
