//! Linearizability: is there a total order of the operations that respects real time (an
//! operation that completed before another began comes first) and that the model's
//! sequential specification explains?
//!
//! The search is Wing & Gong's (1993) with Lowe's just-in-time linearization (2017), as
//! Porcupine implements it: calls and returns are kept in one list ordered by time; walking
//! it, a call may be linearized next if the model accepts it, and then it and its return are
//! lifted out of the list; reaching a return whose call is not linearized means the choices
//! so far cannot work, so the last one is undone. A cache of (set of linearized operations,
//! state) prunes configurations already explored. Keys are independent objects, so each key
//! is searched on its own (P-compositionality). Operations of unknown outcome return "at
//! infinity": they may be placed anywhere after their call, with any result.

use crate::sort;
use alloc::borrow::Cow;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use super::{Answer, Budget, History, Model, SearchStats, Val};

/// Whether `h` is linearizable for `model`.
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

/// Whether the operations on one key are linearizable (keys are independent objects).
pub fn check_key(h: &History, key: &Val, model: Model, budget: Budget) -> (Answer, SearchStats) {
    let mut stats = SearchStats::default();
    let mut search = KeySearch::new(h, h.searched(Some(key)), model);
    let answer = match search.advance(h, model, budget.steps, &mut stats) {
        Some(answer) => answer,
        None => Answer::Unknown { reason: format!("budget exhausted after {} steps", budget.steps) },
    };
    (answer, stats)
}

/// A linearizability search that can be run a slice at a time (a page judging a large
/// history between animation frames), key by key.
#[derive(Clone)]
pub struct Search<'h> {
    history: Cow<'h, History>,
    model: Model,
    budget: Budget,
    keys: Vec<Val>,
    /// How many keys are done, and the one being searched.
    done: usize,
    current: Option<KeySearch>,
    witness: Vec<usize>,
    worst: Option<Answer>,
    pub stats: SearchStats,
}

impl<'h> Search<'h> {
    /// A search of `history`, borrowed or owned (a page keeps its own copy across frames).
    pub fn new(history: Cow<'h, History>, model: Model, budget: Budget) -> Self {
        let keys = history.keys();
        Search {
            history,
            model,
            budget,
            keys,
            done: 0,
            current: None,
            witness: Vec::new(),
            worst: None,
            stats: SearchStats::default(),
        }
    }

    /// (keys searched, keys in all).
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.keys.len())
    }

    /// Searches for at most about `steps` steps; the answer once there is one.
    pub fn run(&mut self, steps: u64) -> Option<Answer> {
        let until = self.stats.steps.saturating_add(steps);
        while self.done < self.keys.len() {
            if self.stats.steps >= until {
                return None;
            }
            if self.stats.steps > self.budget.steps {
                let reason = format!("budget exhausted after {} steps", self.budget.steps);
                return Some(Answer::Unknown { reason });
            }
            let h = &self.history;
            let search = match &mut self.current {
                Some(search) => search,
                None => self.current.insert(KeySearch::new(h, h.searched(Some(&self.keys[self.done])), self.model)),
            };
            let slice = (until - self.stats.steps).min(self.budget.steps.saturating_sub(self.stats.steps) + 1);
            let Some(answer) = search.advance(h, self.model, slice, &mut self.stats) else { continue };
            self.current = None;
            self.done += 1;
            match answer {
                Answer::Holds { witness } => self.witness.extend(witness),
                violated @ Answer::Violated { .. } => {
                    // Report the violation that shows earliest in the history.
                    let earlier = match (&self.worst, &violated) {
                        (Some(Answer::Violated { culprit: a, .. }), Answer::Violated { culprit: b, .. }) => {
                            h.ops[*b].end() < h.ops[*a].end()
                        }
                        _ => true,
                    };
                    if earlier {
                        self.worst = Some(violated);
                    }
                }
                unknown => {
                    if self.worst.is_none() {
                        self.worst = Some(unknown);
                    }
                }
            }
        }
        Some(self.worst.clone().unwrap_or_else(|| Answer::Holds { witness: self.witness.clone() }))
    }
}

/// A set of operations as a 128-bit Zobrist fingerprint: the XOR of one random 128-bit
/// value per operation in the set, updated in O(1) as operations come and go. The cache
/// keeps fingerprints, not the sets themselves, as TLC does with its states: a set of
/// n operations would cost n/8 bytes per entry (12 KB at 100,000 operations), a fingerprint
/// 16; two different configurations share a fingerprint with a chance of about k²/2¹²⁹
/// for k cached entries (below 10⁻²⁴ at ten million).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SetPrint(u128);

impl SetPrint {
    /// The fingerprint value of item `i` (splitmix64, twice); a `u64`, never a `usize`, so
    /// wasm32 and 64-bit machines give the same values.
    pub(crate) fn of(i: u64) -> u128 {
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (u128::from(mix(i)) << 64) | u128::from(mix(i ^ 0x5851_f42d_4c95_7f2d))
    }

    /// Adds or removes operation `i`.
    fn toggle(&mut self, i: usize) {
        self.0 ^= SetPrint::of(i as u64);
    }
}

/// FNV-1a, for the cache's first comparison.
pub(crate) struct Fnv(pub(crate) u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Lengths and indices hash as eight bytes on every target (a `usize` is four on wasm32),
    /// so fingerprints, and therefore searches, are the same natively and in the browser.
    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }
}

/// A 128-bit fingerprint: FNV-1a with two different offset bases (the second also mixed
/// through splitmix64's finalizer, so the halves do not move together).
pub(crate) fn fingerprint128(parts: impl Hash) -> u128 {
    let mut a = Fnv(0xcbf2_9ce4_8422_2325);
    let mut b = Fnv(0x84222325cbf29ce4);
    parts.hash(&mut a);
    parts.hash(&mut b);
    let mut z = b.finish();
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (u128::from(a.finish()) << 64) | u128::from(z ^ (z >> 31))
}

pub(crate) fn fingerprint(parts: impl Hash) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    parts.hash(&mut h);
    h.finish()
}

const NONE: usize = usize::MAX;

/// The search for one key's operations (`ops` are indices into the history).
#[derive(Clone)]
struct KeySearch {
    ops: Vec<usize>,
    /// The list of calls and returns: node 2i is operation i's call, 2i + 1 its return,
    /// and the last node is the head.
    next: Vec<usize>,
    prev: Vec<usize>,
    state: Val,
    linearized: SetPrint,
    calls: Vec<(usize, Val)>,
    /// (fingerprint of the linearized set, fingerprint of the state).
    cache: BTreeSet<(SetPrint, u64)>,
    /// The longest linearizable prefix seen, the operation that could not follow it, and
    /// the state after it.
    best: (Vec<usize>, usize, Val),
    entry: usize,
}

impl KeySearch {
    fn new(h: &History, ops: Vec<usize>, model: Model) -> Self {
        let n = ops.len();
        let head = 2 * n;
        let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * n);
        for (i, &op) in ops.iter().enumerate() {
            events.push((h.ops[op].invoke, 0, 2 * i));
            events.push((h.ops[op].end(), 1, 2 * i + 1));
        }
        // By time; at the same instant calls first (the operations overlap), then by index.
        sort::ascending(&mut events);
        let mut next = vec![NONE; 2 * n + 1];
        let mut prev = vec![NONE; 2 * n + 1];
        let mut last = head;
        for &(_, _, node) in &events {
            next[last] = node;
            prev[node] = last;
            last = node;
        }
        let entry = next[head];
        KeySearch {
            ops,
            next,
            prev,
            state: model.initial(),
            linearized: SetPrint::default(),
            calls: Vec::new(),
            cache: BTreeSet::new(),
            best: (Vec::new(), NONE, model.initial()),
            entry,
        }
    }

    fn lift(&mut self, call: usize) {
        for node in [call, call + 1] {
            let (p, q) = (self.prev[node], self.next[node]);
            self.next[p] = q;
            if q != NONE {
                self.prev[q] = p;
            }
        }
    }

    fn unlift(&mut self, call: usize) {
        for node in [call + 1, call] {
            let (p, q) = (self.prev[node], self.next[node]);
            self.next[p] = node;
            if q != NONE {
                self.prev[q] = node;
            }
        }
    }

    /// Runs at most `steps` steps; the answer once there is one.
    fn advance(&mut self, h: &History, model: Model, steps: u64, stats: &mut SearchStats) -> Option<Answer> {
        let head = 2 * self.ops.len();
        let mut left = steps;
        while self.next[head] != NONE {
            if left == 0 {
                return None;
            }
            left -= 1;
            stats.steps += 1;
            let entry = self.entry;
            if entry.is_multiple_of(2) {
                let i = entry / 2;
                if let Some(after) = model.step(&self.state, &h.ops[self.ops[i]]) {
                    self.linearized.toggle(i);
                    let key = (self.linearized, fingerprint(&after));
                    if self.cache.insert(key) {
                        stats.cache_peak = stats.cache_peak.max(self.cache.len());
                        let before = core::mem::replace(&mut self.state, after);
                        self.calls.push((entry, before));
                        self.lift(entry);
                        self.entry = self.next[head];
                        continue;
                    }
                    self.linearized.toggle(i);
                }
                self.entry = self.next[entry];
            } else {
                // A return whose call is not linearized: undo the last choice.
                if self.calls.len() > self.best.0.len() || self.best.1 == NONE {
                    let prefix = self.calls.iter().map(|&(c, _)| self.ops[c / 2]).collect();
                    self.best = (prefix, self.ops[entry / 2], self.state.clone());
                }
                let Some((call, before)) = self.calls.pop() else {
                    return Some(violation(h, model, core::mem::take(&mut self.best.0), self.best.1, &self.best.2));
                };
                self.linearized.toggle(call / 2);
                self.state = before;
                self.unlift(call);
                self.entry = self.next[call];
            }
        }
        Some(Answer::Holds { witness: self.calls.iter().map(|&(c, _)| self.ops[c / 2]).collect() })
    }
}

/// The counterexample: the operation that cannot be placed after the longest linearizable
/// prefix, the last operation of that prefix that changed the state, and the write whose
/// value a read returned.
pub(crate) fn explain(h: &History, model: Model, prefix: &[usize], culprit: usize, state: &Val) -> Vec<usize> {
    let op = &h.ops[culprit];
    let mut shown = Vec::new();
    let mut before = model.initial();
    let mut changer = None;
    for &i in prefix.iter().filter(|&&i| h.ops[i].key == op.key) {
        if let Some(after) = model.step(&before, &h.ops[i]) {
            if after != before {
                changer = Some(i);
            }
            before = after;
        }
    }
    if let Some(w) = changer {
        shown.push(w);
    }
    if op.call.is_read() && op.known() && &op.value != state {
        let source = h.ops.iter().position(|w| w.key == op.key && w.counts() && w.written() == Some(&op.value));
        if let Some(w) = source.filter(|w| !shown.contains(w)) {
            shown.push(w);
        }
    }
    shown.push(culprit);
    shown
}

fn violation(h: &History, model: Model, prefix: Vec<usize>, culprit: usize, state: &Val) -> Answer {
    let ops = explain(h, model, &prefix, culprit, state);
    let reason = format!(
        "no order that respects real time explains {}: after the longest linearizable prefix ({} operations, state {}), it cannot be placed",
        h.ops[culprit],
        prefix.len(),
        state
    );
    Answer::Violated { ops, culprit, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Call, Outcome};

    fn op(h: &mut History, p: u64, call: Call, value: Option<i64>, t: (u64, u64)) -> usize {
        let i = h.invoke(p, Val::Nil, call, t.0);
        h.complete(i, Outcome::Ok, value.map_or(Val::Nil, Val::Int), t.1);
        i
    }

    /// Found by the pinned seeds replayed in wasm32: a (process, position) mark built as
    /// `(p << 32 | c) as usize` lost the process on 32-bit targets, so different searches
    /// collided there and the browser judged differently from the CLI.
    #[test]
    fn fingerprints_do_not_depend_on_the_width_of_usize() {
        assert_ne!(SetPrint::of(1 << 32 | 5), SetPrint::of(5));
        assert_eq!(SetPrint::of(7), SetPrint::of(7));
        let mut a = Fnv(0);
        a.write_usize(3);
        let mut b = Fnv(0);
        b.write_u64(3);
        assert_eq!(a.finish(), b.finish(), "a usize hashes as eight bytes everywhere");
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_caught() {
        let mut h = History::new();
        op(&mut h, 0, Call::Write(Val::Int(1)), None, (0, 10));
        op(&mut h, 1, Call::Write(Val::Int(2)), None, (20, 30));
        let stale = op(&mut h, 2, Call::Read, Some(1), (40, 50));
        match check(&h, Model::Register, Budget::default()) {
            Answer::Violated { culprit, ops, .. } => {
                assert_eq!(culprit, stale);
                assert_eq!(ops, vec![1, 0, 2], "the newer write, the write read, the stale read");
            }
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn overlapping_operations_may_take_either_order() {
        let mut h = History::new();
        op(&mut h, 0, Call::Write(Val::Int(1)), None, (0, 100));
        op(&mut h, 1, Call::Read, Some(1), (10, 20));
        op(&mut h, 2, Call::Read, None, (5, 15));
        assert!(check(&h, Model::Register, Budget::default()).holds());
    }

    #[test]
    fn an_unknown_write_may_or_may_not_have_happened() {
        let mut h = History::new();
        let w = h.invoke(0, Val::Nil, Call::Write(Val::Int(7)), 0);
        h.complete(w, Outcome::Info, Val::Nil, 10);
        op(&mut h, 1, Call::Read, None, (20, 30));
        op(&mut h, 1, Call::Read, Some(7), (40, 50));
        assert!(check(&h, Model::Register, Budget::default()).holds());
        op(&mut h, 1, Call::Read, None, (60, 70));
        assert!(check(&h, Model::Register, Budget::default()).violated());
    }

    #[test]
    fn a_failed_cas_means_the_compare_did_not_match() {
        let mut h = History::new();
        op(&mut h, 0, Call::Write(Val::Int(1)), None, (0, 10));
        let cas = h.invoke(1, Val::Nil, Call::Cas(Val::Int(1), Val::Int(2)), 20);
        h.complete(cas, Outcome::Fail, Val::Nil, 30);
        assert!(check(&h, Model::CasRegister, Budget::default()).violated());
    }

    #[test]
    fn keys_are_checked_independently_and_a_tiny_budget_is_unknown() {
        let mut h = History::new();
        for k in 0..3 {
            let w = h.invoke(k, Val::Int(k as i64), Call::Write(Val::Int(1)), 0);
            h.complete(w, Outcome::Ok, Val::Nil, 10);
            let r = h.invoke(k, Val::Int(k as i64), Call::Read, 20);
            h.complete(r, Outcome::Ok, Val::Int(1), 30);
        }
        match check(&h, Model::Register, Budget::default()) {
            Answer::Holds { witness } => assert_eq!(witness.len(), 6),
            other => panic!("{other:?}"),
        }
        assert!(matches!(check(&h, Model::Register, Budget { steps: 1 }), Answer::Unknown { .. }));
    }
}
