//! State-based conflict-free replicated data types (CvRDTs), after Shapiro, Preguiça, Baquero
//! & Zawirski, "Conflict-free Replicated Data Types" (SSS 2011), and the companion INRIA
//! technical report RR-7506, "A comprehensive study of Convergent and Commutative Replicated
//! Data Types" (2011), whose specification numbers are quoted below.
//!
//! A state-based CRDT is a payload whose states form a join-semilattice: `merge` computes the
//! least upper bound, so it is commutative, associative and idempotent, and every update only
//! moves the state upwards. Replicas then converge whatever the network does to the gossip
//! (reorders, duplicates, delays), as long as every update eventually reaches every replica:
//! two replicas that have received the same updates have equal state, and here "equal" means
//! `==`, so every payload is kept in a canonical form (sorted vectors, no trailing zeros).
//!
//! The module holds the version vector that detects concurrency (Causality), the grow-only
//! counter (Specification 6), the positive-negative counter (Specification 7), the
//! last-writer-wins register (Specification 8), and the observed-remove set (Specification 15,
//! stated there in operation-based form; here in state-based form, with the removed tags kept
//! as tombstones), whose unique tags make a concurrent add win over a remove that did not
//! observe it. It also
//! holds [`MaxCounter`], a tempting but wrong counter kept to be shown failing.
//!
//! Replicas are small integers ([`ReplicaId`]); everything is `u64`/`u8` arithmetic, with no
//! floats and no `usize` in any payload, so states encode and compare identically on every
//! target.

use crate::sort;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A replica's identity, `0..8` in the labs (any `u8` works).
pub type ReplicaId = u8;

/// How two version vectors relate in the happened-before order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Causality {
    Equal,
    /// `self` happened before `other`: pointwise `<=` and not equal.
    Before,
    /// `self` happened after `other`: pointwise `>=` and not equal.
    After,
    /// Neither dominates: the histories diverged.
    Concurrent,
}

/// One counter per replica (Fidge 1988, Mattern 1989). Missing entries are 0, and equality
/// ignores trailing zeros, so `[1]` and `[1, 0, 0]` are the same vector.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct VersionVector(pub Vec<u64>);

impl PartialEq for VersionVector {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Causality::Equal
    }
}

impl Eq for VersionVector {}

impl VersionVector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.0.get(usize::from(replica)).copied().unwrap_or(0)
    }

    /// Counts one more event at `replica` and returns its new count.
    pub fn increment(&mut self, replica: ReplicaId) -> u64 {
        self.add(replica, 1)
    }

    fn add(&mut self, replica: ReplicaId, by: u64) -> u64 {
        let index = usize::from(replica);
        if self.0.len() <= index {
            self.0.resize(index + 1, 0);
        }
        self.0[index] = self.0[index].saturating_add(by);
        self.trim();
        self.get(replica)
    }

    /// Pointwise maximum: the least upper bound of the two.
    pub fn merge(&mut self, other: &VersionVector) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, &theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(theirs);
        }
        self.trim();
    }

    pub fn compare(&self, other: &VersionVector) -> Causality {
        let length = self.0.len().max(other.0.len());
        let (mut some_less, mut some_greater) = (false, false);
        for i in 0..length {
            let mine = self.0.get(i).copied().unwrap_or(0);
            let theirs = other.0.get(i).copied().unwrap_or(0);
            some_less |= mine < theirs;
            some_greater |= mine > theirs;
        }
        match (some_less, some_greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Whether `self >= other` pointwise (true for equal vectors too).
    pub fn dominates(&self, other: &VersionVector) -> bool {
        matches!(self.compare(other), Causality::Equal | Causality::After)
    }

    /// The sum of all entries.
    pub fn total(&self) -> u64 {
        self.0.iter().fold(0u64, |sum, &count| sum.saturating_add(count))
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

/// The grow-only counter (RR-7506, Specification 6): each replica increments only its own
/// entry, the value is the sum, and merge takes the pointwise maximum.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GCounter {
    counts: VersionVector,
}

impl GCounter {
    /// Adds `by` to `replica`'s own entry. Call it only on `replica`'s copy.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) {
        self.counts.add(replica, by);
    }

    /// How much `replica` has added.
    pub fn count(&self, replica: ReplicaId) -> u64 {
        self.counts.get(replica)
    }

    pub fn value(&self) -> u64 {
        self.counts.total()
    }

    pub fn merge(&mut self, other: &GCounter) {
        self.counts.merge(&other.counts);
    }
}

/// The positive-negative counter (RR-7506, Specification 7): two grow-only counters, `p` for
/// increments and `n` for decrements; the value is their difference.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PNCounter {
    p: GCounter,
    n: GCounter,
}

impl PNCounter {
    pub fn increment(&mut self, replica: ReplicaId) {
        self.p.increment(replica, 1);
    }

    pub fn decrement(&mut self, replica: ReplicaId) {
        self.n.increment(replica, 1);
    }

    /// Increments minus decrements (exact while the difference fits in an `i64`).
    pub fn value(&self) -> i64 {
        self.p.value().wrapping_sub(self.n.value()) as i64
    }

    pub fn merge(&mut self, other: &PNCounter) {
        self.p.merge(&other.p);
        self.n.merge(&other.n);
    }
}

/// The last-writer-wins register (RR-7506, Specification 8): a write carries a timestamp and
/// the writer's id, and the greatest `(stamp, replica)` wins; the replica id breaks ties
/// between equal stamps. A write that loses is silently discarded, which is the register's
/// well-known cost: of two concurrent writes, one is lost.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LwwRegister {
    pub value: u32,
    pub stamp: u64,
    pub replica: ReplicaId,
}

impl LwwRegister {
    /// Writes `value` if `(stamp, replica)` is greater than the current one; returns whether
    /// the write took effect.
    pub fn set(&mut self, value: u32, stamp: u64, replica: ReplicaId) -> bool {
        if (stamp, replica) > (self.stamp, self.replica) {
            *self = LwwRegister { value, stamp, replica };
            true
        } else {
            false
        }
    }

    /// Keeps the greater `(stamp, replica)`. Two different values under the same
    /// `(stamp, replica)` are a caller bug (a replica reused a stamp); the greater value is
    /// kept then, so merge stays commutative.
    pub fn merge(&mut self, other: &LwwRegister) {
        if (other.stamp, other.replica, other.value) > (self.stamp, self.replica, self.value) {
            *self = other.clone();
        }
    }

    pub fn value(&self) -> u32 {
        self.value
    }
}

/// A unique tag for one add: the adding replica and its own running count of adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Dot {
    pub replica: ReplicaId,
    pub counter: u64,
}

/// The observed-remove set (RR-7506, Specification 15, in state-based form) of `u8` elements. Every add is tagged
/// with a unique [`Dot`]; a remove tombstones exactly the (element, dot) pairs its replica has
/// observed, so an add concurrent with the remove (whose dot the remover never saw) survives
/// the merge: add wins. The payload is the live pairs and the tombstones, both kept sorted and
/// disjoint, so equal content means `==`. Tombstones are never collected.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrSet {
    added: Vec<(u8, Dot)>,
    removed: Vec<(u8, Dot)>,
}

impl OrSet {
    /// Adds `element` under `dot`; returns whether the pair is new (a re-delivered or already
    /// removed pair changes nothing).
    pub fn add(&mut self, element: u8, dot: Dot) -> bool {
        let pair = (element, dot);
        if self.removed.binary_search(&pair).is_ok() {
            return false;
        }
        match self.added.binary_search(&pair) {
            Ok(_) => false,
            Err(position) => {
                self.added.insert(position, pair);
                true
            }
        }
    }

    /// The next unused dot for `replica`: one past the greatest counter `replica` has used in
    /// this set's adds and tombstones. Unique as long as `replica` mints only on its own copy.
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        let used = self.added.iter().chain(&self.removed).filter(|(_, dot)| dot.replica == replica);
        let counter = used.map(|(_, dot)| dot.counter).max().unwrap_or(0) + 1;
        Dot { replica, counter }
    }

    /// Adds `element` at `replica` under a freshly minted dot, and returns the dot.
    pub fn add_new(&mut self, element: u8, replica: ReplicaId) -> Dot {
        let dot = self.next_dot(replica);
        self.add(element, dot);
        dot
    }

    /// Tombstones every observed add of `element`; returns how many.
    pub fn remove(&mut self, element: u8) -> u32 {
        let observed: Vec<(u8, Dot)> = self.added.iter().copied().filter(|&(e, _)| e == element).collect();
        self.added.retain(|&(e, _)| e != element);
        for &pair in &observed {
            if let Err(position) = self.removed.binary_search(&pair) {
                self.removed.insert(position, pair);
            }
        }
        observed.len() as u32
    }

    pub fn contains(&self, element: u8) -> bool {
        let first = self.added.partition_point(|&(e, _)| e < element);
        self.added.get(first).is_some_and(|&(e, _)| e == element)
    }

    /// The present elements, sorted, each once.
    pub fn elements(&self) -> Vec<u8> {
        let mut elements: Vec<u8> = self.added.iter().map(|&(e, _)| e).collect();
        elements.dedup();
        elements
    }

    /// Union of the adds and union of the tombstones; a tombstoned add is not present.
    pub fn merge(&mut self, other: &OrSet) {
        self.removed = sorted_union(&self.removed, &other.removed);
        let removed = &self.removed;
        let mut added = sorted_union(&self.added, &other.added);
        added.retain(|pair| removed.binary_search(pair).is_err());
        self.added = added;
    }
}

fn sorted_union<T: Ord + Copy>(left: &[T], right: &[T]) -> Vec<T> {
    let mut union = [left, right].concat();
    sort::ascending(&mut union);
    union.dedup();
    union
}

/// The teaching mistake: a "counter" replicated by keeping the larger total. `increment` adds
/// to the local total and `merge` takes the maximum. Merge is commutative, associative and
/// idempotent, so replicas do converge, but to the wrong number. This is NOT a CRDT counter:
/// the state does not record who incremented, so two concurrent increments from the same
/// starting value both produce the same total and one of them is lost (two replicas at 0 each
/// add 1; the merge says 1, not 2). [`GCounter`] keeps one entry per replica to avoid exactly
/// this.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaxCounter(pub u64);

impl MaxCounter {
    pub fn increment(&mut self, by: u64) {
        self.0 = self.0.saturating_add(by);
    }

    pub fn value(&self) -> u64 {
        self.0
    }

    pub fn merge(&mut self, other: &MaxCounter) {
        self.0 = self.0.max(other.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use core::fmt::Debug;

    const CASES: u64 = 500;
    const REPLICAS: u8 = 3;

    struct XorShift(u64);

    impl XorShift {
        fn seeded(seed: u64) -> Self {
            XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }
    }

    /// Three replicas apply random updates (each on its own copy) and gossip at random.
    fn random_replicas<T: Clone + Default>(
        seed: u64,
        merge: fn(&mut T, &T),
        mut update: impl FnMut(&mut T, ReplicaId, &mut XorShift),
    ) -> Vec<T> {
        let mut rng = XorShift::seeded(seed);
        let mut replicas = vec![T::default(); usize::from(REPLICAS)];
        for _ in 0..rng.below(30) {
            let at = rng.below(u64::from(REPLICAS)) as u8;
            if rng.below(4) == 0 {
                let from = replicas[rng.below(u64::from(REPLICAS)) as usize].clone();
                merge(&mut replicas[usize::from(at)], &from);
            } else {
                update(&mut replicas[usize::from(at)], at, &mut rng);
            }
        }
        replicas
    }

    fn merged<T: Clone>(merge: fn(&mut T, &T), left: &T, right: &T) -> T {
        let mut result = left.clone();
        merge(&mut result, right);
        result
    }

    fn assert_semilattice<T: Clone + PartialEq + Debug>(merge: fn(&mut T, &T), states: &[T]) {
        let (a, b, c) = (&states[0], &states[1], &states[2]);
        assert_eq!(merged(merge, a, b), merged(merge, b, a), "commutative");
        let left = merged(merge, &merged(merge, a, b), c);
        let right = merged(merge, a, &merged(merge, b, c));
        assert_eq!(left, right, "associative");
        assert_eq!(merged(merge, a, a), *a, "idempotent");
        assert_eq!(merged(merge, &left, b), left, "absorbs what it has seen");
    }

    /// Every replica merges every other: all end equal. Returns the common state.
    fn converge<T: Clone + PartialEq + Debug>(merge: fn(&mut T, &T), states: &[T]) -> T {
        let mut all = states[0].clone();
        for state in states {
            merge(&mut all, state);
        }
        for state in states.iter().rev() {
            assert_eq!(merged(merge, state, &all), all);
        }
        all
    }

    #[test]
    fn version_vector_compares_causally() {
        let vv = |entries: &[u64]| VersionVector(entries.to_vec());
        assert_eq!(vv(&[1, 2]).compare(&vv(&[1, 2, 0])), Causality::Equal);
        assert_eq!(vv(&[1, 2]), vv(&[1, 2, 0, 0]));
        assert_eq!(vv(&[1, 1]).compare(&vv(&[1, 2])), Causality::Before);
        assert_eq!(vv(&[1, 2, 1]).compare(&vv(&[1, 2])), Causality::After);
        assert_eq!(vv(&[2, 1]).compare(&vv(&[1, 2])), Causality::Concurrent);
        assert_eq!(VersionVector::new().compare(&vv(&[0, 0, 1])), Causality::Before);
        assert!(vv(&[2, 2]).dominates(&vv(&[2, 1])) && vv(&[2, 2]).dominates(&vv(&[2, 2])));
        assert!(!vv(&[2, 1]).dominates(&vv(&[1, 2])));

        let mut clock = VersionVector::new();
        assert_eq!(clock.increment(3), 1);
        assert_eq!(clock.increment(3), 2);
        assert_eq!((clock.get(3), clock.get(0), clock.get(200)), (2, 0, 0));
        clock.merge(&vv(&[5, 0, 0, 1, 0]));
        assert_eq!(clock, vv(&[5, 0, 0, 2]));
        assert_eq!(clock.0.len(), 4, "merge trims trailing zeros");
        assert_eq!(clock.total(), 7);
    }

    #[test]
    fn version_vector_merge_is_a_join() {
        for seed in 0..CASES {
            let states = random_replicas(seed, VersionVector::merge, |vv: &mut VersionVector, at, _| {
                vv.increment(at);
            });
            assert_semilattice(VersionVector::merge, &states);
            let all = converge(VersionVector::merge, &states);
            assert!(states.iter().all(|state| all.dominates(state)));
        }
    }

    #[test]
    fn g_counter_converges_to_the_sum_of_increments() {
        for seed in 0..CASES {
            let mut total = 0;
            let states = random_replicas(seed, GCounter::merge, |counter: &mut GCounter, at, rng| {
                let by = rng.below(5);
                total += by;
                counter.increment(at, by);
            });
            assert_semilattice(GCounter::merge, &states);
            assert_eq!(converge(GCounter::merge, &states).value(), total);
        }
    }

    #[test]
    fn pn_counter_converges_to_increments_minus_decrements() {
        for seed in 0..CASES {
            let mut total = 0i64;
            let states = random_replicas(seed, PNCounter::merge, |counter: &mut PNCounter, at, rng| {
                if rng.below(3) == 0 {
                    total -= 1;
                    counter.decrement(at);
                } else {
                    total += 1;
                    counter.increment(at);
                }
            });
            assert_semilattice(PNCounter::merge, &states);
            assert_eq!(converge(PNCounter::merge, &states).value(), total);
        }
    }

    #[test]
    fn lww_register_keeps_the_latest_write() {
        let mut register = LwwRegister::default();
        assert!(register.set(7, 10, 1));
        assert!(!register.set(8, 9, 2), "an older stamp is discarded");
        assert!(register.set(9, 10, 2), "the replica id breaks a tie");
        assert!(!register.set(1, 10, 0));
        assert_eq!(register.value(), 9);

        for seed in 0..CASES {
            let mut latest = (0u64, 0u8, 0u32);
            let states = random_replicas(seed, LwwRegister::merge, |register: &mut LwwRegister, at, rng| {
                let (value, stamp) = (rng.below(100) as u32, rng.below(20));
                if register.set(value, stamp, at) {
                    latest = latest.max((stamp, at, value));
                }
            });
            assert_semilattice(LwwRegister::merge, &states);
            let all = converge(LwwRegister::merge, &states);
            assert_eq!((all.stamp, all.replica, all.value), latest);
        }
    }

    #[test]
    fn or_set_merge_is_a_join() {
        for seed in 0..CASES {
            let states = random_replicas(seed, OrSet::merge, |set: &mut OrSet, at, rng| {
                let element = rng.below(6) as u8;
                if rng.below(3) == 0 {
                    set.remove(element);
                } else {
                    set.add_new(element, at);
                }
            });
            assert_semilattice(OrSet::merge, &states);
            let all = converge(OrSet::merge, &states);
            assert!(all.added.iter().all(|pair| all.removed.binary_search(pair).is_err()), "no tombstoned add is live");
            for element in 0..6 {
                assert_eq!(all.contains(element), all.elements().contains(&element));
            }
        }
    }

    #[test]
    fn or_set_basic_operations() {
        let mut set = OrSet::default();
        let first = set.add_new(4, 0);
        assert_eq!(first, Dot { replica: 0, counter: 1 });
        assert_eq!(set.add_new(4, 0), Dot { replica: 0, counter: 2 });
        set.add_new(2, 1);
        assert!(!set.add(2, Dot { replica: 1, counter: 1 }), "re-delivery changes nothing");
        assert_eq!(set.elements(), vec![2, 4]);
        assert_eq!(set.remove(4), 2);
        assert_eq!(set.remove(4), 0);
        assert!(!set.contains(4) && set.contains(2));
        assert!(!set.add(4, first), "a removed add does not come back");
        assert_eq!(set.next_dot(0), Dot { replica: 0, counter: 3 }, "tombstones keep dots used");
    }

    #[test]
    fn or_set_add_wins_over_a_concurrent_remove() {
        let mut a = OrSet::default();
        a.add_new(9, 0);
        let mut b = a.clone();
        let mut sequential = a.clone();
        a.add_new(9, 0);
        assert_eq!(b.remove(9), 1, "b removes only the add it observed");
        sequential.merge(&b);
        assert!(!sequential.contains(9), "a remove propagates to a replica that saw nothing newer");
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.merge(&b);
        ba.merge(&a);
        assert!(ab.contains(9) && ba.contains(9));
        assert_eq!(ab, ba);
        assert_eq!(ab.remove(9), 1, "only the unobserved add survived");
    }

    #[test]
    fn max_counter_loses_a_concurrent_increment() {
        let (mut a, mut b) = (MaxCounter::default(), MaxCounter::default());
        a.increment(1);
        b.increment(1);
        a.merge(&b);
        assert_eq!(a.value(), 1, "two increments, but the merge keeps one");
        for seed in 0..CASES {
            let states = random_replicas(seed, MaxCounter::merge, |counter: &mut MaxCounter, _, rng| {
                counter.increment(rng.below(5));
            });
            assert_semilattice(MaxCounter::merge, &states);
        }

        let (mut good_a, mut good_b) = (GCounter::default(), GCounter::default());
        good_a.increment(0, 1);
        good_b.increment(1, 1);
        good_a.merge(&good_b);
        assert_eq!(good_a.value(), 2);
    }

    #[test]
    fn states_travel_through_serde() {
        let mut set = OrSet::default();
        set.add_new(3, 2);
        set.add_new(5, 1);
        set.remove(5);
        assert_eq!(serde_json::from_str::<OrSet>(&serde_json::to_string(&set).unwrap()).unwrap(), set);
    }
}
