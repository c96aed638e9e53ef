//! Simulator throughput against a bare binary-heap event loop, measured in the same run.
//!
//! The workload: the Network lab with 5 nodes (2 clients, 3 servers), each client issuing
//! 1000 requests per second over a network with 5 % loss and 5 % duplication, for 60 virtual
//! seconds. The bare loop pushes and pops the same number of (time, sequence) entries through
//! a `BinaryHeap` holding as many entries as the simulator's queue typically does.
//!
//! Run with `cargo bench -p playground-core`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use playground_core::lab;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;

const ROUNDS: usize = 5;

fn workload() -> Scenario {
    let mut s = Scenario::new("network", 2024);
    for (k, v) in [("clients", "2"), ("servers", "3"), ("rate", "1000"), ("loss", "5"), ("dup", "5")] {
        s.set_param(k, v);
    }
    s
}

/// Runs the simulator; returns (events processed, mean queue length, elapsed).
fn simulate() -> (u64, u64, Duration) {
    let scenario = workload();
    let mut run = lab::start(&scenario).expect("benchmark scenario starts");
    let start = Instant::now();
    let mut queue_sum = 0u64;
    let mut samples = 0u64;
    let until = 60 * MICROS_PER_SEC;
    while run.next_time().is_some_and(|t| t <= until) {
        run.step();
        if run.processed().is_multiple_of(1024) {
            queue_sum += run.pending() as u64;
            samples += 1;
        }
    }
    let elapsed = start.elapsed();
    black_box(run.trace().digest());
    (run.processed(), queue_sum / samples.max(1), elapsed)
}

/// Pops and pushes `events` entries through a heap kept at `depth` entries.
fn bare_loop(events: u64, depth: u64) -> Duration {
    let mut rng = Rng::seeded(1);
    let mut heap = BinaryHeap::with_capacity(depth as usize + 1);
    let mut seq = 0u64;
    for _ in 0..depth {
        heap.push(Reverse((rng.below(1_000), seq)));
        seq += 1;
    }
    let start = Instant::now();
    for _ in 0..events {
        let Reverse((at, _)) = heap.pop().expect("heap is never empty");
        heap.push(Reverse((at + rng.below(1_000), seq)));
        seq += 1;
    }
    let elapsed = start.elapsed();
    black_box(heap.len());
    elapsed
}

fn per_second(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

fn main() {
    let mut best_sim = Duration::MAX;
    let mut best_bare = Duration::MAX;
    let (mut events, mut depth) = (0, 0);
    for _ in 0..ROUNDS {
        let (e, d, elapsed) = simulate();
        (events, depth) = (e, d);
        best_sim = best_sim.min(elapsed);
        best_bare = best_bare.min(bare_loop(events, depth.max(1)));
    }
    let sim_rate = per_second(events, best_sim);
    let bare_rate = per_second(events, best_bare);
    println!("workload: network lab, 5 nodes, 2x1000 req/s, 5% loss, 5% dup, 60 s virtual");
    println!("events processed:        {events} (mean queue length {depth})");
    println!(
        "simulator:               {:>12.0} events/s  ({:.1} ms, best of {ROUNDS})",
        sim_rate,
        best_sim.as_secs_f64() * 1e3
    );
    println!(
        "bare binary-heap loop:   {:>12.0} events/s  ({:.1} ms, best of {ROUNDS})",
        bare_rate,
        best_bare.as_secs_f64() * 1e3
    );
    println!("ratio (bare / simulator): {:.1}x", bare_rate / sim_rate);
}
