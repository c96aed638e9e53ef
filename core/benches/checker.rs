//! The linearizability checker on generated register histories: 1k, 10k and 100k
//! operations, 4 and 16 clients, with and without a violation, printing operations judged
//! per second, search steps and the cache's peak size. The aim (the consistency issue): a
//! 10,000-operation single-key history judged in under a second.
//!
//! A history is generated from a real linearizable register: each client does one
//! operation at a time, lasting 1–100 µs with gaps of 0–50 µs; each operation takes effect
//! at a random instant inside its interval, and reads return what the register held then.
//! The violating version makes one late read return the value written just before the
//! last write it should see (a stale read).
//!
//! A search that runs out of its budget of steps prints "unknown".
//!
//! Run with `cargo bench -p playground-core --bench checker`.

use std::time::Instant;

use playground_core::history::{linear, Answer, Budget, Call, History, Model, Outcome, Val};
use playground_core::rng::Rng;

fn generate(ops: usize, clients: u64, seed: u64) -> History {
    let mut rng = Rng::seeded(seed);
    // (invoke, complete, point, client, is write, value)
    let mut planned: Vec<(u64, u64, u64, u64, bool, i64)> = Vec::new();
    let mut clock = vec![0u64; clients as usize];
    let mut next_value = 1;
    for i in 0..ops {
        let c = (i as u64) % clients;
        let start = clock[c as usize] + rng.next_u64() % 50;
        let end = start + 1 + rng.next_u64() % 100;
        let point = start + rng.next_u64() % (end - start);
        let write = rng.next_u64().is_multiple_of(2);
        planned.push((start, end, point, c, write, if write { next_value } else { 0 }));
        if write {
            next_value += 1;
        }
        clock[c as usize] = end;
    }
    // Apply in linearization order.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| (planned[i].2, i));
    let mut register = 0i64;
    let mut reads = vec![0i64; planned.len()];
    for i in order {
        if planned[i].4 {
            register = planned[i].5;
        } else {
            reads[i] = register;
        }
    }
    let mut by_invoke: Vec<usize> = (0..planned.len()).collect();
    by_invoke.sort_by_key(|&i| (planned[i].0, i));
    let mut h = History::new();
    for i in by_invoke {
        let (start, end, _, c, write, value) = planned[i];
        let call = if write { Call::Write(Val::Int(value)) } else { Call::Read };
        let at = h.invoke(c, Val::Nil, call, start);
        let read = if write || reads[i] == 0 { Val::Nil } else { Val::Int(reads[i]) };
        h.complete(at, Outcome::Ok, read, end);
    }
    h
}

/// Makes a read near the end return a value overwritten well before it began.
fn break_it(h: &mut History) {
    let n = h.ops.len();
    let late = (n * 9 / 10..n).find(|&i| h.ops[i].call.is_read()).expect("a late read");
    let stale = h.ops[..n / 2].iter().rev().find_map(|o| o.written().cloned()).expect("an early write");
    h.ops[late].value = stale;
}

/// Steps per history; the cache keeps 16-byte fingerprints, so even the longest searches
/// here stay within a few hundred megabytes.
const BUDGET: u64 = 200_000_000;

fn main() {
    println!("linearizability checker, single-key register histories:");
    for &ops in &[1_000usize, 10_000, 100_000] {
        for &clients in &[4u64, 16] {
            for violated in [false, true] {
                let mut h = generate(ops, clients, ops as u64 + clients);
                if violated {
                    break_it(&mut h);
                }
                let start = Instant::now();
                let (answer, stats) = linear::check_with_stats(&h, Model::Register, Budget { steps: BUDGET });
                let secs = start.elapsed().as_secs_f64();
                if !matches!(answer, Answer::Unknown { .. }) {
                    assert_eq!(answer.violated(), violated, "{ops} ops, {clients} clients: {}", answer.word());
                }
                println!(
                    "  {ops:>7} ops {clients:>2} clients {:<9} {:>9.3} s {:>12.0} ops/s {:>10} steps  cache peak {}",
                    answer.word(),
                    secs,
                    ops as f64 / secs,
                    stats.steps,
                    stats.cache_peak
                );
            }
        }
    }
}
