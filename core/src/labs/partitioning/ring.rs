//! Consistent hashing on a ring with virtual nodes (Karger, Lehman, Leighton, Panigrahy,
//! Levine & Lewin, "Consistent Hashing and Random Trees", STOC 1997; virtual nodes as in
//! Dynamo, DeCandia et al., SOSP 2007).
//!
//! The hash space `u64` is a circle. Each node places `vnodes` points on it, and a key
//! belongs to the node owning the first point at or clockwise after the key's hash. Adding
//! a node takes over only the arcs just before its new points, about `1 / (n + 1)` of the
//! keys; with one point per node the arcs are very uneven, and many virtual nodes per node
//! even them out.

use super::schemes::key_hash;
use crate::sort;
use alloc::vec::Vec;

/// The fewest virtual nodes per node a ring accepts.
pub const MIN_VNODES: u16 = 1;
/// The most virtual nodes per node a ring accepts.
pub const MAX_VNODES: u16 = 512;

/// One virtual node: its position on the ring and the node that owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    pub position: u64,
    pub node: u16,
}

/// A consistent-hashing ring: every node's virtual nodes, sorted by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    vnodes: u16,
    points: Vec<Point>,
}

/// The position of `node`'s `replica`-th virtual node: [`key_hash`] of the two packed into
/// one word with the top bit set. `key_hash` is a bijection, so no two virtual nodes ever
/// share a position, and none sits exactly on the hash of a key below 2^63 (without the
/// top bit, node 0's points would be the hashes of keys 0, 1, 2, … and take those keys).
pub fn vnode_position(node: u16, replica: u16) -> u64 {
    key_hash((1 << 63) | (u64::from(node) << 32) | u64::from(replica))
}

impl Ring {
    /// A ring of `nodes`, each with `vnodes` virtual nodes (clamped to
    /// `MIN_VNODES..=MAX_VNODES`). A node listed twice is placed once.
    pub fn new(nodes: &[u16], vnodes: u16) -> Ring {
        let vnodes = vnodes.clamp(MIN_VNODES, MAX_VNODES);
        let mut unique = nodes.to_vec();
        sort::ascending(&mut unique);
        unique.dedup();
        let mut points: Vec<Point> = unique
            .iter()
            .flat_map(|&node| (0..vnodes).map(move |replica| Point { position: vnode_position(node, replica), node }))
            .collect();
        // Sorted once: 100 nodes of 256 points each take a millisecond, not a second.
        sort::ascending(&mut points);
        Ring { vnodes, points }
    }

    /// Virtual nodes per node.
    pub fn vnodes(&self) -> u16 {
        self.vnodes
    }

    /// Every virtual node, in clockwise order from position 0.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The nodes on the ring, in ascending id order.
    pub fn nodes(&self) -> Vec<u16> {
        let mut nodes: Vec<u16> = self.points.iter().map(|point| point.node).collect();
        sort::ascending(&mut nodes);
        nodes.dedup();
        nodes
    }

    pub fn contains(&self, node: u16) -> bool {
        self.points.iter().any(|point| point.node == node)
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Places `node`'s virtual nodes; `false` (and no change) if it is already on the ring.
    pub fn add_node(&mut self, node: u16) -> bool {
        if self.contains(node) {
            return false;
        }
        self.points.extend((0..self.vnodes).map(|replica| Point { position: vnode_position(node, replica), node }));
        sort::ascending(&mut self.points);
        true
    }

    /// Takes `node`'s virtual nodes off the ring; `false` if it was not there.
    pub fn remove_node(&mut self, node: u16) -> bool {
        let before = self.points.len();
        self.points.retain(|point| point.node != node);
        self.points.len() != before
    }

    /// The index in [`Ring::points`] of the virtual node owning `hash`: the first at or
    /// after it, wrapping past the top of the hash space to the first point. `None` on an
    /// empty ring.
    pub fn owning_point(&self, hash: u64) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let at = self.points.partition_point(|point| point.position < hash);
        Some(if at == self.points.len() { 0 } else { at })
    }

    /// The node owning `hash`, or `None` on an empty ring.
    pub fn owner(&self, hash: u64) -> Option<u16> {
        self.owning_point(hash).map(|index| self.points[index].node)
    }
}

#[cfg(test)]
mod tests {
    use super::super::schemes::{loads, max_over_mean_per_mille, moved};
    use super::*;

    fn keys(count: u64) -> Vec<u64> {
        (0..count).map(|key| key_hash(key ^ 0x5eed)).collect()
    }

    #[test]
    fn an_empty_ring_has_no_owner() {
        let mut ring = Ring::new(&[], 16);
        assert!(ring.is_empty());
        assert_eq!(ring.owner(12345), None);
        assert!(!ring.remove_node(3));
        ring.add_node(3);
        ring.remove_node(3);
        assert_eq!(ring.owner(0), None);
    }

    #[test]
    fn lookup_takes_the_first_point_clockwise_and_wraps() {
        let ring = Ring::new(&[1, 2, 3], 4);
        let points = ring.points();
        assert_eq!(points.len(), 12);
        assert!(points.windows(2).all(|pair| pair[0].position < pair[1].position));
        for point in points {
            assert_eq!(ring.owner(point.position), Some(point.node));
        }
        let first = points[0];
        let last = points[points.len() - 1];
        assert_eq!(ring.owner(last.position.wrapping_add(1)), Some(first.node));
        assert_eq!(ring.owner(0), Some(first.node));
        if points[1].position > first.position + 1 {
            assert_eq!(ring.owner(first.position + 1), Some(points[1].node));
        }
    }

    #[test]
    fn vnodes_are_clamped_and_duplicates_placed_once() {
        assert_eq!(Ring::new(&[1], 0).vnodes(), MIN_VNODES);
        assert_eq!(Ring::new(&[1], 9999).vnodes(), MAX_VNODES);
        let ring = Ring::new(&[5, 2, 5], 8);
        assert_eq!(ring.points().len(), 16);
        assert_eq!(ring.nodes(), [2, 5]);
    }

    #[test]
    fn adding_then_removing_a_node_restores_the_ring() {
        let original = Ring::new(&[0, 1, 2, 3], 32);
        let mut ring = original.clone();
        assert!(ring.add_node(9));
        assert!(!ring.add_node(9));
        assert!(ring.remove_node(9));
        assert_eq!(ring, original);
    }

    #[test]
    fn adding_a_node_moves_about_one_over_n_plus_one_all_to_it() {
        let keys = keys(10_000);
        for n in [4u16, 10] {
            let nodes: Vec<u16> = (0..n).collect();
            let before = Ring::new(&nodes, 128);
            let mut after = before.clone();
            after.add_node(n);
            for &key in &keys {
                let (old, new) = (before.owner(key), after.owner(key));
                assert!(old == new || new == Some(n));
            }
            let moved = moved(|k| before.owner(k), |k| after.owner(k), &keys);
            let expected = keys.len() / (usize::from(n) + 1);
            assert!(
                moved * 10 >= expected * 5 && moved * 10 <= expected * 16,
                "{n} nodes: moved {moved}, expected about {expected}"
            );
        }
    }

    #[test]
    fn many_vnodes_balance_the_load() {
        let keys = keys(10_000);
        let nodes: Vec<u16> = (0..10).collect();
        let imbalance = |vnodes| {
            let ring = Ring::new(&nodes, vnodes);
            max_over_mean_per_mille(&loads(&nodes, |k| ring.owner(k), &keys)).unwrap()
        };
        let (one, many) = (imbalance(1), imbalance(256));
        assert!(many < 1300, "256 vnodes: {many}");
        assert!(one > 1500, "1 vnode: {one}");
        assert!(one > many + 500, "1 vnode {one} vs 256 vnodes {many}");
    }
}
