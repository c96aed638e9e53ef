//! Hash maps keyed by ids, for the simulator's hot paths.
//!
//! A `BTreeMap` costs a walk down the tree per lookup; the simulator looks up an in-flight
//! message, a request record or a dedup key several times per event. [`IdMap`] is hashbrown's
//! map with [`IdHasher`], a fixed (unseeded) hasher. Its iteration order is arbitrary, and it
//! differs between targets (hashbrown probes in groups of 16 slots on x86_64 and 8 on wasm32),
//! so code that shows, exports or records what such a map holds sorts it first, and nothing
//! that reaches the trace, a verdict or the view may depend on that order.

use core::hash::{BuildHasherDefault, Hasher};

/// A hash map with a fixed hasher for small integer keys (ids, tuples of ids).
pub type IdMap<K, V> = hashbrown::HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A new, empty [`IdMap`].
pub fn new<K, V>() -> IdMap<K, V> {
    IdMap::with_hasher(BuildHasherDefault::default())
}

/// Folds each integer with a multiply (as rustc's FxHasher does) and mixes the high bits
/// down at the end, so the low bits hashbrown indexes with depend on the whole key, also
/// where `usize` has 32 bits.
#[derive(Clone, Copy, Default)]
pub struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::hash::BuildHasher;

    #[test]
    fn same_key_same_hash_and_nearby_ids_spread() {
        let build = BuildHasherDefault::<IdHasher>::default();
        assert_eq!(build.hash_one(7u64), build.hash_one(7u64));
        // Sequential ids land in different buckets of a small table (low bits differ).
        let buckets: alloc::collections::BTreeSet<u64> = (0..64u64).map(|id| build.hash_one(id) & 63).collect();
        assert!(buckets.len() > 32, "only {} of 64 buckets used", buckets.len());
        // hashbrown's 7-bit tag comes from the top bits of a 32-bit usize on wasm32.
        let tags: alloc::collections::BTreeSet<u64> =
            (0..256u64).map(|id| (build.hash_one(id) as u32 >> 25) as u64).collect();
        assert!(tags.len() > 64, "only {} tags", tags.len());
    }

    #[test]
    fn a_map_works_like_a_map() {
        let mut map = new::<(u16, u32), i64>();
        for i in 0..1000u32 {
            map.insert((i as u16 % 3, i), i64::from(i));
        }
        for i in (0..1000u32).step_by(2) {
            assert_eq!(map.remove(&(i as u16 % 3, i)), Some(i64::from(i)));
        }
        assert_eq!(map.len(), 500);
        assert_eq!(map.get(&(1, 1)), Some(&1));
        assert_eq!(map.get(&(0, 0)), None);
    }
}
