//! What the page draws for the partitioning lab: the ring or the key line with each
//! slice's owner, stored keys and requests as densities, every node's keys and load, the
//! moves in progress, every rebalance against its optimum, and the load spread against the
//! number of virtual nodes.

use alloc::vec::Vec;

use super::map::{Placement, Scheme};
use super::node::Reason;
use crate::time::Micros;
use crate::trace::NodeId;

/// Slices of the ring or key line the view aggregates into.
pub const SLICES: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub struct NodeLoad {
    pub node: NodeId,
    pub name: alloc::string::String,
    pub keys: u32,
    /// Requests answered as the owner, since the start.
    pub served: u64,
    pub in_map: bool,
    pub up: bool,
    /// Keys still to hand over in the move under way.
    pub moving_out: u32,
}

/// One change of map.
#[derive(Clone, Debug, PartialEq)]
pub struct MoveRecord {
    pub epoch: u32,
    pub reason: Reason,
    pub before: u16,
    pub after: u16,
    pub started: Micros,
    pub committed: Option<Micros>,
    pub moved: Option<u32>,
    /// The fewest keys any scheme must move for this change of nodes (K / n), if it is one.
    pub optimum: Option<u32>,
}

/// Load spread with `vnodes` virtual nodes per node, over the first map's nodes and keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpreadPoint {
    pub vnodes: u16,
    /// Most keys on a node over the mean, per mille.
    pub max_over_mean: u32,
    /// Standard deviation over the mean, per mille.
    pub deviation: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitioningView {
    pub scheme: Scheme,
    pub epoch: u32,
    /// The map being prepared, if a move is under way.
    pub next_epoch: Option<u32>,
    pub nodes: Vec<NodeLoad>,
    /// Each slice's owner under the committed map (the ring from position 0 clockwise, or
    /// the key line from the smallest key).
    pub owners: Vec<Option<NodeId>>,
    /// Range boundaries as fractions of the key line, per mille (ranges only).
    pub splits: Vec<u32>,
    /// Stored keys per slice.
    pub density: Vec<u32>,
    /// Requests answered per slice lately, in 64ths (halved every second of virtual time).
    pub heat: Vec<u32>,
    /// Moves under way: (from, to, keys still to go).
    pub transfers: Vec<(NodeId, NodeId, u32)>,
    pub moves: Vec<MoveRecord>,
    /// Keys per node in the map: most over mean and deviation over mean, per mille.
    pub max_over_mean: u32,
    pub deviation: u32,
    pub spread: Vec<SpreadPoint>,
    pub keys: u32,
}

/// The slice of the ring or key line a point falls in.
pub fn slice_of(point: u64) -> usize {
    ((u128::from(point) * SLICES as u128) >> 64) as usize
}

/// Each slice's owner: the owner of the slice's middle point.
pub fn slice_owners(placement: &Placement) -> Vec<Option<NodeId>> {
    let width = u64::MAX / SLICES as u64;
    (0..SLICES as u64).map(|i| placement.owner_of_point(i * width + width / 2)).collect()
}

/// Most over mean and standard deviation over mean, per mille, of `counts`.
pub fn spread_of(counts: &[u64]) -> (u32, u32) {
    if counts.is_empty() {
        return (0, 0);
    }
    let n = counts.len() as f64;
    let mean = counts.iter().sum::<u64>() as f64 / n;
    if mean <= 0.0 {
        return (0, 0);
    }
    let max = counts.iter().copied().max().unwrap_or(0) as f64;
    let var = counts.iter().map(|&c| (c as f64 - mean) * (c as f64 - mean)).sum::<f64>() / n;
    ((max / mean * 1000.0) as u32, (libm::sqrt(var) / mean * 1000.0) as u32)
}

impl super::PartitioningLab {
    /// The lab's picture at this instant.
    pub fn view(&self) -> PartitioningView {
        use super::node::Role;
        let sim = &self.driver.sim;
        let placement = &self.shown;
        let map = &placement.map;
        let scheme = map.scheme;
        let next_epoch = match sim.process(self.coordinator).map(|p| &p.role) {
            Some(Role::Coordinator(c)) => c.next.as_ref().map(|n| n.epoch),
            _ => None,
        };
        let mut density = alloc::vec![0u32; SLICES];
        let mut nodes = Vec::new();
        let mut transfers = Vec::new();
        for &id in &self.storage {
            let Some(data) = self.keys_of(id) else { continue };
            for &key in data.keys() {
                density[slice_of(self.space.point(scheme, key))] += 1;
            }
            let mut moving_out = 0;
            if let Some(Role::Storage(s)) = sim.process(id).map(|p| &p.role) {
                if s.next.is_some() && !s.ready {
                    let left = s.to_send();
                    moving_out = left.iter().map(|t| t.1).sum();
                    transfers.extend(left.into_iter().map(|(to, n)| (id, to, n)));
                }
            }
            nodes.push(NodeLoad {
                node: id,
                name: self.name(id),
                keys: data.len() as u32,
                served: self.served.get(usize::from(id)).copied().unwrap_or(0),
                in_map: map.nodes.contains(&id),
                up: sim.status(id) == Some(crate::sim::NodeStatus::Up),
                moving_out,
            });
        }
        let counts: Vec<u64> = nodes.iter().filter(|n| n.in_map).map(|n| u64::from(n.keys)).collect();
        let (max_over_mean, deviation) = spread_of(&counts);
        let splits = if scheme == Scheme::Ranges {
            map.ranges.ranges().iter().skip(1).map(|r| ((u128::from(r.start) * 1000) >> 64) as u32).collect()
        } else {
            Vec::new()
        };
        PartitioningView {
            scheme,
            epoch: map.epoch,
            next_epoch,
            nodes,
            owners: slice_owners(placement),
            splits,
            density,
            heat: self.heat.clone(),
            transfers,
            moves: self.moves.clone(),
            max_over_mean,
            deviation,
            spread: self.spread.clone(),
            keys: self.space.data(),
        }
    }
}
