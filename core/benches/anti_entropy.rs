//! Merkle anti-entropy against a full exchange: two replicas of 10,000 keys, 1 % of them
//! different, compared as Dynamo and Cassandra do (root first, descending only into the
//! subtrees whose hashes differ) and as a naive full exchange (every key's version sent).
//!
//! Prints the bytes each sends, and times the tree builds and the exchange. Run with
//! `cargo bench -p playground-core --bench anti_entropy`.

use std::time::Instant;

use playground_core::merkle::{exchange, MerkleTree};

/// Bytes on the wire per hash, per key index and per (key, version) pair.
const HASH: u64 = 8;
const INDEX: u64 = 4;
const KEY_AND_VERSION: u64 = 4 + 8;

fn main() {
    let keys: u32 = 10_000;
    let differing = keys / 100;
    let mut a_items = Vec::new();
    let mut b_items = Vec::new();
    for k in 0..keys {
        let version = u64::from(k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        a_items.push((k, version));
        // Every hundredth key, spread over the key space, has a newer version on b.
        let changed = k % 100 == 37;
        b_items.push((k, if changed { version ^ 1 } else { version }));
    }
    for depth in [6u8, 8, 10, 12] {
        let start = Instant::now();
        let a = MerkleTree::build(keys, depth, a_items.iter().copied());
        let b = MerkleTree::build(keys, depth, b_items.iter().copied());
        let built = start.elapsed();
        let start = Instant::now();
        let cost = exchange(&a, &b);
        let exchanged = start.elapsed();
        // The descent sends each compared node as (index, hash); the differing leaves' keys
        // then go over with their versions.
        let descent = cost.hashes_sent * (HASH + INDEX);
        let keys_in_leaves: u64 = cost.differing_leaves.iter().map(|&l| a.leaf_range(l).len() as u64).sum();
        let merkle = descent + keys_in_leaves * KEY_AND_VERSION;
        let full = u64::from(keys) * KEY_AND_VERSION;
        println!(
            "ANTI-ENTROPY {keys} keys, {differing} differ, depth {depth}: Merkle {} hashes in {} rounds, {} leaves ({keys_in_leaves} keys) = {merkle} bytes; full exchange {full} bytes ({:.1}x more); build both trees {:.2} ms, descend {:.3} ms",
            cost.hashes_sent,
            cost.rounds,
            cost.differing_leaves.len(),
            full as f64 / merkle as f64,
            built.as_secs_f64() * 1e3,
            exchanged.as_secs_f64() * 1e6 / 1e3,
        );
        assert!(cost.differing_leaves.len() as u32 <= differing);
    }
}
