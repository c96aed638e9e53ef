//! What the lab reads from the running simulation to check a rebalance: the committed map,
//! each node's keys (in memory, or on disk while it is down), the audit once every node has
//! applied a map, and the global index against the data once writes have stopped.

use alloc::format;
use alloc::vec::Vec;

use super::map::{self, Key, Map, Placement};
use super::msg;
use super::node::Role;
use super::{PartitioningLab, INDEX_CONVERGES, NOTHING_LOST};
use crate::sim::NodeStatus;
use crate::time::Micros;
use crate::trace::NodeId;

impl PartitioningLab {
    /// The epoch of the coordinator's committed map.
    pub(super) fn committed_epoch(&self) -> Option<u32> {
        let sim = &self.driver.sim;
        match sim.process(self.coordinator).map(|p| &p.role) {
            Some(Role::Coordinator(c)) => Some(c.map.epoch),
            _ => sim.stable(self.coordinator).and_then(|s| s.map.as_ref()).map(|m| m.epoch),
        }
    }

    /// The coordinator's committed map (its disk's, while it is down).
    pub(super) fn committed_map(&self) -> Option<Map> {
        let sim = &self.driver.sim;
        match sim.process(self.coordinator).map(|p| &p.role) {
            Some(Role::Coordinator(c)) => Some(c.map.clone()),
            _ => sim.stable(self.coordinator).and_then(|s| s.map.clone()),
        }
    }

    /// A storage node's keys: in memory if it runs, on disk if it crashed; none if absent.
    pub(super) fn keys_of(&self, id: NodeId) -> Option<&alloc::collections::BTreeMap<Key, (u64, msg::Value)>> {
        let sim = &self.driver.sim;
        match sim.status(id)? {
            NodeStatus::Absent => None,
            NodeStatus::Crashed => sim.stable(id).map(|s| &s.data),
            _ => match &sim.process(id)?.role {
                Role::Storage(s) => Some(&s.stable.data),
                _ => None,
            },
        }
    }

    /// After the workload, once no index update is outstanding on any node, each term's
    /// present entries on their owners must be the keys that have the term.
    pub(super) fn check_index(&mut self) {
        let sim = &self.driver.sim;
        let stables = self.storage.iter().filter_map(|&id| match sim.process(id).map(|p| &p.role) {
            Some(Role::Storage(s)) => Some(&s.stable),
            _ => sim.stable(id),
        });
        if stables.into_iter().any(|s| !s.index_updates.is_empty()) {
            return;
        }
        self.index_checked = true;
        let mut listed = [0u32; map::TERMS as usize];
        for &id in &self.storage {
            let Some(data) = self.keys_of(id) else { continue };
            for (&key, &(_, value)) in data.range(self.space.data()..) {
                if let (1, Some((term, _))) = (value, self.space.entry_of(key)) {
                    if self.shown.owner(&self.space, key) == Some(id) {
                        listed[usize::from(term)] += 1;
                    }
                }
            }
        }
        let differ = (0..map::TERMS).find(|&t| listed[usize::from(t)] != self.terms.count(t));
        if let Some(t) = differ {
            let (at, seq) = (self.driver.sim.now(), self.driver.sim.trace().total().saturating_sub(1));
            let detail = format!(
                "term {t}: the index lists {} keys, the data holds {}",
                listed[usize::from(t)],
                self.terms.count(t)
            );
            self.violate(INDEX_CONVERGES, at, seq, detail);
        }
    }

    /// Every node applied map `epoch`: each key must be on its owner, and on no other
    /// running node.
    pub(super) fn audit(&mut self, epoch: u32, at: Micros, seq: u64) {
        let Some(map) = self.committed_map() else { return };
        if map.epoch != self.shown.epoch() {
            self.shown = Placement::new(map);
        }
        let placement = self.shown.clone();
        let total = self.space.total() as usize;
        let mut owned = alloc::vec![false; total];
        let mut extra: Vec<(Key, NodeId)> = Vec::new();
        for &id in &self.storage {
            let running = matches!(self.driver.sim.status(id), Some(NodeStatus::Up | NodeStatus::Paused { .. }));
            let Some(data) = self.keys_of(id) else { continue };
            for &key in data.keys() {
                if placement.owner(&self.space, key) == Some(id) {
                    if let Some(slot) = owned.get_mut(key as usize) {
                        *slot = true;
                    }
                } else if running {
                    extra.push((key, id));
                }
            }
        }
        let lost: Vec<Key> = (0..total as Key).filter(|&k| !owned[k as usize] && self.stored[k as usize]).collect();
        self.lost = lost.len() as u64;
        self.duplicated = extra.len() as u64;
        if lost.is_empty() && extra.is_empty() {
            return;
        }
        let mut detail = format!("after map {epoch}:");
        if let Some(&first) = lost.first() {
            let owner = placement.owner(&self.space, first).map(|o| self.name(o)).unwrap_or_default();
            detail += &format!(" {} keys lost (k{first} should be on {owner}, which never received it)", lost.len());
        }
        if let Some(&(key, holder)) = extra.first() {
            detail +=
                &format!(" {} keys on a node that does not own them (k{key} on {})", extra.len(), self.name(holder));
        }
        self.violate(NOTHING_LOST, at, seq, detail);
    }
}
