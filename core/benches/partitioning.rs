//! The partitioning schemes measured: lookups per second at 100 nodes (256 virtual nodes
//! each on the ring), keys moved going from 100 to 101 nodes against the optimum K/N, and
//! the load spread against virtual nodes per node.
//!
//! Run with `cargo bench -p playground-core --bench partitioning`.

use std::hint::black_box;
use std::time::Instant;

use playground_core::labs::partitioning::view::spread_of;
use playground_core::labs::partitioning::{loads, KeySpace, Map, Placement, Ring, Scheme};

const NODES: u16 = 100;
const VNODES: u16 = 256;
const KEYS: u32 = 100_000;

fn placement(scheme: Scheme, nodes: &[u16]) -> Placement {
    Placement::new(Map::initial(scheme, VNODES, nodes, 1024, true))
}

fn main() {
    let space = KeySpace { keys: KEYS, salts: 1, global_index: false };
    let nodes: Vec<u16> = (0..NODES).collect();
    let schemes = [Scheme::ModN, Scheme::Ring, Scheme::Jump, Scheme::Rendezvous, Scheme::Fixed, Scheme::Ranges];
    println!("lookups at {NODES} nodes ({VNODES} virtual nodes each on the ring, 1024 fixed partitions):");
    for scheme in schemes {
        let p = placement(scheme, &nodes);
        let rounds = if scheme == Scheme::Rendezvous { 2 } else { 20 };
        let start = Instant::now();
        let mut sum = 0u64;
        for _ in 0..rounds {
            for key in 0..KEYS {
                sum += u64::from(p.owner(&space, key).unwrap_or(0));
            }
        }
        black_box(sum);
        let seconds = start.elapsed().as_secs_f64();
        let per_second = f64::from(KEYS) * f64::from(rounds) / seconds;
        println!("  {:<11} {:>8.1} M lookups/s", scheme.name(), per_second / 1e6);
    }

    println!(
        "\nkeys moved from {NODES} to {} nodes, {KEYS} keys (optimum K/N = {}):",
        NODES + 1,
        KEYS / u32::from(NODES + 1)
    );
    let grown: Vec<u16> = (0..=NODES).collect();
    for scheme in schemes {
        let before = placement(scheme, &nodes);
        let after = Placement::new(before.map.next(&grown, &[], &|_| 0));
        let moved = (0..KEYS).filter(|&k| before.owner(&space, k) != after.owner(&space, k)).count();
        let optimum = f64::from(KEYS) / f64::from(NODES + 1);
        println!("  {:<11} {:>6} keys moved  {:>6.2}× the optimum", scheme.name(), moved, moved as f64 / optimum);
    }

    println!("\nkeys per node over {NODES} nodes by virtual nodes per node ({KEYS} keys):");
    let hashes: Vec<u64> = (0..KEYS).map(|k| space.point(Scheme::Ring, k)).collect();
    for vnodes in [1u16, 4, 16, 64, 256, 512] {
        let ring = Ring::new(&nodes, vnodes);
        let counts = loads(&nodes, |h| ring.owner(h), &hashes);
        let (max, dev) = spread_of(&counts);
        println!(
            "  {vnodes:>4} vnodes: max/mean {:.2}, deviation/mean {:.2}",
            f64::from(max) / 1000.0,
            f64::from(dev) / 1000.0
        );
    }
}
