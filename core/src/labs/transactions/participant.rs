//! A commit participant: a small bank holding a few accounts, with an exclusive lock per
//! account (Gray; Bernstein, Hadzilacos & Goodman, *Concurrency Control and Recovery in
//! Database Systems*, 1987, ch. 7).
//!
//! On Prepare it locks the account (a transaction that finds it locked waits, and votes no
//! after `lock_timeout`: that is also how a distributed deadlock ends), checks the balance
//! can take the change, forces a prepared record to its log, and votes yes. From then on it
//! is *uncertain*: it may neither commit nor abort on its own, and it keeps the lock until
//! the decision arrives. A participant that hears nothing for `decision_timeout` is in
//! doubt and asks the coordinator, and with cooperative termination its peer as well: a peer
//! that knows the outcome tells it; a peer that has not voted yet promises never to vote yes
//! and answers "aborted"; a peer that is itself prepared cannot help, and the transaction
//! stays blocked, locks held, until the coordinator is back. A participant that restarts
//! finds its prepared records, takes their locks again and asks.
//!
//! Under three-phase commit (Skeen 1981) the participant is told, before the decision, that
//! everyone voted yes (pre-commit). A participant that times out asks the others and
//! applies the termination rule: if anyone committed or pre-committed, commit; if anyone
//! aborted or never voted, abort; if everyone it heard from is merely prepared, abort,
//! which is safe when processes only crash and messages arrive in time, and not when the
//! network partitions.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::msg::{Msg, TxId, TxState};
use super::node::{By, Change, Config, Obs, Pattern, Prepared, Stable, State, Timer};
use crate::process::{Ctx, Out};
use crate::time::Micros;
use crate::trace::NodeId;

#[derive(Clone, Copy, Debug)]
struct Waiting {
    tx: TxId,
    account: u8,
    delta: i32,
    peer: NodeId,
    coordinator: NodeId,
}

/// A participant in doubt, asking around: what it heard this round.
#[derive(Clone, Debug)]
struct Asking {
    tx: TxId,
    heard: Vec<TxState>,
    coordinator_alive: bool,
    rounds: u32,
}

#[derive(Clone, Debug)]
pub struct Participant {
    pub config: Config,
    index: u8,
    stable: Stable,
    locks: Vec<Option<(TxId, Micros)>>,
    waiting: Vec<Waiting>,
    asking: Vec<Asking>,
}

impl Participant {
    pub fn boot(_me: NodeId, index: u8, config: Config, stable: Stable) -> Participant {
        let mut locks = alloc::vec![None; usize::from(config.accounts)];
        for p in &stable.prepared {
            if let Some(l) = locks.get_mut(usize::from(p.account)) {
                *l = Some((p.tx, p.at));
            }
        }
        Participant { config, index, stable, locks, waiting: Vec::new(), asking: Vec::new() }
    }

    fn global(&self, account: u8) -> u8 {
        self.index * self.config.accounts + account
    }

    pub fn start(&mut self, _ctx: &Ctx, out: &mut Out<State>) {
        if !self.stable.initialised {
            let balances = alloc::vec![self.config.balance; usize::from(self.config.accounts)];
            out.persist_applied(&mut self.stable, Change::Init { balances, stock: 0 });
        }
        // Recovering: every prepared transaction is in doubt; take its lock and ask.
        for p in self.stable.prepared.clone() {
            out.observe(Obs::Locked { tx: p.tx, account: self.global(p.account) });
            out.set_timer(Timer::DecisionWait(p.tx), 1);
        }
    }

    fn prepared(&self, tx: TxId) -> Option<Prepared> {
        self.stable.prepared.iter().find(|p| p.tx == tx).copied()
    }

    fn prepare(&mut self, ctx: &Ctx, w: Waiting, out: &mut Out<State>) {
        let local = usize::from(w.account);
        if let Some(Some((holder, _))) = self.locks.get(local) {
            if *holder != w.tx {
                if !self.waiting.iter().any(|x| x.tx == w.tx) {
                    self.waiting.push(w);
                    out.observe(Obs::Waiting { tx: w.tx, account: self.global(w.account), holder: *holder });
                    out.set_timer(Timer::LockWait(w.tx), self.config.lock_timeout);
                }
                return;
            }
        }
        let balance = self.stable.balances.get(local).copied().unwrap_or(0);
        if balance + i64::from(w.delta) < 0 {
            self.decide_alone(w.tx, w.account, out);
            out.send(w.coordinator, Msg::Vote { tx: w.tx, yes: false });
            return;
        }
        self.locks[local] = Some((w.tx, ctx.now));
        let account = self.global(w.account);
        out.observe(Obs::Locked { tx: w.tx, account });
        let p = Prepared {
            tx: w.tx,
            account: w.account,
            delta: w.delta,
            coordinator: w.coordinator,
            peer: w.peer,
            precommitted: false,
            at: ctx.now,
        };
        out.persist_applied(&mut self.stable, Change::Prepared(p));
        out.observe(Obs::Prepared { tx: w.tx, account, delta: w.delta });
        out.send(w.coordinator, Msg::Vote { tx: w.tx, yes: true });
        out.set_timer(Timer::DecisionWait(w.tx), self.config.decision_timeout);
    }

    /// Aborts a transaction this participant has not voted yes for: after a no vote, a
    /// lock timeout, or a promise to an inquiring peer.
    fn decide_alone(&mut self, tx: TxId, account: u8, out: &mut Out<State>) {
        out.persist_applied(&mut self.stable, Change::Decided { tx, commit: false });
        let account = self.global(account);
        out.observe(Obs::Decided { tx, commit: false, account, delta: 0, by: By::Alone });
    }

    fn decide(&mut self, ctx: &Ctx, tx: TxId, commit: bool, by: By, out: &mut Out<State>) {
        if let Some(p) = self.prepared(tx) {
            out.persist_applied(&mut self.stable, Change::Decided { tx, commit });
            let account = self.global(p.account);
            out.observe(Obs::Decided { tx, commit, account, delta: p.delta, by });
            out.cancel_timer(Timer::DecisionWait(tx));
            self.asking.retain(|a| a.tx != tx);
            self.unlock(ctx, p.account, tx, out);
        } else if let Some(i) = self.waiting.iter().position(|w| w.tx == tx) {
            let w = self.waiting.remove(i);
            out.cancel_timer(Timer::LockWait(tx));
            self.decide_alone(tx, w.account, out);
        } else if !commit && self.stable.outcome(tx).is_none() {
            // An abort for a transaction not seen yet: remember it, so a late Prepare gets no.
            out.persist_applied(&mut self.stable, Change::Decided { tx, commit: false });
        }
    }

    fn unlock(&mut self, ctx: &Ctx, account: u8, tx: TxId, out: &mut Out<State>) {
        let local = usize::from(account);
        if !matches!(self.locks.get(local), Some(Some((holder, _))) if *holder == tx) {
            return;
        }
        self.locks[local] = None;
        out.observe(Obs::Unlocked { tx, account: self.global(account) });
        // Wake waiters in order until one takes the lock (one that fails its balance check
        // votes no and leaves the lock free for the next).
        while self.locks[local].is_none() {
            let Some(i) = self.waiting.iter().position(|w| w.account == account) else { break };
            let w = self.waiting.remove(i);
            out.cancel_timer(Timer::LockWait(w.tx));
            self.prepare(ctx, w, out);
        }
    }

    /// What this participant can say about `tx` to someone asking; a transaction it has not
    /// voted yes for is aborted here and now, so that it never will.
    fn answer(&mut self, tx: TxId, out: &mut Out<State>) -> TxState {
        if let Some(commit) = self.stable.outcome(tx) {
            return if commit { TxState::Committed } else { TxState::Aborted };
        }
        if let Some(p) = self.prepared(tx) {
            return if p.precommitted { TxState::PreCommitted } else { TxState::Prepared };
        }
        if let Some(i) = self.waiting.iter().position(|w| w.tx == tx) {
            let w = self.waiting.remove(i);
            out.cancel_timer(Timer::LockWait(tx));
            self.decide_alone(tx, w.account, out);
            out.send(w.coordinator, Msg::Vote { tx, yes: false });
        } else if self.stable.may_have_forgotten(tx) {
            // Older than an outcome this participant has forgotten: it may have voted yes
            // and committed, so it cannot promise anything.
            return TxState::Unknown;
        } else {
            out.persist_applied(&mut self.stable, Change::Decided { tx, commit: false });
        }
        TxState::Aborted
    }

    fn in_doubt(&mut self, ctx: &Ctx, tx: TxId, out: &mut Out<State>) {
        let Some(p) = self.prepared(tx) else { return };
        let three = self.config.pattern == Pattern::ThreePhase;
        match self.asking.iter().position(|a| a.tx == tx) {
            None => {
                out.observe(Obs::InDoubt { tx });
                self.asking.push(Asking { tx, heard: Vec::new(), coordinator_alive: false, rounds: 0 });
            }
            Some(i) if three && !self.asking[i].coordinator_alive => {
                // Skeen's termination rule over what this round heard.
                let heard = &self.asking[i].heard;
                let commit =
                    p.precommitted || heard.iter().any(|s| matches!(s, TxState::PreCommitted | TxState::Committed));
                self.decide(ctx, tx, commit, By::Termination, out);
                return;
            }
            Some(i) => {
                let a = &mut self.asking[i];
                a.rounds += 1;
                if a.rounds == 1 && !three && !a.coordinator_alive {
                    out.observe(Obs::StillBlocked { tx });
                }
                a.heard.clear();
                a.coordinator_alive = false;
            }
        }
        out.send(p.coordinator, Msg::Inquire { tx });
        if self.config.cooperative || three {
            out.send(p.peer, Msg::Inquire { tx });
        }
        out.set_timer(Timer::DecisionWait(tx), self.config.decision_timeout);
    }

    fn status(&mut self, ctx: &Ctx, from: NodeId, tx: TxId, state: TxState, out: &mut Out<State>) {
        let Some(p) = self.prepared(tx) else { return };
        let by = if from == p.coordinator { By::Coordinator } else { By::Peer };
        match state {
            TxState::Committed => self.decide(ctx, tx, true, by, out),
            TxState::Aborted => self.decide(ctx, tx, false, by, out),
            _ => {
                if let Some(a) = self.asking.iter_mut().find(|a| a.tx == tx) {
                    if by == By::Coordinator && state == TxState::Working {
                        a.coordinator_alive = true;
                    }
                    a.heard.push(state);
                }
            }
        }
    }

    pub fn on_message(&mut self, ctx: &Ctx, from: NodeId, msg: Msg, out: &mut Out<State>) {
        match msg {
            Msg::Prepare { tx, account, delta, peer } => {
                if let Some(commit) = self.stable.outcome(tx) {
                    out.send(from, Msg::Vote { tx, yes: commit });
                    return;
                }
                if self.prepared(tx).is_some() {
                    out.send(from, Msg::Vote { tx, yes: true });
                    return;
                }
                let first = self.index * self.config.accounts;
                let local = account.wrapping_sub(first);
                if local >= self.config.accounts {
                    out.send(from, Msg::Vote { tx, yes: false });
                    return;
                }
                let w = Waiting { tx, account: local, delta, peer, coordinator: from };
                self.prepare(ctx, w, out);
            }
            Msg::PreCommit { tx } => {
                let Some(p) = self.prepared(tx) else { return };
                if !p.precommitted {
                    out.persist_applied(&mut self.stable, Change::PreCommitted(tx));
                    out.observe(Obs::PreCommitted { tx });
                }
                out.send(from, Msg::PreCommitAck { tx });
                self.asking.retain(|a| a.tx != tx);
                out.set_timer(Timer::DecisionWait(tx), self.config.decision_timeout);
            }
            Msg::Decision { tx, commit } => {
                self.decide(ctx, tx, commit, By::Coordinator, out);
                if commit {
                    out.send(from, Msg::DecisionAck { tx });
                }
            }
            Msg::Inquire { tx } => {
                let state = self.answer(tx, out);
                out.send(from, Msg::Status { tx, state });
            }
            Msg::Status { tx, state } => self.status(ctx, from, tx, state, out),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &Ctx, timer: Timer, out: &mut Out<State>) {
        match timer {
            Timer::LockWait(tx) => {
                if let Some(i) = self.waiting.iter().position(|w| w.tx == tx) {
                    let w = self.waiting.remove(i);
                    self.decide_alone(tx, w.account, out);
                    out.send(w.coordinator, Msg::Vote { tx, yes: false });
                }
            }
            Timer::DecisionWait(tx) => self.in_doubt(ctx, tx, out),
            _ => {}
        }
    }

    /// Each account's balance and the transaction holding its lock, if any.
    pub fn accounts(&self) -> Vec<(i64, Option<TxId>)> {
        let lock = |i: usize| self.locks.get(i).copied().flatten().map(|l| l.0);
        self.stable.balances.iter().enumerate().map(|(i, &b)| (b, lock(i))).collect()
    }

    /// Prepared transactions (uncertain, locks held) with when each was prepared, and
    /// whether it is in doubt (asked around).
    pub fn uncertain(&self) -> Vec<(TxId, Micros, bool)> {
        let asking = |tx| self.asking.iter().any(|a| a.tx == tx);
        self.stable.prepared.iter().map(|p| (p.tx, p.at, asking(p.tx))).collect()
    }

    pub fn describe(&self) -> Vec<String> {
        let total: i64 = self.stable.balances.iter().sum();
        let held = self.locks.iter().filter(|l| l.is_some()).count();
        let mut lines = alloc::vec![format!("holds {total} · {held} locks held")];
        let doubt = self.asking.len();
        if doubt > 0 {
            lines.push(format!("{doubt} in doubt"));
        } else if !self.waiting.is_empty() {
            lines.push(format!("{} waiting for locks", self.waiting.len()));
        }
        lines
    }
}
