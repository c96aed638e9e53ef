//! The live judge: a lab's clients' history as it grows, judged after every completion by
//! the checkers of [`crate::history`], and the picture the timeline draws. Any lab whose
//! clients read and write registers feeds it (`invoke`, `complete`) and shows its verdicts.
//!
//! A prefix of a history that breaks a model stays broken however the history goes on
//! (open operations count as unknown), so once a model is violated it is not checked again.

use alloc::string::String;
use alloc::vec::Vec;

use super::view::{self, HistoryView, ModelView, OpView};
use super::{causal, linear, sequential, session, Answer, Budget, Call, History, Model, Outcome, Val};
use crate::time::Micros;
use crate::trace::NodeId;

/// The models the judge follows, strongest first, then the session guarantees.
pub const MODELS: [&str; 4] = ["linearizable", "sequential", "causal", "convergent"];

/// How far a search may go per judgement before it says "unknown" (and stops judging that
/// model live: each completion would cost as much again).
const LIVE_STEPS: u64 = 50_000;
/// How many steps a run's live judge may spend on one search in all, over every
/// re-judgement; then it says "unknown" for that model and stops.
const LIVE_TOTAL: u64 = 500_000;
/// Past this many operations, sequential and causal consistency are judged every n/64
/// completions (and a violation traced back to its completion).
const THROTTLE_FROM: usize = 300;
/// Session guarantees are re-judged every this many completions while the history is
/// short, and at every final read.
const SESSION_EVERY: u64 = 16;
/// Past this many operations the session guarantees are no longer judged live (the last
/// verdict stays; `playground check` judges the whole history).
const SESSION_LIVE_OPS: usize = 600;
/// The live judge follows this many operations; past them it says so, and the exported
/// history can be judged by `playground check`. Past `MAX_RECORDED`, operations are not
/// recorded at all, so a long run's memory stays bounded.
pub const MAX_JUDGED: usize = 3_000;
pub const MAX_RECORDED: usize = 20_000;

#[derive(Clone, Debug)]
pub struct Judge {
    pub history: History,
    open: Vec<((NodeId, u32), usize)>,
    lanes: Vec<u8>,
    finals: Vec<bool>,
    points: Vec<Option<Micros>>,
    pub answers: [Answer; 4],
    sessions: [Answer; 4],
    completions: u64,
    sequential_gave_up: bool,
    linear_gave_up: bool,
    /// Each completion's time and trace event, in order.
    done: Vec<(Micros, u64)>,
    /// Linearizability per key.
    per_key: Vec<(Val, Answer)>,
    /// Search steps spent live, per model.
    spent: [u64; 4],
    /// Per model, the last completion at which a throttled judgement found it holding.
    judged_ok: [usize; 4],
    /// Each operation's completion: its time and trace event.
    completed: Vec<Option<(Micros, u64)>>,
    last: Option<usize>,
}

fn waiting(reason: &str) -> Answer {
    Answer::Unknown { reason: reason.into() }
}

impl Default for Judge {
    fn default() -> Self {
        let fresh = || Answer::Holds { witness: Vec::new() };
        Judge {
            history: History::new(),
            open: Vec::new(),
            lanes: Vec::new(),
            finals: Vec::new(),
            points: Vec::new(),
            answers: [
                fresh(),
                fresh(),
                fresh(),
                waiting("judged once the workload has stopped and every key is read a last time"),
            ],
            sessions: [fresh(), fresh(), fresh(), fresh()],
            completions: 0,
            sequential_gave_up: false,
            linear_gave_up: false,
            done: Vec::new(),
            judged_ok: [0; 4],
            per_key: Vec::new(),
            spent: [0; 4],
            completed: Vec::new(),
            last: None,
        }
    }
}

impl Judge {
    /// Why model `model` is not decided yet (convergence before the final reads, a search
    /// out of its budget), while it is not; for the lab's guarantee to say "not judged yet".
    pub fn undecided(&self, model: usize) -> Option<&str> {
        match self.answers.get(model)? {
            Answer::Unknown { reason } => Some(reason),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn invoke(
        &mut self,
        client: NodeId,
        lane: u8,
        process: u32,
        id: u32,
        (key, call): (Val, Call),
        at: Micros,
        final_read: bool,
    ) {
        if self.history.ops.len() >= MAX_RECORDED {
            return;
        }
        let index = self.history.invoke(u64::from(process), key, call, at);
        self.open.push(((client, id), index));
        self.lanes.push(lane);
        self.finals.push(final_read);
        self.points.push(None);
        self.completed.push(None);
    }

    /// Records a completion (trace event `seq`); returns the models (by index into
    /// [`MODELS`]) it newly broke, each with the completion that broke it (a model judged
    /// every few completions is traced back to the first one).
    pub fn complete(
        &mut self,
        client: NodeId,
        id: u32,
        ok: bool,
        read: Val,
        at: Micros,
        seq: u64,
    ) -> Vec<(usize, Micros, u64)> {
        let Some(slot) = self.open.iter().position(|(k, _)| *k == (client, id)) else { return Vec::new() };
        let (_, index) = self.open.swap_remove(slot);
        let outcome = if ok { Outcome::Ok } else { Outcome::Info };
        self.history.complete(index, outcome, read, at);
        self.completions += 1;
        self.done.push((at, seq));
        self.completed[index] = Some((at, seq));
        self.last = Some(index);
        self.judge(index)
    }

    /// Linearizability, re-judged for the key of the operation that just completed (the other
    /// keys' operations did not change), and the keys' answers combined.
    fn judge_linear(&mut self, index: usize) {
        let key = self.history.ops[index].key.clone();
        let left = LIVE_TOTAL.saturating_sub(self.spent[0]).min(LIVE_STEPS);
        let (answer, stats) = linear::check_key(&self.history, &key, Model::Register, Budget { steps: left });
        self.spent[0] += stats.steps;
        match self.per_key.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = answer,
            None => self.per_key.push((key, answer)),
        }
        let h = &self.history;
        let violated = self.per_key.iter().filter(|(_, a)| a.violated()).min_by_key(|(_, a)| match a {
            Answer::Violated { culprit, .. } => h.ops[*culprit].end(),
            _ => u64::MAX,
        });
        let unknown = self.per_key.iter().find(|(_, a)| matches!(a, Answer::Unknown { .. }));
        self.answers[0] = match (violated, unknown) {
            (Some((_, a)), _) | (None, Some((_, a))) => a.clone(),
            (None, None) => {
                let witness = self.per_key.iter().flat_map(|(_, a)| match a {
                    Answer::Holds { witness } => witness.clone(),
                    _ => Vec::new(),
                });
                Answer::Holds { witness: witness.collect() }
            }
        };
    }

    /// The history as it stood at completion `c`: later completions are still open.
    fn prefix(&self, c: usize) -> History {
        let t = self.done[c].0;
        let mut h = History::new();
        for op in self.history.ops.iter().filter(|o| o.invoke <= t) {
            let mut op = op.clone();
            if op.complete.is_none_or(|done| done > t) {
                (op.outcome, op.complete, op.value) = (Outcome::Info, None, Val::Nil);
            }
            h.ops.push(op);
        }
        h
    }

    /// Judges model `which` with `check`, every few completions once the history is long:
    /// when it breaks, the first completion that broke it is found by bisection (a history
    /// that breaks a model keeps breaking it as it grows).
    fn judge_throttled(&mut self, which: usize, final_read: bool, check: impl Fn(&History) -> Answer) -> Option<usize> {
        let n = self.history.ops.len();
        let due = n <= THROTTLE_FROM || final_read || self.completions.is_multiple_of((n / 64).max(1) as u64);
        if !due {
            return None;
        }
        self.answers[which] = check(&self.history);
        let now = self.done.len() - 1;
        match &self.answers[which] {
            Answer::Holds { .. } => {
                self.judged_ok[which] = now;
                None
            }
            Answer::Violated { .. } => {
                // The first failing prefix lies in (judged_ok, now].
                let (mut lo, mut hi) = (self.judged_ok[which], now);
                while hi > lo + 1 {
                    let mid = lo + (hi - lo) / 2;
                    match check(&self.prefix(mid)) {
                        answer @ Answer::Violated { .. } => {
                            self.answers[which] = answer;
                            hi = mid;
                        }
                        _ => lo = mid,
                    }
                }
                Some(hi)
            }
            Answer::Unknown { .. } => None,
        }
    }

    fn judge(&mut self, index: usize) -> Vec<(usize, Micros, u64)> {
        let final_read = self.finals[index];
        if self.history.ops.len() > MAX_JUDGED {
            let reason = alloc::format!(
                "the live judge follows the first {MAX_JUDGED} operations; export the history and run `playground check` on all of it"
            );
            for answer in self.answers.iter_mut().chain(self.sessions.iter_mut()) {
                if !answer.violated() {
                    *answer = Answer::Unknown { reason: reason.clone() };
                }
            }
            return Vec::new();
        }
        let was: Vec<bool> = self.answers.iter().map(Answer::violated).collect();
        let mut broke_at: [Option<usize>; 4] = [None; 4];
        let model = Model::Register;
        let mut broke = Vec::new();
        if !self.answers[0].violated() && !self.linear_gave_up {
            self.judge_linear(index);
            let h = &self.history;
            if let Answer::Unknown { reason } = &mut self.answers[0] {
                self.linear_gave_up = true;
                if self.spent[0] >= LIVE_TOTAL {
                    *reason = alloc::format!("the live judge spent its {LIVE_TOTAL} search steps");
                }
                *reason = alloc::format!(
                    "{reason} at {} operations; not judged further live (`playground check` searches longer)",
                    h.ops.len()
                );
            }
            if let Answer::Holds { witness } = &self.answers[0] {
                self.points = view::points(h, witness);
            } else {
                self.points.iter_mut().for_each(|p| *p = None);
            }
        }
        if self.answers[0].holds() {
            // A linearization keeps every process's order too.
            self.answers[1] = self.answers[0].clone();
        } else if !self.answers[1].violated() && !self.sequential_gave_up {
            broke_at[1] = self.judge_throttled(1, final_read, |h| {
                sequential::check(h, Model::Register, Budget { steps: LIVE_STEPS })
            });
            let n = self.history.ops.len();
            if let Answer::Unknown { reason } = &mut self.answers[1] {
                // Searching again on every completion would cost the same each time.
                self.sequential_gave_up = true;
                if self.spent[1] >= LIVE_TOTAL {
                    *reason = alloc::format!("the live judge spent its {LIVE_TOTAL} search steps");
                }
                *reason = alloc::format!(
                    "{reason} at {n} operations; not judged further live (`playground check` searches longer)"
                );
            }
        }
        if !self.answers[2].violated() {
            broke_at[2] = self.judge_throttled(2, final_read, |h| causal::check(h, Model::Register));
        }
        let h = &self.history;
        if final_read && !self.answers[3].violated() {
            let finals = &self.finals;
            self.answers[3] = session::convergence_of(h, model, |i| finals[i]);
        }
        let short = h.ops.len() <= SESSION_LIVE_OPS;
        if short && (final_read || self.completions.is_multiple_of(SESSION_EVERY)) {
            for (which, answer) in self.sessions.iter_mut().enumerate() {
                if !answer.violated() {
                    *answer = session::check(h, which);
                }
            }
        }
        for (i, answer) in self.answers.iter().enumerate() {
            if answer.violated() && !was[i] {
                let (at, seq) = self.done[broke_at[i].unwrap_or(self.done.len() - 1)];
                broke.push((i, at, seq));
            }
        }
        broke
    }

    /// The picture, with `promised` marking what the store's mode promises.
    pub fn view(&self, lanes: Vec<String>, promised: &[usize]) -> HistoryView {
        let ops = self
            .history
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| OpView {
                op: op.clone(),
                lane: u16::from(self.lanes[i]),
                point: self.points[i],
                final_read: self.finals[i],
            })
            .collect();
        HistoryView {
            lanes,
            ops,
            models: MODELS
                .iter()
                .enumerate()
                .map(|(i, &m)| ModelView::new(m, &self.answers[i], promised.contains(&i)))
                .collect(),
            sessions: session::GUARANTEES
                .iter()
                .enumerate()
                .map(|(i, &g)| ModelView::new(g, &self.sessions[i], false))
                .collect(),
            micros: true,
        }
    }

    /// Operation `op`'s completion: its time and trace event.
    pub fn completion(&self, op: usize) -> Option<(Micros, u64)> {
        self.completed.get(op).copied().flatten()
    }

    /// The verdict on session guarantee `which` (an index into [`session::GUARANTEES`]).
    pub fn session(&self, which: usize) -> &Answer {
        &self.sessions[which]
    }

    /// The index of the operation that completed last.
    pub fn last_completed(&self) -> Option<usize> {
        self.last
    }

    /// How many operations completed with each outcome: (ok, unknown).
    pub fn outcomes(&self) -> (u64, u64) {
        let done = self.history.ops.iter().filter(|o| o.complete.is_some());
        let ok = done.clone().filter(|o| o.outcome == Outcome::Ok).count() as u64;
        (ok, done.count() as u64 - ok)
    }
}
