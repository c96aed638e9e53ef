//! Logical and hybrid clocks, each exactly as published.
//!
//! * Lamport clocks (Lamport 1978, "Time, Clocks, and the Ordering of Events"): increment
//!   on every local event and send; on receive take `max(local, received) + 1`. They satisfy
//!   the clock condition `a → b ⇒ L(a) < L(b)` but cannot tell concurrency.
//! * Vector clocks (Fidge 1988, Mattern 1989): one counter per process; `a → b` exactly when
//!   `V(a) < V(b)`, meaning `≤` in every entry and `<` in at least one.
//! * Hybrid logical clocks (Kulkarni, Demirbas, Madeppa, Avva, Leone 2014, Figure 5): a pair
//!   `(l, c)` where `l` tracks the largest physical time heard of and `c` breaks ties. HLC
//!   satisfies the clock condition and `l − pt` stays bounded by the clock skew.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// How two vector timestamps relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Before,
    After,
    Equal,
    Concurrent,
}

/// Compares two vector clocks (missing entries count as zero).
pub fn compare_vectors(a: &[u32], b: &[u32]) -> Order {
    let (mut less, mut greater) = (false, false);
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        less |= x < y;
        greater |= x > y;
    }
    match (less, greater) {
        (false, false) => Order::Equal,
        (true, false) => Order::Before,
        (false, true) => Order::After,
        (true, true) => Order::Concurrent,
    }
}

/// A Lamport clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lamport(pub u64);

impl Lamport {
    /// A local event or a send.
    pub fn tick(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    pub fn receive(&mut self, received: u64) -> u64 {
        self.0 = self.0.max(received) + 1;
        self.0
    }
}

/// A vector clock for process `me` of `n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorClock {
    me: usize,
    pub entries: Vec<u32>,
}

impl VectorClock {
    pub fn new(me: usize, n: usize) -> Self {
        VectorClock { me, entries: alloc::vec![0; n.max(me + 1)] }
    }

    pub fn tick(&mut self) -> Vec<u32> {
        self.entries[self.me] += 1;
        self.entries.clone()
    }

    pub fn receive(&mut self, received: &[u32]) -> Vec<u32> {
        for (mine, theirs) in self.entries.iter_mut().zip(received) {
            *mine = (*mine).max(*theirs);
        }
        self.tick()
    }
}

/// A hybrid logical clock timestamp, ordered by `l` then `c`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HlcStamp {
    pub l: i64,
    pub c: u32,
}

/// A hybrid logical clock (Kulkarni et al. 2014, Figure 5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hlc(pub HlcStamp);

impl Hlc {
    /// Send or local event, with the node's physical time `pt`.
    pub fn tick(&mut self, pt: i64) -> HlcStamp {
        let previous = self.0.l;
        self.0.l = previous.max(pt);
        self.0.c = if self.0.l == previous { self.0.c + 1 } else { 0 };
        self.0
    }

    /// Receive of a message stamped `m`, with the node's physical time `pt`.
    pub fn receive(&mut self, m: HlcStamp, pt: i64) -> HlcStamp {
        let previous = self.0.l;
        self.0.l = previous.max(m.l).max(pt);
        self.0.c = if self.0.l == previous && self.0.l == m.l {
            self.0.c.max(m.c) + 1
        } else if self.0.l == previous {
            self.0.c + 1
        } else if self.0.l == m.l {
            m.c + 1
        } else {
            0
        };
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(l: i64, c: u32) -> HlcStamp {
        HlcStamp { l, c }
    }

    #[test]
    fn hlc_follows_figure_5_by_hand() {
        // Node j's physical clock reads 10, 10, 12; a message arrives stamped (15, 2).
        let mut j = Hlc::default();
        assert_eq!(j.tick(10), stamp(10, 0)); // l rises to pt: c resets
        assert_eq!(j.tick(10), stamp(10, 1)); // pt did not move: c counts
        assert_eq!(j.receive(stamp(15, 2), 12), stamp(15, 3)); // message ahead: take its l, c+1
        assert_eq!(j.tick(13), stamp(15, 4)); // pt still behind l: c counts on
        assert_eq!(j.receive(stamp(15, 9), 14), stamp(15, 10)); // same l: max(c, c_m) + 1
        assert_eq!(j.receive(stamp(3, 50), 16), stamp(16, 0)); // pt overtakes both: c resets
        assert_eq!(j.receive(stamp(16, 4), 16), stamp(16, 5)); // all equal: max(0, 4) + 1
        assert_eq!(j.receive(stamp(2, 0), 1), stamp(16, 6)); // own l largest: c + 1
    }

    #[test]
    fn lamport_rules() {
        let mut a = Lamport::default();
        assert_eq!(a.tick(), 1);
        assert_eq!(a.receive(7), 8);
        assert_eq!(a.receive(3), 9);
    }

    #[test]
    fn vector_comparison_edge_cases() {
        assert_eq!(compare_vectors(&[1, 2], &[1, 2]), Order::Equal);
        assert_eq!(compare_vectors(&[1, 2], &[1, 3]), Order::Before);
        assert_eq!(compare_vectors(&[2, 2], &[1, 3]), Order::Concurrent);
        assert_eq!(compare_vectors(&[0, 4], &[0, 3]), Order::After);
        assert_eq!(compare_vectors(&[], &[]), Order::Equal);
        assert_eq!(compare_vectors(&[1], &[1, 0]), Order::Equal, "missing entries are zero");
        assert_eq!(compare_vectors(&[1], &[1, 1]), Order::Before);
        let mut p = VectorClock::new(0, 2);
        let mut q = VectorClock::new(1, 2);
        let sent = p.tick();
        assert_eq!(q.receive(&sent), [1, 1]);
        assert_eq!(compare_vectors(&sent, &q.entries), Order::Before);
    }
}
