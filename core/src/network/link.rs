//! Directed links: cuts, slow-downs and the FIFO transmit queue that models bandwidth.

use alloc::collections::BTreeMap;

use crate::rng::Rng;
use crate::time::{Micros, MICROS_PER_SEC};
use crate::trace::{DropReason, NodeId};

use super::Network;

#[derive(Clone, Debug, Default)]
struct LinkState {
    cut: bool,
    slow_factor: u32,
    /// When the transmitter finishes the last queued frame.
    busy_until: Micros,
}

/// State of every directed link that differs from the default.
#[derive(Clone, Debug)]
pub struct Links {
    nodes: usize,
    state: BTreeMap<(NodeId, NodeId), LinkState>,
}

/// What the network does with one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Refused at the sender's side: the destination is unreachable right now.
    Blocked(DropReason),
    /// Lost in transit; it vanishes at `at`.
    Lost { at: Micros },
    /// Arrives at `at` after waiting `queued` behind earlier frames; `departs` is when its
    /// last bit leaves the sender.
    Arrives { at: Micros, departs: Micros, queued: Micros },
}

impl Links {
    pub fn new(nodes: usize) -> Self {
        Links { nodes, state: BTreeMap::new() }
    }

    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.state.entry((from, to)).or_default().cut = true;
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.state.get(&(from, to)).is_some_and(|l| l.cut)
    }

    /// Multiplies the latency in both directions; 1 restores it.
    pub fn slow(&mut self, a: NodeId, b: NodeId, factor: u32) {
        for key in [(a, b), (b, a)] {
            self.state.entry(key).or_default().slow_factor = factor.max(1);
        }
    }

    pub fn slow_factor(&self, from: NodeId, to: NodeId) -> u32 {
        self.state.get(&(from, to)).map_or(1, |l| l.slow_factor.max(1))
    }

    pub fn heal_all(&mut self) {
        for link in self.state.values_mut() {
            link.cut = false;
            link.slow_factor = 1;
        }
    }

    /// When the sender's transmitter on this link is free again.
    pub fn busy_until(&self, from: NodeId, to: NodeId) -> Micros {
        self.state.get(&(from, to)).map_or(0, |l| l.busy_until)
    }

    pub fn node_count(&self) -> usize {
        self.nodes
    }
}

impl Network {
    /// Decides the fate and timing of one frame of `bytes` bytes sent at `now`.
    pub fn route(&mut self, rng: &mut Rng, now: Micros, from: NodeId, to: NodeId, bytes: u32) -> Route {
        if self.partitioned(from, to) {
            return Route::Blocked(DropReason::Partition);
        }
        if self.links.is_cut(from, to) {
            return Route::Blocked(DropReason::LinkCut);
        }
        let base = self.base_latency(from, to);
        let departs = self.transmit(now, from, to, bytes);
        let queued = departs.saturating_sub(now + self.transmit_time(bytes));
        let jitter = rng.below(base * Micros::from(self.params.jitter_percent) / 100 + 1);
        let mut at = departs + base + jitter;
        if rng.chance_ppm(self.params.reorder_ppm) {
            at += rng.between(base, base * 3);
        }
        if rng.chance_ppm(self.params.loss_ppm) {
            return Route::Lost { at: departs + (at - departs) / 2 };
        }
        Route::Arrives { at, departs, queued }
    }

    /// The arrival time of a second copy of a frame that departed at `departs`.
    pub fn copy_arrival(&self, rng: &mut Rng, departs: Micros, from: NodeId, to: NodeId) -> Micros {
        let base = self.base_latency(from, to);
        departs + base + rng.below(base * Micros::from(self.params.jitter_percent.max(20)) / 100 + 1)
    }

    fn transmit_time(&self, bytes: u32) -> Micros {
        match self.params.bandwidth_kbps {
            0 => 0,
            kbps => (u64::from(bytes) * 8 * MICROS_PER_SEC / 1000).div_ceil(kbps),
        }
    }

    /// Queues the frame on the FIFO transmitter and returns when its last bit leaves.
    fn transmit(&mut self, now: Micros, from: NodeId, to: NodeId, bytes: u32) -> Micros {
        let duration = self.transmit_time(bytes);
        if duration == 0 {
            return now;
        }
        let link = self.links.state.entry((from, to)).or_default();
        let starts = link.busy_until.max(now);
        link.busy_until = starts + duration;
        link.busy_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{NetParams, Network};
    use alloc::vec;

    fn quiet() -> NetParams {
        NetParams { jitter_percent: 0, ..NetParams::default() }
    }

    #[test]
    fn bandwidth_queues_frames_fifo() {
        // 1000 bytes at 8000 kbit/s = 1 ms on the wire each.
        let mut net = Network::new(NetParams { bandwidth_kbps: 8_000, ..quiet() }, vec![0, 0]);
        let mut rng = Rng::seeded(1);
        let first = net.route(&mut rng, 0, 0, 1, 1000);
        let second = net.route(&mut rng, 0, 0, 1, 1000);
        assert_eq!(first, Route::Arrives { at: 1_000 + 500, departs: 1_000, queued: 0 });
        assert_eq!(second, Route::Arrives { at: 2_000 + 500, departs: 2_000, queued: 1_000 });
        // The other direction has its own transmitter.
        assert_eq!(net.route(&mut rng, 0, 1, 0, 1000), Route::Arrives { at: 1_500, departs: 1_000, queued: 0 });
    }

    #[test]
    fn regions_set_latency_and_slow_multiplies_it() {
        let mut net = Network::new(quiet(), vec![0, 1, 2]);
        let mut rng = Rng::seeded(1);
        assert_eq!(net.route(&mut rng, 0, 0, 1, 10), Route::Arrives { at: 38_000, departs: 0, queued: 0 });
        net.links.slow(0, 2, 4);
        assert_eq!(net.base_latency(2, 0), 300_000);
        net.heal();
        assert_eq!(net.base_latency(2, 0), 75_000);
    }

    #[test]
    fn partitions_and_one_way_cuts_block() {
        let mut net = Network::new(quiet(), vec![0; 4]);
        let mut rng = Rng::seeded(1);
        net.partition(&[vec![0, 1]]);
        assert_eq!(net.route(&mut rng, 0, 0, 2, 1), Route::Blocked(DropReason::Partition));
        assert!(matches!(net.route(&mut rng, 0, 2, 3, 1), Route::Arrives { .. }));
        net.heal();
        net.links.cut(0, 1);
        assert_eq!(net.route(&mut rng, 0, 0, 1, 1), Route::Blocked(DropReason::LinkCut));
        assert!(matches!(net.route(&mut rng, 0, 1, 0, 1), Route::Arrives { .. }));
    }

    #[test]
    fn total_loss_loses_everything_midway() {
        let mut net = Network::new(NetParams { loss_ppm: 1_000_000, ..quiet() }, vec![0, 0]);
        let mut rng = Rng::seeded(1);
        assert_eq!(net.route(&mut rng, 100, 0, 1, 1), Route::Lost { at: 350 });
    }
}
