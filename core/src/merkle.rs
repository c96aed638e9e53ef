//! A Merkle tree over a key range, for anti-entropy between replicas.
//!
//! Merkle ("A Digital Signature Based on a Conventional Encryption Function", CRYPTO 1987)
//! hashes data in a binary tree: each leaf is a hash of its data, each inner node a hash of
//! its two children, so the root summarises everything and a difference anywhere changes every
//! hash on the path to the root. Dynamo (DeCandia et al., "Dynamo: Amazon's Highly Available
//! Key-value Store", SOSP 2007, §4.7) and Cassandra use this for replica synchronisation: each
//! replica keeps a tree over a key range, two replicas compare roots, and descend only into
//! the children whose hashes differ. Identical replicas exchange one hash; replicas that differ
//! in a few keys exchange a few hashes per level and then only the differing ranges, instead of
//! every key.
//!
//! Here keys are `u32` in `0..key_space`, split evenly into `2^depth` contiguous leaf ranges
//! (`depth` in `1..=16`), and each key carries a caller-chosen 64-bit hash of its version or
//! value. Level 0 is the root and level `depth` holds the leaves; node `(level, index)` has
//! children `(level + 1, 2 * index)` and `(level + 1, 2 * index + 1)`. Hashes are 64-bit
//! FNV-1a ([`Fnv64`]), not cryptographic: enough to detect divergence between honest
//! replicas, not to resist an adversary. An empty range hashes to 0, and an inner node whose
//! children are both 0 is 0, so replicas agree on the parts of the key space neither holds.
//!
//! [`MerkleTree::differing`] and [`children`] are one step of the exchange as two replicas
//! would run it over messages; [`exchange`] runs the whole descent and counts what it cost.
//! Everything is computed in `u32`/`u64`, the same on every target.

use crate::sort;
use alloc::vec::Vec;
use core::ops::Range;
use serde::{Deserialize, Serialize};

use crate::digest::Fnv64;

/// The deepest tree: 2^16 leaves, 2^17 - 1 nodes.
pub const MAX_DEPTH: u8 = 16;

/// Node hashes in heap order: node `(level, index)` is at `2^level - 1 + index`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleTree {
    key_space: u32,
    depth: u8,
    nodes: Vec<u64>,
}

impl Default for MerkleTree {
    /// An empty tree over an empty key space, one level deep.
    fn default() -> Self {
        MerkleTree::build(0, 1, [])
    }
}

impl MerkleTree {
    /// Builds the tree over `0..key_space` with `depth` levels below the root (clamped to
    /// `1..=16`). Each item is `(key, hash of that key's version or value)`, in any order. A
    /// key given twice is a caller bug; both pairs are folded into the leaf, in sorted order,
    /// so the tree still does not depend on the order of the items. A key at or beyond
    /// `key_space` is another; it is folded into the last leaf rather than lost.
    pub fn build(key_space: u32, depth: u8, items: impl IntoIterator<Item = (u32, u64)>) -> MerkleTree {
        let depth = depth.clamp(1, MAX_DEPTH);
        let mut tree = MerkleTree { key_space, depth, nodes: alloc::vec![0; (1usize << (depth + 1)) - 1] };
        let mut items: Vec<(u32, u64)> = items.into_iter().collect();
        sort::ascending(&mut items);

        let first_leaf = level_offset(depth);
        let mut start = 0;
        while start < items.len() {
            let leaf = tree.leaf_of(items[start].0);
            let mut hasher = Fnv64::default();
            let mut end = start;
            while end < items.len() && tree.leaf_of(items[end].0) == leaf {
                hasher.write_u64(u64::from(items[end].0));
                hasher.write_u64(items[end].1);
                end += 1;
            }
            tree.nodes[first_leaf + leaf as usize] = hasher.finish();
            start = end;
        }

        for level in (0..depth).rev() {
            for index in 0..(1usize << level) {
                let left = tree.nodes[level_offset(level + 1) + 2 * index];
                let right = tree.nodes[level_offset(level + 1) + 2 * index + 1];
                tree.nodes[level_offset(level) + index] = inner_hash(left, right);
            }
        }
        tree
    }

    pub fn root(&self) -> u64 {
        self.node(0, 0)
    }

    /// The hash of node `(level, index)`, or 0 when there is no such node.
    pub fn node(&self, level: u8, index: u32) -> u64 {
        if level > self.depth() || u64::from(index) >= 1u64 << level {
            return 0;
        }
        self.nodes.get(level_offset(level) + index as usize).copied().unwrap_or(0)
    }

    pub fn depth(&self) -> u8 {
        self.depth.min(MAX_DEPTH)
    }

    pub fn key_space(&self) -> u32 {
        self.key_space
    }

    pub fn leaves(&self) -> u32 {
        1u32 << self.depth()
    }

    /// The keys leaf `leaf` covers: `[leaf * key_space / leaves, (leaf + 1) * key_space / leaves)`.
    /// When there are more leaves than keys some ranges are empty. Out of range: empty.
    pub fn leaf_range(&self, leaf: u32) -> Range<u32> {
        if leaf >= self.leaves() {
            return self.key_space..self.key_space;
        }
        let bound = |i: u32| (u64::from(i) * u64::from(self.key_space) / u64::from(self.leaves())) as u32;
        bound(leaf)..bound(leaf + 1)
    }

    /// The leaf whose range holds `key` (the last leaf for a key at or beyond `key_space`).
    pub fn leaf_of(&self, key: u32) -> u32 {
        if key >= self.key_space {
            return self.leaves() - 1;
        }
        // The greatest leaf i with i * key_space / leaves <= key, i.e. i * key_space < (key + 1) * leaves.
        (((u64::from(key) + 1) * u64::from(self.leaves()) - 1) / u64::from(self.key_space)) as u32
    }

    /// Of the other replica's nodes `(index, hash)` at `level`, the indices whose hash differs
    /// from ours, sorted and without repeats.
    pub fn differing(&self, level: u8, theirs: &[(u32, u64)]) -> Vec<u32> {
        let mut indices: Vec<u32> =
            theirs.iter().filter(|&&(index, hash)| self.node(level, index) != hash).map(|&(index, _)| index).collect();
        sort::ascending(&mut indices);
        indices.dedup();
        indices
    }
}

/// Where level `level` starts in the heap layout.
fn level_offset(level: u8) -> usize {
    (1usize << level) - 1
}

fn inner_hash(left: u64, right: u64) -> u64 {
    if left == 0 && right == 0 {
        return 0;
    }
    let mut hasher = Fnv64::default();
    hasher.write_u64(left);
    hasher.write_u64(right);
    hasher.finish()
}

/// The children at `level + 1` of the nodes `indices` at `level`, sorted. Indices that do not
/// exist at `level` (at or beyond `2^level`), and any at a level deeper than the deepest tree's
/// leaves, have no children.
pub fn children(level: u8, indices: &[u32]) -> Vec<u32> {
    if level >= MAX_DEPTH {
        return Vec::new();
    }
    let mut children: Vec<u32> =
        indices.iter().filter(|&&index| index < 1u32 << level).flat_map(|&index| [2 * index, 2 * index + 1]).collect();
    sort::ascending(&mut children);
    children.dedup();
    children
}

/// What one anti-entropy exchange cost, and what it found.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExchangeCost {
    /// Node hashes the initiator sent.
    pub hashes_sent: u64,
    /// Request-reply rounds, one per level visited.
    pub rounds: u32,
    /// The leaves whose ranges differ, sorted: the ranges the replicas must then exchange.
    pub differing_leaves: Vec<u32>,
}

/// Simulates the descent between initiator `a` and responder `b`. Round 0: `a` sends its root;
/// `b` answers with the nodes whose hash differs from its own. Each later round `a` sends the
/// hashes of both children of every node that differed, one level down, and `b` answers again;
/// at the leaves the differing ones are the answer. The counting rule: every hash sent counts
/// once (so identical trees cost 1, and one differing key costs `1 + 2 * depth`); the
/// responder's replies carry only indices and are not counted, which is the metric "hashes sent
/// against sending every key".
///
/// Trees of different key spaces or depths cannot be compared node by node: the answer is
/// then every leaf of `a`, at no hashes and no rounds (the replicas must exchange everything).
pub fn exchange(a: &MerkleTree, b: &MerkleTree) -> ExchangeCost {
    if a.key_space() != b.key_space() || a.depth() != b.depth() {
        return ExchangeCost { hashes_sent: 0, rounds: 0, differing_leaves: (0..a.leaves()).collect() };
    }
    let mut cost = ExchangeCost::default();
    let mut sent: Vec<u32> = alloc::vec![0];
    let mut level = 0;
    loop {
        let message: Vec<(u32, u64)> = sent.iter().map(|&index| (index, a.node(level, index))).collect();
        cost.hashes_sent += message.len() as u64;
        cost.rounds += 1;
        let differing = b.differing(level, &message);
        if differing.is_empty() {
            return cost;
        }
        if level == a.depth() {
            cost.differing_leaves = differing;
            return cost;
        }
        sent = children(level, &differing);
        level += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn version_hash(key: u32, version: u64) -> u64 {
        let mut hasher = Fnv64::default();
        hasher.write_u64(u64::from(key));
        hasher.write_u64(version);
        hasher.finish()
    }

    fn items(keys: u32, version: impl Fn(u32) -> u64) -> Vec<(u32, u64)> {
        (0..keys).map(|key| (key, version_hash(key, version(key)))).collect()
    }

    #[test]
    fn identical_contents_cost_one_hash() {
        let a = MerkleTree::build(1000, 6, items(1000, |_| 1));
        let b = MerkleTree::build(1000, 6, items(1000, |_| 1));
        assert_eq!(a.root(), b.root());
        assert_ne!(a.root(), 0);
        assert_eq!(exchange(&a, &b), ExchangeCost { hashes_sent: 1, rounds: 1, differing_leaves: vec![] });
    }

    #[test]
    fn one_differing_key_is_found_along_one_path() {
        for depth in 1..=12 {
            for key in [0, 1, 4999, 5000, 9_998, 9_999] {
                let a = MerkleTree::build(10_000, depth, items(10_000, |_| 1));
                let b = MerkleTree::build(10_000, depth, items(10_000, |k| if k == key { 2 } else { 1 }));
                let cost = exchange(&a, &b);
                assert_eq!(cost.differing_leaves, vec![a.leaf_of(key)]);
                assert!(a.leaf_range(a.leaf_of(key)).contains(&key));
                assert_eq!(cost.hashes_sent, 1 + 2 * u64::from(depth));
                assert_eq!(cost.rounds, u32::from(depth) + 1);
                assert_eq!(exchange(&b, &a), cost, "symmetric");
            }
        }
    }

    #[test]
    fn a_missing_key_differs_like_a_changed_one() {
        let a = MerkleTree::build(64, 3, items(64, |_| 7));
        let b = MerkleTree::build(64, 3, items(64, |_| 7).into_iter().filter(|&(key, _)| key != 20));
        assert_eq!(exchange(&a, &b).differing_leaves, vec![2]);
    }

    #[test]
    fn item_order_does_not_matter() {
        let forward = items(5000, |key| u64::from(key % 7));
        let mut shuffled = forward.clone();
        shuffled.reverse();
        shuffled.swap(10, 4000);
        assert_eq!(MerkleTree::build(5000, 9, forward), MerkleTree::build(5000, 9, shuffled));
        let duplicates = [(3, 30), (3, 31), (9, 90)];
        let reordered = [(9, 90), (3, 31), (3, 30)];
        assert_eq!(MerkleTree::build(16, 2, duplicates), MerkleTree::build(16, 2, reordered));
    }

    #[test]
    fn leaf_of_agrees_with_leaf_range() {
        for (key_space, depth) in [(10_000, 10), (10_000, 1), (7, 4), (1, 3), (1023, 10), (65_537, 16), (100, 7)] {
            let tree = MerkleTree::build(key_space, depth, []);
            let mut next_key = 0;
            for leaf in 0..tree.leaves() {
                let range = tree.leaf_range(leaf);
                assert_eq!(range.start, next_key, "ranges are contiguous");
                for key in range.clone() {
                    assert_eq!(tree.leaf_of(key), leaf, "key {key} of {key_space} at depth {depth}");
                }
                next_key = range.end;
            }
            assert_eq!(next_key, key_space, "ranges cover the key space");
            assert_eq!(tree.leaf_of(key_space - 1), tree.leaves() - 1, "the last key is in the last leaf");
        }
        let huge = MerkleTree::build(u32::MAX, 16, []);
        for key in [0, 65_535, 65_536, 1 << 31, u32::MAX - 1] {
            assert!(huge.leaf_range(huge.leaf_of(key)).contains(&key));
        }
    }

    #[test]
    fn empty_ranges_hash_to_zero() {
        let empty = MerkleTree::build(10_000, 10, []);
        assert_eq!(empty.root(), 0);
        assert_eq!(MerkleTree::default().root(), 0);
        let one = MerkleTree::build(10_000, 10, [(0, 5)]);
        assert_ne!(one.root(), 0);
        assert_eq!(one.node(1, 1), 0, "the untouched half agrees with an empty tree");
        assert_eq!(one.node(11, 0), 0);
        assert_eq!(one.node(3, 8), 0);
    }

    #[test]
    fn one_level_of_the_exchange() {
        let a = MerkleTree::build(8, 3, items(8, |_| 1));
        let b = MerkleTree::build(8, 3, items(8, |key| if key == 5 { 2 } else { 1 }));
        let ours: Vec<(u32, u64)> = (0..4).map(|index| (index, a.node(2, index))).collect();
        assert_eq!(b.differing(2, &ours), vec![2]);
        assert_eq!(children(2, &[2]), vec![4, 5]);
        assert_eq!(children(0, &[0]), vec![0, 1]);
        assert_eq!(children(1, &[1, 0, 7]), vec![0, 1, 2, 3], "sorted, index 7 does not exist at level 1");
    }

    #[test]
    fn mismatched_trees_exchange_everything() {
        let a = MerkleTree::build(100, 3, items(100, |_| 1));
        let b = MerkleTree::build(100, 4, items(100, |_| 1));
        let cost = exchange(&a, &b);
        assert_eq!((cost.hashes_sent, cost.differing_leaves.len()), (0, 8));
    }

    #[test]
    fn one_percent_differing_costs_far_less_than_every_key() {
        let keys = 10_000;
        let changed = |key: u32| key % 100 == 37;
        let a = MerkleTree::build(keys, 10, items(keys, |_| 1));
        let b = MerkleTree::build(keys, 10, items(keys, |key| if changed(key) { 2 } else { 1 }));
        let cost = exchange(&a, &b);
        let mut expected: Vec<u32> = (0..keys).filter(|&key| changed(key)).map(|key| a.leaf_of(key)).collect();
        expected.dedup();
        assert_eq!(expected.len(), 100);
        assert_eq!(cost.differing_leaves, expected);
        assert_eq!(cost.rounds, 11);
        assert!(cost.hashes_sent < u64::from(keys) / 4, "{cost:?}");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<MerkleTree>(&json).unwrap(), a);
    }
}
