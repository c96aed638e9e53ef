//! Simulator throughput against a bare binary-heap event loop, measured in the same run.
//!
//! The workload: the Network lab with 5 nodes (2 clients, 3 servers), each client issuing
//! 1000 requests per second over a network with 5 % loss and 5 % duplication, for 60 virtual
//! seconds. The bare loop pushes and pops the same number of (time, sequence) entries through
//! a `BinaryHeap` holding as many entries as the simulator's queue typically does.
//!
//! A counting allocator wraps the system one, so the bench also prints allocations per
//! event on the network workload, and the peak heap of a one-hour Raft run (5 servers, a
//! steady client) with its events per second at 300 s and at 3600 s of virtual time: per-event
//! cost must not grow with the run.
//!
//! Run with `cargo bench -p playground-core`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use playground_core::lab;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::MICROS_PER_SEC;

const ROUNDS: usize = 5;

/// Counts allocations and tracks live and peak heap bytes.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        let live = LIVE.fetch_add(new_size, Relaxed) + new_size;
        LIVE.fetch_sub(layout.size(), Relaxed);
        PEAK.fetch_max(live.saturating_sub(layout.size()), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A Raft run of `seconds` of virtual time: (events, elapsed, peak heap bytes during it).
fn raft_run(seconds: u64) -> (u64, Duration, usize) {
    let scenario = Scenario::new("raft", 1);
    let mut run = lab::start(&scenario).expect("raft starts");
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let start = Instant::now();
    run.run_until(seconds * MICROS_PER_SEC);
    let elapsed = start.elapsed();
    black_box(run.trace().digest());
    (run.processed(), elapsed, PEAK.load(Relaxed))
}

fn workload() -> Scenario {
    playground_core::labs::network::throughput_workload()
}

/// Runs the simulator; returns (events processed, mean queue length, elapsed). The
/// allocations it made are left in `LAST_ALLOCATIONS`.
fn simulate() -> (u64, u64, Duration) {
    let scenario = workload();
    let mut run = lab::start(&scenario).expect("benchmark scenario starts");
    let allocations = ALLOCATIONS.load(Relaxed);
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
    LAST_ALLOCATIONS.store(ALLOCATIONS.load(Relaxed) - allocations, Relaxed);
    black_box(run.trace().digest());
    (run.processed(), queue_sum / samples.max(1), elapsed)
}

static LAST_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

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
    println!("ratio (bare / simulator): {:.1}x  (simulator / bare: {:.3})", bare_rate / sim_rate, sim_rate / bare_rate);
    println!("allocations per event:   {:.2}", LAST_ALLOCATIONS.load(Relaxed) as f64 / events.max(1) as f64);

    let (short_events, short_time, _) = raft_run(300);
    let (long_events, long_time, peak) = raft_run(3_600);
    let (short_rate, long_rate) = (per_second(short_events, short_time), per_second(long_events, long_time));
    println!("\nworkload: raft lab defaults (5 servers, a steady client), seed 1");
    println!("300 s virtual:           {:>12.0} events/s  ({short_events} events)", short_rate);
    println!("3600 s virtual:          {:>12.0} events/s  ({long_events} events)", long_rate);
    println!("3600 s / 300 s rate:     {:.2}", long_rate / short_rate);
    println!("peak heap, 3600 s run:   {:.1} MB", peak as f64 / 1e6);
}
