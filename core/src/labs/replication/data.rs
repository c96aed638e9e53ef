//! The data the replicas keep: the leaderless store's timestamped cells, and a
//! datacenter's state in the multi-leader family, merged as the conflict-handling knob says.
//!
//! A multi-leader datacenter counts the updates it has applied from each origin in a version
//! vector (`seen`). Every update carries a dot (its origin and its number there), so the
//! checkers can tell whether a write that was dropped had been seen by the one that replaced
//! it: if not, it is a lost update.

use crate::sort;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::msg::{Key, Value};
use crate::crdt::{GCounter, MaxCounter, OrSet, PNCounter, VersionVector};
use crate::time::Micros;

/// One version of a key in the leaderless store: its value, the coordinator's clock
/// (`stamp`) and number (`origin`), and, with vector clocks, the version vector that says
/// which versions it descends from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub value: Value,
    pub stamp: u64,
    pub origin: u8,
    pub clock: VersionVector,
}

/// A leaderless replica's value of one key: with timestamps, the one latest version (by
/// stamp, then origin); with vector clocks, every version that no other one descends from
/// (siblings, as Dynamo keeps them for the application to reconcile).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub versions: Vec<Version>,
}

impl Cell {
    pub fn single(version: Version) -> Cell {
        Cell { versions: alloc::vec![version] }
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// The hash the Merkle tree keeps for this key.
    pub fn hash(&self) -> u64 {
        let mut h = crate::digest::Fnv64::default();
        for v in &self.versions {
            h.write_u64(v.stamp);
            h.write_u64(u64::from(v.origin));
            h.write_u64(u64::from(v.value));
        }
        h.finish()
    }

    /// Every version's value, smallest first.
    pub fn values(&self) -> Vec<Value> {
        let mut values: Vec<Value> = self.versions.iter().map(|v| v.value).collect();
        sort::ascending(&mut values);
        values
    }

    /// The latest version's value by timestamp (0: none).
    pub fn latest(&self) -> Value {
        self.versions.iter().max_by_key(|v| (v.stamp, v.origin, v.value)).map_or(0, |v| v.value)
    }

    /// Every version's clock merged: the context a client writes back.
    pub fn context(&self) -> VersionVector {
        let mut vv = VersionVector::new();
        for v in &self.versions {
            vv.merge(&v.clock);
        }
        vv
    }

    /// Merges `other` in; true if this cell changed.
    pub fn merge(&mut self, other: &Cell, vector: bool) -> bool {
        let mut changed = false;
        for v in &other.versions {
            changed |= if vector { self.add_sibling(v) } else { self.add_latest(v) };
        }
        changed
    }

    fn add_latest(&mut self, v: &Version) -> bool {
        let order = |v: &Version| (v.stamp, v.origin, v.value);
        if self.versions.first().is_some_and(|mine| order(mine) >= order(v)) {
            return false;
        }
        self.versions = alloc::vec![v.clone()];
        true
    }

    fn add_sibling(&mut self, v: &Version) -> bool {
        if self.versions.iter().any(|mine| mine.clock.dominates(&v.clock)) {
            return false;
        }
        self.versions.retain(|mine| !v.clock.dominates(&mine.clock));
        self.versions.push(v.clone());
        sort::by_key(&mut self.versions, |v| (v.origin, v.stamp, v.value));
        true
    }
}

/// How a multi-leader store resolves concurrent writes, and what it stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Conflicts {
    /// Registers; the write with the larger physical timestamp wins (an LWW-Register).
    LastWriterWins,
    /// Registers; concurrent writes are kept as siblings by version vector.
    Siblings,
    GCounter,
    PNCounter,
    OrSet,
    /// The teaching variant: a counter replicated by keeping the larger total.
    NaiveCounter,
}

impl Conflicts {
    pub const NAMES: [&'static str; 6] = ["lww", "siblings", "g-counter", "pn-counter", "or-set", "naive-counter"];

    pub fn parse(name: &str) -> Conflicts {
        match name {
            "lww" => Conflicts::LastWriterWins,
            "g-counter" => Conflicts::GCounter,
            "pn-counter" => Conflicts::PNCounter,
            "or-set" => Conflicts::OrSet,
            "naive-counter" => Conflicts::NaiveCounter,
            _ => Conflicts::Siblings,
        }
    }

    pub fn registers(self) -> bool {
        matches!(self, Conflicts::LastWriterWins | Conflicts::Siblings)
    }

    pub fn counter(self) -> bool {
        matches!(self, Conflicts::GCounter | Conflicts::PNCounter | Conflicts::NaiveCounter)
    }
}

/// One write of a register in the multi-leader store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sibling {
    pub value: Value,
    /// The write's own dot: its datacenter and its number there.
    pub dc: u8,
    pub number: u64,
    /// What the writer had seen (its own dot need not be in it).
    pub context: VersionVector,
    /// The writer's physical clock (last writer wins).
    pub stamp: u64,
    /// The simulator's true time of the write: for the checker, never for the protocol.
    pub written_at: Micros,
}

impl Sibling {
    /// Whether `other` had seen this write.
    pub fn seen_by(&self, other: &Sibling) -> bool {
        other.context.get(self.dc) >= self.number
    }
}

/// A write dropped in a merge that its replacement had not seen: a lost update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub key: Key,
    pub lost: Sibling,
    pub kept: Sibling,
}

/// A datacenter's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcState {
    pub dc: u8,
    /// Updates applied, per origin datacenter.
    pub seen: VersionVector,
    /// Per key: one sibling (last writer wins) or several (concurrent, kept).
    pub registers: Vec<Vec<Sibling>>,
    pub g: GCounter,
    pub pn: PNCounter,
    pub naive: MaxCounter,
    pub set: OrSet,
}

impl DcState {
    pub fn new(dc: u8, keys: u8) -> Self {
        DcState { dc, registers: alloc::vec![Vec::new(); usize::from(keys)], ..DcState::default() }
    }

    /// The states a checker compares: everything but the datacenter's own name.
    pub fn same_contents(&self, other: &DcState) -> bool {
        self.seen == other.seen
            && self.registers == other.registers
            && self.g == other.g
            && self.pn == other.pn
            && self.naive == other.naive
            && self.set == other.set
    }

    /// Numbers a new local update: its dot.
    fn next_dot(&mut self) -> u64 {
        self.seen.increment(self.dc)
    }

    /// A client's write at this datacenter. Returns the writes it dropped unseen.
    pub fn write(
        &mut self,
        conflicts: Conflicts,
        key: Key,
        value: Value,
        context: &VersionVector,
        stamp: u64,
        now: Micros,
    ) -> Vec<Dropped> {
        let number = self.next_dot();
        // A dotted version vector (Preguiça et al. 2012): the write's own dot, and the context
        // it was written in, which does not claim the other writes of its datacenter made
        // since the client read. A last-writer-wins write replaces whatever the datacenter
        // holds, so it has seen all of that.
        let context = match conflicts {
            Conflicts::LastWriterWins => self.seen.clone(),
            _ => context.clone(),
        };
        let sibling = Sibling { value, dc: self.dc, number, context, stamp, written_at: now };
        let mut dropped = Vec::new();
        if let Some(slot) = self.registers.get_mut(usize::from(key)) {
            merge_register(conflicts, key, slot, sibling, &mut dropped);
        }
        dropped
    }

    /// A counter or set update at this datacenter.
    pub fn update(&mut self, request: super::msg::Request) {
        use super::msg::Request;
        let number = self.next_dot();
        let dc = self.dc;
        match request {
            Request::Increment => {
                self.g.increment(dc, 1);
                self.pn.increment(dc);
                self.naive.increment(1);
            }
            Request::Decrement => self.pn.decrement(dc),
            Request::Add { element } => {
                self.set.add(element, crate::crdt::Dot { replica: dc, counter: number });
            }
            Request::Remove { element } => {
                self.set.remove(element);
            }
            _ => {}
        }
    }

    /// Merges another datacenter's state into this one. Returns the writes dropped unseen,
    /// and how many keys newly hold concurrent siblings.
    pub fn merge(&mut self, conflicts: Conflicts, other: &DcState) -> (Vec<Dropped>, u32) {
        let mut dropped = Vec::new();
        let mut conflicts_found = 0;
        for (key, theirs) in other.registers.iter().enumerate() {
            let Some(slot) = self.registers.get_mut(key) else { continue };
            let before = slot.len();
            for sibling in theirs {
                merge_register(conflicts, key as Key, slot, sibling.clone(), &mut dropped);
            }
            if before <= 1 && slot.len() > 1 {
                conflicts_found += 1;
            }
        }
        self.seen.merge(&other.seen);
        self.g.merge(&other.g);
        self.pn.merge(&other.pn);
        self.naive.merge(&other.naive);
        self.set.merge(&other.set);
        (dropped, conflicts_found)
    }

    /// What a read of `key` returns: the siblings' values, in order.
    pub fn values(&self, key: Key) -> Vec<Value> {
        let mut values: Vec<Value> =
            self.registers.get(usize::from(key)).map(|s| s.iter().map(|s| s.value).collect()).unwrap_or_default();
        sort::ascending(&mut values);
        values
    }

    /// The context a client writes back after reading `key`: every sibling's context merged.
    pub fn context(&self, key: Key) -> VersionVector {
        let mut vv = VersionVector::new();
        for s in self.registers.get(usize::from(key)).into_iter().flatten() {
            vv.merge(&s.context);
            // The sibling's own dot: every earlier update of its datacenter has been applied
            // here too (whole states are merged), so covering them all is true.
            while vv.get(s.dc) < s.number {
                vv.increment(s.dc);
            }
        }
        vv
    }

    /// The counter's value under `conflicts`.
    pub fn count(&self, conflicts: Conflicts) -> i64 {
        match conflicts {
            Conflicts::GCounter => self.g.value() as i64,
            Conflicts::PNCounter => self.pn.value(),
            _ => self.naive.0 as i64,
        }
    }
}

/// Adds `incoming` to a key's siblings: last writer wins keeps one; siblings mode keeps every
/// write no other has seen. Records writes dropped without having been seen.
fn merge_register(
    conflicts: Conflicts,
    key: Key,
    slot: &mut Vec<Sibling>,
    incoming: Sibling,
    dropped: &mut Vec<Dropped>,
) {
    if slot.iter().any(|s| s.dc == incoming.dc && s.number == incoming.number) {
        return;
    }
    match conflicts {
        Conflicts::LastWriterWins => {
            let Some(current) = slot.first() else {
                slot.push(incoming);
                return;
            };
            let order = |s: &Sibling| (s.stamp, s.dc, s.number);
            let (winner, loser) = if order(&incoming) > order(current) {
                (incoming, current.clone())
            } else {
                (current.clone(), incoming)
            };
            if !loser.seen_by(&winner) {
                dropped.push(Dropped { key, lost: loser, kept: winner.clone() });
            }
            slot.clear();
            slot.push(winner);
        }
        _ => {
            if slot.iter().any(|s| incoming.seen_by(s)) {
                return;
            }
            slot.retain(|s| !s.seen_by(&incoming));
            slot.push(incoming);
            sort::by_key(slot, |s| (s.dc, s.number));
        }
    }
}
