//! The hash-based schemes as pure functions: a portable key hash, hash mod N, jump
//! consistent hash and rendezvous hashing, and the two measurements the lab draws (how many
//! keys moved, how uneven the load is). The ring and the ranges, which carry state, live in
//! `ring.rs` and `ranges.rs`.
//!
//! Everything is integer arithmetic on `u64` and `u32` (never `usize`), except jump hash's
//! one IEEE `f64` division per step, which is correctly rounded and so the same on every
//! target.

use crate::digest::Fnv64;
use alloc::vec::Vec;

/// SplitMix64's increment, the golden ratio as a 64-bit odd number.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A stable, portable 64-bit hash of an integer key: the first output of SplitMix64 seeded
/// with `key` (Steele, Lea & Flood, "Fast Splittable Pseudorandom Number Generators",
/// OOPSLA 2014; the constants of Vigna's `splitmix64.c`), that is, the golden-ratio
/// increment followed by the finalizer (two xor-shift-multiply rounds and a last xor-shift).
///
/// Every step is invertible, so `key_hash` is a bijection on `u64`: distinct keys never
/// collide. The ring and rendezvous hashing rely on that.
pub fn key_hash(key: u64) -> u64 {
    let mut z = key.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable, portable 64-bit hash of a byte string: 64-bit FNV-1a (Fowler, Noll & Vo; see
/// Eastlake et al., "The FNV Non-Cryptographic Hash Algorithm", IETF draft), byte by byte.
/// FNV-1a's low bits mix poorly, so feed the result through [`key_hash`] before using it
/// with [`mod_n`]; jump hash and the ring do their own mixing.
pub fn key_hash_bytes(bytes: &[u8]) -> u64 {
    let mut fnv = Fnv64::default();
    fnv.write(bytes);
    fnv.finish()
}

/// The naive scheme: node `hash mod nodes`. Balanced, but changing `nodes` from `n` to
/// `n + 1` moves a key unless both remainders agree, which is about `n / (n + 1)` of them.
///
/// `nodes == 0` has no owner; it returns 0 rather than dividing by zero.
pub fn mod_n(hash: u64, nodes: u32) -> u32 {
    if nodes == 0 {
        return 0;
    }
    // The remainder is below `nodes`, so it fits in `u32`.
    (hash % u64::from(nodes)) as u32
}

/// Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
/// Algorithm", 2014, arXiv:1406.2294): the bucket in `0..buckets` for `key`, bit-exact with
/// the paper's C++ code. The key's linear congruential sequence decides, bucket count by
/// bucket count, where the key jumps next; growing from `n` to `n + 1` buckets moves only
/// the keys that jump into the new bucket, about `1 / (n + 1)` of them, and no state is
/// kept at all. Buckets can only be added or removed at the end.
///
/// The paper's multiplication wraps (unsigned 64-bit), and its one division is IEEE `f64`,
/// deterministic on every target. The C++ code returns -1 for `num_buckets <= 0`; here
/// `buckets == 0` returns 0, which callers must treat as "no bucket".
pub fn jump_hash(key: u64, buckets: u32) -> u32 {
    let mut key = key;
    let mut bucket: i64 = -1;
    let mut next: i64 = 0;
    while next < i64::from(buckets) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // Both quotient operands are exact in f64 (at most 2^31); the product is at most
        // 2^63 and the cast truncates, as the C++ conversion does.
        let ratio = (1u64 << 31) as f64 / ((key >> 33) + 1) as f64;
        next = ((bucket + 1) as f64 * ratio) as i64;
    }
    // `bucket` is in `0..buckets` once the loop has run, and -1 only when `buckets == 0`.
    u32::try_from(bucket).unwrap_or(0)
}

/// The weight rendezvous hashing gives `node` for a key's `hash`: [`key_hash`] of the hash
/// xor the node's own hash.
pub fn rendezvous_weight(hash: u64, node: u16) -> u64 {
    key_hash(hash ^ key_hash(u64::from(node)))
}

/// Rendezvous, or highest-random-weight, hashing (Thaler & Ravishankar, "Using Name-Based
/// Mappings to Increase Hit Rates", IEEE/ACM Transactions on Networking, 1998): every node
/// gets a pseudo-random weight for the key ([`rendezvous_weight`]) and the heaviest owns
/// it. Adding a node moves only the keys it now outweighs, all to itself; removing one
/// moves only its own keys. The price is a pass over all nodes per lookup.
///
/// Because [`key_hash`] is a bijection, two distinct nodes never tie; a node listed twice
/// ties with itself, and ties go to the lower id anyway. `None` when `nodes` is empty.
pub fn rendezvous(hash: u64, nodes: &[u16]) -> Option<u16> {
    nodes
        .iter()
        .map(|&node| (rendezvous_weight(hash, node), core::cmp::Reverse(node)))
        .max()
        .map(|(_, core::cmp::Reverse(node))| node)
}

/// How many of `keys` have a different owner under `after` than under `before`: the data a
/// change of scheme or of membership would move.
pub fn moved<T: PartialEq>(before: impl Fn(u64) -> T, after: impl Fn(u64) -> T, keys: &[u64]) -> usize {
    keys.iter().filter(|&&key| before(key) != after(key)).count()
}

/// How many of `keys` each of `nodes` owns, in the order of `nodes` (zero for a node that
/// owns none). Keys whose owner is `None`, or not in `nodes`, are not counted.
pub fn loads<T: PartialEq>(nodes: &[T], owner: impl Fn(u64) -> Option<T>, keys: &[u64]) -> Vec<u64> {
    let mut counts = alloc::vec![0u64; nodes.len()];
    for &key in keys {
        if let Some(owner) = owner(key) {
            if let Some(index) = nodes.iter().position(|node| *node == owner) {
                counts[index] += 1;
            }
        }
    }
    counts
}

/// Load imbalance: the heaviest load over the mean load, in integer per-mille (1000 is
/// perfectly even, 2000 means the busiest node carries twice its share), rounded down.
/// `None` when there are no nodes or no load at all.
pub fn max_over_mean_per_mille(loads: &[u64]) -> Option<u64> {
    let total: u128 = loads.iter().map(|&load| u128::from(load)).sum();
    let max = u128::from(*loads.iter().max()?);
    if total == 0 {
        return None;
    }
    // max / (total / n) * 1000, in integers; at most 1000 * n, which fits in u64 for any
    // slice that fits in memory.
    let ratio = max * 1000 * loads.len() as u128 / total;
    u64::try_from(ratio).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn keys(count: u64) -> Vec<u64> {
        (0..count).map(key_hash).collect()
    }

    #[test]
    fn key_hash_is_splitmix64_seeded_with_the_key() {
        // The first two outputs of Vigna's splitmix64.c seeded with 0
        // (https://prng.di.unimi.it/splitmix64.c); the second is the first output of the
        // generator whose state is one increment on.
        assert_eq!(key_hash(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(key_hash(GOLDEN_GAMMA), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn key_hash_bytes_is_fnv1a_64() {
        // Published FNV-1a 64-bit values (Noll's FNV test suite).
        assert_eq!(key_hash_bytes(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(key_hash_bytes(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(key_hash_bytes(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn jump_hash_matches_go_jump_golden_values() {
        // From github.com/dgryski/go-jump, file jump_test.go ("Generated from the reference
        // C++ code"): the bucket of each key for 1, 2, 3, … buckets.
        let golden: [(u64, &[u32]); 4] = [
            (0, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            (1, &[0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]),
            (0xdead_beef, &[0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16]),
            (0x0ddc_0ffe_ebad_f00d, &[0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15]),
        ];
        for (key, buckets) in golden {
            for (index, &expected) in buckets.iter().enumerate() {
                let count = index as u32 + 1;
                assert_eq!(jump_hash(key, count), expected, "key {key:#x}, {count} buckets");
            }
        }
    }

    #[test]
    fn jump_hash_matches_clickhouse_golden_values() {
        // From github.com/ClickHouse/ClickHouse, files
        // tests/queries/0_stateless/00580_consistent_hashing_functions.sql and .reference
        // (jumpConsistentHash).
        assert_eq!(jump_hash(1, 1), 0);
        assert_eq!(jump_hash(42, 57), 43);
        assert_eq!(jump_hash(256, 1024), 520);
        assert_eq!(jump_hash(3_735_883_980, 1), 0);
        assert_eq!(jump_hash(3_735_883_980, 666), 361);
        assert_eq!(jump_hash(16_045_690_984_833_335_023, 255), 237);
    }

    #[test]
    fn zero_buckets_or_nodes_do_not_panic() {
        assert_eq!(jump_hash(12345, 0), 0);
        assert_eq!(mod_n(12345, 0), 0);
        assert_eq!(rendezvous(12345, &[]), None);
        assert_eq!(max_over_mean_per_mille(&[]), None);
        assert_eq!(max_over_mean_per_mille(&[0, 0]), None);
        assert_eq!(loads::<u16>(&[], |_| Some(1), &[1, 2]), Vec::<u64>::new());
    }

    #[test]
    fn jump_hash_handles_the_largest_bucket_counts() {
        for key in keys(64) {
            assert!(jump_hash(key, u32::MAX) < u32::MAX);
        }
    }

    #[test]
    fn jump_hash_moves_keys_only_to_the_new_bucket() {
        let keys = keys(10_000);
        for n in [1u32, 5, 10, 31] {
            for &key in &keys {
                let (before, after) = (jump_hash(key, n), jump_hash(key, n + 1));
                assert!(before == after || after == n, "key {key} moved {before} -> {after}");
            }
        }
    }

    #[test]
    fn jump_hash_moves_about_one_over_n_plus_one() {
        let keys = keys(10_000);
        for n in [4u32, 10, 20] {
            let moved = moved(|k| jump_hash(k, n), |k| jump_hash(k, n + 1), &keys);
            let expected = keys.len() / (n as usize + 1);
            assert!(
                moved * 10 >= expected * 5 && moved * 10 <= expected * 16,
                "{n} -> {}: moved {moved}, expected about {expected}",
                n + 1
            );
        }
    }

    #[test]
    fn mod_n_moves_most_keys() {
        let keys = keys(10_000);
        let moved = moved(|k| mod_n(k, 10), |k| mod_n(k, 11), &keys);
        assert!(moved * 100 > keys.len() * 70, "moved only {moved}");
    }

    #[test]
    fn jump_hash_and_mod_n_are_even() {
        let keys = keys(10_000);
        let buckets: Vec<u32> = (0..10).collect();
        let jump = loads(&buckets, |k| Some(jump_hash(k, 10)), &keys);
        let modulo = loads(&buckets, |k| Some(mod_n(k, 10)), &keys);
        assert_eq!(jump.iter().sum::<u64>(), 10_000);
        assert!(max_over_mean_per_mille(&jump).unwrap() < 1100);
        assert!(max_over_mean_per_mille(&modulo).unwrap() < 1100);
    }

    #[test]
    fn rendezvous_moves_keys_only_to_the_new_node() {
        let keys = keys(10_000);
        let before: Vec<u16> = (0..10).collect();
        let mut after = before.clone();
        after.push(42);
        let mut moved_keys = 0;
        for &key in &keys {
            let (old, new) = (rendezvous(key, &before), rendezvous(key, &after));
            if old != new {
                assert_eq!(new, Some(42));
                moved_keys += 1;
            }
        }
        let expected = keys.len() / 11;
        assert!(moved_keys * 10 >= expected * 5 && moved_keys * 10 <= expected * 16);
    }

    #[test]
    fn rendezvous_removal_moves_only_the_removed_nodes_keys() {
        let keys = keys(2_000);
        let all: Vec<u16> = (0..8).collect();
        let without_three: Vec<u16> = all.iter().copied().filter(|&n| n != 3).collect();
        for &key in &keys {
            let (old, new) = (rendezvous(key, &all), rendezvous(key, &without_three));
            assert!(old == new || old == Some(3));
        }
    }

    #[test]
    fn rendezvous_ignores_node_order_and_duplicates() {
        for key in keys(500) {
            assert_eq!(rendezvous(key, &[1, 2, 3]), rendezvous(key, &[3, 1, 2, 3]));
        }
    }

    #[test]
    fn imbalance_is_max_over_mean() {
        assert_eq!(max_over_mean_per_mille(&[5, 5, 5, 5]), Some(1000));
        assert_eq!(max_over_mean_per_mille(&[10, 0]), Some(2000));
        assert_eq!(max_over_mean_per_mille(&[3, 1, 2]), Some(1500));
    }
}
