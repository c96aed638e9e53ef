//! Sequential consistency (Lamport 1979): is there one total order of all operations that
//! keeps each process's own order and that the model explains? Real time between processes
//! does not count. Unlike linearizability it is not compositional, so all keys are searched
//! together: the state is every key's value.
//!
//! A depth-first search picks, at each step, the next operation of some process; a cache of
//! (how far each process has got, state) prunes what was explored. Operations of unknown
//! outcome may be placed anywhere after their process's earlier ones, with any result.

use crate::sort;
use alloc::borrow::Cow;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::linear::{explain, fingerprint128, SetPrint};
use super::{Answer, Budget, History, Model, SearchStats, Val};

/// Whether `h` is sequentially consistent for `model`.
pub fn check(h: &History, model: Model, budget: Budget) -> Answer {
    check_with_stats(h, model, budget).0
}

/// [`check`], with what the search did.
pub fn check_with_stats(h: &History, model: Model, budget: Budget) -> (Answer, SearchStats) {
    let mut search = Search::new(Cow::Borrowed(h), model, budget);
    // Unbounded, a run always ends with an answer (the budget ends it at worst).
    let answer = search
        .run(u64::MAX)
        .unwrap_or(Answer::Unknown { reason: format!("budget exhausted after {} steps", budget.steps) });
    (answer, search.stats)
}

#[derive(Clone)]
struct Frame {
    process: usize,
    /// Which of the candidates, earliest-invoked first, it was.
    rank: usize,
    key: usize,
    before: Val,
}

/// A sequential-consistency search that can be run a slice at a time.
#[derive(Clone)]
pub struct Search<'h> {
    history: Cow<'h, History>,
    model: Model,
    budget: Budget,
    /// Each process's operations, in the order it invoked them.
    processes: Vec<(u64, Vec<usize>)>,
    key_of: Vec<usize>,
    total: usize,
    cursors: Vec<u32>,
    state: Vec<Val>,
    stack: Vec<Frame>,
    /// Configurations explored, as 128-bit fingerprints of (how far each process has got,
    /// state) (see `linear::SetPrint` on why fingerprints are enough).
    seen: BTreeSet<u128>,
    /// The fingerprint of `cursors`: the XOR of one value per (process, position), so
    /// moving one process costs O(1) however many processes there are.
    cursor_print: u128,
    choice: usize,
    best: (Vec<usize>, usize),
    pub stats: SearchStats,
}

impl<'h> Search<'h> {
    /// A search of `history`, borrowed or owned (a page keeps its own copy across frames).
    pub fn new(history: Cow<'h, History>, model: Model, budget: Budget) -> Self {
        let keys = history.keys();
        let counted = history.searched(None);
        let mut processes: Vec<(u64, Vec<usize>)> = Vec::new();
        for &i in &counted {
            let p = history.ops[i].process;
            match processes.iter_mut().find(|(q, _)| *q == p) {
                Some((_, list)) => list.push(i),
                None => processes.push((p, vec![i])),
            }
        }
        for (_, list) in &mut processes {
            sort::by_key(list, |&i| (history.ops[i].invoke, i));
        }
        let key_of = history.ops.iter().map(|o| keys.binary_search(&o.key).unwrap_or(0)).collect();
        Search {
            model,
            budget,
            key_of,
            total: counted.len(),
            cursors: vec![0u32; processes.len()],
            state: vec![model.initial(); keys.len()],
            processes,
            stack: Vec::new(),
            seen: BTreeSet::new(),
            cursor_print: 0,
            choice: 0,
            best: (Vec::new(), usize::MAX),
            stats: SearchStats::default(),
            history,
        }
    }

    /// (operations placed on the deepest path so far, operations in all).
    pub fn progress(&self) -> (usize, usize) {
        (self.best.0.len().max(self.stack.len()), self.total)
    }

    /// Searches for at most `steps` steps; the answer once there is one.
    pub fn run(&mut self, steps: u64) -> Option<Answer> {
        let h = &self.history;
        let mut left = steps;
        loop {
            if self.stack.len() == self.total {
                return Some(Answer::Holds { witness: placed(&self.processes, &self.stack) });
            }
            if left == 0 {
                return None;
            }
            left -= 1;
            self.stats.steps += 1;
            if self.stats.steps > self.budget.steps {
                return Some(Answer::Unknown { reason: format!("budget exhausted after {} steps", self.budget.steps) });
            }
            // Try the processes' next operations earliest-invoked first: a history that is
            // nearly linearizable then finds its witness without backtracking.
            let mut heads: Vec<(u64, usize, usize)> = self
                .processes
                .iter()
                .enumerate()
                .filter_map(|(p, (_, list))| list.get(self.cursors[p] as usize).map(|&i| (h.ops[i].invoke, p, i)))
                .collect();
            sort::ascending(&mut heads);
            let mut found = None;
            for (rank, &(_, p, i)) in heads.iter().enumerate().skip(self.choice) {
                let k = self.key_of[i];
                let Some(after) = self.model.step(&self.state[k], &h.ops[i]) else { continue };
                let before = core::mem::replace(&mut self.state[k], after);
                advance(&mut self.cursors, &mut self.cursor_print, p, true);
                let key = self.cursor_print ^ fingerprint128(&self.state).rotate_left(17);
                if self.seen.insert(key) {
                    self.stats.cache_peak = self.stats.cache_peak.max(self.seen.len());
                    found = Some(Frame { process: p, rank, key: k, before });
                    break;
                }
                advance(&mut self.cursors, &mut self.cursor_print, p, false);
                self.state[k] = before;
            }
            match found {
                Some(frame) => {
                    self.stack.push(frame);
                    self.choice = 0;
                }
                None => {
                    if self.best.1 == usize::MAX || self.stack.len() > self.best.0.len() {
                        let prefix = placed(&self.processes, &self.stack);
                        // The operation that cannot follow: the earliest-invoked next one.
                        let culprit = heads.first().map_or(usize::MAX, |&(_, _, i)| i);
                        self.best = (prefix, culprit);
                    }
                    let Some(frame) = self.stack.pop() else {
                        return Some(violation(h, self.model, core::mem::take(&mut self.best)));
                    };
                    advance(&mut self.cursors, &mut self.cursor_print, frame.process, false);
                    self.state[frame.key] = frame.before;
                    self.choice = frame.rank + 1;
                }
            }
        }
    }
}

/// Moves process `p` one operation forward (or back), keeping the cursors' fingerprint.
fn advance(cursors: &mut [u32], print: &mut u128, p: usize, forward: bool) {
    let mark = |c: u32| SetPrint::of((p as u64) << 32 | u64::from(c));
    let c = cursors[p];
    let next = if forward { c + 1 } else { c - 1 };
    *print ^= mark(c) ^ mark(next);
    cursors[p] = next;
}

/// The operations placed so far, in order.
fn placed(processes: &[(u64, Vec<usize>)], stack: &[Frame]) -> Vec<usize> {
    let mut taken = vec![0usize; processes.len()];
    stack
        .iter()
        .map(|f| {
            let i = processes[f.process].1[taken[f.process]];
            taken[f.process] += 1;
            i
        })
        .collect()
}

fn violation(h: &History, model: Model, best: (Vec<usize>, usize)) -> Answer {
    let (prefix, culprit) = best;
    if culprit == usize::MAX {
        return Answer::Unknown { reason: "no operation could be placed first".into() };
    }
    let key = &h.ops[culprit].key;
    let mut state = model.initial();
    for &i in prefix.iter().filter(|&&i| &h.ops[i].key == key) {
        state = model.step(&state, &h.ops[i]).unwrap_or(state);
    }
    let ops = explain(h, model, &prefix, culprit, &state);
    let reason = format!(
        "no single order that keeps each process's order explains {}: after the longest such prefix ({} operations), it cannot be placed",
        h.ops[culprit],
        prefix.len()
    );
    Answer::Violated { ops, culprit, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{linear, Call, Outcome};

    fn op(h: &mut History, p: u64, key: i64, call: Call, value: Option<i64>, t: (u64, u64)) -> usize {
        let i = h.invoke(p, Val::Int(key), call, t.0);
        h.complete(i, Outcome::Ok, value.map_or(Val::Nil, Val::Int), t.1);
        i
    }

    #[test]
    fn a_read_from_a_lagging_replica_is_sequential_but_not_linearizable() {
        let mut h = History::new();
        op(&mut h, 0, 0, Call::Write(Val::Int(1)), None, (0, 10));
        op(&mut h, 1, 0, Call::Read, None, (20, 30));
        assert!(linear::check(&h, Model::Register, Budget::default()).violated());
        match check(&h, Model::Register, Budget::default()) {
            Answer::Holds { witness } => assert_eq!(witness, vec![1, 0]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_processes_that_see_two_writes_in_opposite_orders_are_not() {
        // The classic: p2 sees x=1 then y=0; p3 sees y=1 then x=0.
        let mut h = History::new();
        op(&mut h, 0, 0, Call::Write(Val::Int(1)), None, (0, 10));
        op(&mut h, 1, 1, Call::Write(Val::Int(1)), None, (0, 10));
        op(&mut h, 2, 0, Call::Read, Some(1), (20, 30));
        op(&mut h, 2, 1, Call::Read, None, (40, 50));
        op(&mut h, 3, 1, Call::Read, Some(1), (20, 30));
        op(&mut h, 3, 0, Call::Read, None, (40, 50));
        let answer = check(&h, Model::Register, Budget::default());
        assert!(answer.violated(), "{answer:?}");
        // Each key on its own is fine for sequential consistency; together they are not.
        assert!(linear::check(&h, Model::Register, Budget::default()).violated());
    }

    #[test]
    fn a_process_must_read_its_own_write() {
        let mut h = History::new();
        op(&mut h, 0, 0, Call::Write(Val::Int(1)), None, (0, 10));
        op(&mut h, 0, 0, Call::Read, None, (20, 30));
        assert!(check(&h, Model::Register, Budget::default()).violated());
    }
}
