//! The partition map: which node owns which key under each scheme, and how the coordinator
//! changes it when nodes join or leave or a range grows.
//!
//! A [`Map`] is data (it travels in messages, from the coordinator to the nodes, the
//! routing tier and the clients); a [`Placement`] is a map ready for lookups (the ring
//! built once). Three rebalancing strategies (Kleppmann, DDIA ch. 6):
//!
//! - **proportional to nodes**: the ring's virtual nodes (Cassandra's vnodes): each node
//!   brings its own points, so a newcomer takes a little from everyone. Rendezvous hashing
//!   and jump hash move the same minimal share without a ring; mod N moves almost
//!   everything, the baseline.
//! - **a fixed number of partitions** (Riak, Elasticsearch, Couchbase): keys hash to one of
//!   `Q` partitions, chosen once, and whole partitions move between nodes; a newcomer steals
//!   partitions until the counts are even.
//! - **dynamic partitioning** (Bigtable, HBase): key ranges split when they pass a size, at
//!   their median key, and the upper half moves to the least loaded node; small neighbours
//!   merge.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::ranges::Ranges;
use super::ring::Ring;
use super::schemes::{jump_hash, key_hash, mod_n, rendezvous};
use crate::trace::NodeId;

/// A key, by number: `0..keys` are the workload's keys, `keys..keys + salts` the salted
/// copies of the hot key, and after them a global secondary index's entries, one per
/// (term, key) ([`KeySpace::entry`]).
pub type Key = u32;

/// Terms a value can have for the secondary index (its "colour").
pub const TERMS: u8 = 8;

/// How keys are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    ModN,
    Ring,
    Jump,
    Rendezvous,
    Fixed,
    Ranges,
}

impl Scheme {
    pub const NAMES: [&'static str; 6] = ["mod-n", "ring", "jump", "rendezvous", "fixed", "ranges"];

    pub fn parse(name: &str) -> Scheme {
        match name {
            "mod-n" => Scheme::ModN,
            "jump" => Scheme::Jump,
            "rendezvous" => Scheme::Rendezvous,
            "fixed" => Scheme::Fixed,
            "ranges" => Scheme::Ranges,
            _ => Scheme::Ring,
        }
    }

    pub fn name(self) -> &'static str {
        Scheme::NAMES[self as usize]
    }

    /// Keys in order (range partitioning) rather than by hash.
    pub fn ordered(self) -> bool {
        self == Scheme::Ranges
    }
}

/// The key space: how many keys, into how many copies the hot key is salted, and whether a
/// global (term-partitioned) secondary index keeps entries as keys of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpace {
    pub keys: u32,
    pub salts: u8,
    pub global_index: bool,
}

impl KeySpace {
    /// The workload's keys and the hot key's salted copies.
    pub fn data(&self) -> u32 {
        self.keys + if self.salts > 1 { u32::from(self.salts) } else { 0 }
    }

    /// Every key that can hold data: the workload's, the salted copies and index entries.
    pub fn total(&self) -> u32 {
        self.data() + if self.global_index { u32::from(TERMS) * self.keys } else { 0 }
    }

    /// The index entry saying that `key`'s value has term `term`.
    pub fn entry(&self, term: u8, key: Key) -> Key {
        self.data() + u32::from(term) * self.keys + key
    }

    /// The (term, key) an index entry stands for, if `key` is one.
    pub fn entry_of(&self, key: Key) -> Option<(u8, Key)> {
        let i = key.checked_sub(self.data()).filter(|_| self.global_index)?;
        Some(((i / self.keys.max(1)) as u8, i % self.keys.max(1)))
    }

    /// The term of `key` holding `value`: a fixed pseudo-random function of both.
    pub fn term(key: Key, value: u32) -> u8 {
        (key_hash(u64::from(key)).wrapping_add(u64::from(value)) % u64::from(TERMS)) as u8
    }

    /// Where `key` sits in the `u64` space a scheme cuts: its [`key_hash`] for the hash
    /// schemes; for ranges, its place in key order spread over the whole space (the salted
    /// copies of the hot key spread evenly, as a random prefix would put them). A term's
    /// index entries share one point under a hash (the term's partition holds them all, as
    /// a term-partitioned index does) and run in key order within the term's stretch of the
    /// key line under ranges.
    pub fn point(&self, scheme: Scheme, key: Key) -> u64 {
        if let Some((term, of)) = self.entry_of(key) {
            if !scheme.ordered() {
                return key_hash((1 << 62) | u64::from(term));
            }
            let stretch = u64::MAX / u64::from(TERMS);
            return u64::from(term) * stretch + u64::from(of) * (stretch / u64::from(self.keys.max(1)));
        }
        if !scheme.ordered() {
            return key_hash(u64::from(key));
        }
        if key >= self.keys && self.salts > 1 {
            let stride = u64::MAX / u64::from(self.salts);
            return u64::from(key - self.keys) * stride;
        }
        u64::from(key) * (u64::MAX / u64::from(self.keys.max(1)))
    }
}

/// Who owns what, in one epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Map {
    pub epoch: u32,
    pub scheme: Scheme,
    pub vnodes: u16,
    /// The nodes that hold data, in the scheme's order (mod N and jump number them).
    pub nodes: Vec<NodeId>,
    /// Fixed partitions: the owner of each partition.
    pub partitions: Vec<NodeId>,
    /// Ranges: the split points and their owners.
    pub ranges: Ranges,
}

/// One range's size as its owner last reported it: where it starts, how many keys it
/// holds, and its median key's point (where a split would cut it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeLoad {
    pub start: u64,
    pub keys: u32,
    pub median: u64,
}

/// The dynamic strategy's thresholds, in keys per range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub split_above: u32,
    pub merge_below: u32,
}

impl Map {
    /// Epoch 0: `nodes` in order; `partitions` fixed partitions dealt round-robin; ranges
    /// cut evenly, one per node, or (`presplit` false, for dynamic splitting) the whole key
    /// space as one range on the first node, as a new HBase table starts.
    pub fn initial(scheme: Scheme, vnodes: u16, nodes: &[NodeId], partitions: u16, presplit: bool) -> Map {
        let count = nodes.len().max(1);
        let fixed = if scheme == Scheme::Fixed {
            (0..usize::from(partitions)).map(|p| nodes.get(p % count).copied().unwrap_or(0)).collect()
        } else {
            Vec::new()
        };
        let first = nodes.first().copied().unwrap_or(0);
        let ranges =
            if presplit { Ranges::even(nodes).unwrap_or_else(|| Ranges::new(first)) } else { Ranges::new(first) };
        Map { epoch: 0, scheme, vnodes, nodes: nodes.to_vec(), partitions: fixed, ranges }
    }

    /// The map for a new set of `members`: the epoch after this one, keys placed by the
    /// scheme over the members, moving as little as the strategy allows. `loads` are the
    /// ranges' last reported sizes, `per_node` each node's key count.
    pub fn next(&self, members: &[NodeId], loads: &[RangeLoad], per_node: &dyn Fn(NodeId) -> u64) -> Map {
        let mut next = self.clone();
        next.epoch = self.epoch + 1;
        match self.scheme {
            Scheme::Jump => {
                // Buckets are numbered: a node that goes gives its number to the last one.
                let mut nodes = self.nodes.clone();
                while let Some(i) = nodes.iter().position(|n| !members.contains(n)) {
                    nodes.swap_remove(i);
                }
                nodes.extend(members.iter().filter(|m| !self.nodes.contains(m)));
                next.nodes = nodes;
            }
            Scheme::Fixed => {
                next.nodes = members.to_vec();
                next.partitions = deal(&self.partitions, members);
            }
            Scheme::Ranges => {
                next.nodes = members.to_vec();
                next.ranges = cover(&self.ranges, members, loads, per_node);
            }
            _ => next.nodes = members.to_vec(),
        }
        next
    }

    /// Dynamic partitioning: the map after splitting ranges grown past `sizes.split_above`
    /// at their median (the upper half going to the node with the fewest keys) and merging
    /// neighbours both below `sizes.merge_below`; `None` if nothing needs doing.
    pub fn resized(&self, loads: &[RangeLoad], sizes: Sizes, per_node: &dyn Fn(NodeId) -> u64) -> Option<Map> {
        if self.scheme != Scheme::Ranges || self.nodes.is_empty() {
            return None;
        }
        let mut ranges = self.ranges.clone();
        let load_at = |start: u64| loads.iter().find(|l| l.start == start);
        // One change at a time: the biggest range over the limit, else the first small pair.
        let biggest = (0..ranges.len())
            .filter_map(|i| Some((i, *load_at(ranges.range(i)?.start)?)))
            .filter(|(_, l)| l.keys > sizes.split_above)
            .max_by_key(|(i, l)| (l.keys, core::cmp::Reverse(*i)));
        if let Some((index, load)) = biggest {
            let range = ranges.range(index)?;
            let at = if load.median > range.start { load.median } else { ranges.midpoint(index)? };
            if !ranges.split(at) {
                return None;
            }
            let lightest = self.nodes.iter().copied().min_by_key(|&n| (per_node(n), n))?;
            ranges.set_owner(index + 1, lightest);
        } else {
            let small = |i: usize| ranges.range(i).and_then(|r| load_at(r.start)).map(|l| l.keys);
            // The left range's owner keeps the union; the right one's must keep another range.
            let owner = |i: usize| ranges.range(i).map(|r| r.owner);
            let others = |i: usize| (0..ranges.len()).filter(|&j| j != i && owner(j) == owner(i)).count();
            let pair = (0..ranges.len().saturating_sub(1)).find(|&i| match (small(i), small(i + 1)) {
                (Some(a), Some(b)) => {
                    a < sizes.merge_below && b < sizes.merge_below && a + b <= sizes.split_above && others(i + 1) > 0
                }
                _ => false,
            })?;
            ranges.merge(pair);
        }
        let mut next = self.clone();
        next.epoch += 1;
        next.ranges = ranges;
        Some(next)
    }
}

/// Fixed partitions dealt to `members`: a departed node's partitions go to whoever has the
/// fewest, then partitions move from the most loaded to the least until the counts differ by
/// at most one (a newcomer steals its share).
fn deal(partitions: &[NodeId], members: &[NodeId]) -> Vec<NodeId> {
    let mut owners = partitions.to_vec();
    if members.is_empty() {
        return owners;
    }
    let count = |owners: &[NodeId], n: NodeId| owners.iter().filter(|&&o| o == n).count();
    for p in 0..owners.len() {
        if !members.contains(&owners[p]) {
            let fewest = members.iter().copied().min_by_key(|&m| (count(&owners, m), m)).unwrap_or(0);
            owners[p] = fewest;
        }
    }
    loop {
        let most = members.iter().copied().max_by_key(|&m| (count(&owners, m), core::cmp::Reverse(m)));
        let fewest = members.iter().copied().min_by_key(|&m| (count(&owners, m), m));
        let (Some(most), Some(fewest)) = (most, fewest) else { break };
        if count(&owners, most) <= count(&owners, fewest) + 1 {
            break;
        }
        // The most loaded node gives up its last partition.
        if let Some(p) = owners.iter().rposition(|&o| o == most) {
            owners[p] = fewest;
        }
    }
    owners
}

/// Ranges covering `members`: a departed node's ranges go to the member with the fewest
/// keys; a member with no range takes the range with the most keys, split at its median
/// first if that is its owner's only range.
fn cover(ranges: &Ranges, members: &[NodeId], loads: &[RangeLoad], per_node: &dyn Fn(NodeId) -> u64) -> Ranges {
    let mut ranges = ranges.clone();
    if members.is_empty() {
        return ranges;
    }
    let keys_in = |ranges: &Ranges, i: usize| {
        let start = ranges.range(i).map_or(0, |r| r.start);
        loads.iter().find(|l| l.start == start).map_or(0, |l| l.keys)
    };
    // What each member holds, as ranges are handed over.
    let mut held: Vec<(NodeId, u64)> = members.iter().map(|&m| (m, per_node(m))).collect();
    for i in 0..ranges.len() {
        let owner = ranges.range(i).map_or(0, |r| r.owner);
        if !members.contains(&owner) {
            let Some(slot) = held.iter_mut().min_by_key(|(m, k)| (*k, *m)) else { break };
            slot.1 += u64::from(keys_in(&ranges, i));
            ranges.set_owner(i, slot.0);
        }
    }
    for &newcomer in members {
        if ranges.ranges().iter().any(|r| r.owner == newcomer) {
            continue;
        }
        let Some(biggest) = (0..ranges.len()).max_by_key(|&i| (keys_in(&ranges, i), core::cmp::Reverse(i))) else {
            break;
        };
        let owner = ranges.range(biggest).map_or(0, |r| r.owner);
        let alone = ranges.ranges().iter().filter(|r| r.owner == owner).count() == 1;
        if alone {
            let start = ranges.range(biggest).map_or(0, |r| r.start);
            let median = loads.iter().find(|l| l.start == start).map(|l| l.median).filter(|&m| m > start);
            let Some(at) = median.or_else(|| ranges.midpoint(biggest)) else { continue };
            if ranges.split(at) {
                ranges.set_owner(biggest + 1, newcomer);
            }
        } else {
            ranges.set_owner(biggest, newcomer);
        }
    }
    ranges
}

/// A map ready for lookups. The ring is built once and shared by clones (a checkpoint of
/// a run copies every node, and 100 nodes x 256 virtual nodes is 25,600 points per copy).
#[derive(Clone, Debug)]
pub struct Placement {
    pub map: Map,
    ring: Option<alloc::rc::Rc<Ring>>,
}

impl Placement {
    pub fn new(map: Map) -> Placement {
        let ring = (map.scheme == Scheme::Ring).then(|| alloc::rc::Rc::new(Ring::new(&map.nodes, map.vnodes)));
        Placement { map, ring }
    }

    pub fn epoch(&self) -> u32 {
        self.map.epoch
    }

    /// The node owning the key at `point` ([`KeySpace::point`]); `None` with no nodes.
    pub fn owner_of_point(&self, point: u64) -> Option<NodeId> {
        let map = &self.map;
        let n = map.nodes.len() as u32;
        if n == 0 {
            return None;
        }
        match map.scheme {
            Scheme::ModN => map.nodes.get(mod_n(point, n) as usize).copied(),
            Scheme::Jump => map.nodes.get(jump_hash(point, n) as usize).copied(),
            Scheme::Ring => self.ring.as_ref()?.owner(point),
            Scheme::Rendezvous => rendezvous(point, &map.nodes),
            Scheme::Fixed => {
                let q = map.partitions.len() as u32;
                map.partitions.get(mod_n(point, q) as usize).copied()
            }
            Scheme::Ranges => Some(map.ranges.owner(point)),
        }
    }

    /// The node owning `key`.
    pub fn owner(&self, space: &KeySpace, key: Key) -> Option<NodeId> {
        self.owner_of_point(space.point(self.map.scheme, key))
    }

    /// The fixed partition or range index `key` falls in (for the view), or none.
    pub fn shard(&self, space: &KeySpace, key: Key) -> Option<u32> {
        let point = space.point(self.map.scheme, key);
        match self.map.scheme {
            Scheme::Fixed => Some(mod_n(point, self.map.partitions.len() as u32)),
            Scheme::Ranges => Some(self.map.ranges.index_of(point) as u32),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: KeySpace = KeySpace { keys: 10_000, salts: 1, global_index: false };

    #[test]
    fn a_terms_index_entries_share_a_partition() {
        let space = KeySpace { keys: 100, salts: 4, global_index: true };
        assert_eq!(space.data(), 104);
        assert_eq!(space.total(), 104 + 800);
        assert_eq!(space.entry(3, 17), 104 + 317);
        assert_eq!(space.entry_of(104 + 317), Some((3, 17)));
        assert_eq!(space.entry_of(103), None);
        let ring = Placement::new(Map::initial(Scheme::Ring, 16, &[0, 1, 2, 3], 0, true));
        let owners: Vec<_> = (0..100).map(|k| ring.owner(&space, space.entry(5, k))).collect();
        assert!(owners.iter().all(|o| *o == owners[0]), "one node holds term 5's entries");
    }

    fn moved(a: &Placement, b: &Placement) -> usize {
        (0..SPACE.keys).filter(|&k| a.owner(&SPACE, k) != b.owner(&SPACE, k)).count()
    }

    fn grow(scheme: Scheme) -> usize {
        let before = Placement::new(Map::initial(scheme, 64, &[0, 1, 2, 3], 64, true));
        let after = Placement::new(before.map.next(&[0, 1, 2, 3, 4], &[], &|_| 0));
        moved(&before, &after)
    }

    #[test]
    fn adding_a_fifth_node_moves_almost_everything_with_mod_n_and_a_fifth_otherwise() {
        // 10,000 keys, 4 → 5 nodes: the optimum is 2,000.
        assert!(grow(Scheme::ModN) > 7_000, "{}", grow(Scheme::ModN));
        for scheme in [Scheme::Ring, Scheme::Jump, Scheme::Rendezvous] {
            let moved = grow(scheme);
            assert!((1_500..2_600).contains(&moved), "{scheme:?} moved {moved}");
        }
        // 64 partitions over 5 nodes: the newcomer steals 12 of them.
        let moved = grow(Scheme::Fixed);
        assert!((1_400..2_500).contains(&moved), "fixed moved {moved}");
    }

    #[test]
    fn keys_only_move_to_the_newcomer() {
        for scheme in [Scheme::Ring, Scheme::Jump, Scheme::Rendezvous, Scheme::Fixed] {
            let before = Placement::new(Map::initial(scheme, 16, &[0, 1, 2], 30, true));
            let after = Placement::new(before.map.next(&[0, 1, 2, 7], &[], &|_| 0));
            for k in 0..SPACE.keys {
                let (a, b) = (before.owner(&SPACE, k), after.owner(&SPACE, k));
                assert!(a == b || b == Some(7), "{scheme:?}: key {k} moved from {a:?} to {b:?}");
            }
        }
    }

    #[test]
    fn a_departing_node_gives_up_only_its_own_keys() {
        for scheme in [Scheme::Ring, Scheme::Rendezvous, Scheme::Fixed, Scheme::Ranges] {
            let before = Placement::new(Map::initial(scheme, 16, &[0, 1, 2, 3], 32, true));
            let after = Placement::new(before.map.next(&[0, 1, 3], &[], &|_| 0));
            for k in 0..SPACE.keys {
                let (a, b) = (before.owner(&SPACE, k), after.owner(&SPACE, k));
                assert!(a == b || a == Some(2), "{scheme:?}: key {k} moved from {a:?} to {b:?}");
                assert_ne!(b, Some(2));
            }
        }
        // Jump hash renumbers: the last node takes the departed one's number.
        let before = Placement::new(Map::initial(Scheme::Jump, 1, &[0, 1, 2, 3], 0, true));
        let after = before.map.next(&[0, 1, 3], &[], &|_| 0);
        assert_eq!(after.nodes, [0, 1, 3]);
    }

    #[test]
    fn a_new_node_takes_the_biggest_range_split_at_its_median() {
        let map = Map::initial(Scheme::Ranges, 1, &[0, 1], 0, true);
        let half = u64::MAX / 2;
        let loads =
            [RangeLoad { start: 0, keys: 900, median: 1000 }, RangeLoad { start: half, keys: 100, median: half + 5 }];
        let next = map.next(&[0, 1, 2], &loads, &|n| if n == 0 { 900 } else { 100 });
        let ranges = next.ranges.ranges();
        assert_eq!(ranges.len(), 3);
        assert_eq!((ranges[1].start, ranges[1].owner), (1000, 2));
    }

    #[test]
    fn dynamic_splitting_cuts_a_big_range_and_hands_the_upper_half_to_the_lightest_node() {
        let map = Map::initial(Scheme::Ranges, 1, &[0, 1], 0, true);
        let half = u64::MAX / 2;
        let sizes = Sizes { split_above: 500, merge_below: 50 };
        let loads = [RangeLoad { start: 0, keys: 800, median: 777 }, RangeLoad { start: half, keys: 10, median: half }];
        let next = map.resized(&loads, sizes, &|n| if n == 0 { 800 } else { 10 }).expect("a split");
        assert_eq!(next.epoch, 1);
        assert_eq!(next.ranges.ranges()[1].start, 777);
        assert_eq!(next.ranges.ranges()[1].owner, 1);
        let calm = [RangeLoad { start: 0, keys: 400, median: 7 }, RangeLoad { start: half, keys: 10, median: half }];
        assert_eq!(map.resized(&calm, sizes, &|_| 0), None);
        let small = [RangeLoad { start: 0, keys: 20, median: 7 }, RangeLoad { start: half, keys: 10, median: half }];
        // Merging would leave node 1 with no range at all.
        assert_eq!(map.resized(&small, sizes, &|_| 0), None);
        let mut shared = map.clone();
        shared.ranges.split(half / 2);
        shared.ranges.set_owner(1, 1);
        let three = [
            RangeLoad { start: 0, keys: 20, median: 7 },
            RangeLoad { start: half / 2, keys: 10, median: half / 2 },
            RangeLoad { start: half, keys: 10, median: half },
        ];
        assert_eq!(shared.resized(&three, sizes, &|_| 0).map(|m| m.ranges.len()), Some(2));
    }

    #[test]
    fn fixed_partitions_stay_balanced() {
        let owners = deal(&[0, 1, 0, 1, 0, 1, 0, 1], &[0, 1, 2]);
        let counts: Vec<usize> = [0, 1, 2].iter().map(|n| owners.iter().filter(|o| *o == n).count()).collect();
        assert!(counts.iter().all(|&c| (2..=3).contains(&c)), "{counts:?}");
        let owners = deal(&owners, &[0, 2]);
        assert_eq!(owners.iter().filter(|&&o| o == 1).count(), 0);
    }
}
