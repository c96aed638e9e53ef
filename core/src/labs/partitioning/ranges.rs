//! Range partitioning: the key space `u64` cut into contiguous ranges at sorted split
//! points, each range owned by one node, as in Bigtable's tablets (Chang et al.,
//! "Bigtable: A Distributed Storage System for Structured Data", OSDI 2006) and HBase's
//! regions. Keys stay in order, so range scans touch few nodes, but a skewed or
//! sequential workload lands on one range: hence dynamic splitting of ranges that grow past
//! a maximum size, and merging of adjacent ranges that shrink below a minimum.

use crate::sort;
use alloc::vec::Vec;

/// One range of keys, `start..=last`, and its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: u64,
    pub last: u64,
    pub owner: u16,
}

/// The key space as ranges: `starts[0] == 0`, starts strictly increasing, range `i` runs
/// from `starts[i]` up to just before `starts[i + 1]` (the last one to `u64::MAX`), and
/// `owners[i]` owns it. There is always at least one range.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ranges {
    starts: Vec<u64>,
    owners: Vec<u16>,
}

impl Ranges {
    /// The whole key space as one range owned by `owner`.
    pub fn new(owner: u16) -> Ranges {
        Ranges { starts: alloc::vec![0], owners: alloc::vec![owner] }
    }

    /// The key space cut into `owners.len()` equal ranges (the last one takes the
    /// remainder), the `i`-th owned by `owners[i]`. `None` when `owners` is empty.
    pub fn even(owners: &[u16]) -> Option<Ranges> {
        let count = u64::try_from(owners.len()).ok().filter(|&count| count > 0)?;
        let width = u64::MAX / count;
        let starts = (0..count).map(|index| index * width).collect();
        Some(Ranges { starts, owners: owners.to_vec() })
    }

    /// How many ranges there are (at least one).
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Always `false`: the ranges cover the whole key space.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The index of the range holding `key`.
    pub fn index_of(&self, key: u64) -> usize {
        // starts[0] == 0 <= key, so at least one start is at or below the key.
        self.starts.partition_point(|&start| start <= key).saturating_sub(1)
    }

    /// The node owning `key`.
    pub fn owner(&self, key: u64) -> u16 {
        self.owners.get(self.index_of(key)).copied().unwrap_or(0)
    }

    /// Range `index`, or `None` past the end.
    pub fn range(&self, index: usize) -> Option<KeyRange> {
        let start = *self.starts.get(index)?;
        let last = self.starts.get(index + 1).map_or(u64::MAX, |&next| next - 1);
        Some(KeyRange { start, last, owner: self.owners[index] })
    }

    /// Every range, in key order.
    pub fn ranges(&self) -> Vec<KeyRange> {
        (0..self.len()).filter_map(|index| self.range(index)).collect()
    }

    /// Hands range `index` to `owner` (moving a tablet); `false` past the end.
    pub fn set_owner(&mut self, index: usize, owner: u16) -> bool {
        match self.owners.get_mut(index) {
            Some(slot) => {
                *slot = owner;
                true
            }
            None => false,
        }
    }

    /// Cuts the range holding `at` so that a new range starts at `at`; both halves keep the
    /// old owner. `false` (and no change) if a range already starts at `at`.
    pub fn split(&mut self, at: u64) -> bool {
        let index = self.index_of(at);
        if self.starts[index] == at {
            return false;
        }
        self.starts.insert(index + 1, at);
        self.owners.insert(index + 1, self.owners[index]);
        true
    }

    /// The key that halves range `index` (the upper half starts there), or `None` if the
    /// range holds a single key or `index` is past the end.
    pub fn midpoint(&self, index: usize) -> Option<u64> {
        let range = self.range(index)?;
        (range.last > range.start).then(|| range.start + (range.last - range.start) / 2 + 1)
    }

    /// Joins range `index` with the next one; the left range's owner keeps the union.
    /// `false` (and no change) if there is no next range.
    pub fn merge(&mut self, index: usize) -> bool {
        if index + 1 >= self.len() {
            return false;
        }
        self.starts.remove(index + 1);
        self.owners.remove(index + 1);
        true
    }

    /// Carries out `plan` (made by [`SizePolicy::plan`] for these ranges): each range to
    /// split is cut at its [`Ranges::midpoint`], each pair to merge is joined. Indices refer
    /// to the ranges before any change; entries that no longer fit are skipped.
    pub fn apply(&mut self, plan: &Plan) {
        let mut actions: Vec<(usize, bool)> = plan
            .splits
            .iter()
            .map(|&index| (index, true))
            .chain(plan.merges.iter().map(|&index| (index, false)))
            .collect();
        // From the highest index down, each change only shifts ranges already handled.
        sort::by(&mut actions, |a, b| b.cmp(a));
        for (index, is_split) in actions {
            if is_split {
                if let Some(at) = self.midpoint(index) {
                    self.split(at);
                }
            } else {
                self.merge(index);
            }
        }
    }
}

/// What to do to a set of ranges: which to split, and which adjacent pairs to merge (an
/// entry `i` joins ranges `i` and `i + 1`). Both in ascending order, never overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub splits: Vec<usize>,
    pub merges: Vec<usize>,
}

/// The dynamic policy of Bigtable and HBase, by size: split a range that has grown past
/// `max_size`, merge two neighbours that are both below `min_size` if the union stays
/// within `max_size` (so it would not split straight away).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizePolicy {
    pub min_size: u64,
    pub max_size: u64,
}

impl SizePolicy {
    /// The plan for ranges of the given sizes, one per range in key order. Merging pairs
    /// are chosen greedily from the left, and a range is in at most one action.
    pub fn plan(&self, sizes: &[u64]) -> Plan {
        let mut plan = Plan::default();
        for (index, &size) in sizes.iter().enumerate() {
            if size > self.max_size {
                plan.splits.push(index);
            }
        }
        let mut index = 0;
        while index + 1 < sizes.len() {
            let (left, right) = (sizes[index], sizes[index + 1]);
            let small = left < self.min_size && right < self.min_size;
            if small && left.saturating_add(right) <= self.max_size {
                plan.merges.push(index);
                index += 2;
            } else {
                index += 1;
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four() -> Ranges {
        let mut ranges = Ranges::new(1);
        ranges.split(100);
        ranges.split(200);
        ranges.split(300);
        ranges.set_owner(1, 2);
        ranges.set_owner(2, 3);
        ranges.set_owner(3, 4);
        ranges
    }

    #[test]
    fn owner_lookup_at_the_boundaries() {
        let ranges = four();
        assert_eq!(ranges.owner(0), 1);
        assert_eq!(ranges.owner(99), 1);
        assert_eq!(ranges.owner(100), 2);
        assert_eq!(ranges.owner(199), 2);
        assert_eq!(ranges.owner(200), 3);
        assert_eq!(ranges.owner(300), 4);
        assert_eq!(ranges.owner(u64::MAX), 4);
        assert_eq!(ranges.range(3), Some(KeyRange { start: 300, last: u64::MAX, owner: 4 }));
        assert_eq!(ranges.range(4), None);
    }

    #[test]
    fn even_ranges_cover_the_key_space() {
        assert_eq!(Ranges::even(&[]), None);
        let ranges = Ranges::even(&[7, 8, 9]).unwrap();
        let all = ranges.ranges();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].start, 0);
        assert_eq!(all[2].last, u64::MAX);
        assert!(all.windows(2).all(|pair| pair[0].last + 1 == pair[1].start));
        assert_eq!(ranges.owner(u64::MAX / 2), 8);
    }

    #[test]
    fn split_and_merge_round_trip() {
        let original = four();
        let mut ranges = original.clone();
        assert!(ranges.split(150));
        assert_eq!(ranges.len(), 5);
        assert_eq!(ranges.owner(149), 2);
        assert_eq!(ranges.owner(150), 2);
        assert!(ranges.merge(1));
        assert_eq!(ranges, original);
    }

    #[test]
    fn split_at_an_existing_start_and_merge_past_the_end_do_nothing() {
        let mut ranges = four();
        assert!(!ranges.split(0));
        assert!(!ranges.split(200));
        assert!(!ranges.merge(3));
        assert!(!ranges.set_owner(4, 9));
        assert_eq!(ranges, four());
        let mut whole = Ranges::new(1);
        assert!(!whole.merge(0));
        assert_eq!(whole.owner(12345), 1);
    }

    #[test]
    fn midpoints_halve_a_range() {
        let ranges = Ranges::new(1);
        assert_eq!(ranges.midpoint(0), Some(1 << 63));
        let mut tiny = Ranges::new(1);
        tiny.split(1);
        tiny.split(2);
        assert_eq!(tiny.midpoint(1), None);
        assert_eq!(tiny.midpoint(3), None);
    }

    #[test]
    fn the_policy_splits_a_hot_range_and_merges_cold_neighbours() {
        let policy = SizePolicy { min_size: 10, max_size: 100 };
        let plan = policy.plan(&[50, 3, 4, 250, 60]);
        assert_eq!(plan, Plan { splits: alloc::vec![3], merges: alloc::vec![1] });
        let mut ranges = Ranges::even(&[1, 2, 3, 4, 5]).unwrap();
        let hot = ranges.range(3).unwrap();
        ranges.apply(&plan);
        assert_eq!(ranges.len(), 5);
        assert_eq!(ranges.owners, [1, 2, 4, 4, 5]);
        // The two cold neighbours are one range; the hot one is two halves.
        assert_eq!(ranges.range(1).unwrap().last, hot.start - 1);
        assert_eq!(ranges.range(2).unwrap().start, hot.start);
        assert_eq!(ranges.range(3).unwrap().last, hot.last);
    }

    #[test]
    fn the_policy_leaves_balanced_ranges_alone() {
        let policy = SizePolicy { min_size: 10, max_size: 100 };
        assert_eq!(policy.plan(&[50, 60, 70]), Plan::default());
        assert_eq!(policy.plan(&[]), Plan::default());
        // Cold, but the union would be split at once: not merged.
        let tight = SizePolicy { min_size: 10, max_size: 15 };
        assert_eq!(tight.plan(&[9, 9]), Plan::default());
        // Three cold ranges: one pair merges, the third waits.
        assert_eq!(policy.plan(&[1, 2, 3]).merges, [0]);
    }
}
