//! The partitioning lab's guarantees, checked as the run goes:
//!
//! - **one owner**: after a move commits, only the new owner answers for a key; a node that
//!   answers under an older map than one another node already answered under is a second
//!   owner ([`Owners`]).
//! - **no key lost or duplicated**: once every node has applied a map, each key is held by
//!   its owner and by no other running node (`PartitioningLab::audit`).
//! - **reads see the writes before them**: a read returns the value of the latest write
//!   acknowledged before it began, or of a write concurrent with it; never a value already
//!   overwritten, nor nothing for a key that exists ([`Registers`], a per-key regular
//!   register check in Lamport's sense, which is what a single owner per key provides).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::map::{Key, KeySpace, TERMS};
use super::msg::Value;
use crate::time::{format_duration as format_instant, Micros};
use crate::trace::NodeId;

/// The last node to answer for each key, and under which map.
#[derive(Clone, Debug, Default)]
pub struct Owners {
    last: Vec<Option<(NodeId, u32)>>,
}

impl Owners {
    /// `node` answered for `key` under map `epoch`: the node and map it contradicts, if any.
    pub fn served(&mut self, node: NodeId, key: Key, epoch: u32) -> Option<(NodeId, u32)> {
        let i = key as usize;
        if self.last.len() <= i {
            self.last.resize(i + 1, None);
        }
        match self.last[i] {
            Some((other, newer)) if other != node && epoch < newer => Some((other, newer)),
            Some((_, newer)) if epoch < newer => None,
            _ => {
                self.last[i] = Some((node, epoch));
                None
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Write {
    value: Value,
    invoked: Micros,
    /// When it was acknowledged; none while in flight or if its outcome is unknown.
    completed: Option<Micros>,
}

#[derive(Clone, Debug, Default)]
struct Register {
    writes: Vec<Write>,
    /// When the first write was acknowledged (the initial value is gone for reads after).
    first_acked: Option<Micros>,
}

/// Every key's writes that a read could still return.
#[derive(Clone, Debug, Default)]
pub struct Registers {
    keys: BTreeMap<Key, Register>,
}

impl Registers {
    pub fn invoke_write(&mut self, key: Key, value: Value, at: Micros) {
        self.keys.entry(key).or_default().writes.push(Write { value, invoked: at, completed: None });
    }

    /// The write of `value` to `key` was acknowledged at `at`. Writes that no read begun
    /// at or after `horizon` could return are forgotten.
    pub fn ack_write(&mut self, key: Key, value: Value, at: Micros, horizon: Micros) {
        let Some(register) = self.keys.get_mut(&key) else { return };
        if let Some(w) = register.writes.iter_mut().find(|w| w.value == value) {
            w.completed = Some(at);
        }
        register.first_acked = Some(register.first_acked.map_or(at, |t| t.min(at)));
        // Superseded: another write began after it was acknowledged, and was itself
        // acknowledged before the horizon.
        let writes = register.writes.clone();
        register.writes.retain(|w| {
            !writes.iter().any(|later| {
                matches!((w.completed, later.completed), (Some(done), Some(c)) if later.invoked > done && c < horizon)
            })
        });
    }

    /// A read of `key` invoked at `invoked` and answered at `answered` returned `value`
    /// (`None`: the key was not found; `preloaded`: every key exists from the start): the
    /// reason it is wrong, if it is.
    pub fn check_read(
        &self,
        key: Key,
        value: Option<Value>,
        preloaded: bool,
        invoked: Micros,
        answered: Micros,
    ) -> Option<String> {
        let register = self.keys.get(&key);
        let acked_before = |w: &Write| w.completed.is_some_and(|c| c < invoked);
        let first_acked = register.and_then(|r| r.first_acked).filter(|&t| t < invoked);
        let Some(value) = value else {
            if preloaded {
                return Some(format!(
                    "a read of k{key} begun at {} found no such key, though every key exists from the start",
                    format_instant(invoked)
                ));
            }
            return first_acked.map(|t| {
                format!(
                    "a read of k{key} begun at {} found no such key, though a write to it was acknowledged at {}",
                    format_instant(invoked),
                    format_instant(t)
                )
            });
        };
        let writes: &[Write] = register.map_or(&[], |r| &r.writes);
        if value == 0 {
            return first_acked.map(|t| {
                format!(
                    "a read of k{key} begun at {} returned the initial value, though a write was acknowledged at {}",
                    format_instant(invoked),
                    format_instant(t)
                )
            });
        }
        let Some(w) = writes.iter().find(|w| w.value == value) else {
            return Some(format!(
                "a read of k{key} begun at {} returned {value}, a value overwritten before the read began",
                format_instant(invoked)
            ));
        };
        if w.invoked >= answered {
            return Some(format!("a read of k{key} returned {value} before anyone wrote it"));
        }
        let newer = writes
            .iter()
            .filter(|later| acked_before(later))
            .find(|later| later.value != value && w.completed.is_some_and(|done| later.invoked > done));
        newer.map(|later| {
            format!(
                "a read of k{key} begun at {} returned {value}, but {} was written after it and acknowledged at {}",
                format_instant(invoked),
                later.value,
                format_instant(later.completed.unwrap_or(0))
            )
        })
    }
}

/// Every workload key's term, as its owner last stored it, and how many keys have each
/// term: the truth an index query's answer is compared with.
#[derive(Clone, Debug)]
pub struct TermCounts {
    terms: Vec<Option<u8>>,
    counts: [u32; TERMS as usize],
    /// Answers that differed from the count at the moment they completed.
    pub off: u64,
}

impl TermCounts {
    /// `keys` keys, each holding its initial value if `preloaded`, else none yet.
    pub fn new(keys: u32, preloaded: bool) -> TermCounts {
        let mut t = TermCounts { terms: alloc::vec![None; keys as usize], counts: [0; TERMS as usize], off: 0 };
        if preloaded {
            for key in 0..keys {
                t.wrote(key, 0);
            }
        }
        t
    }

    /// `key`'s owner stored `value` (keys outside the workload's are ignored).
    pub fn wrote(&mut self, key: Key, value: Value) {
        let Some(slot) = self.terms.get_mut(key as usize) else { return };
        if let Some(old) = slot.take() {
            self.counts[usize::from(old)] -= 1;
        }
        let term = KeySpace::term(key, value);
        *slot = Some(term);
        self.counts[usize::from(term)] += 1;
    }

    /// How many keys have `term` now.
    pub fn count(&self, term: u8) -> u32 {
        self.counts.get(usize::from(term)).copied().unwrap_or(0)
    }

    /// A query for `term` answered `count`.
    pub fn answered(&mut self, term: u8, count: u32) {
        if self.counts.get(usize::from(term)) != Some(&count) {
            self.off += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_answering_under_an_older_map_after_another_took_over_is_caught() {
        let mut owners = Owners::default();
        assert_eq!(owners.served(1, 7, 0), None);
        assert_eq!(owners.served(2, 7, 1), None);
        assert_eq!(owners.served(1, 7, 0), Some((2, 1)));
        assert_eq!(owners.served(1, 7, 2), None);
    }

    #[test]
    fn reads_must_see_the_writes_acknowledged_before_them() {
        let mut r = Registers::default();
        assert_eq!(r.check_read(3, Some(0), true, 10, 20), None);
        r.invoke_write(3, 17, 30);
        r.ack_write(3, 17, 40, 0);
        // Concurrent with the write: either value.
        assert_eq!(r.check_read(3, Some(0), true, 35, 45), None);
        assert_eq!(r.check_read(3, Some(17), true, 35, 45), None);
        // After it: the old value is stale, and nothing at all is wrong.
        assert!(r.check_read(3, Some(0), true, 50, 60).is_some());
        assert!(r.check_read(3, None, true, 50, 60).is_some());
        // Keys that arrive with the writes: nothing is fine until a write is acknowledged.
        assert_eq!(r.check_read(9, None, false, 50, 60), None);
        assert!(r.check_read(3, None, false, 50, 60).is_some());
        r.invoke_write(3, 33, 70);
        r.ack_write(3, 33, 80, 0);
        assert!(r.check_read(3, Some(17), true, 90, 95).unwrap().contains("33 was written after it"));
        assert_eq!(r.check_read(3, Some(33), true, 90, 95), None);
        // A write whose outcome is unknown stays possible for ever.
        r.invoke_write(3, 49, 100);
        assert_eq!(r.check_read(3, Some(49), true, 500, 510), None);
    }

    #[test]
    fn superseded_writes_are_forgotten_once_no_read_can_return_them() {
        let mut r = Registers::default();
        for (i, v) in [17, 33, 49, 65].into_iter().enumerate() {
            let t = 100 * i as Micros;
            r.invoke_write(1, v, t);
            r.ack_write(1, v, t + 10, t + 50);
        }
        assert_eq!(r.keys[&1].writes.len(), 1);
        assert!(r.check_read(1, Some(17), true, 400, 410).is_some());
    }
}
