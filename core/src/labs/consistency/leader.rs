//! The leader modes. Replicas elect a leader with terms and votes as Raft does (Ongaro &
//! Ousterhout 2014, §5.2 and §5.4.1): a vote goes only to a candidate whose state is at
//! least as new, compared by (term it was written in, writes), and a new leader first
//! commits a write of its own term (the no-op) before it answers. The state is a few keys,
//! so the leader sends it whole, instead of a log, in every `Sync`.
//!
//! A write is acknowledged once a majority holds it. A read, in the linearizable mode, is
//! answered once the commit point covers the state it read and a majority has confirmed,
//! after the read arrived, that this replica is still the leader (Raft's ReadIndex, §6.4).
//! The teaching variant `stale_reads` skips that confirmation: a leader cut off by a
//! partition keeps answering from its own state after a new leader took over — the bug
//! Jepsen found in etcd and Consul in 2014.
//!
//! In the sequential mode, reads are answered by any replica from its committed state,
//! once that is at least as new as anything the client has seen (`after`).

use crate::sort;
use alloc::vec::Vec;

use super::msg::{Msg, Request};
use super::node::{Mode, Obs, State, Timer};
use super::replica::{PendingRead, Replica, Standing};
use crate::process::{Ctx, Out};
use crate::time::MICROS_PER_MS;
use crate::trace::NodeId;

const HEARTBEAT: u64 = 50 * MICROS_PER_MS;
const ELECTION_MIN: u64 = 300 * MICROS_PER_MS;

impl Replica {
    pub(super) fn arm_election(&self, ctx: &Ctx, out: &mut Out<State>) {
        out.set_timer(Timer::Election, ELECTION_MIN + ctx.entropy % ELECTION_MIN);
    }

    fn save(&self, out: &mut Out<State>) {
        out.persist(self.stable.clone());
    }

    /// Starts an election for the next term.
    pub fn campaign(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        if !self.config.mode.has_leader() || self.standing == Standing::Leader {
            return;
        }
        self.stable.term += 1;
        self.stable.voted = Some(self.me);
        self.save(out);
        self.standing = Standing::Candidate { votes: alloc::vec![self.me] };
        self.leader = None;
        let (term, epoch, seq) = (self.stable.term, self.stable.epoch, self.stable.seq);
        let others: Vec<NodeId> = self.others().collect();
        for to in others {
            out.send(to, Msg::Vote { term, epoch, seq });
        }
        self.arm_election(ctx, out);
        self.win_if_majority(ctx, out);
    }

    fn step_down(&mut self, term: u64, out: &mut Out<State>) {
        if term > self.stable.term {
            self.stable.term = term;
            self.stable.voted = None;
            self.save(out);
        }
        if self.standing == Standing::Leader {
            out.cancel_timer(Timer::Heartbeat);
        }
        self.standing = Standing::Follower;
        self.pending_reads.clear();
        self.pending_writes.clear();
        self.log.clear();
    }

    fn win_if_majority(&mut self, ctx: &Ctx, out: &mut Out<State>) {
        let Standing::Candidate { votes } = &self.standing else { return };
        if votes.len() < self.majority() {
            return;
        }
        self.standing = Standing::Leader;
        self.leader = Some(self.me);
        // The no-op: a write of this term, so earlier terms' writes commit with it.
        self.stable.seq += 1;
        self.stable.epoch = self.stable.term;
        self.save(out);
        self.log = alloc::vec![(self.stable.seq, self.stable.tip.clone())];
        self.matched = alloc::vec![(0, 0); self.config.replicas.len()];
        out.observe(Obs::Leader { term: self.stable.term });
        out.cancel_timer(Timer::Election);
        self.heartbeat(ctx, out);
    }

    /// Sends the state to every other replica.
    pub(super) fn heartbeat(&mut self, _ctx: &Ctx, out: &mut Out<State>) {
        if self.standing != Standing::Leader {
            return;
        }
        self.probe += 1;
        let s = &self.stable;
        let others: Vec<NodeId> = self.others().collect();
        for to in others {
            out.send(
                to,
                Msg::Sync {
                    term: s.term,
                    epoch: s.epoch,
                    seq: s.seq,
                    tip: s.tip.clone(),
                    commit: s.commit,
                    committed: s.committed.clone(),
                    probe: self.probe,
                },
            );
        }
        out.set_timer(Timer::Heartbeat, HEARTBEAT);
        // A single replica is its own majority.
        self.advance(out);
    }

    pub(super) fn on_leader_mode_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Op { id, request, after, .. } => self.on_op(ctx, from, id, request, after, out),
            Msg::Vote { term, epoch, seq } => {
                if term > self.stable.term {
                    self.step_down(term, out);
                }
                let free = self.stable.voted.is_none_or(|v| v == from);
                let granted = term == self.stable.term
                    && free
                    && (epoch, seq) >= (self.stable.epoch, self.stable.seq)
                    && self.standing != Standing::Leader;
                if granted {
                    self.stable.voted = Some(from);
                    self.save(out);
                    self.arm_election(ctx, out);
                }
                out.send(from, Msg::VoteReply { term: self.stable.term, granted });
            }
            Msg::VoteReply { term, granted } => {
                if term > self.stable.term {
                    self.step_down(term, out);
                    return;
                }
                if let Standing::Candidate { votes } = &mut self.standing {
                    if granted && term == self.stable.term && !votes.contains(&from) {
                        votes.push(from);
                    }
                }
                self.win_if_majority(ctx, out);
            }
            Msg::Sync { term, epoch, seq, tip, commit, committed, probe } => {
                if term < self.stable.term {
                    let s = &self.stable;
                    out.send(from, Msg::SyncAck { term: s.term, epoch: s.epoch, seq: s.seq, probe });
                    return;
                }
                if term > self.stable.term || self.standing != Standing::Follower {
                    self.step_down(term, out);
                }
                self.leader = Some(from);
                self.arm_election(ctx, out);
                let s = &mut self.stable;
                if (epoch, seq) > (s.epoch, s.seq) {
                    (s.epoch, s.seq, s.tip) = (epoch, seq, tip);
                }
                if commit > s.commit {
                    (s.commit, s.committed) = (commit, committed);
                }
                self.save(out);
                let s = &self.stable;
                out.send(from, Msg::SyncAck { term: s.term, epoch: s.epoch, seq: s.seq, probe });
                self.answer_waiting(out);
            }
            Msg::SyncAck { term, epoch, seq, probe } => {
                if term > self.stable.term {
                    self.step_down(term, out);
                    return;
                }
                let Some(at) = self.config.replicas.iter().position(|&r| r == from) else { return };
                if self.standing == Standing::Leader && term == self.stable.term && epoch == term {
                    let m = &mut self.matched[at];
                    *m = (m.0.max(seq), m.1.max(probe));
                    self.advance(out);
                }
            }
            _ => {}
        }
    }

    fn on_op(&mut self, _ctx: &Ctx, from: NodeId, id: u32, request: Request, after: u64, out: &mut Out<State>) {
        let leading = self.standing == Standing::Leader;
        match (self.config.mode, request) {
            (Mode::Sequential, Request::Read { key }) => {
                self.waiting.push((from, id, key, after));
                self.answer_waiting(out);
            }
            (_, _) if !leading => out.send(from, Msg::Redirect { id, leader: self.leader.filter(|&l| l != self.me) }),
            (_, Request::Write { key, value }) => {
                let s = &mut self.stable;
                s.seq += 1;
                s.tip[usize::from(key)] = value;
                self.log.push((s.seq, s.tip.clone()));
                self.pending_writes.push((s.seq, from, id));
                self.save(out);
                self.heartbeat(_ctx, out);
            }
            (_, Request::Read { key }) if self.config.stale_reads => {
                let value = self.stable.tip[usize::from(key)];
                out.send(from, Msg::Done { id, value, seq: self.stable.seq, version: Default::default() });
            }
            (_, Request::Read { key }) => {
                let (value, seq) = (self.stable.tip[usize::from(key)], self.stable.seq);
                self.pending_reads.push(PendingRead { client: from, id, value, seq, probe: self.probe + 1 });
                self.heartbeat(_ctx, out);
            }
        }
    }

    /// Leader: moves the commit point to what a majority holds, and answers what it can.
    fn advance(&mut self, out: &mut Out<State>) {
        let own = self.config.replicas.iter().position(|&r| r == self.me).unwrap_or(0);
        let mut seqs: Vec<u64> = self.matched.iter().map(|m| m.0).collect();
        let mut probes: Vec<u64> = self.matched.iter().map(|m| m.1).collect();
        seqs[own] = self.stable.seq;
        probes[own] = self.probe;
        sort::by(&mut seqs, |a, b| b.cmp(a));
        sort::by(&mut probes, |a, b| b.cmp(a));
        let majority = self.majority();
        let (commit, confirmed) = (seqs[majority - 1], probes[majority - 1]);
        if commit > self.stable.commit {
            if let Some(at) = self.log.iter().rposition(|(seq, _)| *seq <= commit) {
                let (seq, values) = self.log[at].clone();
                self.stable.commit = seq;
                self.stable.committed = values;
                self.log.drain(..=at);
                self.save(out);
            }
        }
        let commit = self.stable.commit;
        let seq = self.stable.seq;
        self.pending_writes.retain(|&(s, client, id)| {
            let done = s <= commit;
            if done {
                out.send(client, Msg::Done { id, value: 0, seq: s, version: Default::default() });
            }
            !done
        });
        self.pending_reads.retain(|r| {
            let done = r.seq <= commit && r.probe <= confirmed;
            if done {
                out.send(r.client, Msg::Done { id: r.id, value: r.value, seq, version: Default::default() });
            }
            !done
        });
        self.answer_waiting(out);
    }

    /// Sequential mode: answers reads whose client has seen no more than the commit point.
    pub(super) fn answer_waiting(&mut self, out: &mut Out<State>) {
        let s = &self.stable;
        self.waiting.retain(|&(client, id, key, after)| {
            let ready = after <= s.commit;
            if ready {
                let value = s.committed[usize::from(key)];
                out.send(client, Msg::Done { id, value, seq: s.commit, version: Default::default() });
            }
            !ready
        });
    }
}
