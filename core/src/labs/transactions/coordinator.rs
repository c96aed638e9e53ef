//! The commit coordinator, for two-phase commit (Gray, "Notes on Data Base Operating
//! Systems", 1978) with presumed abort (Mohan, Lindsay & Obermarck, "Transaction Management
//! in the R* Distributed Database Management System", TODS 1986), and for three-phase commit
//! (Skeen, "Nonblocking Commit Protocols", SIGMOD 1981).
//!
//! Phase one sends each participant its part of the transfer and collects votes. A single
//! no, or a vote that does not come in time, aborts; under presumed abort nothing about an
//! abort is logged and no acknowledgement is awaited, and a coordinator asked about a
//! transaction it has no record of answers "aborted". When every vote is yes, the decision
//! is forced to the log (taking `fsync`) and only then sent: that log write is the commit
//! point. The logged decision is resent until both participants acknowledge it, and then
//! forgotten. A coordinator that restarts finds its logged decisions and resends them.
//!
//! The teaching variant sends the decision first and logs it afterwards: a crash in
//! between leaves participants that committed and a coordinator that, on recovery, presumes
//! abort for the others.
//!
//! Three-phase commit adds a round between the votes and the decision: the coordinator
//! tells every participant that everyone voted yes (pre-commit) and waits for their
//! acknowledgements (or, as Skeen's coordinator does, for a timeout) before it commits. A
//! participant that has not heard the outcome can then decide on its own (see
//! `participant.rs`).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{Msg, TxId, TxState};
use super::node::{Config, Logged, Obs, Pattern, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::trace::NodeId;

/// Ended transactions a coordinator remembers, to answer repeated requests.
const FINISHED_KEPT: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Voting,
    PreCommitting,
    /// The commit decision's log write is under way (sent already, in the teaching variant).
    Logging {
        sent: bool,
    },
}

#[derive(Clone, Debug)]
struct Active {
    tx: TxId,
    client: NodeId,
    parts: [NodeId; 2],
    votes: [Option<bool>; 2],
    acks: [bool; 2],
    phase: Phase,
}

#[derive(Clone, Debug)]
pub struct Coordinator {
    pub config: Config,
    stable: Stable,
    active: Vec<Active>,
    /// Transactions that ended lately, and whether they committed.
    finished: VecDeque<(TxId, bool)>,
    committed: u32,
    aborted: u32,
}

impl Coordinator {
    pub fn boot(config: Config, stable: Stable) -> Coordinator {
        Coordinator { config, stable, active: Vec::new(), finished: VecDeque::new(), committed: 0, aborted: 0 }
    }

    pub fn start(&mut self, _ctx: &Ctx, out: &mut Out<State>) {
        // A restarted coordinator resends the decisions it had logged at once.
        let first = if self.stable.decisions.is_empty() { self.config.decision_timeout } else { 1 };
        out.set_timer(Timer::Resend, first.max(1));
    }

    fn find(&self, tx: TxId) -> Option<usize> {
        self.active.iter().position(|a| a.tx == tx)
    }

    fn begin(&mut self, from: NodeId, tx: TxId, accounts: (u8, u8), amount: u16, out: &mut Out<State>) {
        if self.find(tx).is_some() || self.stable.decisions.iter().any(|d| d.tx == tx) {
            return;
        }
        if let Some(&(_, committed)) = self.finished.iter().find(|f| f.0 == tx) {
            // A repeated request for a transaction that ended: answered, not run again.
            out.send(from, Msg::Outcome { tx, committed });
            return;
        }
        let parts = [self.config.owner(accounts.0), self.config.owner(accounts.1)];
        if parts.contains(&NodeId::MAX) || parts[0] == parts[1] {
            out.send(from, Msg::Outcome { tx, committed: false });
            return;
        }
        let amount = i32::from(amount);
        out.send(parts[0], Msg::Prepare { tx, account: accounts.0, delta: -amount, peer: parts[1] });
        out.send(parts[1], Msg::Prepare { tx, account: accounts.1, delta: amount, peer: parts[0] });
        out.set_timer(Timer::VoteTimeout(tx), self.config.vote_timeout);
        let phase = Phase::Voting;
        self.active.push(Active { tx, client: from, parts, votes: [None; 2], acks: [false; 2], phase });
    }

    fn remember(&mut self, tx: TxId, committed: bool) {
        if self.finished.len() == FINISHED_KEPT {
            self.finished.pop_front();
        }
        self.finished.push_back((tx, committed));
    }

    fn abort(&mut self, i: usize, out: &mut Out<State>) {
        let a = self.active.swap_remove(i);
        self.remember(a.tx, false);
        out.observe(Obs::Votes { tx: a.tx, yes: false });
        out.cancel_timer(Timer::VoteTimeout(a.tx));
        for p in a.parts {
            out.send(p, Msg::Decision { tx: a.tx, commit: false });
        }
        out.observe(Obs::Sent { tx: a.tx, commit: false });
        out.send(a.client, Msg::Outcome { tx: a.tx, committed: false });
        self.aborted += 1;
    }

    /// Every vote is yes (and in three-phase commit, every pre-commit acknowledged or
    /// timed out): force the decision to the log, sending it before or after.
    fn commit(&mut self, i: usize, out: &mut Out<State>) {
        let sent = !self.config.log_first;
        if sent {
            self.send_commit(i, out);
        }
        self.active[i].phase = Phase::Logging { sent };
        out.set_timer(Timer::Flush(self.active[i].tx), self.config.fsync.max(1));
    }

    fn send_commit(&mut self, i: usize, out: &mut Out<State>) {
        let a = &self.active[i];
        for p in a.parts {
            out.send(p, Msg::Decision { tx: a.tx, commit: true });
        }
        out.observe(Obs::Sent { tx: a.tx, commit: true });
        out.send(a.client, Msg::Outcome { tx: a.tx, committed: true });
        self.committed += 1;
        let tx = a.tx;
        self.remember(tx, true);
    }

    fn flushed(&mut self, tx: TxId, out: &mut Out<State>) {
        let Some(i) = self.find(tx) else { return };
        let Phase::Logging { sent } = self.active[i].phase else { return };
        let logged = Logged { tx, participants: self.active[i].parts, acked: [false; 2] };
        out.persist_applied(&mut self.stable, super::node::Change::Logged(logged));
        out.observe(Obs::Logged { tx });
        if !sent {
            self.send_commit(i, out);
        }
        self.active.swap_remove(i);
    }

    fn vote(&mut self, from: NodeId, tx: TxId, yes: bool, out: &mut Out<State>) {
        let Some(i) = self.find(tx) else {
            if self.stable.decisions.iter().any(|d| d.tx == tx) {
                out.send(from, Msg::Decision { tx, commit: true });
            } else if yes && self.config.pattern == Pattern::TwoPhase {
                // A late vote for a transaction that aborted, or that this coordinator has
                // no record of since it restarted: presumed abort. (Three-phase commit's
                // participants may have pre-committed and decide among themselves.)
                out.send(from, Msg::Decision { tx, commit: false });
            }
            return;
        };
        let a = &mut self.active[i];
        let Some(which) = a.parts.iter().position(|&p| p == from) else { return };
        if a.phase != Phase::Voting {
            return;
        }
        a.votes[which] = Some(yes);
        if !yes {
            self.abort(i, out);
        } else if a.votes.iter().all(|v| *v == Some(true)) {
            out.observe(Obs::Votes { tx, yes: true });
            out.cancel_timer(Timer::VoteTimeout(tx));
            if self.config.pattern == Pattern::ThreePhase {
                a.phase = Phase::PreCommitting;
                for p in a.parts {
                    out.send(p, Msg::PreCommit { tx });
                }
                out.set_timer(Timer::VoteTimeout(tx), self.config.vote_timeout);
            } else {
                self.commit(i, out);
            }
        }
    }

    fn decision_acked(&mut self, from: NodeId, tx: TxId, out: &mut Out<State>) {
        let Some(d) = self.stable.decisions.iter().find(|d| d.tx == tx) else { return };
        let Some(which) = d.participants.iter().position(|&p| p == from) else { return };
        if d.acked[which] {
            return;
        }
        let both = d.acked[1 - which];
        out.persist_applied(&mut self.stable, super::node::Change::Acked { tx, which });
        if both {
            out.persist_applied(&mut self.stable, super::node::Change::Forget(tx));
            out.observe(Obs::Forgot { tx });
        }
    }

    fn status(&self, tx: TxId) -> Option<TxState> {
        if self.stable.decisions.iter().any(|d| d.tx == tx) {
            return Some(TxState::Committed);
        }
        match self.find(tx).map(|i| self.active[i].phase) {
            Some(Phase::Logging { sent: true }) => Some(TxState::Committed),
            Some(_) => Some(TxState::Working),
            None => None,
        }
    }

    pub fn on_message(&mut self, _ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Begin { tx, from: a, to: b, amount } => self.begin(from, tx, (a, b), amount, out),
            Msg::Vote { tx, yes } => self.vote(from, tx, yes, out),
            Msg::PreCommitAck { tx } => {
                let Some(i) = self.find(tx) else { return };
                let a = &mut self.active[i];
                if let (Phase::PreCommitting, Some(which)) = (a.phase, a.parts.iter().position(|&p| p == from)) {
                    a.acks[which] = true;
                    if a.acks == [true; 2] {
                        out.cancel_timer(Timer::VoteTimeout(tx));
                        self.commit(i, out);
                    }
                }
            }
            Msg::DecisionAck { tx } => self.decision_acked(from, tx, out),
            Msg::Inquire { tx } => {
                let remembered = self.finished.iter().find(|f| f.0 == tx).map(|f| f.1);
                let state = match (self.status(tx), remembered) {
                    (Some(state), _) => state,
                    (None, Some(true)) => TxState::Committed,
                    (None, Some(false)) => TxState::Aborted,
                    // Three-phase commit's participants may have pre-committed while this
                    // coordinator was down: it cannot presume abort, only say it knows nothing.
                    (None, None) if self.config.pattern == Pattern::ThreePhase => TxState::Unknown,
                    (None, None) => {
                        out.observe(Obs::Presumed { tx });
                        TxState::Aborted
                    }
                };
                out.send(from, Msg::Status { tx, state });
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, _ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::VoteTimeout(tx) => {
                let Some(i) = self.find(tx) else { return };
                match self.active[i].phase {
                    Phase::Voting => self.abort(i, out),
                    // Skeen: everyone voted yes, so a participant that does not acknowledge
                    // the pre-commit is taken to have failed, and the others commit.
                    Phase::PreCommitting => self.commit(i, out),
                    Phase::Logging { .. } => {}
                }
            }
            Timer::Flush(tx) => self.flushed(tx, out),
            Timer::Resend => {
                for d in &self.stable.decisions {
                    for (p, acked) in d.participants.iter().zip(d.acked) {
                        if !acked {
                            out.send(*p, Msg::Decision { tx: d.tx, commit: true });
                        }
                    }
                }
                out.set_timer(Timer::Resend, self.config.decision_timeout.max(1));
            }
            _ => {}
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = alloc::vec![format!("{} committed · {} aborted", self.committed, self.aborted)];
        let voting = self.active.iter().filter(|a| a.phase == Phase::Voting).count();
        lines.push(format!("{voting} collecting votes · {} decisions awaiting acks", self.stable.decisions.len()));
        lines
    }

    /// Transactions under way, and logged decisions not yet acknowledged (for the view).
    pub fn load(&self) -> (usize, usize) {
        (self.active.len(), self.stable.decisions.len())
    }
}
