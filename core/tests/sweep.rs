//! Seed sweeps over random fault scripts. With deduplication and authentication the
//! guarantees must hold whatever the network and the nodes do; without deduplication,
//! retries over a lossy network must be caught. A failure prints the seed and the script.

mod common;

use common::*;
use playground_core::fault::{format_script, Fault, FaultAction};
use playground_core::rng::Rng;
use playground_core::time::MICROS_PER_MS;

const SERVERS: [&str; 3] = ["s1", "s2", "s3"];
const NODES: [&str; 5] = ["c1", "c2", "s1", "s2", "s3"];

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

/// A random script of crashes, restarts, pauses, partitions, cuts, slow links, heals and
/// network knob changes over the first `span_ms`.
fn random_faults(rng: &mut Rng, span_ms: u64) -> Vec<Fault> {
    let count = rng.between(3, 12);
    let mut faults: Vec<Fault> = (0..count)
        .map(|_| {
            let at = rng.below(span_ms) * MICROS_PER_MS;
            let node = pick(rng, &NODES).to_string();
            let action = match rng.below(9) {
                0 => FaultAction::Crash(pick(rng, &SERVERS).to_string()),
                1 => FaultAction::Restart(pick(rng, &SERVERS).to_string()),
                2 => FaultAction::Pause { node, span: rng.between(10, 2_000) * MICROS_PER_MS },
                3 => FaultAction::Partition(vec![vec![node, pick(rng, &NODES).to_string()]]),
                4 => FaultAction::Cut { from: node, to: pick(rng, &NODES).to_string(), both: rng.below(2) == 0 },
                5 => FaultAction::Slow { a: node, b: pick(rng, &NODES).to_string(), factor: rng.between(2, 50) as u32 },
                6 => FaultAction::Heal,
                7 => FaultAction::Set {
                    key: pick(rng, &["loss", "dup", "reorder"]).into(),
                    value: rng.below(60).to_string(),
                },
                _ => FaultAction::Crash(pick(rng, &["c1", "c2"]).to_string()),
            };
            Fault { at, action }
        })
        .collect();
    // Bring every crashed node back at the end so the run also exercises recovery.
    faults.extend(
        NODES.iter().map(|n| Fault { at: span_ms * MICROS_PER_MS, action: FaultAction::Restart(n.to_string()) }),
    );
    faults.sort_by_key(|f| f.at);
    faults
}

fn sweep_seeds() -> u64 {
    std::env::var("SWEEP_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000)
}

#[test]
fn guarantees_hold_under_random_faults_with_dedup_and_auth() {
    let mut productive = 0;
    for seed in 0..sweep_seeds() {
        let mut rng = Rng::seeded(seed ^ 0x5EED);
        let mut s = scenario(seed, &[("loss", "20"), ("dup", "10"), ("attacker", "tamper"), ("auth", "on")], "");
        s.faults = random_faults(&mut rng, 8_000);
        let run = run_to(&s, secs(12));
        for verdict in run.verdicts() {
            assert!(
                verdict.holds(),
                "seed {seed}: {} violated: {:?}\nfaults: {}",
                verdict.name,
                verdict.status,
                format_script(&s.faults)
            );
        }
        if counter(run.as_ref(), "requests acked") > 0 {
            productive += 1;
        }
    }
    // Some scripts crash every client at once; most runs must still do real work.
    assert!(productive * 10 > sweep_seeds() * 9, "only {productive} runs acknowledged anything");
}

#[test]
fn missing_dedup_is_caught_across_seeds() {
    let mut caught = 0;
    let seeds = sweep_seeds().min(100);
    for seed in 0..seeds {
        let s = scenario(seed, &[("loss", "30"), ("dedup", "off")], "");
        let run = run_to(&s, secs(10));
        if !holds(run.as_ref(), "exactly-once") {
            caught += 1;
        }
    }
    assert_eq!(caught, seeds, "every seed with 30% loss and no dedup should apply some retry twice");
}

#[test]
fn tampering_without_auth_is_caught_across_seeds() {
    for seed in 0..50 {
        // No padding, so every flipped byte lands in a field that matters.
        let s = scenario(seed, &[("attacker", "tamper"), ("attack", "20"), ("payload", "0")], "");
        let run = run_to(&s, secs(10));
        let violated = run.verdicts().iter().filter(|v| !v.holds()).count();
        assert!(violated > 0, "seed {seed}: tampering went unnoticed");
    }
}
