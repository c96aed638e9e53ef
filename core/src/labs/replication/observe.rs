//! What the replication lab reads from the running simulation besides observations: how
//! stale a read was, who leads, whether a new leader's log has every acknowledged write,
//! whether datacenters that applied the same updates agree, and each follower's lag.

use alloc::vec::Vec;

use super::checks::Convergence;
use super::data::DcState;
use super::msg::{Reply, Request};
use super::node::{Family, Role};
use super::{ReplicationLab, ACKED, LAG_EVERY, LAG_KEEP, NO_INCREMENT_LOST, SEC, WRITES_KEPT};
use crate::time::Micros;
use crate::trace::NodeId;

impl ReplicationLab {
    /// Records an acknowledged write, or how stale a read was: how long before it began the
    /// value it returned had been overwritten by an acknowledged write (0 if it had not; none
    /// if the value's write is not among the key's last writes, or the read got siblings).
    /// This is [`recency`]'s definition, kept incrementally per key.
    pub(super) fn staleness_of(
        &mut self,
        request: Request,
        reply: &Reply,
        started: Micros,
        at: Micros,
    ) -> Option<Micros> {
        let value = match reply {
            Reply::Value(v) => *v,
            Reply::Siblings(values, _) if values.len() <= 1 => values.first().copied().unwrap_or(0),
            Reply::Written => 0,
            _ => return None,
        };
        match request {
            Request::Write { key, value } => {
                let key = usize::from(key);
                if self.written.len() <= key {
                    self.written.resize(key + 1, Vec::new());
                }
                let writes = &mut self.written[key];
                if writes.len() == WRITES_KEPT {
                    writes.drain(..WRITES_KEPT / 2);
                }
                writes.push((started, at, value));
                None
            }
            Request::Read { key } => {
                let writes = self.written.get(usize::from(key)).map_or(&[][..], |w| &w[..]);
                let written_at = match value {
                    0 => 0,
                    v => writes.iter().find(|w| w.2 == v)?.1,
                };
                let overwritten = writes.iter().filter(|w| w.0 > written_at && w.1 < started).map(|w| w.1).min();
                let staleness = overwritten.map_or(0, |t| started - t);
                self.staleness.record(staleness);
                Some(staleness)
            }
            _ => None,
        }
    }

    /// The leader of the highest epoch, if one leads.
    pub(super) fn current_leader(&self) -> Option<(NodeId, u64)> {
        self.servers
            .iter()
            .filter_map(|&s| match &self.driver.sim.process(s)?.role {
                Role::Server(server) if server.leading => Some((s, server.epoch)),
                _ => None,
            })
            .max_by_key(|&(_, epoch)| epoch)
    }

    pub(super) fn check_acked(&mut self, leader: NodeId, epoch: u64, at: Micros, seq: u64) {
        let Some(Role::Server(server)) = self.driver.sim.process(leader).map(|p| &p.role) else { return };
        let names = self.driver.names.clone();
        let name = |id: NodeId| names.get(usize::from(id)).cloned().unwrap_or_default();
        let log = server.log.clone();
        for detail in self.acked.check(&log, epoch, &name) {
            self.violate(ACKED, at, seq, detail);
        }
    }

    pub(super) fn check_datacenters(&mut self, at: Micros, seq: u64) {
        let states: Vec<(NodeId, &DcState)> = self
            .servers
            .iter()
            .filter_map(|&s| match &self.driver.sim.process(s)?.role {
                Role::Datacenter(d) => Some((s, &d.state)),
                _ => None,
            })
            .collect();
        let names = &self.driver.names;
        let name = |id: NodeId| names.get(usize::from(id)).cloned().unwrap_or_default();
        let diverged = Convergence::diverged(&states, &name);
        let short = self.convergence.short_count(self.conflicts, &states, &name);
        if let Some(detail) = diverged {
            self.violate(SEC, at, seq, detail);
        }
        if let Some(detail) = short {
            self.violate(NO_INCREMENT_LOST, at, seq, detail);
        }
    }

    /// Every 100 ms of virtual time, how far each follower is behind the leader.
    pub(super) fn sample_lag(&mut self) {
        let now = self.driver.sim.now();
        if self.family != Family::SingleLeader || now < self.next_sample {
            return;
        }
        self.next_sample = now - now % LAG_EVERY + LAG_EVERY;
        let Some((leader, _)) = self.current_leader() else { return };
        let Some(Role::Server(l)) = self.driver.sim.process(leader).map(|p| &p.role) else { return };
        let len = l.log.len() as u64;
        for series in &mut self.lag {
            if self.driver.sim.process(series.node).is_none() {
                continue;
            }
            let behind = if series.node == leader {
                (0, 0)
            } else {
                let have = l.matched.get(usize::from(series.node)).copied().unwrap_or(0).min(len);
                let since = l.appended_at.get(have as usize).copied().unwrap_or(now);
                (len - have, if have < len { now.saturating_sub(since) } else { 0 })
            };
            series.points.push((now, behind.0, behind.1));
            if series.points.len() > LAG_KEEP {
                // Halve the resolution rather than forget the start.
                let kept: Vec<_> = series.points.iter().copied().step_by(2).collect();
                series.points = kept;
            }
        }
    }
}
