//! One compiled sort for the whole program.
//!
//! `slice::sort_by` and its relatives are generic: every element type and every comparator
//! gets its own copy of the standard library's driftsort or ipnsort, 4 to 6 KB of wasm each.
//! With some fifty call sites across ten labs, their judges and the page, those copies were
//! about 170 KB of the browser bundle before compression. The functions here sort a slice of
//! `u32` positions instead, through one comparator behind a `dyn` reference, so the sorting
//! routine exists once; the elements are then moved into that order in place. Short slices
//! (most of the protocols' lists) are sorted by insertion in place, with no allocation.
//!
//! Every function here is stable: elements that compare equal keep their order. The standard
//! library's unstable sorts are deterministic too, but not stable; the call sites that used
//! them sort whole values whose equal elements are identical (integers, tuples of them) or
//! by a key that is unique per element, so the result is the same either way, and the
//! golden traces pin it.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// Up to this many elements, an insertion sort in place: no allocation, little code.
const SHORT: usize = 20;

/// Sorts `items` stably by `compare`, as `slice::sort_by` does.
pub fn by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let n = items.len();
    if n < 2 {
        return;
    }
    if n <= SHORT {
        for i in 1..n {
            let mut j = i;
            while j > 0 && compare(&items[j - 1], &items[j]) == Ordering::Greater {
                items.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    {
        let shared: &[T] = items;
        let mut by_position = |a: u32, b: u32| compare(&shared[a as usize], &shared[b as usize]);
        sort_positions(&mut order, &mut by_position);
    }
    permute(items, &mut order);
}

/// Sorts `items` stably by a key, as `slice::sort_by_key` does (the key is computed per
/// comparison, so keep it cheap).
pub fn by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their natural order, as `slice::sort` does.
pub fn ascending<T: Ord>(items: &mut [T]) {
    by(items, T::cmp);
}

/// The one instance of the standard library's sort in the program.
fn sort_positions(order: &mut [u32], compare: &mut dyn FnMut(u32, u32) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves `items[order[k]]` to position `k` for every `k`, following each cycle of the
/// permutation with swaps; `order` is used up as the record of what has moved.
fn permute<T>(items: &mut [T], order: &mut [u32]) {
    for start in 0..items.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Sorts random lists of every length up to 200 with many equal keys, and compares each
    /// with the standard library's stable sort: same order, equal elements included.
    #[test]
    fn matches_the_standard_stable_sort() {
        let mut rng = Rng::seeded(7);
        for len in 0..200u64 {
            let items: Vec<(u64, u64)> = (0..len).map(|i| (rng.below(len / 3 + 1), i)).collect();
            let mut ours = items.clone();
            by_key(&mut ours, |&(key, _)| key);
            let mut theirs = items.clone();
            theirs.sort_by_key(|&(key, _)| key);
            assert_eq!(ours, theirs, "length {len}");
            let mut reversed = items.clone();
            by(&mut reversed, |a, b| b.0.cmp(&a.0));
            theirs.sort_by_key(|a| core::cmp::Reverse(a.0));
            assert_eq!(reversed, theirs, "length {len}, descending");
            let mut natural = items;
            ascending(&mut natural);
            theirs.sort();
            assert_eq!(natural, theirs, "length {len}, natural order");
        }
    }

    #[test]
    fn moves_owned_values_without_losing_any() {
        let mut words: Vec<alloc::string::String> = (0..50).map(|i| alloc::format!("w{:02}", (i * 37) % 50)).collect();
        ascending(&mut words);
        let expected: Vec<alloc::string::String> = (0..50).map(|i| alloc::format!("w{i:02}")).collect();
        assert_eq!(words, expected);
    }
}
